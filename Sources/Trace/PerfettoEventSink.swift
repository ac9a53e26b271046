/// Writes the run as a Chrome trace-event JSON file, the legacy format that
/// ui.perfetto.dev and chrome://tracing open:
/// `{"traceEvents":[...],"displayTimeUnit":"ns"}`.
///
/// Layout (pid 1, named "skbsim"):
/// - one track per skb id: `tid` = 100 + skb id, named "skb N" by a
///   `thread_name` metadata event (`"ph":"M"`) the first time the id appears;
/// - an outer span ("skb N", `B`/`E`) from the skb's first event (normally
///   its allocation) to its `skbFree`; an id reused after a free starts a new
///   outer span on the same track;
/// - inside it, one span per stage (`SkbEventStage`: "alloc", "ops",
///   "gro_hold", "release"), opened when an event of another stage arrives;
/// - each operation as a complete event (`X`, 5 ns wide) named by its kernel
///   function, with the kind's arguments and the skb geometry as args;
/// - drops and consumes as thread-scoped instants (`"ph":"i"`) named
///   "kfree_skb"/"consume_skb" with the reason by name and value;
/// - one counter track (`"ph":"C"`) per memory counter (`SkbEventKind.isCounter`),
///   named by `CounterNames.label` ("page_frag napi_alloc_cache", "slab
///   skbuff_cache", "socket 0", "memory") with the kind's two arguments as
///   its series (`pages`/`outstanding_bytes`, `active_objects`/`bytes`,
///   `rmem_alloc`/`queued`, `used_pages`/`used_bytes`).
///
/// Time axis (deterministic, no wall clock): event i gets
/// `t(i) = max(capture_ts(i) - capture_ts(0), t(i-1) + 20 ns) + 100 ns`, so
/// events keep capture time where packets are far enough apart and are
/// spread 20 ns apart within a packet. Around an event at `t`: an outer span
/// opens at t-3, a stage span closes at t-2 and the next opens at t-1, the
/// event's X occupies [t, t+5]; a free closes its stage at t+6 and the outer
/// span at t+7. `ts` is printed in microseconds with three decimals (ns
/// precision). At `finish()` every span still open is closed at the last
/// event's time (+6/+7) and the outer `E` carries
/// `{"alive_at_end":true,"note":"alive at end of run"}`.
public final class PerfettoEventSink: EventSink {
    public let output: TraceOutput
    public let reasons: SkbDropReasonTable

    /// Spacing between consecutive events on the time axis.
    public static let stepNanoseconds: Int64 = 20
    /// Where the axis starts, so that the first spans' `t - 3` stays positive.
    public static let originNanoseconds: Int64 = 100
    /// Track id of skb N.
    public static let tidBase: UInt64 = 100

    private var started = false
    private var finished = false
    private var baseTimestamp: Int64 = 0
    private var lastTime: Int64 = -1
    /// Per skb id: bit 0 track named, bit 1 outer span open, bits 4-7 open stage + 1.
    private var states = ContiguousArray<UInt8>()
    private var overflowStates: [UInt32: UInt8] = [:]
    private var counterNames = CounterNames()
    private static let denseLimit: UInt32 = 1 << 20

    public init(output: TraceOutput, reasons: SkbDropReasonTable = .default) {
        self.output = output
        self.reasons = reasons
    }

    // MARK: EventSink

    public func receive(_ event: SkbEvent) {
        startIfNeeded()
        let t = time(of: event)
        if event.kind.isCounter {
            counter(event, at: t)
            return
        }
        let skb = event.skb
        var state = self.state(of: skb)
        if state & 1 == 0 {
            state |= 1
            threadName(skb)
        }
        if state & 2 == 0 {
            state |= 2
            begin(skb, at: t - 3, outer: true, event: event)
        }
        let stage = event.kind.stage
        let open = state >> 4
        if open != stage.rawValue &+ 1 {
            if open != 0 { stageMark("E", skb, SkbEventStage(rawValue: open - 1)!, at: t - 2) }
            stageMark("B", skb, stage, at: t - 1)
            state = (state & 0x0f) | ((stage.rawValue &+ 1) << 4)
        }
        switch event.kind {
        case .drop, .consume: instant(event, at: t)
        default: complete(event, at: t)
        }
        if event.kind == .skbFree {
            stageMark("E", skb, stage, at: t + 6)
            endOuter(skb, at: t + 7, aliveAtEnd: false)
            state &= 1
        }
        setState(state, of: skb)
    }

