/// Writes one readable line per event.
///
///     #3 pkt 12 track 13 flow 1 skb 7 ffff888000a1c000 00:00:00.000250000 skb_put(+60) len 60 data_len 0 truesize 2176 headroom 64 nr_frags 0 proto 0x0800
///     #9 pkt 12 track 13 flow 1 skb 7 ffff888000a1c000 00:00:00.000250000 kfree_skb location=kfree_skb_reason protocol=2048 reason: NETFILTER_DROP
///     #10 pkt 12 track 13 flow 1 skb 8 ffff888000a1c100 00:00:00.000250000 consume_skb location=napi_consume_skb
///     #11 pkt 12 page_frag_cache 1 00:00:00.000250000 page_frag_cache(pages=1, outstanding_bytes=2048) name=napi_alloc_cache
///
/// Fields: `#sequence`, `pkt` (capture packet index, `-` outside packets),
/// `track` (the tracking id, `SkbEvent.track`), `flow` (only when the run
/// tracks flows), `skb` id, the skb address (16 hex digits), the time, then
/// the step: `function(args)` with the kind's arguments as `name=value`
/// (enumerations by name; `+n` for skb_put/push/reserve, `-n` for
/// skb_pull), then the skb's geometry.
/// Drops and consumes follow the `skb:kfree_skb` / `skb:consume_skb`
/// tracepoints (`location=` is the event's function); hook verdicts and
/// frag_list frees with a reason end in `reason: NAME`. Memory counters
/// (`SkbEventKind.isCounter`) print their kind's label
/// (`page_frag_cache`, `slab_cache`, `socket`, `memory`) and id where the
/// skb is, their values as arguments and the counter's name when the run
/// gave one.
///
/// The time is the packet's capture timestamp as `HH:MM:SS.nnnnnnnnn`,
/// relative to the first event's (default) or the UTC time of day. No wall
/// clock is read.
public final class TextEventSink: EventSink {
    public enum TimeFormat: Sendable {
        /// Since the first event's capture timestamp.
        case relative
        /// UTC time of day of the capture timestamp, as tcpdump prints it.
        case timeOfDay
    }

    public let output: TraceOutput
    public let reasons: SkbDropReasonTable
    public let timeFormat: TimeFormat
    private var baseTimestamp: Int64?
    /// When set, times are printed as tcpdump prints them (`-t` … `-ttttt`,
    /// local time or UTC) instead of `timeFormat`; `.none` prints no time.
    private var timestamps: TimestampFormatter?
    /// The last packet's formatted time (one `format` call per packet, so
    /// `-ttt` is the time since the previous packet, not event).
    private var lastPacket: Int32 = .min
    private var lastTimestamp: Int64 = .min
    private var lastTime = ""
    /// Written at the start of every line (`inspect --skb` indents its events).
    public var linePrefix: StaticString = ""
    private var counterNames = CounterNames()

    public init(
        output: TraceOutput, reasons: SkbDropReasonTable = .default, timeFormat: TimeFormat = .relative,
        timestamps: TimestampFormatter? = nil
    ) {
        self.output = output
        self.reasons = reasons
        self.timeFormat = timeFormat
        self.timestamps = timestamps
    }

    public func receive(_ event: SkbEvent) {
        let out = output
        if linePrefix.utf8CodeUnitCount > 0 { out.append(linePrefix) }
        out.appendByte(UInt8(ascii: "#"))
        out.appendDecimal(event.sequence)
        out.append(" pkt ")
        if event.packet < 0 { out.appendByte(UInt8(ascii: "-")) } else { out.appendDecimal(Int64(event.packet)) }
        if event.kind.isCounter {
            out.appendByte(UInt8(ascii: " "))
            out.append(event.kind.counterLabel)
            out.appendByte(UInt8(ascii: " "))
            out.appendDecimal(UInt64(event.skb))
        } else {
            out.append(" track ")
            out.appendDecimal(UInt64(event.track))
            if event.flow != 0 {
                out.append(" flow ")
                out.appendDecimal(UInt64(event.flow))
            }
            out.append(" skb ")
            out.appendDecimal(UInt64(event.skb))
            out.appendByte(UInt8(ascii: " "))
            out.appendHex(event.skbaddr, width: 16)
        }
        out.appendByte(UInt8(ascii: " "))
        if timestamps != nil {
            appendStyledTime(event)
        } else {
            appendTime(event.timestampNanoseconds)
            out.appendByte(UInt8(ascii: " "))
        }

        switch event.kind {
        case .drop:
            out.append("kfree_skb location=")
            out.append(event.function)
            out.append(" protocol=")
            out.appendDecimal(UInt64(event.protocolType))
            appendReason(event.reason)
        case .consume:
            out.append("consume_skb location=")
            out.append(event.function)
        case .pageFragCounter, .slabCounter, .socketCounter, .memoryCounter:
            appendStep(event)
            if let name = counterNames.name(event.kind, id: event.skb) {
                out.append(" name=")
                var text = name
                text.withUTF8 { out.append(bytes: UnsafeRawBufferPointer($0)) }
            }
        default:
            appendStep(event)
            out.append(" len ")
            out.appendDecimal(UInt64(event.len))
            out.append(" data_len ")
            out.appendDecimal(UInt64(event.dataLen))
            out.append(" truesize ")
            out.appendDecimal(UInt64(event.truesize))
            out.append(" headroom ")
            out.appendDecimal(UInt64(event.headroom))
            out.append(" nr_frags ")
            out.appendDecimal(UInt64(event.nrFrags))
            out.append(" proto 0x")
            out.appendHex(UInt64(event.protocolType), width: 4)
            if event.kind.carriesReason, event.reason != 0 { appendReason(event.reason) }
        }
        out.appendByte(UInt8(ascii: "\n"))
        if out.lineBuffered { out.flush() }
    }

