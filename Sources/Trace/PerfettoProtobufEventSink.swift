/// Writes the run in Perfetto's own trace format (`.pftrace`): a protobuf
/// `Trace { repeated TracePacket packet = 1; }`, which ui.perfetto.dev and
/// trace_processor open directly. Same tracks, spans and time axis as the
/// JSON sink (`PerfettoEventSink`), at a fraction of the size.
///
/// Layout:
/// - one process track (uuid 1, pid 1, "skbsim");
/// - one thread track per skb id (uuid and tid `skbTrackBase + id`,
///   "skb N"): a slice "skb N" from the skb's first event to its `skbFree`
///   (`skbaddr`, `pkt`), and inside it each step as an instant event named
///   by its kernel function, category the event kind (which gives the
///   stage: the JSON's nested stage spans are left out, they would cost a
///   third of the file), with the kind's arguments and the
///   geometry (`len`, `data_len`, `truesize`, `headroom`, `nr_frags`) as
///   debug annotations — the geometry only where it changed since the skb's
///   previous step (all of it on the skb's first step), which is what keeps
///   the file small; drops and consumes are instants "kfree_skb" /
///   "consume_skb" with `location`, `reason`, `reason_value` and `protocol`;
/// - two counter tracks per memory counter (`SkbEventKind.isCounter`), one
///   per argument, named "<label> <argument>" ("page_frag napi_alloc_cache
///   outstanding_bytes"), unit bytes or count; one `TYPE_COUNTER` event
///   per change with the series that moved (both: the second through
///   `extra_counter_values`).
///
/// Event names, categories and annotation names are interned
/// (`InternedData`, one packet sequence, id 1): the first packet clears the
/// incremental state, every other packet is marked as needing it. Times are
/// the JSON sink's (`PerfettoEventSink.time`), in ns, written as deltas on
/// a sequence-scoped incremental clock (id 64, declared by the first
/// packet's ClockSnapshot with BOOTTIME 0 = clock 0, and made the
/// sequence's default by TracePacketDefaults): a step of 20 ns takes one
/// byte instead of five.
///
/// Field numbers are Perfetto's, from its protos (google/perfetto,
/// `protos/perfetto/trace/`): `trace.proto`, `trace_packet.proto`,
/// `track_event/track_descriptor.proto`, `track_event/track_event.proto`,
/// `track_event/counter_descriptor.proto`, `track_event/debug_annotation.proto`,
/// `track_event/process_descriptor.proto`, `track_event/thread_descriptor.proto`,
/// `interned_data/interned_data.proto` (see `PerfettoProto`). The encoder
/// is hand-written (`ProtobufWriter`, varints and length-delimited fields
/// only): the sink uses a few dozen fields, and generated swift-protobuf
/// code would bring a dependency and a runtime for that.
public final class PerfettoProtobufEventSink: EventSink {
    public let output: TraceOutput
    public let reasons: SkbDropReasonTable

    /// Track uuid (and tid) of skb N: `skbTrackBase + N`.
    public static let skbTrackBase: UInt64 = 1024
    /// The packet sequence every packet is on.
    public static let sequenceID: UInt64 = 1

    private var writer = ProtobufWriter()
    private var packet = ProtobufWriter()
    private var started = false
    private var finished = false
    private var firstPacket = true
    private var baseTimestamp: Int64 = 0
    private var lastTime: Int64 = -1
    /// The last timestamp written (the incremental clock's reading).
    private var lastWritten: UInt64 = 0
    /// Per counter: the values last written to its two tracks.
    private var counterValues: [UInt64: (UInt64, UInt64)] = [:]

    /// Per skb id: bit 0 track described, bit 1 life slice open.
    private var states: [UInt8] = []
    /// Per skb id: the geometry last annotated.
    private var geometry: [Geometry] = []
    private var counterNames = CounterNames()
    /// Per counter (kind << 32 | id): its two tracks' uuids.
    private var counterTracks: [UInt64: UInt64] = [:]
    private var nextCounterUUID: UInt64 = 2

    // Interning: iids per string, per index.
    private var eventNames: [String: UInt64] = [:]
    private var functionNames: [UnsafeRawPointer: UInt64] = [:]
    private var categories: [UInt8: UInt64] = [:]
    private var annotationNames: [String: UInt64] = [:]
    private var literalAnnotationNames: [UnsafeRawPointer: UInt64] = [:]
    private var skbNameIIDs: [UInt64] = []
    private var newInterned = ProtobufWriter(capacity: 256)

