import Capture
import KernelMemory
import SkbModel
import Trace

/// One fault-injection setting (`fail_page_alloc` / `failslab`).
public enum FailureSpec: Sendable, Hashable {
    /// Fail exactly the Nth eligible allocation (`/proc/<pid>/fail-nth`).
    case nth(Int)
    /// Fail each eligible allocation with this probability (0...1), deterministic PRNG seed.
    case probability(Double, seed: UInt64)
}

/// The trace output formats (`trace --format`).
public enum TraceFormat: String, CaseIterable, Sendable {
    case text, jsonl
    /// Perfetto's protobuf trace (`.pftrace`, `PerfettoProtobufEventSink`).
    case perfetto
    /// Chrome trace-event JSON (`PerfettoEventSink`).
    case perfettoJSON = "perfetto-json"

    /// A sink of this format printing reason names from `reasons` (give it
    /// the simulation's table: `PacketRunOptions.dropReasons`); JSON Lines
    /// writes the records of `flows` (give it `PacketRunOptions.flows`).
    public func makeSink(output: TraceOutput, reasons: SkbDropReasonTable, flows: FlowTable? = nil) -> any EventSink {
        switch self {
        case .text: TextEventSink(output: output, reasons: reasons)
        case .jsonl: JSONLinesEventSink(output: output, reasons: reasons, flows: flows)
        case .perfetto: PerfettoProtobufEventSink(output: output, reasons: reasons)
        case .perfettoJSON: PerfettoEventSink(output: output, reasons: reasons)
        }
    }
}

/// GRO entry points a `PacketRun` calls when `gro` is on, once per packet,
/// per NAPI poll and at the end of the capture. The default is SkbModel's
/// engine (`PacketRun.defaultGRO`); a library user may plug in another.
public struct GROEntryPoints {
    /// `napi_gro_receive(napi, skb)`; `deliver` = `netif_receive_skb` for
    /// whatever GRO sends up (normal or flushed skbs).
    public var receive: (Napi, SkbID, (SkbID) throws(SkbError) -> Void) throws(SkbError) -> Void {
        didSet { isSkbModelEngine = false }
    }
    /// `napi_gro_flush` at the end of the capture.
    public var flush: (Napi, (SkbID) throws(SkbError) -> Void) throws(SkbError) -> Void {
        didSet { isSkbModelEngine = false }
    }
    /// The end of a NAPI poll of `napiBudget` packets; defaults to `flush`.
    public var pollEnd: (Napi, (SkbID) throws(SkbError) -> Void) throws(SkbError) -> Void {
        didSet { isSkbModelEngine = false }
    }
    /// These are `PacketRun.defaultGRO`'s (SkbModel's engine) and were not
    /// replaced: `PacketRun` then calls the engine directly.
    var isSkbModelEngine = false

    public init(
        receive: @escaping (Napi, SkbID, (SkbID) throws(SkbError) -> Void) throws(SkbError) -> Void,
        flush: @escaping (Napi, (SkbID) throws(SkbError) -> Void) throws(SkbError) -> Void,
        pollEnd: ((Napi, (SkbID) throws(SkbError) -> Void) throws(SkbError) -> Void)? = nil
    ) {
        self.receive = receive
        self.flush = flush
        self.pollEnd = pollEnd ?? flush
    }
}

