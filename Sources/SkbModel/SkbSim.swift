import KernelMemory
import Trace

/// One simulation of the kernel's sk_buff layer: it owns the simulated
/// memory, the pool of skbs (value types addressed by `SkbID`), the per-CPU
/// page_frag caches, the event sink and the current packet context.
///
/// Typical use:
/// ```swift
/// let sim = SkbSim()
/// let skb = sim.netdev_alloc_skb(1500)!          // nil = allocation failure
/// try sim.skb_put(skb, 1500)
/// try sim.kfree_skb(skb)
/// try sim.memory.expectNoLeaks()
/// ```
/// Operations follow `net/core/skbuff.c` and `include/linux/skbuff.h`; what
/// the kernel BUGs on throws `SkbError` with the kernel's message. Touching a
/// freed skb through a stale `SkbID` records a slab-use-after-free on its old
/// `struct sk_buff` in `memory.checker` and throws `.useAfterFree`.
///
/// Not thread-safe (one CPU with bottom halves disabled).
public final class SkbSim {
    public let memory: MemorySystem
    /// `memory.config`'s derived sizes, computed once (see `SkbSizes`).
    @usableFromInline let sizes: SkbSizes
    /// The standard slab caches `MemorySystem.init` creates.
    @inlinable var skbuffCache: KmemCacheID { memory.skbuffCache }
    @inlinable var skbuffFcloneCache: KmemCacheID { memory.skbuffFcloneCache }
    @inlinable var skbSmallHeadCache: KmemCacheID { memory.skbSmallHeadCache }
    @exclusivity(unchecked) public var options: SkbOptions
    /// Receives every event; nil = tracing costs one nil check.
    @exclusivity(unchecked) public var sink: (any EventSink)?

    /// The CPU is in hard IRQ context or has IRQs disabled (`in_hardirq()
    /// || irqs_disabled()`): `__netdev_alloc_skb` then uses
    /// `netdev_alloc_cache`. False (the default): softirq, a NAPI poll.
    @exclusivity(unchecked) public var inHardIrq = false
    /// Per-CPU `netdev_alloc_cache` (used by `__netdev_alloc_skb` in hard IRQ).
    public let netdevAllocCache: PageFragCacheID
    /// Per-CPU `napi_alloc_cache.page` (used by `napi_alloc_skb`).
    public let napiAllocCache: PageFragCacheID
    /// Per-CPU `napi_alloc_cache.page_small` (`page_frag_alloc_1k`, used only
    /// with `options.napiSmallPageFrag1k`).
    public let napiSmallPageCache: PageFragCacheID

    // The skb pool: pointer storage (`PointerPool`, released in `deinit`),
    // so per-field stores carry no uniqueness or bounds checks.
    @exclusivity(unchecked) @usableFromInline var skbs = PointerPool<SkBuff>(capacity: 256)
    @exclusivity(unchecked) @usableFromInline var freeSlots = PointerPool<UInt32>(capacity: 256)
    /// Per slot: the `struct sk_buff *` of the slot's last freed occupant.
    @exclusivity(unchecked) @usableFromInline var freedAddr = PointerPool<KernelAddress>(capacity: 256)
    @exclusivity(unchecked) @usableFromInline var sequence: UInt64 = 0
    /// Timestamp of the packet being processed.
    @exclusivity(unchecked) public var currentTimestamp: Int64 = 0
    /// Flow of the packet being processed (`FlowTable` id; 0 = none):
    /// recorded in each skb allocated for it.
    @exclusivity(unchecked) public var currentFlow: UInt32 = 0
    /// The run's flows, when tracked: `kfree_skb` drops are counted per flow.
    @exclusivity(unchecked) public var flows: FlowTable?
    /// With a sink: the packets merged into each held GRO skb (by pool
    /// slot), listed as `groMember` events when it is flushed.
    @exclusivity(unchecked) var groMembers: [Int: [(track: UInt32, strategy: UInt8, position: UInt32)]] = [:]
    /// Live skbs in the pool.
    @exclusivity(unchecked) public private(set) var liveCount = 0
    /// Datagrams `udp_recvmsg` dropped for a wrong checksum (`csum_copy_err`,
    /// UDP_MIB_CSUMERRORS at read time).
    @exclusivity(unchecked) public internal(set) var udpRecvChecksumErrors = 0