    struct Geometry: Equatable {
        var len: UInt32 = .max, dataLen: UInt32 = .max, truesize: UInt32 = .max, headroom: UInt32 = .max
        var nrFrags: UInt8 = .max
    }

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
        let index = Int(skb)
        if index >= states.count {
            states.append(contentsOf: repeatElement(0, count: index - states.count + 1))
            geometry.append(contentsOf: repeatElement(Geometry(), count: index - geometry.count + 1))
        }
        var state = states[index]
        if state & 1 == 0 {
            state |= 1
            describeSkbTrack(skb)
        }
        let track = Self.skbTrackBase + UInt64(skb)
        if state & 2 == 0 {
            state |= 2
            geometry[index] = Geometry()
            outerBegin(event, track: track, at: t - 3)
        }
        switch event.kind {
        case .drop, .consume: dropInstant(event, track: track, at: t)
        default: step(event, track: track, at: t)
        }
        if event.kind == .skbFree {
            sliceEnd(track, at: t + 7)
            state &= 1
        }
        states[index] = state
    }

    public func finish() {
        guard !finished else { return }
        startIfNeeded()
        finished = true
        let t = max(lastTime, 0)
        for (index, state) in states.enumerated() where state & 2 != 0 {
            sliceEnd(Self.skbTrackBase + UInt64(index), at: t + 7, aliveAtEnd: true)
        }
        output.flush()
    }

    public func describeCounter(_ kind: SkbEventKind, id: UInt32, name: String) {
        counterNames.set(kind, id: id, name: name)
    }

    // MARK: Time (as PerfettoEventSink)

    private func time(of event: SkbEvent) -> Int64 {
        if lastTime < 0 {
            baseTimestamp = event.timestampNanoseconds
            lastTime = PerfettoEventSink.originNanoseconds
            return lastTime
        }
        let fromCapture = (event.timestampNanoseconds &- baseTimestamp) &+ PerfettoEventSink.originNanoseconds
        lastTime = max(fromCapture, lastTime &+ PerfettoEventSink.stepNanoseconds)
        return lastTime
    }

    // MARK: Packets

    private typealias F = PerfettoProto

    /// Starts a TracePacket in `packet` (timestamp if `t` >= 0, sequence id, flags).
    private func beginPacket(at t: Int64?) {
        packet.reset()
        if let t {
            // Incremental clock: the delta from the previous timestamped packet.
            let now = UInt64(max(t, 0))
            packet.uint(F.TracePacket.timestamp, now &- lastWritten)
            lastWritten = now
        }
        packet.uint(F.TracePacket.trustedPacketSequenceID, Self.sequenceID)
        if firstPacket {
            packet.uint(F.TracePacket.sequenceFlags, F.TracePacket.seqIncrementalStateCleared)
            firstPacket = false
        } else {
            packet.uint(F.TracePacket.sequenceFlags, F.TracePacket.seqNeedsIncrementalState)
        }
    }

    /// Appends the interned data introduced since the last packet (it may
    /// have been interned before `beginPacket`), then the packet as
    /// `Trace.packet` to the output.
    private func endPacket() {
        if !newInterned.bytes.isEmpty {
            packet.begin(F.TracePacket.internedData)
            packet.appendRaw(newInterned.bytes)
            packet.end()
            newInterned.reset()
        }
        writer.reset()
        writer.begin(F.Trace.packet)
        writer.appendRaw(packet.bytes)
        writer.end()
        writer.bytes.withUnsafeBytes { output.append(bytes: $0) }
    }

    private func startIfNeeded() {
        guard !started else { return }
        started = true
        // The sequence's clock: ns, incremental, 0 = BOOTTIME 0; every
        // timestamped packet after this one is a delta on it.
        beginPacket(at: nil)
        packet.begin(F.TracePacket.clockSnapshot)
        packet.begin(F.ClockSnapshot.clocks)
        packet.uint(F.ClockSnapshot.clockID, F.ClockSnapshot.incrementalClock)
        packet.uint(F.ClockSnapshot.timestamp, 0)
        packet.bool(F.ClockSnapshot.isIncremental, true)
        packet.end()
        packet.begin(F.ClockSnapshot.clocks)
        packet.uint(F.ClockSnapshot.clockID, F.ClockSnapshot.boottime)
        packet.uint(F.ClockSnapshot.timestamp, 0)
        packet.end()
        packet.end()
        packet.begin(F.TracePacket.tracePacketDefaults)
        packet.uint(F.TracePacketDefaults.timestampClockID, F.ClockSnapshot.incrementalClock)
        packet.end()
        endPacket()
        beginPacket(at: nil)
        packet.begin(F.TracePacket.trackDescriptor)
        packet.uint(F.TrackDescriptor.uuid, 1)
        packet.begin(F.TrackDescriptor.process)
        packet.int(F.ProcessDescriptor.pid, 1)
        packet.string(F.ProcessDescriptor.processName, "skbsim" as StaticString)
        packet.end()
        packet.end()
        endPacket()
    }

    private func describeSkbTrack(_ skb: UInt32) {
        beginPacket(at: nil)
        packet.begin(F.TracePacket.trackDescriptor)
        packet.uint(F.TrackDescriptor.uuid, Self.skbTrackBase + UInt64(skb))
        packet.uint(F.TrackDescriptor.parentUUID, 1)
        packet.begin(F.TrackDescriptor.thread)
        packet.int(F.ThreadDescriptor.pid, 1)
        packet.int(F.ThreadDescriptor.tid, Int64(Self.skbTrackBase) + Int64(skb))
        packet.string(F.ThreadDescriptor.threadName, "skb \(skb)")
        packet.end()
        packet.end()
        endPacket()
    }

    private func outerBegin(_ event: SkbEvent, track: UInt64, at t: Int64) {
        beginPacket(at: t)
        packet.begin(F.TracePacket.trackEvent)
        packet.uint(F.TrackEvent.type, F.TrackEvent.typeSliceBegin)
        packet.uint(F.TrackEvent.trackUUID, track)
        packet.uint(F.TrackEvent.nameIID, skbNameIID(event.skb))
        pointerAnnotation("skbaddr", event.skbaddr)
        intAnnotation("pkt", Int64(event.packet))
        packet.end()
        endPacket()
    }

    private func sliceEnd(_ track: UInt64, at t: Int64, aliveAtEnd: Bool = false) {
        beginPacket(at: t)
        packet.begin(F.TracePacket.trackEvent)
        packet.uint(F.TrackEvent.type, F.TrackEvent.typeSliceEnd)
        packet.uint(F.TrackEvent.trackUUID, track)
        if aliveAtEnd {
            packet.begin(F.TrackEvent.debugAnnotations)
            packet.uint(F.DebugAnnotation.nameIID, annotationName("alive_at_end"))
            packet.bool(F.DebugAnnotation.boolValue, true)
            packet.end()
        }
        packet.end()
        endPacket()
    }

    private func step(_ event: SkbEvent, track: UInt64, at t: Int64) {
        beginPacket(at: t)
        packet.begin(F.TracePacket.trackEvent)
        packet.uint(F.TrackEvent.type, F.TrackEvent.typeInstant)
        packet.uint(F.TrackEvent.trackUUID, track)
        packet.uint(F.TrackEvent.categoryIIDs, category(event.kind))
        packet.uint(F.TrackEvent.nameIID, functionName(event.function))
        let (a0, a1) = event.kind.arguments
        if let a0 { argument(a0, event.arg0) }
        if let a1 { argument(a1, event.arg1) }
        if event.reason != 0 || event.kind.carriesReason { reasonAnnotations(event.reason) }
        let index = Int(event.skb)
        var last = geometry[index]
        if event.len != last.len {
            uintAnnotation("len", UInt64(event.len))
            last.len = event.len
        }
        if event.dataLen != last.dataLen {
            uintAnnotation("data_len", UInt64(event.dataLen))
            last.dataLen = event.dataLen
        }
        if event.truesize != last.truesize {
            uintAnnotation("truesize", UInt64(event.truesize))
            last.truesize = event.truesize
        }
        if event.headroom != last.headroom {
            uintAnnotation("headroom", UInt64(event.headroom))
            last.headroom = event.headroom
        }
        if event.nrFrags != last.nrFrags {
            uintAnnotation("nr_frags", UInt64(event.nrFrags))
            last.nrFrags = event.nrFrags
        }
        geometry[index] = last
        packet.end()
        endPacket()
    }

    private func dropInstant(_ event: SkbEvent, track: UInt64, at t: Int64) {
        beginPacket(at: t)
        packet.begin(F.TracePacket.trackEvent)
        packet.uint(F.TrackEvent.type, F.TrackEvent.typeInstant)
        packet.uint(F.TrackEvent.trackUUID, track)
        packet.uint(F.TrackEvent.categoryIIDs, category(event.kind))
        packet.uint(F.TrackEvent.nameIID, eventName(event.kind == .drop ? "kfree_skb" : "consume_skb"))
        packet.begin(F.TrackEvent.debugAnnotations)
        packet.uint(F.DebugAnnotation.nameIID, annotationName("location"))
        packet.string(F.DebugAnnotation.stringValue, event.function)
        packet.end()
        reasonAnnotations(event.reason)
        uintAnnotation("protocol", UInt64(event.protocolType))
        packet.end()
        endPacket()
    }

    private func counter(_ event: SkbEvent, at t: Int64) {
        let key = UInt64(event.kind.rawValue) << 32 | UInt64(event.skb)
        let first: UInt64
        if let uuid = counterTracks[key] {
            first = uuid
        } else {
            first = nextCounterUUID
            nextCounterUUID += 2
            if nextCounterUUID >= Self.skbTrackBase { nextCounterUUID = 1 << 40 }
            counterTracks[key] = first
            let label = counterNames.label(event.kind, id: event.skb)
            let (a0, a1) = event.kind.arguments
            describeCounterTrack(first, "\(label) \(a0?.name.description ?? "value")", a0)
            describeCounterTrack(first + 1, "\(label) \(a1?.name.description ?? "value")", a1)
        }
        // Only the series that moved: the first as `counter_value`, the
        // second (if both did) as an extra counter value.
        let last = counterValues[key]
        counterValues[key] = (event.arg0, event.arg1)
        let changed0 = last?.0 != event.arg0
        let changed1 = last?.1 != event.arg1
        guard changed0 || changed1 else { return }
        beginPacket(at: t)
        packet.begin(F.TracePacket.trackEvent)
        packet.uint(F.TrackEvent.type, F.TrackEvent.typeCounter)
        packet.uint(F.TrackEvent.trackUUID, changed0 ? first : first + 1)
        packet.int(F.TrackEvent.counterValue, Int64(bitPattern: changed0 ? event.arg0 : event.arg1))
        if changed0 && changed1 {
            packet.uint(F.TrackEvent.extraCounterTrackUUIDs, first + 1)
            packet.int(F.TrackEvent.extraCounterValues, Int64(bitPattern: event.arg1))
        }
        packet.end()
        endPacket()
    }

    private func describeCounterTrack(_ uuid: UInt64, _ name: String, _ argument: SkbEventArgument?) {
        beginPacket(at: nil)
        packet.begin(F.TracePacket.trackDescriptor)
        packet.uint(F.TrackDescriptor.uuid, uuid)
        packet.uint(F.TrackDescriptor.parentUUID, 1)
        packet.string(F.TrackDescriptor.name, name)
        packet.begin(F.TrackDescriptor.counter)
        let bytes =
            argument.map { $0.name.description.hasSuffix("bytes") || $0.name.description == "rmem_alloc" } ?? false
        packet.uint(F.CounterDescriptor.unit, bytes ? F.CounterDescriptor.unitSizeBytes : F.CounterDescriptor.unitCount)
        packet.end()
        packet.end()
        endPacket()
    }

    // MARK: Annotations

    private func argument(_ argument: SkbEventArgument, _ value: UInt64) {
        packet.begin(F.TrackEvent.debugAnnotations)
        packet.uint(F.DebugAnnotation.nameIID, annotationName(argument.name))
        switch argument.format {
        case .decimal: packet.uint(F.DebugAnnotation.uintValue, value)
        case .address: packet.uint(F.DebugAnnotation.pointerValue, value)
        case .named(let e):
            // An enumeration's value by its name, interned once.
            if let name = e.name(of: value) {
                packet.uint(F.DebugAnnotation.stringValueIID, annotationValue(name))
            } else {
                packet.uint(F.DebugAnnotation.uintValue, value)
            }
        }
        packet.end()
    }

    private func uintAnnotation(_ name: StaticString, _ value: UInt64) {
        packet.begin(F.TrackEvent.debugAnnotations)
        packet.uint(F.DebugAnnotation.nameIID, annotationName(name))
        packet.uint(F.DebugAnnotation.uintValue, value)
        packet.end()
    }

    private func intAnnotation(_ name: StaticString, _ value: Int64) {
        packet.begin(F.TrackEvent.debugAnnotations)
        packet.uint(F.DebugAnnotation.nameIID, annotationName(name))
        packet.int(F.DebugAnnotation.intValue, value)
        packet.end()
    }

    private func pointerAnnotation(_ name: StaticString, _ value: UInt64) {
        packet.begin(F.TrackEvent.debugAnnotations)
        packet.uint(F.DebugAnnotation.nameIID, annotationName(name))
        packet.uint(F.DebugAnnotation.pointerValue, value)
        packet.end()
    }

    private func reasonAnnotations(_ value: UInt32) {
        packet.begin(F.TrackEvent.debugAnnotations)
        packet.uint(F.DebugAnnotation.nameIID, annotationName("reason"))
        if let name = reasons.name(of: value) {
            packet.string(F.DebugAnnotation.stringValue, name)
        } else {
            packet.string(F.DebugAnnotation.stringValue, "0x" + String(value, radix: 16))
        }
        packet.end()
        uintAnnotation("reason_value", UInt64(value))
    }

    // MARK: Interning

    private func eventName(_ name: String) -> UInt64 {
        if let iid = eventNames[name] { return iid }
        let iid = UInt64(eventNames.count + functionNames.count + 1)
        eventNames[name] = iid
        internEntry(F.InternedData.eventNames, iid, name)
        return iid
    }

    /// "skb N", interned once per skb id.
    private func skbNameIID(_ skb: UInt32) -> UInt64 {
        let i = Int(skb)
        if i >= skbNameIIDs.count { skbNameIIDs.append(contentsOf: repeatElement(0, count: i - skbNameIIDs.count + 1)) }
        if skbNameIIDs[i] == 0 { skbNameIIDs[i] = eventName("skb \(skb)") }
        return skbNameIIDs[i]
    }

    /// A kernel function's name, interned by its literal's address.
    private func functionName(_ name: StaticString) -> UInt64 {
        guard name.hasPointerRepresentation else { return eventName(name.description) }
        let key = UnsafeRawPointer(name.utf8Start)
        if let iid = functionNames[key] { return iid }
        let iid = UInt64(eventNames.count + functionNames.count + 1)
        functionNames[key] = iid
        internEntry(F.InternedData.eventNames, iid, name.description)
        return iid
    }

    private func category(_ kind: SkbEventKind) -> UInt64 {
        if let iid = categories[kind.rawValue] { return iid }
        let iid = UInt64(categories.count + 1)
        categories[kind.rawValue] = iid
        internEntry(F.InternedData.eventCategories, iid, kind.description)
        return iid
    }

    /// An annotation name given as a literal, interned by its address.
    private func annotationName(_ name: StaticString) -> UInt64 {
        guard name.hasPointerRepresentation else { return annotationName(name.description) }
        let key = UnsafeRawPointer(name.utf8Start)
        if let iid = literalAnnotationNames[key] { return iid }
        let iid = annotationName(name.description)
        literalAnnotationNames[key] = iid
        return iid
    }

    /// Interned enumeration names (`debug_annotation_string_values`).
    private var annotationValues: [String: UInt64] = [:]
    private var literalAnnotationValues: [UnsafeRawPointer: UInt64] = [:]

    private func annotationName(_ name: String) -> UInt64 {
        if let iid = annotationNames[name] { return iid }
        let iid = UInt64(annotationNames.count + 1)
        annotationNames[name] = iid
        internEntry(F.InternedData.debugAnnotationNames, iid, name)
        return iid
    }

    private func annotationValue(_ value: StaticString) -> UInt64 {
        guard value.hasPointerRepresentation else { return annotationValue(value.description) }
        let key = UnsafeRawPointer(value.utf8Start)
        if let iid = literalAnnotationValues[key] { return iid }
        let iid = annotationValue(value.description)
        literalAnnotationValues[key] = iid
        return iid
    }

    private func annotationValue(_ text: String) -> UInt64 {
        if let iid = annotationValues[text] { return iid }
        let iid = UInt64(annotationValues.count + 1)
        annotationValues[text] = iid
        internEntry(F.InternedData.debugAnnotationStringValues, iid, text)
        return iid
    }

    /// `{iid = 1, name = 2}`: EventCategory, EventName and DebugAnnotationName
    /// alike; an InternedString's `str = 2` has the same wire form.
    private func internEntry(_ field: UInt32, _ iid: UInt64, _ name: String) {
        newInterned.begin(field)
        newInterned.uint(1, iid)
        newInterned.string(2, name)
        newInterned.end()
    }
}