/// Options of a `PacketRun` (the CLI's flags).
public struct PacketRunOptions {
    /// The model NIC driver: rx path, copybreak, ring buffer size.
    public var driver = RxDriverOptions()
    /// `driver.path`.
    public var rxPath: RxPath {
        get { driver.path }
        set { driver.path = newValue }
    }
    /// GRO on/off. On needs `groEntryPoints` (see `PacketRun+GRO.swift`).
    public var gro = false
    /// The device's GRO limits (`gro_max_size`, IPv4 BIG TCP); `enabled` is `gro`'s.
    public var groOptions = GROOptions()
    public var groEntryPoints: GROEntryPoints? = PacketRun.defaultGRO
    /// Packets per NAPI poll (GRO is flushed at each poll's end).
    public var napiBudget = 64
    public var releaseOrder: ReleaseOrder = .kernel
    /// The kernel profile's `enum skb_drop_reason` (model, stats and sinks).
    public var dropReasons: SkbDropReasonTable = .default
    /// Memory size, MAX_SKB_FRAGS, page_frag algorithm, ...
    public var kernelConfig = KernelConfig()
    public var skbOptions = SkbOptions()
    public var pageFailure: FailureSpec? = nil
    public var slabFailure: FailureSpec? = nil
    /// Netfilter hooks.
    public var hooks: [NetfilterHook] = []
    /// Where PRE_ROUTING hooks run: nil = by the release order (receive for
    /// `.kernel`, the release `.hook` stage for `.seed`).
    public var preRoutingAtReceive: Bool? = nil
    /// `sk_rcvbuf` of the receiving socket (net.core.rmem_default).
    public var socketRcvbuf = 212_992
    /// Delivery policy: the socket keeps up to this many skbs queued; the
    /// reader consumes (`consume_skb`) the oldest when one more arrives.
    /// 0 = the reader consumes each skb as soon as it is queued.
    public var socketQueueDepth = 0
    /// The VLAN devices of the simulated host (`vlan_do_receive`): a
    /// tagged frame whose VID has none is dropped as OTHERHOST.
    public var vlanDevices: VLANDevices = .all
    /// Build each skb at the packet's wire length (bytes past a snapshot
    /// length filled with `UncapturedBytes.fill`) or at its captured length.
    public var buildLength: SkbBuildLength = .wire
    /// Seed mode only: call the non-existent per-frag destructors.
    public var seedFragDestructors = false
    public var sink: (any EventSink)? = nil
    /// Flows to track (the 5-tuple of every packet looked up in it, each
    /// skb tagged with its flow id, counters per flow); nil (the default)
    /// costs one nil check per packet.
    public var flows: FlowTable? = nil
    /// Observer of every skb that reaches `netif_receive_skb` — after the rx
    /// path and GRO (a GRO super-packet once, merged), before hooks, the
    /// socket and the release — like a packet tap (`ptype_all`) sees it.
    /// Called once per delivered skb; the skb must not be freed or kept.
    /// nil (the default) costs one nil check per skb.
    public var onDeliver: ((SkbSim, SkbID) -> Void)? = nil
    /// Called by `finish()` after GRO is flushed and the socket drained,
    /// before the sockets are closed and the page_frag caches drained: the
    /// last look at live memory.
    public var beforeDrain: ((SkbSim) -> Void)? = nil

    public init() {}

    /// `memorySize` / `MAX_SKB_FRAGS` shortcuts.
    public var memorySize: Int {
        get { kernelConfig.memorySize }
        set { kernelConfig.memorySize = newValue }
    }
    public var maxSkbFrags: Int {
        get { kernelConfig.maxSkbFrags }
        set { kernelConfig.maxSkbFrags = newValue }
    }
}

public enum PacketRunError: Error, CustomStringConvertible {
    case groUnavailable
    case capture(CaptureError)
    public var description: String {
        switch self {
        case .groUnavailable: "GRO requested but no GRO engine is available in this build"
        case .capture(let e): "\(e)"
        }
    }
}

/// The packet-run driver: capture → rx path → (GRO) → hooks → socket →
/// reader → release pipeline, then drain and check.
///
/// ```swift
/// var o = PacketRunOptions(); o.rxPath = .buildSkb
/// let stats = try PacketRun.run(path: "samples/icmp-echo.pcap", options: o)
/// print(stats)
/// ```
/// Per packet with no sink and no hooks nothing is allocated on the heap
/// (the socket ring, reason counters and histogram are allocated at init).
public final class PacketRun {
    public let options: PacketRunOptions
    public let sim: SkbSim
    /// The model NIC driver that builds each packet's skb.
    public let driver: RxDriver
    /// The NAPI instance the driver polls in: GRO state and the budget.
    public let napi: Napi
    public let pipeline: ReleasePipeline
    /// The receiving socket.
    public let socket: UInt32
    let preRoutingAtReceive: Bool
    let hasHooks: Bool
    // Per-packet options as plain stored lets (not loaded out of `options`,
    // which holds closures and arrays).
    let gro: Bool
    let socketQueueDepth: Int
    /// The release order is not the kernel's: every free goes through the
    /// pipeline's stages (`consume_skb` after reading, whatever the protocol).
    let pipelineFrees: Bool
    /// `groEntryPoints` is `defaultGRO`: call SkbModel's engine directly
    /// (no closure context retained per packet).
    let groIsSkbModel: Bool
    /// `options.flows`.
    let flows: FlowTable?

