import Capture
import KernelMemory
import SampleKit
import SkbModel
import Trace

#if canImport(Glibc)
    import Glibc
#endif

/// A simulation set up for a test: an `SkbSim` with an attached
/// `SkbEventRecorder`, plus helpers to build skbs from bytes or captures.
///
/// ```swift
/// import SkbTesting
/// import Testing
///
/// @Test func aFrameOnNetdevAllocSkb() throws {
///     let fixture = SkbFixture()
///     // 14 Ethernet + 20 IPv4 + 8 UDP + 1458 payload: a 1500-byte frame.
///     let frame = Frames.udp(payload: Array(repeating: 0, count: 1458))
///     let skb = try fixture.makeSkb(bytes: frame, path: .netdevAllocSkb)
///     // NET_SKB_PAD (64) + the 14-byte Ethernet header eth_type_trans pulled.
///     expectLayout(fixture.sim, skb, headroom: 78, linear: 1486, tailroom: 36)
///     expectTruesize(fixture.sim, skb, equals: 2176)
///     try fixture.sim.consume_skb(skb)
///     expectClean(fixture.sim)
/// }
/// ```
public final class SkbFixture {
    /// The simulation; use any of its kernel functions on the skbs.
    public let sim: SkbSim
    /// The model NIC driver `makeSkb` and the capture helpers receive with.
    public let driver: RxDriver
    /// Every event the simulation emitted since the fixture was made.
    public let events: SkbEventRecorder

    /// A fixture on x86_64 defaults; `maxSkbFrags` is CONFIG_MAX_SKB_FRAGS,
    /// `options` the kernel-version knobs, `driver` the driver's (copybreak,
    /// ring buffer size; the receive path is chosen per call).
    public init(maxSkbFrags: Int = 17, options: SkbOptions = SkbOptions(), driver: RxDriverOptions = RxDriverOptions())
    {
        var config = KernelConfig()
        config.maxSkbFrags = maxSkbFrags
        events = SkbEventRecorder()
        sim = SkbSim(memory: MemorySystem(config: config), options: options, sink: events)
        self.driver = RxDriver(sim: sim, options: driver)
    }

    /// Receive `bytes` as one frame of `linkType` on `path`: the skb a driver
    /// hands the stack (link header pulled, header offsets set). Throws
    /// `SkbTestingError.allocationFailed` when the model runs out of memory.
    public func makeSkb(bytes: [UInt8], path: RxPath = .netdevAllocSkb, linkType: LinkType = .ethernet) throws -> SkbID
    {
        let skb = try bytes.withUnsafeBytes { buf throws(SkbError) in
            try driver.receive(bytes: buf, linkType: linkType, path: path)
        }
        guard let skb else { throw SkbTestingError.allocationFailed(length: bytes.count) }
        return skb
    }

    /// Every packet of the capture file at `path` (pcap or pcapng, read
    /// through libpcap, optionally filtered with BPF), received on `rxPath`.
    /// The skbs are live: free or consume them.
    public func skbs(
        fromCapture path: String, filter: String? = nil, rxPath: RxPath = .netdevAllocSkb
    ) throws -> [SkbID] {
        let reader = try CaptureReader(path: path, filter: filter)
        var out: [SkbID] = []
        try reader.forEachPacket { packet in
            guard let skb = try driver.receive(packet, linkType: reader.linkType, path: rxPath) else {
                throw SkbTestingError.allocationFailed(length: packet.captureLength)
            }
            out.append(skb)
        }
        sim.currentPacket = -1
        return out
    }

    /// As `skbs(fromCapture:)` for one of the project's generated samples
    /// (`SampleCatalog`), e.g. `"tcp-handshake.pcap"`: the sample is
    /// generated in memory and read through libpcap from a temporary file.
    public func skbs(fromSample name: String, filter: String? = nil, rxPath: RxPath = .netdevAllocSkb) throws -> [SkbID]
    {
        guard let sample = SampleCatalog.samples().first(where: { $0.name == name }) else {
            throw SkbTestingError.noSuchSample(name)
        }
        var template = Array("/tmp/skbtesting-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw SkbTestingError.expectationFailed("cannot create a temporary file for \(name)") }
        let path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { unlink(path) }
        let written = sample.bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard written == sample.bytes.count else {
            throw SkbTestingError.expectationFailed("cannot write \(name) to \(path)")
        }
        return try skbs(fromCapture: path, filter: filter, rxPath: rxPath)
    }

    /// `consume_skb` each skb (the normal end of a received packet).
    public func consumeAll(_ skbs: [SkbID]) throws {
        for skb in skbs { try sim.consume_skb(skb) }
    }

    /// `kfree_skb_reason` each skb with `reason`.
    public func dropAll(_ skbs: [SkbID], reason: SkbDropReason = .notSpecified) throws {
        for skb in skbs { try sim.kfree_skb_reason(skb, reason) }
    }
}

/// Records a simulation's events, with look-ups tests need.
public final class SkbEventRecorder: EventSink {
    public private(set) var events: [SkbEvent] = []

    public init() {}

    public func receive(_ event: SkbEvent) { events.append(event) }

    /// The skb events only: no memory counter events (their `skb` is a
    /// cache or socket id, which `events(for:)` would confuse with a pool index).
    public var wantsCounters: Bool { false }

    /// Events of one kind, in order.
    public func events(of kind: SkbEventKind) -> [SkbEvent] { events.filter { $0.kind == kind } }

    /// Events of the skb whose pool index is `skb.index` (the pool reuses
    /// indexes after a free, so this includes earlier occupants' events).
    public func events(for skb: SkbID) -> [SkbEvent] { events.filter { $0.skb == skb.index } }

    /// The drop reasons recorded (`kfree_skb_reason` events), in order.
    public var dropReasons: [SkbDropReason] { events(of: .drop).map { SkbDropReason(rawValue: $0.reason) } }

    /// The events as `TextEventSink` lines (for failure messages).
    public var text: String {
        let output = TraceOutput.memory()
        let sink = TextEventSink(output: output, timeFormat: .timeOfDay)
        for e in events { sink.receive(e) }
        sink.finish()
        return output.text
    }

    /// Forget everything recorded so far.
    public func reset() { events.removeAll() }
}

/// Errors from the fixture helpers.
public enum SkbTestingError: Error, CustomStringConvertible, Equatable {
    case allocationFailed(length: Int)
    case noSuchSample(String)
    /// A throwing expectation failed; the text says what and why.
    case expectationFailed(String)

    public var description: String {
        switch self {
        case .allocationFailed(let length): "the model could not allocate an skb for \(length) bytes"
        case .noSuchSample(let name): "no sample named \(name) in SampleCatalog"
        case .expectationFailed(let text): text
        }
    }
}
