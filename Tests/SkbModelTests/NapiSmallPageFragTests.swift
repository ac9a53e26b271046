import KernelMemory
import Testing

@testable import SkbModel

/// `page_frag_alloc_1k` (net/core/skbuff.c v6.1–v6.13): napi_alloc_skb's small
/// heads with `SkbOptions.napiSmallPageFrag1k`.
@Suite struct NapiSmallPageFragTests {
    static func sim() -> SkbSim { SkbSim(profile: .distroX86_64_v6_12) }

    @Test func smallHeadsAreOneKiBSlicesFromTheTopDown() throws {
        let sim = Self.sim()
        #expect(sim.options.napiSmallPageFrag1k)
        var skbs: [SkbID] = []
        for _ in 0..<5 { skbs.append(try #require(sim.napi_alloc_skb(256))) }
        let heads = try skbs.map { try sim.skb($0).head }
        let page = sim.memory.virt_to_head_page(heads[0])
        let base = sim.memory.page_address(page)
        #expect(heads[0..<4].map { $0 - base } == [3072, 2048, 1024, 0])
        #expect(sim.memory.page(page).order == 0)
        // One reference per slice, none for the cache.
        #expect(sim.memory.page_ref_count(page) == 4)
        #expect(sim.memory.virt_to_head_page(heads[4]) != page)
        let s = try sim.skb(skbs[0])
        #expect(s.headFrag && Int(s.end) == 704 && Int(s.truesize) == 1280 && Int(s.headroom) == 64)
        // The page goes back when its last slice is freed.
        for k in 0..<3 { try sim.kfree_skb(skbs[k]) }
        #expect(sim.memory.page_ref_count(page) == 1)
        try sim.kfree_skb(skbs[3])
        #expect(sim.memory.page(page).isFree)
        try sim.kfree_skb(skbs[4])
        sim.drainCaches()  // the second page's 3 unused slices
        #expect(sim.memory.checker.reports.isEmpty)
        try sim.memory.expectNoLeaks()
    }

    @Test func largerOrNewerKernelUsesTheOldPaths() throws {
        let sim = Self.sim()
        let big = try #require(sim.napi_alloc_skb(641))  // 641 + 64 > SKB_WITH_OVERHEAD(1024)
        #expect(sim.memory.page(sim.memory.virt_to_head_page(try sim.skb(big).head)).order == 3)
        try sim.kfree_skb(big)
        let new = SkbSim(profile: .distroX86_64)
        #expect(!new.options.napiSmallPageFrag1k)
        let small = try #require(new.napi_alloc_skb(256))
        #expect(!(try new.skb(small).headFrag))
        try new.kfree_skb(small)
        sim.drainCaches()
        new.drainCaches()
        try sim.memory.expectNoLeaks()
        try new.memory.expectNoLeaks()
    }
}