    // Per-packet state of a single-threaded driver: no dynamic exclusivity
    // checks (swift_beginAccess, ~80 instructions each) on it.
    @exclusivity(unchecked) var packets = 0
    @exclusivity(unchecked) var bytes = 0
    @exclusivity(unchecked) var delivered = 0
    @exclusivity(unchecked) var consumed: UInt64 = 0
    @exclusivity(unchecked) var ratio = RatioRecorder()
    @exclusivity(unchecked) var peakUsedPages = 0
    @exclusivity(unchecked) var modelErrors: [String] = []
    @exclusivity(unchecked) var finished: RunStatistics?
    /// Packets not built into skbs, by what the model lacks (`notModelled`).
    @exclusivity(unchecked) var notModelled: [(what: String, count: Int)] = []
    /// NOMEM drops of packets during which simulated RAM ran out.
    @exclusivity(unchecked) var exhaustedDrops = 0
    /// Packets whose capture was cut by the snapshot length (caplen < len).
    @exclusivity(unchecked) var snaplenCut = 0
    /// Tagged skbs received by a VLAN device / marked OTHERHOST for want of one.
    @exclusivity(unchecked) var vlanViaDevice = 0
    @exclusivity(unchecked) var vlanInBand = 0
    @exclusivity(unchecked) var vlanOtherHost = 0
    let buildAtWireLength: Bool
    /// A cut packet at its wire length (`UncapturedBytes.maximumWireLength`).
    let scratch: UnsafeMutableRawPointer

    public init(options: PacketRunOptions) throws(PacketRunError) {
        if options.gro && options.groEntryPoints == nil { throw .groUnavailable }
        self.options = options
        gro = options.gro
        socketQueueDepth = options.socketQueueDepth
        buildAtWireLength = options.buildLength == .wire
        scratch = .allocate(byteCount: UncapturedBytes.maximumWireLength, alignment: 16)
        pipelineFrees = options.releaseOrder != .kernel
        groIsSkbModel = options.groEntryPoints?.isSkbModelEngine ?? false
        flows = options.flows
        let memory = MemorySystem(config: options.kernelConfig)
        switch options.pageFailure {
        case .nth(let n)?:
            memory.failPageAlloc.failNth = n
            memory.failPageAlloc.minOrder = 0
        case .probability(let p, let seed)?:
            memory.failPageAlloc.probability = p
            memory.failPageAlloc.seed = seed
            memory.failPageAlloc.minOrder = 0
        case nil: break
        }
        switch options.slabFailure {
        case .nth(let n)?: memory.failSlab.failNth = n
        case .probability(let p, let seed)?:
            memory.failSlab.probability = p
            memory.failSlab.seed = seed
        case nil: break
        }
        sim = SkbSim(memory: memory, options: options.skbOptions, sink: options.sink, dropReasons: options.dropReasons)
        sim.flows = options.flows
        driver = RxDriver(sim: sim, options: options.driver)
        var groOptions = options.groOptions
        groOptions.enabled = options.gro
        napi = Napi(sim: sim, gro: groOptions, budget: options.napiBudget)
        pipeline = ReleasePipeline(sim: sim, order: options.releaseOrder)
        pipeline.hooks = NetfilterHooks(options.hooks)
        hasHooks = !options.hooks.isEmpty
        if options.seedFragDestructors && options.releaseOrder == .seed {
            // The seed's shinfo->destructor[i]: nothing to do but be called
            // (the stage records a `.destructor` event per frag).
            pipeline.seedFragDestructor = { _, _ in }
        }
        preRoutingAtReceive = options.preRoutingAtReceive ?? (options.releaseOrder == .kernel)
        socket = sim.sockets.makeSocket(rcvbuf: options.socketRcvbuf, queueCapacity: options.socketQueueDepth + 1)
    }

