import KernelMemory
import Testing
import Trace

@testable import SkbModel

/// frag_list chaining as skb_gro_receive's fallback does it (net/core/gro.c),
/// read back through skb_copy_bits, freed by skb_release_data →
/// kfree_skb_list_reason.
@Suite struct FragListTests {
    @Test func chainReadAndFree() throws {
        let rec = EventRecorder()
        let sim = SkbSim(sink: rec)
        let p = try #require(sim.netdev_alloc_skb(100))
        let a = (0..<100).map { UInt8($0) }
        let b = (0..<200).map { UInt8(truncatingIfNeeded: $0 &+ 100) }
        try sim.skb_put(p, 100)
        try a.withUnsafeBytes { buf in try sim.skb_copy_to_linear_data(p, buf) }
        let q = try #require(sim.netdev_alloc_skb(200))
        try sim.skb_put(q, 200)
        try b.withUnsafeBytes { buf in try sim.skb_copy_to_linear_data(q, buf) }
        try sim.__skb_header_release(q)
        let qTruesize = try sim.skb(q).truesize
        try sim.shinfo(p).fragList = q
        try sim.skbPagedLenAdd(p, 200)
        try sim.modify(p) { $0.truesize += qTruesize }
        #expect(try sim.bytes(p) == a + b)
        #expect(try sim.skb(p).tailroom == 0)
        try sim.consume_skb(p)
        #expect(!sim.isLive(q))
        #expect(rec.events.contains { $0.kind == .listFree && $0.arg0 == 1 })
        // frag_list members are freed with the reason __kfree_skb passes down (NOT_SPECIFIED)
        #expect(rec.events.contains { $0.kind == .drop && $0.skb == q.index && $0.reason == 2 })
        #expect(sim.memory.checker.reports.isEmpty)
        try sim.memory.expectNoLeaks()
    }

    // A pskb_may_pull that eats a whole frag_list member (__pskb_pull_tail's list walk).
    @Test func pullTailEatsFragListMember() throws {
        let sim = SkbSim()
        let p = try #require(sim.alloc_skb(64))
        try sim.skb_put(p, 10)
        let q = try #require(sim.alloc_skb(64))
        try sim.skb_put(q, 30)
        try sim.shinfo(p).fragList = q
        try sim.skbPagedLenAdd(p, 30)
        let before = try sim.bytes(p)
        #expect(try sim.pskb_may_pull(p, 40))
        #expect(try sim.skb(p).dataLen == 0 && sim.skb(p).headlen == 40)
        let list = try sim.shinfo(p).fragList
        #expect(!sim.isLive(q) && list == nil)
        #expect(try sim.bytes(p) == before)
        try sim.kfree_skb(p)
        try sim.memory.expectNoLeaks()
    }
}