    /// The `enum skb_drop_reason` of the simulated kernel: the one source of
    /// the numbers the model stores in `SkbEvent.reason`. Give sinks the same
    /// table (`TextEventSink(output:reasons: sim.dropReasonTable)`).
    public let dropReasonTable: SkbDropReasonTable
    /// The reasons the model itself uses, valued from `dropReasonTable`.
    public let reasons: SkbModelDropReasons
    /// The `kfree_skb` / `consume_skb` tracepoint counted by reason.
    @exclusivity(unchecked) public internal(set) var dropCounts: DropCounts
    /// Nesting of `kfree_skb_list_reason` under `skb_release_data` (> 0:
    /// the skb being freed is a frag_list member).
    @exclusivity(unchecked) package var fragListDepth = 0
    /// The sockets `skb->destructor` (`sock_rfree`) accounts to.
    public let sockets = Sockets()
    /// The per-CPU `napi_alloc_cache.skb_cache` of sk_buff structs.
    @exclusivity(unchecked) public internal(set) var napiSkbCache = NapiSkbCache()
    /// A segment copied out of simulated memory for a software checksum
    /// (`l4Checksum`): grown on demand, reused, freed in `deinit`.
    @exclusivity(unchecked) var checksumScratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 8)
    /// The memory counters' last traced values (`emitCounterChanges`).
    @exclusivity(unchecked) var counters = MemoryCounterState()
    /// What `.custom(tag:)` destructors run (`registerDestructor`).
    var customDestructors: [UInt32: (SkbSim, SkbID) -> Void] = [:]

    public init(
        memory: MemorySystem = MemorySystem(), options: SkbOptions = SkbOptions(), sink: (any EventSink)? = nil,
        dropReasons: SkbDropReasonTable = .default
    ) {
        self.memory = memory
        self.sizes = SkbSizes(memory.config)
        self.options = options
        self.sink = sink
        self.dropReasonTable = dropReasons
        self.reasons = SkbModelDropReasons(table: dropReasons)
        self.dropCounts = DropCounts(slots: Int(dropReasons.maxValue) + 1)
        netdevAllocCache = memory.pageFragCacheCreate(name: "netdev_alloc_cache")
        napiAllocCache = memory.pageFragCacheCreate(name: "napi_alloc_cache")
        napiSmallPageCache = memory.pageFragCacheCreate(name: "napi_alloc_cache.page_small")
        // The NAPI skb cache's parked structs are referenced, not leaked.
        memory.kmemleakRoots.append { [unowned self] in
            (0..<self.napiSkbCache.objects.count).map { self.napiSkbCache.objects[$0] }
        }
    }

    deinit {
        skbs.deallocate()
        freeSlots.deallocate()
        freedAddr.deallocate()
        dropCounts.deallocate()
        napiSkbCache.deallocate()
        checksumScratch.deallocate()
    }

    public var config: KernelConfig { memory.config }

    /// The packet being processed (index in the capture, -1 = none); also
    /// sets `memory.currentPacket` so checker reports name it.
    public var currentPacket: Int {
        get { memory.currentPacket }
        set { memory.currentPacket = newValue }
    }

    /// Enter a packet's context.
    public func beginPacket(index: Int, timestampNanoseconds: Int64) {
        currentPacket = index
        currentTimestamp = timestampNanoseconds
    }

    /// Return the per-CPU page_frag caches' pages (`page_frag_cache_drain`)
    /// and the NAPI skb cache's structs, e.g. at the end of a run before a
    /// leak check.
    public func drainCaches() {
        napiSkbCacheDrain()
        memory.page_frag_cache_drain(netdevAllocCache)
        memory.page_frag_cache_drain(napiAllocCache)
        memory.page_frag_1k_drain(napiSmallPageCache)
    }

    // MARK: Pool

    /// Snapshot of a live skb.
    @inlinable public func skb(_ id: SkbID) throws(SkbError) -> SkBuff { skbs[try slot(id, "skb")] }

    /// Whether `id` names a live skb.
    @inlinable public func isLive(_ id: SkbID) -> Bool {
        let i = Int(id.index)
        return i < skbs.count && skbs[i].live && skbs[i].generation == id.generation
    }

    /// `skb_shinfo(skb)`.
    @inlinable public func shinfo(_ id: SkbID) throws(SkbError) -> SharedInfo { shinfo(at: try slot(id, "skb_shinfo")) }

    @inlinable func shinfo(at i: Int) -> SharedInfo { SharedInfo(memory: memory, address: skbs[i].endPointer) }

    @inlinable func id(_ i: Int) -> SkbID { SkbID(index: UInt32(i), generation: skbs[i].generation) }

    /// Resolve a handle; a stale one is a use-after-free of its old skb.
    @inlinable func slot(_ id: SkbID, _ op: StaticString) throws(SkbError) -> Int {
        let i = Int(id.index)
        if _fastPath(i < skbs.count && skbs[i].generation == id.generation && skbs[i].live) { return i }
        throw staleHandle(id, op)
    }

    @usableFromInline func staleHandle(_ id: SkbID, _ op: StaticString) -> SkbError {
        let i = Int(id.index)
        let addr = i < freedAddr.count ? freedAddr[i] : KernelAddress(0)
        if memory.isValid(addr) {
            memory.reportUseAfterFree(at: addr, size: 4, operation: op, isWrite: false)
        }
        return SkbError(
            .useAfterFree,
            "BUG: KASAN: slab-use-after-free in \(op): \(id) (generation \(id.generation)) was freed; struct sk_buff at \(addr)"
        )
    }

    /// A new pool slot with a default `SkBuff`, marked live.
    @usableFromInline func newSlot() -> Int {
        let i: Int
        if let f = freeSlots.popLast() {
            i = Int(f)
        } else {
            skbs.append(SkBuff())
            freedAddr.append(KernelAddress(0))
            i = skbs.count - 1
        }
        let gen = skbs[i].generation
        skbs[i] = SkBuff()
        skbs[i].generation = gen
        skbs[i].live = true
        skbs[i].packet = Int32(truncatingIfNeeded: memory.currentPacket)
        skbs[i].flow = currentFlow
        skbs[i].timestampNanoseconds = currentTimestamp
        liveCount += 1
        return i
    }

    @usableFromInline @inline(__always) func releaseSlot(_ i: Int) {
        freedAddr[i] = skbs[i].skbaddr
        skbs[i].live = false
        skbs[i].generation &+= 1
        freeSlots.append(UInt32(i))
        liveCount -= 1
    }

    // MARK: Events

    @inlinable @inline(__always)
    func emit(
        _ kind: SkbEventKind, _ i: Int, _ function: StaticString, _ arg0: UInt64 = 0, _ arg1: UInt64 = 0,
        reason: UInt32 = 0
    ) {
        if let sink { emitSlow(sink, kind, i, function, arg0, arg1, reason) }
    }

    /// `emit` with a third argument, computed only when a sink listens.
    @inlinable @inline(__always)
    func emit(
        _ kind: SkbEventKind, _ i: Int, _ function: StaticString, _ arg0: UInt64, _ arg1: UInt64,
        arg2: () -> UInt64
    ) {
        if let sink { emitSlow(sink, kind, i, function, arg0, arg1, 0, arg2: arg2()) }
    }

    @usableFromInline func emitSlow(
        _ sink: any EventSink, _ kind: SkbEventKind, _ i: Int, _ function: StaticString,
        _ arg0: UInt64, _ arg1: UInt64, _ reason: UInt32, arg2: UInt64 = 0
    ) {
        let s = skbs[i]
        // The trace view must not trip the checker, nor show poison once the
        // head (and its shinfo) has been freed: nr_frags is 0 then.
        let nrFrags = s.endPointer + SharedInfo.nrFragsOffset
        let nr: UInt8 =
            s.head.raw != 0 && memory.isAccessible(nrFrags, count: 1) ? memory.rawLoad(UInt8.self, at: nrFrags) : 0
        let e = SkbEvent(
            sequence: sequence, kind: kind, packet: s.packet, flow: s.flow, skb: UInt32(i), skbaddr: s.skbaddr.raw,
            timestampNanoseconds: s.timestampNanoseconds, len: s.len, dataLen: s.dataLen, truesize: s.truesize,
            headroom: s.data, nrFrags: nr, protocolType: s.protocolType, reason: reason,
            arg0: arg0, arg1: arg1, arg2: arg2, function: function)
        sequence &+= 1
        sink.receive(e)
        // The memory the step (or what came before it) moved, right after it.
        emitCounterChanges(sink)
    }
}