    deinit {
        ratio.deallocate()
        scratch.deallocate()
    }

    /// Packets skipped so far, by what the model does not model.
    public var notModelledCounts: [(what: String, count: Int)] { notModelled }
    public var notModelledPackets: Int { notModelled.reduce(0) { $0 + $1.count } }

    /// Run a whole capture file.
    public static func run(
        path: String, options: PacketRunOptions, limit: Int? = nil
    ) throws(PacketRunError) -> RunStatistics {
        let run = try PacketRun(options: options)
        let reader: CaptureReader
        do { reader = try CaptureReader(path: path) } catch { throw .capture(error) }
        let link = reader.linkType
        do {
            while limit.map({ run.packets < $0 }) ?? true, let p = try reader.next() {
                run.process(p, linkType: link)
            }
        } catch { throw .capture(error) }
        return run.finish()
    }

    /// One captured packet.
    /// `decoded`: the packet's headers when its source decoded them already
    /// (`PacketSource.decodedHeaders`).
    @inlinable
    public func process(_ packet: CapturedPacket, linkType: LinkType, decoded: UnsafePointer<PacketHeaders>? = nil) {
        // A whole Ethernet frame goes straight to the model; anything else
        // (another link type, a frame cut by the snapshot length) is sorted
        // out of line.
        if _slowPath(linkType.dlt != LinkType.ethernet.dlt || packet.wireLength != packet.captureLength) {
            return processOther(packet, linkType: linkType, decoded: decoded)
        }
        sim.beginPacket(index: packet.index, timestampNanoseconds: packet.timestampNanoseconds)
        process(bytes: packet.bytes, linkType: linkType, decoded: decoded)
    }

    /// `process` of a packet that is not a whole Ethernet frame: a link type
    /// without receive semantics or a cooked packet the host sent is counted
    /// and skipped, a frame cut by the snapshot length goes to `processCut`.
    @inline(never) @usableFromInline
    func processOther(_ packet: CapturedPacket, linkType: LinkType, decoded: UnsafePointer<PacketHeaders>?) {
        if !linkType.hasReceiveModel { return skip("link type \(linkType.name)") }
        if Self.isOutgoing(packet.bytes, linkType) { return skip("PACKET_OUTGOING, sent by this host") }
        if packet.wireLength > packet.captureLength { return processCut(packet, linkType: linkType, decoded: decoded) }
        sim.beginPacket(index: packet.index, timestampNanoseconds: packet.timestampNanoseconds)
        process(bytes: packet.bytes, linkType: linkType, decoded: decoded)
    }

    /// One frame in the current packet context (`sim.beginPacket` first).
    public func process(
        bytes frame: UnsafeRawBufferPointer, linkType: LinkType, decoded: UnsafePointer<PacketHeaders>? = nil
    ) {
        packets += 1
        bytes += frame.count
        if _slowPath(flows != nil) { noteFlow(frame, linkType: linkType, decoded: decoded) }
        let exhaustedBefore = sim.memory.exhaustedAllocationFailures
        do throws(SkbError) {
            // Receive via the rx path; nil = allocation failure, already
            // counted by the model driver (statistics), no drop event.
            if let skb = try driver.receive(bytes: frame, linkType: linkType, decoded: decoded) {
                if gro { try groReceive(skb) } else { try netif_receive_skb(skb) }
            } else if _slowPath(sim.memory.exhaustedAllocationFailures != exhaustedBefore) {
                // The simulated RAM ran out during this receive.
                exhaustedDrops += 1
            }
            if napi.pollWorkDone() { try pollEnd() }
        } catch {
            recordModelError(error)
        }
        let used = sim.memory.totalPages - sim.memory.freePages
        if used > peakUsedPages { peakUsedPages = used }
        // Memory counters the packet's last steps moved, in its own context.
        if _slowPath(sim.sink != nil) { sim.emitCounterChanges() }
    }

