import KernelMemory
import Testing

@testable import SkbModel

/// net/core/skbuff.c skb_clone / __skb_clone / kfree_skbmem, skb_copy,
/// __pskb_copy_fclone, skb_get / skb_unref, skb_unshare.
@Suite struct CloneCopyTests {
    @Test func fcloneCompanionReuse() throws {
        let sim = SkbSim()
        let skb = try #require(sim.alloc_skb_fclone(256))
        try sim.skb_put(skb, 256)
        #expect(try sim.skb(skb).fclone == .orig && sim.fcloneRef(skb) == 1)
        let c1 = try #require(try sim.skb_clone(skb))
        let s1 = try sim.skb(c1)
        let origAddr = try sim.skb(skb).skbaddr
        #expect(s1.fclone == .clone && s1.skbaddr == origAddr + 232)  // &fclones->skb2
        #expect(try sim.fcloneRef(skb) == 2 && sim.fcloneRef(c1) == 2)
        #expect(try sim.shinfo(skb).dataref == 2)
        #expect(try sim.skb(skb).cloned && s1.cloned && sim.skb_cloned(skb) && sim.skb_cloned(c1))
        // companion busy → second clone from skbuff_cache
        let c2 = try #require(try sim.skb_clone(skb))
        #expect(try sim.skb(c2).fclone == .unavailable && sim.shinfo(skb).dataref == 3)
        try sim.kfree_skb(c1)  // fclone_ref 2 → 1
        #expect(try sim.fcloneRef(skb) == 1)
        let c3 = try #require(try sim.skb_clone(skb))  // companion free again
        #expect(try sim.skb(c3).fclone == .clone)
        try sim.kfree_skb(skb)  // ORIG with ref 2: block stays
        #expect(try sim.fcloneRef(c3) == 1)
        try sim.kfree_skb(c2)
        #expect(try sim.bytes(c3).count == 256)  // data still there
        try sim.kfree_skb(c3)  // last: block and head freed
        #expect(sim.memory.checker.reports.isEmpty)
        try sim.memory.expectNoLeaks()
    }

    @Test func cloneFreeOriginalKeepsData() throws {
        let sim = SkbSim()
        let skb = try #require(sim.netdev_alloc_skb(1000))
        let payload = (0..<1000).map { UInt8(truncatingIfNeeded: $0) }
        try sim.skb_put(skb, 1000)
        try payload.withUnsafeBytes { b in try sim.skb_copy_to_linear_data(skb, b) }
        let c = try #require(try sim.skb_clone(skb))
        #expect(try sim.skb(c).head == sim.skb(skb).head && sim.skb(c).users == 1)
        try sim.kfree_skb(skb)
        #expect(try sim.bytes(c) == payload)
        #expect(try sim.shinfo(c).dataref == 1)
        try sim.consume_skb(c)  // head freed exactly once
        #expect(sim.memory.checker.reports.isEmpty)
        try sim.memory.expectNoLeaks()
    }

