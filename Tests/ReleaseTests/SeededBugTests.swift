import KernelMemory
import Release
import SkbModel
import TestSupport
import Testing
import Trace

/// Each seeded bug is caught and reported in the kernel's words.
@Suite struct SeededBugTests {
    @Test func doubleFree() throws {
        let sim = SkbSim()
        let p = ReleasePipeline(sim: sim)
        let skb = try sim.receiveFrame(1000, path: .netdevAllocSkb)
        try p.kfree_skb(skb)
        #expect(throws: SkbError.self) { try p.kfree_skb(skb) }
        let r = try #require(sim.memory.checker.reports.first)
        #expect(r.kind == .slabUseAfterFree)
        #expect(
            r.text.hasPrefix(
                "==================================================================\nBUG: KASAN: slab-use-after-free in kfree_skb_reason"
            ))
        #expect(r.text.contains("which belongs to the cache skbuff_cache"))
    }

    @Test func useAfterFreeOfData() throws {
        let sim = SkbSim()
        let p = ReleasePipeline(sim: sim)
        let skb = try sim.receiveFrame(1000, path: .netdevAllocSkb)
        let data = try sim.skb(skb).dataPointer
        try p.consume_skb(skb)
        #expect(throws: SkbError.self) { _ = try sim.bytes(skb) }
        #expect(
            sim.memory.checker.reports.last?.text.contains("BUG: KASAN: slab-use-after-free in skb_copy_bits") == true)
        // Reading the freed head directly: KASAN use-after-free on the page fragment.
        var b = [UInt8](repeating: 0, count: 8)
        _ = b.withUnsafeMutableBytes { sim.memory.copyOut(from: data, into: $0) }
        let r = try #require(sim.memory.checker.reports.last)
        #expect(r.kind == .useAfterFree && r.text.contains("BUG: KASAN: use-after-free in"))
        #expect(r.text.contains("freed 1472-byte region") || r.text.contains("page_frag"))
    }

    @Test func leakNamesObjectAndPacket() throws {
        var o = PacketRunOptions()
        o.rxPath = .netdevAllocSkb
        let run = try PacketRun(options: o)
        // Packet 5's skb is received and never freed.
        run.sim.beginPacket(index: 5, timestampNanoseconds: 0)
        let f = patternFrame(600)
        _ = try f.withUnsafeBytes { try run.driver.receive(bytes: $0, linkType: .ethernet) }
        let stats = run.finish()
        #expect(!stats.verdict.isClean)
        let text = stats.verdict.leaks.text
        #expect(text.hasPrefix("kmemleak: 2 new suspected memory leaks"))  // struct sk_buff + its head
        #expect(text.contains("packet 5") && text.contains("owner skbuff_cache"))
        // One object alone (a head fragment whose skb was never built).
        let sim = SkbSim()
        sim.beginPacket(index: 7, timestampNanoseconds: 0)
        _ = sim.memory.page_frag_alloc(sim.netdevAllocCache, 1024, .GFP_ATOMIC)
        sim.drainCaches()
        let one = sim.memory.leakReport().text
        #expect(one.hasPrefix("kmemleak: 1 new suspected memory leaks (see /sys/kernel/debug/kmemleak)"))
        #expect(one.contains("packet 7") && one.contains("owner page_frag:netdev_alloc_cache"))
    }

    @Test func datarefUnderflow() throws {
        let sim = SkbSim()
        let p = ReleasePipeline(sim: sim)
        let skb = try sim.receiveFrame(1000, path: .netdevAllocSkb)
        try sim.skb_release_data(skb, sim.reasons.notSpecified)  // the extra release
        try p.kfree_skb(skb)
        let r = try #require(sim.memory.checker.reports.first)
        #expect(r.text.contains("WARNING: skb_release_data: dataref underflow"))
        #expect(sim.memory.checker.reports(of: .doubleFree).isEmpty)  // reported, not freed twice
        sim.drainCaches()
        try sim.memory.expectNoLeaks()
    }

    @Test func datarefUnderflowOnClone() throws {
        let sim = SkbSim()
        let p = ReleasePipeline(sim: sim)
        let skb = try sim.receiveFrame(1000, path: .netdevAllocSkb)
        let clone = try #require(try sim.skb_clone(skb))
        #expect(try !sim.skb_data_unref(clone))  // extra: 2 → 1 (not yet an error)
        try p.kfree_skb(skb)  // the last reference: data freed
        try p.kfree_skb(clone)  // clone's own release: underflow
        #expect(sim.memory.checker.reports.contains { $0.text.contains("dataref underflow") })
    }

    @Test func destructorRunTwice() throws {
        let sim = SkbSim()
        let p = ReleasePipeline(sim: sim)
        let s = sim.sockets.makeSocket()
        let skb = try sim.receiveFrame(1000, path: .netdevAllocSkb)
        try sim.skb_set_owner_r(skb, socket: s)
        let b = try sim.skb(skb)
        sim.runDestructor(b.destructor, truesize: Int(b.truesize))  // buggy direct skb->destructor(skb)
        try p.consume_skb(skb)  // runs it again in skb_release_head_state
        let f = try #require(sim.sockets.findings.first)
        #expect(f.kind == .rmemUnderflow)
        #expect(
            f.text.hasPrefix(
                "WARNING: CPU: 0 PID: 0 at net/ipv4/af_inet.c inet_sock_destruct: WARN_ON_ONCE(atomic_read(&sk->sk_rmem_alloc))"
            ))
        #expect(f.text.contains("destructor run twice"))
    }

    @Test func hookDropIsNetfilterDrop() throws {
        var o = PacketRunOptions()
        o.hooks = [.dropAll(family: .ipv4)]
        let rec = EventRecorder()
        o.sink = rec
        let stats = try PacketRun.run(path: Repository.sample("icmp-echo.pcap"), options: o)
        #expect(stats.dropCount("NETFILTER_DROP") == 6)  // 6 IPv4 packets; the 2 ICMPv6 delivered
        #expect(stats.delivered == 2 && stats.hookDrops == 6)
        let drop = try #require(rec.events.first { $0.kind == .drop })
        #expect(drop.reason == SkbDropReason.netfilterDrop.rawValue)
        let verdict = try #require(rec.events.first { $0.kind == .hookVerdict })
        #expect(verdict.arg1 == 1 && verdict.arg0 == UInt64(NFHookPoint.preRouting.rawValue))
        #expect(stats.verdict.isClean)
    }

    /// TCP takes a segment while `sk_rmem_alloc <= sk_rcvbuf`
    /// (`tcp_try_rmem_schedule`) and drops it with PROTO_MEM after that, so
    /// the peak passes rcvbuf by less than one skb's truesize.
    @Test func tcpProtoMemDrops() throws {
        var o = PacketRunOptions()
        o.socketRcvbuf = 8192
        o.socketQueueDepth = 16
        let stats = try PacketRun.run(path: Repository.sample("tcp-bulk.pcap"), options: o)
        #expect(stats.dropCount("PROTO_MEM") > 0 && stats.dropCount("SOCKET_RCVBUFF") == 0)
        #expect(stats.peakSocketRmem > 8192 && stats.peakSocketRmem <= 8192 + 4096)
        #expect(stats.verdict.isClean)
    }

    /// UDP drops with SOCKET_RCVBUFF when rmem + truesize would pass
    /// rcvbuf, except into an empty queue (`__udp_enqueue_schedule_skb`).
    @Test func udpSocketRcvbuffDrops() throws {
        let sim = SkbSim()
        let sk = sim.sockets.makeSocket(rcvbuf: 3000, queueCapacity: 8)
        var queued: [SkbID] = []
        for k in 0..<3 {
            let skb = try sim.receiveFrame(1000, path: .netdevAllocSkb, index: k)
            if try sim.__udp_enqueue_schedule_skb(skb, socket: sk) {
                queued.append(skb)
            } else {
                try sim.kfree_skb_reason(skb, sim.reasons.socketRcvbuff)
            }
        }
        let truesize = Int(try sim.skb(queued[0]).truesize)
        #expect(queued.count == 3000 / truesize)
        // An empty queue takes one skb even when it is larger than rcvbuf.
        let tiny = sim.sockets.makeSocket(rcvbuf: 100, queueCapacity: 2)
        let big = try sim.receiveFrame(1000, path: .netdevAllocSkb, index: 9)
        #expect(try sim.__udp_enqueue_schedule_skb(big, socket: tiny))
        while try sim.udpRecvmsg(socket: sk) {}
        #expect(try sim.udpRecvmsg(socket: tiny))
        #expect(sim.sockets.socket(sk).rmemAlloc == 0 && sim.sockets.socket(tiny).rmemAlloc == 0)
        sim.drainCaches()
        try sim.memory.expectNoLeaks()
    }
}