    /// The packet's flow, looked up (created on first sight) in `flows` and
    /// recorded as `sim.currentFlow` for the skbs built for it.
    @inline(never)
    func noteFlow(_ frame: UnsafeRawBufferPointer, linkType: LinkType, decoded: UnsafePointer<PacketHeaders>?) {
        let headers = decoded?.pointee ?? HeaderDecoder.decode(frame, linkType: linkType)
        guard let flows, let k = headers.flow else {
            sim.currentFlow = 0
            return
        }
        sim.currentFlow = flows.packet(
            FlowTable.Key(
                sourceHigh: k.source.high, sourceLow: k.source.low, destinationHigh: k.destination.high,
                destinationLow: k.destination.low, sourcePort: k.sourcePort, destinationPort: k.destinationPort,
                ipProtocol: k.ipProtocol))
    }

    /// Counts an skb reaching `netif_receive_skb` in its flow's row.
    @inline(never)
    func flowDelivered(_ skb: SkbID) {
        guard let s = try? sim.skb(skb) else { return }
        flows?.delivered(s.flow, truesize: s.truesize, len: s.len)
    }

    /// A packet the model has no receive semantics for: counted under
    /// `what`, no skb built, nothing traced.
    public func skip(_ what: String) {
        if let i = notModelled.firstIndex(where: { $0.what == what }) {
            notModelled[i].count += 1
        } else {
            notModelled.append((what, 1))
        }
    }

    func recordModelError(_ error: SkbError) {
        if modelErrors.count < 100 { modelErrors.append("packet \(sim.currentPacket): \(error.message)") }
    }

    /// `netif_receive_skb` and up: ingress hooks, the family's PRE_ROUTING
    /// (and LOCAL_IN) hooks when they run at receive, then the socket.
    func netif_receive_skb(_ skb: SkbID) throws(SkbError) {
        let tagged = try driver.hasVLANTag(skb)
        // The first round of __netif_receive_skb_core pops an in-band tag
        // before the taps see the skb.
        if _slowPath(tagged) {
            if try sim.skb(skb).vlanTagPresent == false { vlanInBand += 1 }
            guard try sim.skb_vlan_untag(skb) else { return }
        }
        if let onDeliver = options.onDeliver { onDeliver(sim, skb) }
        if _slowPath(flows != nil) { flowDelivered(skb) }
        if hasHooks { guard try pipeline.nfHookReceive(.netdev, .ingress, skb) else { return } }
        if _slowPath(tagged) { guard try receiveVLAN(skb) else { return } }
        if hasHooks {
            if preRoutingAtReceive, let family = NFProto.forEtherType(try sim.skb(skb).protocolType) {
                guard try pipeline.nfHookReceive(family, .preRouting, skb) else { return }
                guard try pipeline.nfHookReceive(family, .localIn, skb) else { return }
            }
        }
        try deliver(skb)
    }

    /// The rest of `__netif_receive_skb_core`'s VLAN steps (`vlan_do_receive`
    /// on `vlanDevices`), then, for an skb left `PACKET_OTHERHOST` (a tag
    /// without a device), its protocol handler's verdict: `ip_rcv_core` and
    /// `ipv6_rcv_core` drop it (`SKB_DROP_REASON_OTHERHOST`), `arp_rcv`
    /// consumes it. False when the skb is gone.
    @inline(never)
    func receiveVLAN(_ skb: SkbID) throws(SkbError) -> Bool {
        switch try sim.netifReceiveVLAN(skb, devices: options.vlanDevices) {
        case .untagged, .viaDevice:
            vlanViaDevice += 1
            return true
        case .freed:
            return false
        case .otherHost:
            vlanOtherHost += 1
            switch try sim.skb(skb).protocolType {
            case 0x0800, 0x86DD:
                try pipeline.kfree_skb_reason(skb, sim.reasons.otherHost)
            case 0x0806:
                try pipeline.consume_skb(skb)
            default:
                // No handler for the type (an inner tag left in the frame,
                // 802.2): __netif_receive_skb_core's UNHANDLED_PROTO drop.
                try pipeline.kfree_skb_reason(skb, sim.reasons.unhandledProto)
            }
            return false
        }
    }

