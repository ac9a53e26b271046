import KernelMemory
import TestSupport
import Testing
import Trace

@testable import SkbModel

/// The kernel's callers of the free (v6.18; docs/release-pipeline.md), each
/// checked against numbers written out here from the kernel's source, not
/// from the model's constants.
@Suite struct KernelCallersTests {
    /// A received skb of `len` bytes on `path` in packet `index`.
    static func skb(_ sim: SkbSim, _ len: Int, path: RxPath = .netdevAllocSkb, index: Int = 0) throws -> SkbID {
        sim.beginPacket(index: index, timestampNanoseconds: Int64(index) * 1000)
        let frame = patternFrame(len)
        switch path {
        case .netdevAllocSkb: return try #require(sim.netdev_alloc_skb(len))
        case .napiAllocSkb: return try #require(sim.napi_alloc_skb(len))
        default:
            let driver = RxDriver(sim: sim, options: RxDriverOptions(path: path))
            return try #require(
                try frame.withUnsafeBytes { b throws(SkbError) in try driver.receive(bytes: b, linkType: .ethernet) })
        }
    }

    static func slabAllocations(_ sim: SkbSim) -> Int { sim.memory.slabInfo(sim.memory.skbuffCache).allocations }
    static func slabFrees(_ sim: SkbSim) -> Int { sim.memory.slabInfo(sim.memory.skbuffCache).frees }

    /// `napi_skb_cache_get`: an empty cache is refilled with
    /// NAPI_SKB_CACHE_BULK (16) structs at once; the next 15 NAPI allocations
    /// take no struct from the slab. `__netdev_alloc_skb` (`__build_skb`)
    /// never uses the cache.
    @Test func napiAllocationsTakeStructsFromTheCacheRefilledSixteenAtATime() throws {
        let sim = SkbSim()
        _ = try Self.skb(sim, 1000, path: .napiAllocSkb)
        #expect(Self.slabAllocations(sim) == 16)
        #expect(sim.napiSkbCache.count == 15)
        for k in 1..<16 { _ = try Self.skb(sim, 1000, path: .napiAllocSkb, index: k) }
        #expect(Self.slabAllocations(sim) == 16 && sim.napiSkbCache.count == 0)
        _ = try Self.skb(sim, 1000, path: .napiAllocSkb, index: 16)
        #expect(Self.slabAllocations(sim) == 32 && sim.napiSkbCache.count == 15)
        _ = try Self.skb(sim, 1000, path: .netdevAllocSkb, index: 17)
        #expect(Self.slabAllocations(sim) == 33 && sim.napiSkbCache.count == 15)
    }

    /// `tcp_eat_recv_skb` → `skb_attempt_defer_free` → `__napi_kfree_skb`:
    /// the struct goes to the NAPI skb cache, no tracepoint fires, and
    /// `sock_rfree` uncharged the socket. At NAPI_SKB_CACHE_SIZE (64) the
    /// upper half (32) goes back to the slab.
    @Test func tcpReadParksStructsAndFlushesHalfAtSixtyFour() throws {
        let rec = EventRecorder()
        let sim = SkbSim(sink: rec)
        let sk = sim.sockets.makeSocket(rcvbuf: 1 << 30, queueCapacity: 128)
        for k in 0..<64 {
            let skb = try Self.skb(sim, 1000, index: k)
            #expect(try sim.tcp_queue_rcv(skb, socket: sk))
        }
        #expect(sim.sockets.socket(sk).rmemAlloc > 0)
        for _ in 0..<63 { #expect(try sim.tcpRecvmsg(socket: sk)) }
        #expect(sim.napiSkbCache.count == 63 && Self.slabFrees(sim) == 0)
        #expect(try sim.tcpRecvmsg(socket: sk))
        #expect(sim.napiSkbCache.count == 32 && Self.slabFrees(sim) == 32)
        #expect(sim.sockets.socket(sk).rmemAlloc == 0 && sim.liveCount == 0)
        #expect(!rec.events.contains { $0.kind == .consume || $0.kind == .drop })
        #expect(rec.events.filter { $0.kind == .skbFree }.allSatisfy { "\($0.function)" == "napi_skb_cache_put" })
        // A parked struct is allocated to the slab but referenced: no leak.
        sim.drainCaches()
        try sim.memory.expectNoLeaks()
    }

    /// The reason frag_list members are traced with is the one
    /// `skb_release_data` got: NOT_SPECIFIED after `consume_skb` (its
    /// `__kfree_skb`), CONSUMED after `__napi_kfree_skb` (a TCP read).
    @Test func fragListMembersGetTheReasonTheirHeadWasReleasedWith() throws {
        for tcpRead in [false, true] {
            let rec = EventRecorder()
            let sim = SkbSim(sink: rec)
            let head = try Self.skb(sim, 1000)
            let member = try Self.skb(sim, 600, index: 1)
            try sim.shinfo(head).fragList = member
            if tcpRead {
                let sk = sim.sockets.makeSocket(rcvbuf: 1 << 30)
                #expect(try sim.tcp_queue_rcv(head, socket: sk))
                #expect(try sim.tcpRecvmsg(socket: sk))
            } else {
                try sim.consume_skb(head)
            }
            let traced = rec.events.filter { ($0.kind == .consume || $0.kind == .drop) && $0.skb == member.index }
            #expect(traced.count == 1)
            let name = sim.dropReasonTable.displayName(of: traced[0].reason)
            #expect(name == (tcpRead ? "CONSUMED" : "NOT_SPECIFIED"), "tcp read \(tcpRead): \(name)")
            #expect(!sim.isLive(head) && !sim.isLive(member))
            #expect(sim.dropCounts.listMemberFrees == 1)
            sim.drainCaches()
            try sim.memory.expectNoLeaks()
        }
    }

    /// `udp_rmem_release`: the truesize of a dequeued datagram is uncharged
    /// in batches, once `forward_deficit` reaches `sk_rcvbuf >> 2` or the
    /// reader queue is empty.
    @Test func udpUnchargesInBatchesAtAQuarterOfRcvbuf() throws {
        let sim = SkbSim()
        let first = try Self.skb(sim, 1000)
        let truesize = Int(try sim.skb(first).truesize)
        // rcvbuf of 10 truesizes: the deficit is released at 3 (>= 2.5).
        let sk = sim.sockets.makeSocket(rcvbuf: 10 * truesize, queueCapacity: 16)
        #expect(try sim.__udp_enqueue_schedule_skb(first, socket: sk))
        for k in 1..<6 { #expect(try sim.__udp_enqueue_schedule_skb(try Self.skb(sim, 1000, index: k), socket: sk)) }
        #expect(sim.sockets.socket(sk).rmemAlloc == 6 * truesize)
        var after: [Int] = []
        for _ in 0..<6 {
            #expect(try sim.udpRecvmsg(socket: sk))
            after.append(sim.sockets.socket(sk).rmemAlloc / truesize)
        }
        #expect(after == [6, 6, 3, 3, 3, 0])
        sim.drainCaches()
        try sim.memory.expectNoLeaks()
    }

    /// `__netdev_alloc_skb` takes its head from `napi_alloc_cache.page` in
    /// softirq context and from `netdev_alloc_cache` only in hard IRQ.
    @Test func netdevAllocSkbUsesTheNapiCacheOutsideHardIrq() throws {
        let sim = SkbSim()
        let a = try #require(sim.netdev_alloc_skb(1500))
        #expect(sim.memory.pageFragCache(sim.napiAllocCache).stats.bytes > 0)
        #expect(sim.memory.pageFragCache(sim.netdevAllocCache).stats.bytes == 0)
        sim.inHardIrq = true
        let b = try #require(sim.netdev_alloc_skb(1500))
        #expect(sim.memory.pageFragCache(sim.netdevAllocCache).stats.bytes > 0)
        try sim.kfree_skb(a)
        try sim.kfree_skb(b)
        sim.drainCaches()
        try sim.memory.expectNoLeaks()
    }

    /// A failed receive has no skb to trace: the driver counts it.
    @Test func failedReceiveIsADriverCountNotADrop() throws {
        let rec = EventRecorder()
        let sim = SkbSim(sink: rec)
        sim.memory.failSlab.probability = 1
        let driver = RxDriver(sim: sim)
        let frame = patternFrame(1000)
        let got = try frame.withUnsafeBytes { b throws(SkbError) in try driver.receive(bytes: b, linkType: .ethernet) }
        #expect(got == nil)
        #expect(driver.statistics.rxDropped == 1 && driver.statistics.allocFailed == 1)
        #expect(!rec.events.contains { $0.kind == .drop })
    }
}
