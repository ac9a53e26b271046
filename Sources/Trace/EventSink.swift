/// Receives the event stream of a simulation.
///
/// The model holds at most one sink (`Optional`); with none attached, emitting
/// an event is a nil check and nothing else, so tracing costs nothing when
/// nobody listens. Use `EventFanout` to feed several sinks.
public protocol EventSink: AnyObject {
    /// Called once per event, in `sequence` order.
    func receive(_ event: SkbEvent)
    /// Called once at the end of a run; flush buffered output here.
    func finish()
    /// Names counter `id` of a counter kind (`SkbEventKind.isCounter`), once,
    /// before its first event: the page_frag or slab cache's name
    /// ("napi_alloc_cache", "skbuff_cache"), "socket N", "memory".
    func describeCounter(_ kind: SkbEventKind, id: UInt32, name: String)
    /// Whether the sink takes the memory counter events (default true); a
    /// sink that shows only skb events says false, and the model then
    /// emits none (nor spends their sequence numbers).
    var wantsCounters: Bool { get }
}

extension EventSink {
    public func finish() {}
    public func describeCounter(_ kind: SkbEventKind, id: UInt32, name: String) {}
    public var wantsCounters: Bool { true }
}

/// Collects events in memory; for tests and small runs. The skb events
/// only, unless made with `counters: true` (or fed through an
/// `EventFanout` with a sink that wants the memory counters).
public final class EventRecorder: EventSink {
    public private(set) var events: [SkbEvent] = []
    public let wantsCounters: Bool
    public init(counters: Bool = false) { wantsCounters = counters }
    public func receive(_ event: SkbEvent) { events.append(event) }
}

/// Sends each event to several sinks in order.
public final class EventFanout: EventSink {
    public let sinks: [any EventSink]
    public init(_ sinks: [any EventSink]) { self.sinks = sinks }
    public func receive(_ event: SkbEvent) { for sink in sinks { sink.receive(event) } }
    public func finish() { for sink in sinks { sink.finish() } }
    public func describeCounter(_ kind: SkbEventKind, id: UInt32, name: String) {
        for sink in sinks { sink.describeCounter(kind, id: id, name: name) }
    }
    public var wantsCounters: Bool { sinks.contains { $0.wantsCounters } }
}