    @Test func skbCopyIsIndependentAndLinear() throws {
        let sim = SkbSim()
        let frame = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 3) }
        let skb = try #require(
            try frame.withUnsafeBytes { b throws(SkbError) in try RxDriver(sim: sim).driverReceive(b, .scatterGather) })
        let n = try #require(try sim.skb_copy(skb))
        let s = try sim.skb(skb)
        let ns = try sim.skb(n)
        // __alloc_skb(skb_end_offset + data_len) = 384 + 2744 = 3128 → HEAD_ALIGN 3136+320 = 3456 → kmalloc-4k → end 3776
        #expect(ns.end == 3776 && ns.headroom == s.headroom && ns.dataLen == 0 && ns.len == 3000)
        #expect(ns.head != s.head && ns.truesize == 3776 + 576)
        #expect(try sim.bytes(n) == frame)
        try [UInt8](repeating: 0xEE, count: 10).withUnsafeBytes { b in try sim.skb_copy_to_linear_data(n, b) }
        #expect(try sim.bytes(skb) == frame)
        try sim.kfree_skb(skb)
        try sim.kfree_skb(n)
        try sim.memory.expectNoLeaks()
    }

    @Test func pskbCopySharesFrags() throws {
        let sim = SkbSim()
        let frame = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 5) }
        let skb = try #require(
            try frame.withUnsafeBytes { b throws(SkbError) in try RxDriver(sim: sim).driverReceive(b, .scatterGather) })
        let f0 = try sim.shinfo(skb).frag(0)
        let pfn = sim.memory.virt_to_head_page(f0.address)
        let before = sim.memory.page_ref_count(pfn)
        let n = try #require(try sim.pskb_copy(skb))
        // The two frags are in two descriptors' pages: one more reference on each.
        #expect(sim.memory.page_ref_count(pfn) == before + 1)
        let s = try sim.skb(skb)
        let ns = try sim.skb(n)
        // __alloc_skb(headlen 256 + headroom 64 = 320) → small head (end 384); truesize += data_len
        #expect(ns.end == 384 && ns.truesize == 960 + s.dataLen && ns.len == s.len && ns.dataLen == s.dataLen)
        #expect(try sim.shinfo(n).frags == sim.shinfo(skb).frags)
        #expect(try sim.bytes(n) == frame)
        try sim.kfree_skb(n)
        #expect(sim.memory.page_ref_count(pfn) == before)
        try sim.kfree_skb(skb)
        try sim.memory.expectNoLeaks()
    }

    @Test func skbGetTwoFrees() throws {
        let sim = SkbSim()
        let skb = try #require(sim.alloc_skb(100))
        try sim.skb_get(skb)
        #expect(try sim.skb(skb).users == 2 && sim.skb_shared(skb))
        try sim.kfree_skb(skb)
        let users = try sim.skb(skb).users
        #expect(sim.isLive(skb) && users == 1)
        try sim.kfree_skb(skb)
        #expect(!sim.isLive(skb))
        try sim.memory.expectNoLeaks()
    }

    @Test func unshareCopiesClonedData() throws {
        let sim = SkbSim()
        let skb = try #require(sim.netdev_alloc_skb(500))
        try sim.skb_put(skb, 500)
        let c = try #require(try sim.skb_clone(skb))
        let u = try #require(try sim.skb_unshare(c))
        let uh = try sim.skb(u).head
        let oh = try sim.skb(skb).head
        #expect(u != c && !sim.isLive(c) && uh != oh)
        #expect(try sim.skb_cloned(skb) == false)  // dataref back to 1
        #expect(try sim.skb_unshare(skb) == skb)
        try sim.kfree_skb(skb)
        try sim.kfree_skb(u)
        try sim.memory.expectNoLeaks()
    }

    // skb_release_data: nohdr bias (1 << 16) + 1 (__skb_header_release).
    @Test func headerReleaseBias() throws {
        let sim = SkbSim()
        let skb = try #require(sim.alloc_skb(100))
        try sim.skb_put(skb, 100)
        let c = try #require(try sim.skb_clone(skb))
        try sim.__skb_header_release(c)
        #expect(try sim.shinfo(c).dataref == 0x1_0001)
        try sim.kfree_skb(c)  // dataref == bias → frees the data
        #expect(sim.memory.checker.reports.isEmpty)
        // the original still points at the freed head: reading it is a use-after-free
        _ = try? sim.bytes(skb)
        #expect(sim.memory.checker.reports.first?.kind == .slabUseAfterFree)
    }

    // Checker integration: a double kfree_skb is a slab-use-after-free on
    // the freed struct sk_buff, not a crash.
    @Test func doubleKfreeSkbIsReported() throws {
        let sim = SkbSim()
        let skb = try #require(sim.alloc_skb(64))
        let addr = try sim.skb(skb).skbaddr
        try sim.kfree_skb(skb)
        let e = #expect(throws: SkbError.self) { try sim.kfree_skb(skb) }
        #expect(e?.kind == .useAfterFree)
        let r = try #require(sim.memory.checker.reports.first)
        #expect(r.kind == .slabUseAfterFree && r.address == addr && r.operation == "kfree_skb_reason")
        #expect(r.text.contains("BUG: KASAN: slab-use-after-free in kfree_skb_reason"))
        #expect(r.text.contains("skbuff_cache"))
        try sim.memory.expectNoLeaks()
    }
}