    public func finish() { output.flush() }

    public func describeCounter(_ kind: SkbEventKind, id: UInt32, name: String) {
        counterNames.set(kind, id: id, name: name)
    }

    private func appendStyledTime(_ event: SkbEvent) {
        if event.packet != lastPacket || event.timestampNanoseconds != lastTimestamp {
            lastPacket = event.packet
            lastTimestamp = event.timestampNanoseconds
            lastTime = timestamps!.format(event.timestampNanoseconds)
            if !lastTime.isEmpty { lastTime += " " }
        }
        var text = lastTime
        text.withUTF8 { output.append(bytes: UnsafeRawBufferPointer($0)) }
    }

    private func appendReason(_ reason: UInt32) {
        output.append(" reason: ")
        if let name = reasons.name(of: reason) {
            output.append(name)
        } else {
            output.append("0x")
            output.appendHex(UInt64(reason), width: 1)
        }
    }

    private func appendStep(_ event: SkbEvent) {
        let out = output
        out.append(event.function)
        out.appendByte(UInt8(ascii: "("))
        switch event.kind {
        case .put, .push, .reserve:
            out.appendByte(UInt8(ascii: "+"))
            out.appendDecimal(event.arg0)
        case .pull:
            out.appendByte(UInt8(ascii: "-"))
            out.appendDecimal(event.arg0)
        default:
            let (a0, a1) = event.kind.arguments
            if let a0 { appendArgument(a0, event.arg0) }
            if let a1 {
                out.append(", ")
                appendArgument(a1, event.arg1)
            }
            if let a2 = event.kind.extraArgument {
                out.append(", ")
                appendArgument(a2, event.arg2)
            }
        }
        out.appendByte(UInt8(ascii: ")"))
    }

    private func appendArgument(_ argument: SkbEventArgument, _ value: UInt64) {
        output.append(argument.name)
        output.appendByte(UInt8(ascii: "="))
        switch argument.format {
        case .decimal: output.appendDecimal(value)
        case .address:
            output.append("0x")
            output.appendHex(value, width: 1)
        case .named(let enumeration):
            if let name = enumeration.name(of: value) { output.append(name) } else { output.appendDecimal(value) }
        }
    }

    private func appendTime(_ timestamp: Int64) {
        var t: Int64
        switch timeFormat {
        case .relative:
            if baseTimestamp == nil { baseTimestamp = timestamp }
            t = timestamp &- baseTimestamp!
        case .timeOfDay:
            t = timestamp % 86_400_000_000_000
            if t < 0 { t += 86_400_000_000_000 }
        }
        if t < 0 {
            output.appendByte(UInt8(ascii: "-"))
            t = 0 &- t
        }
        let ns = UInt64(t)
        let seconds = ns / 1_000_000_000
        output.appendDecimal(seconds / 3600, width: max(2, digitCount(seconds / 3600)))
        output.appendByte(UInt8(ascii: ":"))
        output.appendDecimal(seconds / 60 % 60, width: 2)
        output.appendByte(UInt8(ascii: ":"))
        output.appendDecimal(seconds % 60, width: 2)
        output.appendByte(UInt8(ascii: "."))
        output.appendDecimal(ns % 1_000_000_000, width: 9)
    }
}

@inline(__always)
func digitCount(_ value: UInt64) -> Int {
    var digits = 1
    var v = value
    while v >= 10 {
        v /= 10
        digits += 1
    }
    return digits
}