    /// Local delivery, as the protocol's receive function does it: TCP
    /// (checksum, `tcp_queue_rcv`, read by `tcp_eat_recv_skb`), UDP
    /// (checksum, `__udp_enqueue_schedule_skb`, read by `udp_recvmsg`), anything
    /// else queued with `skb_set_owner_r` and freed with `consume_skb` after
    /// use. The reader keeps at most `socketQueueDepth` skbs queued. With
    /// another release order than the kernel's every protocol takes the
    /// last path, so that each free runs the pipeline's stages.
    func deliver(_ skb: SkbID) throws(SkbError) {
        let (truesize, len) = try sim.modify(skb) { ($0.truesize, $0.len) }
        let proto = pipelineFrees ? .other : sim.l4Protocol(skb)
        let queued: Bool
        switch proto {
        case .tcp:
            // tcp_v4_rcv / tcp_rcv_established: csum_error before the queue.
            if try sim.tcpChecksumError(skb) { return try pipeline.kfree_skb_reason(skb, sim.reasons.tcpCsum) }
            queued = try sim.tcp_queue_rcv(skb, socket: socket)
        case .udp:
            // __udp4_lib_rcv / __udp6_lib_rcv: csum_error before the socket;
            // a longer datagram is checked by udp_recvmsg (readOne).
            if try sim.udpChecksumError(skb) { return try pipeline.kfree_skb_reason(skb, sim.reasons.udpCsum) }
            queued = try sim.__udp_enqueue_schedule_skb(skb, socket: socket)
        case .other:
            queued = !sim.sockets.isFull(socket, adding: Int(truesize))
            if queued {
                try sim.skb_set_owner_r(skb, socket: socket)
                _ = sim.sockets.enqueue(socket, skb)
            }
        }
        guard queued else {
            try pipeline.kfree_skb_reason(skb, proto == .tcp ? sim.reasons.protoMem : sim.reasons.socketRcvbuff)
            return
        }
        if len > 0 { ratio.record(Double(truesize) / Double(len)) }
        delivered += 1
        while sim.sockets.queued(socket) > socketQueueDepth { try readOne() }
    }

    /// The reader: the oldest queued skb is read and freed the way its
    /// protocol frees it.
    func readOne() throws(SkbError) {
        guard let proto = sim.sockets.peekProtocol(socket) else { return }
        switch proto {
        case .tcp: try sim.tcpRecvmsg(socket: socket)
        case .udp: try sim.udpRecvmsg(socket: socket)
        case .other:
            guard let skb = sim.sockets.dequeue(socket) else { return }
            try pipeline.consume_skb(skb)
        }
        consumed += 1
    }