    public func finish() {
        guard !finished else { return }
        startIfNeeded()
        finished = true
        let t = max(lastTime, 0)
        for (index, state) in states.enumerated() { closeAlive(UInt32(index), state, at: t) }
        for skb in overflowStates.keys.sorted() { closeAlive(skb, overflowStates[skb]!, at: t) }
        output.append("\n],\"displayTimeUnit\":\"ns\"}\n")
        output.flush()
    }

    // MARK: State

    private func state(of skb: UInt32) -> UInt8 {
        if skb < Self.denseLimit { return Int(skb) < states.count ? states[Int(skb)] : 0 }
        return overflowStates[skb] ?? 0
    }

    private func setState(_ state: UInt8, of skb: UInt32) {
        if skb < Self.denseLimit {
            let index = Int(skb)
            if index >= states.count { states.append(contentsOf: repeatElement(0, count: index - states.count + 1)) }
            states[index] = state
        } else {
            overflowStates[skb] = state
        }
    }

    private func time(of event: SkbEvent) -> Int64 {
        if lastTime < 0 {
            baseTimestamp = event.timestampNanoseconds
            lastTime = Self.originNanoseconds
            return lastTime
        }
        let fromCapture = (event.timestampNanoseconds &- baseTimestamp) &+ Self.originNanoseconds
        lastTime = max(fromCapture, lastTime &+ Self.stepNanoseconds)
        return lastTime
    }

    private func closeAlive(_ skb: UInt32, _ state: UInt8, at t: Int64) {
        guard state & 2 != 0 else { return }
        let open = state >> 4
        if open != 0 { stageMark("E", skb, SkbEventStage(rawValue: open - 1)!, at: t + 6) }
        endOuter(skb, at: t + 7, aliveAtEnd: true)
    }

    // MARK: Records

    private func startIfNeeded() {
        guard !started else { return }
        started = true
        output.append(
            "{\"traceEvents\":[\n{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,\"args\":{\"name\":\"skbsim\"}}"
        )
    }

    private func head(_ ph: StaticString, at t: Int64) {
        output.append(",\n{\"ph\":\"")
        output.append(ph)
        output.append("\",\"ts\":")
        appendMicroseconds(t)
        output.append(",\"pid\":1")
    }

    private func tid(_ skb: UInt32) {
        output.append(",\"tid\":")
        output.appendDecimal(Self.tidBase &+ UInt64(skb))
    }

