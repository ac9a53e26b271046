import Capture
import Release
import Trace
import TraceStore

/// `trace --format sqlite -o run.db`: the run's events through
/// `SQLiteEventSink`, plus the capture's own rows (`packets`, `flows`),
/// recorded as each packet is read (docs/sqlite-schema.md).
enum TraceDatabase {
    static func run(
        path: String, capture: CaptureOptions, simulation: SimulationOptions,
        filter: (any EventSink) -> any EventSink = { $0 }
    ) throws -> CaptureRun.Summary {
        let sink: SQLiteEventSink
        do {
            sink = try SQLiteEventSink(
                path: path, reasons: simulation.dropReasonTable,
                meta: [("capture", capture.path), ("filter", capture.filter ?? "")])
        } catch {
            throw InputError(description: "\(path): \(error)")
        }
        // Events carry the run's flow ids (FlowTable); the `flows` table
        // numbers the same 5-tuples in the same first-seen order.
        var options = simulation.runOptions(sink: filter(sink))
        options.flows = FlowTable()
        var flows: [FlowKey: Int] = [:]
        var failure: SQLiteError?
        let summary = try CaptureRun.run(
            capture: capture, options: options,
            before: { packet, linkType in
                guard failure == nil else { return }
                let headers = HeaderDecoder.decode(packet.bytes, linkType: linkType)
                var flow: Int? = nil
                if let key = headers.flow {
                    if let id = flows[key] {
                        flow = id
                    } else {
                        let id = flows.count + 1
                        flows[key] = id
                        flow = id
                        do throws(SQLiteError) {
                            try sink.recordFlow(
                                id, ipProtocol: key.ipProtocol, source: format(key.source), sourcePort: key.sourcePort,
                                destination: format(key.destination), destinationPort: key.destinationPort)
                        } catch { failure = error }
                    }
                }
                do throws(SQLiteError) {
                    try sink.recordPacket(
                        packet.index, timestampNanoseconds: packet.timestampNanoseconds,
                        wireLength: packet.wireLength, captureLength: packet.captureLength, flow: flow)
                } catch { failure = error }
            })
        do {
            if let failure { throw failure }
            try sink.close()
        } catch {
            throw InputError(description: "\(path): \(error)")
        }
        return summary
    }

    /// Dotted quad for an IPv4(-mapped) address, eight hex groups otherwise.
    static func format(_ a: FlowKey.Address) -> String {
        if a.isIPv4Mapped {
            let v = a.ipv4
            return "\(v >> 24).\(v >> 16 & 0xff).\(v >> 8 & 0xff).\(v & 0xff)"
        }
        let groups = (0..<8).map { i -> String in
            let word = i < 4 ? a.high : a.low
            return String(UInt16(truncatingIfNeeded: word >> (48 - 16 * UInt64(i % 4))), radix: 16)
        }
        return groups.joined(separator: ":")
    }
}