    /// End of capture: flush GRO, let the reader drain the socket, close
    /// it, drain the page_frag caches, scan for leaks, build the statistics.
    /// Also calls `finish()` on the sink. Idempotent.
    @discardableResult
    public func finish() -> RunStatistics {
        if let finished { return finished }
        do throws(SkbError) {
            if options.gro { try groFlush() }
            while sim.sockets.queued(socket) > 0 { try readOne() }
        } catch {
            recordModelError(error)
        }
        options.beforeDrain?(sim)
        sim.sockets.close(packet: sim.currentPacket)
        sim.drainCaches()
        driver.drainRing()
        sim.emitCounterChanges()
        let memory = sim.memory
        let table = sim.dropReasonTable
        var drops: [(reason: String, count: UInt64)] = []
        let reasonCounts = sim.dropCounts.byReason
        for (v, n) in reasonCounts.enumerated() where v >= 2 {
            if n > 0 { drops.append((table.displayName(of: UInt32(v)), n)) }
        }

        var stats = RunStatistics(
            kernel: table.kernel, rxPath: options.rxPath.rawValue, releaseOrder: options.releaseOrder.rawValue,
            gro: options.gro,
            verdict: CheckerVerdict(
                reports: memory.checker.reports, leaks: memory.leakReport(), findings: sim.sockets.findings,
                modelErrors: modelErrors, notModelled: notModelled))
        stats.packets = packets
        stats.bytes = bytes
        stats.delivered = delivered
        // Reads that ended in udp_recvmsg's csum_copy_err dropped the skb (UDP_CSUM).
        stats.consumed = consumed - UInt64(sim.udpRecvChecksumErrors)
        // Structs handed to skbs: slab allocations, less those the NAPI skb
        // cache's bulk refills parked, plus those it handed out.
        stats.skbsAllocated =
            memory.slabInfo(memory.skbuffCache).allocations + memory.slabInfo(memory.skbuffFcloneCache).allocations
            - sim.napiSkbCache.refilled + sim.napiSkbCache.hits
        for nc in [sim.netdevAllocCache, sim.napiAllocCache] {
            let c = memory.pageFragCache(nc)
            let st = c.stats
            stats.pagesOrder3 += st.refillsHighOrder
            stats.pagesOrder0 += st.refillsOrder0
            stats.pageFragReuses += st.reuses
            stats.pageFragBytesHandedOut += st.bytes
            // A reuse (all fragments back, same page restarted) offers the
            // page again; counted at the cache's last page order.
            let reuseSize =
                st.refillsOrder0 > st.refillsHighOrder ? memory.config.pageSize : memory.config.pageFragCacheMaxSize
            stats.pageFragBytesOfPages +=
                st.refillsHighOrder * memory.config.pageFragCacheMaxSize
                + st.refillsOrder0 * memory.config.pageSize + st.reuses * reuseSize
        }
        stats.truesizeRatio = RatioHistogram(ratio)
        stats.drops = drops
        stats.fragListMemberFrees = sim.dropCounts.listMemberFrees
        stats.hookDrops = pipeline.hookDrops
        stats.rxDropped = driver.statistics.rxDropped
        stats.rxChecksum = options.driver.checksum
        stats.checksumVerified = driver.statistics.checksumVerified
        stats.checksumBad = driver.statistics.checksumBad
        stats.checksumPseudoHeaderOnly = driver.statistics.checksumPseudoHeaderOnly
        stats.checksumNotVerifiable = driver.statistics.checksumNotVerifiable
        stats.rxAllocFailed = driver.statistics.allocFailed
        stats.rxRing = RxRingGeometry(
            path: options.rxPath, mtu: options.driver.mtu, config: sim.config, count: options.driver.ringSize)
        stats.rxRingStatistics = driver.ringStatistics
        stats.napiSkbCacheHits = sim.napiSkbCache.hits
        stats.peakMemoryBytes = peakUsedPages * memory.config.pageSize
        stats.peakSocketRmem = sim.sockets.socket(socket).peakRmemAlloc
        stats.injectedPageFailures = memory.failPageAlloc.injected
        stats.injectedSlabFailures = memory.failSlab.injected
        stats.notModelled = notModelled
        stats.snaplenCut = snaplenCut
        stats.buildLength = options.buildLength
        stats.memorySize = memory.config.memorySize
        stats.exhaustedAllocationFailures = memory.exhaustedAllocationFailures
        stats.exhaustedRxDropped = exhaustedDrops
        stats.vlan = VLANStatistics(
            hardwareStripped: driver.statistics.vlanTagsStripped, inBand: vlanInBand, viaDevice: vlanViaDevice,
            otherHost: vlanOtherHost)
        if options.gro { stats.groStatistics = napi.gro.statistics }
        options.sink?.finish()
        finished = stats
        return stats
    }
}