    private func threadName(_ skb: UInt32) {
        output.append(",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1")
        tid(skb)
        output.append(",\"args\":{\"name\":\"skb ")
        output.appendDecimal(UInt64(skb))
        output.append("\"}},\n{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":1")
        tid(skb)
        output.append(",\"args\":{\"sort_index\":")
        output.appendDecimal(UInt64(skb))
        output.append("}}")
    }

    private func begin(_ skb: UInt32, at t: Int64, outer: Bool, event: SkbEvent) {
        head("B", at: t)
        tid(skb)
        output.append(",\"name\":\"skb ")
        output.appendDecimal(UInt64(skb))
        output.append("\",\"args\":{\"skbaddr\":\"0x")
        output.appendHex(event.skbaddr, width: 1)
        output.append("\",\"pkt\":")
        output.appendDecimal(Int64(event.packet))
        output.append(",\"capture_ts_ns\":")
        output.appendDecimal(event.timestampNanoseconds)
        output.append(",\"first_fn\":\"")
        output.appendJSONEscaped(event.function)
        output.append("\"}}")
    }

    /// A stage span's begin (`"B"`) or end (`"E"`) on the skb's track.
    private func stageMark(_ ph: StaticString, _ skb: UInt32, _ stage: SkbEventStage, at t: Int64) {
        head(ph, at: t)
        tid(skb)
        output.append(",\"name\":\"")
        output.append(stageName(stage))
        output.append("\"}")
    }

    private func endOuter(_ skb: UInt32, at t: Int64, aliveAtEnd: Bool) {
        head("E", at: t)
        tid(skb)
        output.append(",\"name\":\"skb ")
        output.appendDecimal(UInt64(skb))
        if aliveAtEnd {
            output.append("\",\"args\":{\"alive_at_end\":true,\"note\":\"alive at end of run\"}}")
        } else {
            output.append("\"}")
        }
    }

    private func complete(_ event: SkbEvent, at t: Int64) {
        head("X", at: t)
        tid(event.skb)
        output.append(",\"dur\":0.005,\"name\":\"")
        output.appendJSONEscaped(event.function)
        output.append("\",\"args\":{\"kind\":\"")
        output.append(event.kind.staticName)
        output.append("\",\"seq\":")
        output.appendDecimal(event.sequence)
        let (a0, a1) = event.kind.arguments
        if let a0 { argument(a0, event.arg0) }
        if let a1 { argument(a1, event.arg1) }
        if let a2 = event.kind.extraArgument { argument(a2, event.arg2) }
        if event.reason != 0 || event.kind.carriesReason { reason(event.reason) }
        output.append(",\"len\":")
        output.appendDecimal(UInt64(event.len))
        output.append(",\"data_len\":")
        output.appendDecimal(UInt64(event.dataLen))
        output.append(",\"truesize\":")
        output.appendDecimal(UInt64(event.truesize))
        output.append(",\"headroom\":")
        output.appendDecimal(UInt64(event.headroom))
        output.append(",\"nr_frags\":")
        output.appendDecimal(UInt64(event.nrFrags))
        output.append("}}")
    }

    private func instant(_ event: SkbEvent, at t: Int64) {
        head("i", at: t)
        tid(event.skb)
        output.append(
            event.kind == .drop ? ",\"s\":\"t\",\"name\":\"kfree_skb\"" : ",\"s\":\"t\",\"name\":\"consume_skb\"")
        output.append(",\"args\":{\"seq\":")
        output.appendDecimal(event.sequence)
        output.append(",\"location\":\"")
        output.appendJSONEscaped(event.function)
        output.appendByte(UInt8(ascii: "\""))
        reason(event.reason)
        output.append(",\"protocol\":")
        output.appendDecimal(UInt64(event.protocolType))
        output.append("}}")
    }

    private func counter(_ event: SkbEvent, at t: Int64) {
        head("C", at: t)
        output.append(",\"name\":\"")
        let label = jsonStringBody(counterNames.label(event.kind, id: event.skb))
        label.withUnsafeBytes { output.append(bytes: $0) }
        output.append("\",\"args\":{")
        let (a0, a1) = event.kind.arguments
        if let a0 {
            output.appendByte(UInt8(ascii: "\""))
            output.append(a0.name)
            output.append("\":")
            output.appendDecimal(event.arg0)
        }
        if let a1 {
            output.append(",\"")
            output.append(a1.name)
            output.append("\":")
            output.appendDecimal(event.arg1)
        }
        output.append("}}")
    }

    public func describeCounter(_ kind: SkbEventKind, id: UInt32, name: String) {
        counterNames.set(kind, id: id, name: name)
    }

    private func argument(_ argument: SkbEventArgument, _ value: UInt64) {
        output.append(",\"")
        output.append(argument.name)
        output.append("\":")
        switch argument.format {
        case .decimal: output.appendDecimal(value)
        case .address:
            output.append("\"0x")
            output.appendHex(value, width: 1)
            output.appendByte(UInt8(ascii: "\""))
        case .named(let enumeration):
            if let name = enumeration.name(of: value) {
                output.appendByte(UInt8(ascii: "\""))
                output.append(name)
                output.appendByte(UInt8(ascii: "\""))
            } else {
                output.appendDecimal(value)
            }
        }
    }

    private func reason(_ value: UInt32) {
        output.append(",\"reason\":\"")
        if let name = reasons.name(of: value) {
            output.append(name)
        } else {
            output.append("0x")
            output.appendHex(UInt64(value), width: 1)
        }
        output.append("\",\"reason_value\":")
        output.appendDecimal(UInt64(value))
    }

    private func stageName(_ stage: SkbEventStage) -> StaticString {
        switch stage {
        case .allocation: "alloc"
        case .operation: "ops"
        case .gro: "gro_hold"
        case .release: "release"
        case .counter: "counter"
        }
    }

    private func appendMicroseconds(_ ns: Int64) {
        var v = ns
        if v < 0 {
            output.appendByte(UInt8(ascii: "-"))
            v = 0 &- v
        }
        output.appendDecimal(UInt64(v) / 1000)
        output.appendByte(UInt8(ascii: "."))
        output.appendDecimal(UInt64(v) % 1000, width: 3)
    }
}
