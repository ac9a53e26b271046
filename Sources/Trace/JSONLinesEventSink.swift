/// Writes one JSON object per event per line: schema version 1, documented
/// in docs/jsonl-schema.md.
///
///     {"v":1,"seq":3,"kind":"put","fn":"skb_put","pkt":12,"skb":7,"skbaddr":"0xffff888000a1c000","ts_ns":1700000000000250000,"len":60,"data_len":0,"truesize":2176,"headroom":64,"nr_frags":0,"proto":2048,"args":{"bytes":60}}
///
/// Every object starts with `"v":1`; keys always come in the same order;
/// `reason`/`reason_name` appear for drops, consumes, hook verdicts, list
/// frees and any event with a nonzero reason; `args` holds the kind's
/// arguments under their names (`SkbEventKind.arguments`), addresses as hex
/// strings. Memory counters (`SkbEventKind.isCounter`) carry the counter's
/// id in `skb` and, when the run named it, `"name"` after `args`.
/// Formatting allocates nothing.
public final class JSONLinesEventSink: EventSink {
    /// The `"v"` value written in every object.
    public static let schemaVersion = 1

    public let output: TraceOutput
    public let reasons: SkbDropReasonTable

    public init(output: TraceOutput, reasons: SkbDropReasonTable = .default) {
        self.output = output
        self.reasons = reasons
    }

    public func receive(_ event: SkbEvent) {
        // Fixed text and numbers stay under 512 bytes; the function name
        // (at most 512 bytes of it are written) may grow 6x when escaped.
        var out = output.beginRecord(maxBytes: 512 + 6 * min(event.function.utf8CodeUnitCount, 512))
        out.append("{\"v\":1,\"seq\":")
        out.appendDecimal(event.sequence)
        out.append(",\"kind\":\"")
        out.append(event.kind.staticName)
        out.append("\",\"fn\":\"")
        out.appendJSONEscaped(event.function, limit: 512)
        out.append("\",\"pkt\":")
        out.appendDecimal(Int64(event.packet))
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
            out.append(",\"reason\":")
            out.appendDecimal(UInt64(event.reason))
            out.append(",\"reason_name\":\"")
            if let name = reasons.name(of: event.reason) {
                out.append(name)
            } else {
                out.append("0x")
                out.appendHex(UInt64(event.reason), width: 1)
            }
            out.appendByte(UInt8(ascii: "\""))
        }
        out.append(",\"args\":{")
        let (a0, a1) = event.kind.arguments
        if let a0 { Self.appendArgument(&out, a0, event.arg0) }
        if let a1 {
            if a0 != nil { out.appendByte(UInt8(ascii: ",")) }
            Self.appendArgument(&out, a1, event.arg1)
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
        }
    }
}
