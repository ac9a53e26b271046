/// Writes one JSON object per event per line: schema version 2, documented
/// in docs/jsonl-schema.md (version 1 is described there too).
///
///     {"v":2,"flow":1,"src":"10.0.0.1","dst":"10.0.0.2","sport":40000,"dport":80,"proto":6}
///     {"v":2,"seq":3,"kind":"put","fn":"skb_put","pkt":12,"track":13,"flow":1,"skb":7,"skbaddr":"0xffff888000a1c000","ts_ns":1700000000000250000,"len":60,"data_len":0,"truesize":2176,"headroom":64,"nr_frags":0,"proto":2048,"args":{"bytes":60}}
///
/// Every object starts with `"v":2`; keys always come in the same order.
/// A flow record (no `"seq"`, no `"kind"`) comes before the first event of
/// its flow when the sink has the run's `FlowTable`. `reason` (the name) and
/// `reason_code` appear for drops, consumes, hook verdicts, list frees and
/// any event with a nonzero reason; `args` holds the kind's arguments under
/// their names (`SkbEventKind.arguments`, `extraArgument`), addresses as hex
/// strings, enumerations as their names (`SkbEventEnum`). Memory counters
/// (`SkbEventKind.isCounter`) carry the counter's id in `skb` and, when the
/// run named it, `"name"` after `args`. Formatting an event allocates
/// nothing.
public final class JSONLinesEventSink: EventSink {
    /// The `"v"` value written in every object.
    public static let schemaVersion = 2

    public let output: TraceOutput
    public let reasons: SkbDropReasonTable
    /// The run's flows; with it, each flow's record is written before its
    /// first event.
    public let flows: FlowTable?
    /// Flow records written so far (ids 1...flowsWritten).
    private var flowsWritten: UInt32 = 0

    public init(output: TraceOutput, reasons: SkbDropReasonTable = .default, flows: FlowTable? = nil) {
        self.output = output
        self.reasons = reasons
        self.flows = flows
    }

    public func receive(_ event: SkbEvent) {
        if _slowPath(event.flow > flowsWritten) { writeFlows(upTo: event.flow) }
        // Fixed text, numbers and names stay under 1024 bytes; the function name
        // (at most 512 bytes of it are written) may grow 6x when escaped.
        var out = output.beginRecord(maxBytes: 1024 + 6 * min(event.function.utf8CodeUnitCount, 512))
        out.append("{\"v\":2,\"seq\":")
        out.appendDecimal(event.sequence)
        out.append(",\"kind\":\"")
        out.append(event.kind.staticName)
        out.append("\",\"fn\":\"")
        out.appendJSONEscaped(event.function, limit: 512)
        out.append("\",\"pkt\":")
        out.appendDecimal(Int64(event.packet))
        out.append(",\"track\":")
        out.appendDecimal(UInt64(event.track))
        out.append(",\"flow\":")
        out.appendDecimal(UInt64(event.flow))
        out.append(",\"skb\":")
        out.appendDecimal(UInt64(event.skb))
        out.append(",\"skbaddr\":\"0x")
        out.appendHex(event.skbaddr, width: 1)
        out.append("\",\"ts_ns\":")
        out.appendDecimal(event.timestampNanoseconds)
        out.append(",\"len\":")
        out.appendDecimal(UInt64(event.len))
        out.append(",\"data_len\":")
        out.appendDecimal(UInt64(event.dataLen))
        out.append(",\"truesize\":")
        out.appendDecimal(UInt64(event.truesize))
        out.append(",\"headroom\":")
        out.appendDecimal(UInt64(event.headroom))
        out.append(",\"nr_frags\":")
        out.appendDecimal(UInt64(event.nrFrags))
        out.append(",\"proto\":")
        out.appendDecimal(UInt64(event.protocolType))
        if event.reason != 0 || event.kind.carriesReason {
            out.append(",\"reason\":\"")
            if let name = reasons.name(of: event.reason) {
                out.append(name)
            } else {
                out.append("0x")
                out.appendHex(UInt64(event.reason), width: 1)
            }
            out.append("\",\"reason_code\":")
            out.appendDecimal(UInt64(event.reason))
        }
        out.append(",\"args\":{")
        let (a0, a1) = event.kind.arguments
        if let a0 { Self.appendArgument(&out, a0, event.arg0) }
        if let a1 {
            if a0 != nil { out.appendByte(UInt8(ascii: ",")) }
            Self.appendArgument(&out, a1, event.arg1)
        }
        if let a2 = event.kind.extraArgument {
            if a0 != nil || a1 != nil { out.appendByte(UInt8(ascii: ",")) }
            Self.appendArgument(&out, a2, event.arg2)
        }
        if event.kind.isCounter, let name = counterNames[UInt64(event.kind.rawValue) << 32 | UInt64(event.skb)] {
            out.appendByte(UInt8(ascii: "}"))
            output.endRecord(out)
            name.withUnsafeBytes { output.append(bytes: $0) }
            output.append("}\n")
        } else {
            out.append("}}\n")
            output.endRecord(out)
        }
        if output.lineBuffered { output.flush() }
    }

    public func finish() { output.flush() }

    /// Counter names as the bytes `,"name":"…"` (escaped once, here).
    private var counterNames: [UInt64: [UInt8]] = [:]

    public func describeCounter(_ kind: SkbEventKind, id: UInt32, name: String) {
        var bytes = Array(",\"name\":\"".utf8)
        bytes.append(contentsOf: jsonStringBody(name))
        bytes.append(UInt8(ascii: "\""))
        counterNames[UInt64(kind.rawValue) << 32 | UInt64(id)] = bytes
    }

    @inline(__always)
    private static func appendArgument(_ out: inout ByteCursor, _ argument: SkbEventArgument, _ value: UInt64) {
        out.appendByte(UInt8(ascii: "\""))
        out.append(argument.name)
        out.append("\":")
        switch argument.format {
        case .decimal: out.appendDecimal(value)
        case .address:
            out.append("\"0x")
            out.appendHex(value, width: 1)
            out.appendByte(UInt8(ascii: "\""))
        case .named(let enumeration):
            if let name = enumeration.name(of: value) {
                out.appendByte(UInt8(ascii: "\""))
                out.append(name)
                out.appendByte(UInt8(ascii: "\""))
            } else {
                out.appendDecimal(value)
            }
        }
    }

    /// The records of flows `flowsWritten + 1 ... id` (once per flow, so
    /// the String work here is per flow, not per event).
    private func writeFlows(upTo id: UInt32) {
        guard let flows else { return }
        while flowsWritten < id {
            flowsWritten += 1
            guard let flow = flows.flow(flowsWritten) else { continue }
            let k = flow.key
            var out = output.beginRecord(maxBytes: 256)
            out.append("{\"v\":2,\"flow\":")
            out.appendDecimal(UInt64(flow.id))
            out.append(",\"src\":\"")
            Self.appendText(&out, k.source)
            out.append("\",\"dst\":\"")
            Self.appendText(&out, k.destination)
            out.append("\",\"sport\":")
            out.appendDecimal(UInt64(k.sourcePort))
            out.append(",\"dport\":")
            out.appendDecimal(UInt64(k.destinationPort))
            out.append(",\"proto\":")
            out.appendDecimal(UInt64(k.ipProtocol))
            out.append("}\n")
            output.endRecord(out)
        }
    }

    /// An address's text (ASCII digits, dots, colons: nothing to escape).
    private static func appendText(_ out: inout ByteCursor, _ text: String) {
        for byte in text.utf8.prefix(64) { out.appendByte(byte) }
    }
}
