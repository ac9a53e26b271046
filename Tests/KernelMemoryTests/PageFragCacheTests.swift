import Testing

@testable import KernelMemory

// Follows mm/page_frag_cache.c: __page_frag_cache_refill, __page_frag_alloc_align,
// page_frag_free, __page_frag_cache_drain / page_frag_cache_drain (facts §1).

private func system(
    _ algorithm: PageFragAlgorithm = .countUp, configure: (inout KernelConfig) -> Void = { _ in }
) -> MemorySystem {
    var config = KernelConfig()
    config.pageFragAlgorithm = algorithm
    configure(&config)
    return MemorySystem(config: config)
}

/// Offsets (from the page start) of `count` successive allocations, in one page.
private func offsets(_ m: MemorySystem, _ nc: PageFragCacheID, _ size: Int, align: Int?, count: Int) throws -> [Int] {
    var result: [Int] = []
    for _ in 0..<count {
        let a = try #require(
            align.map { m.page_frag_alloc_align(nc, size, .GFP_ATOMIC, align: $0) }
                ?? m.page_frag_alloc(nc, size, .GFP_ATOMIC))
        result.append(a - m.pageFragCache(nc).va!)
    }
    return result
}

@Test(arguments: [1920, 2048, 75, 4096])
func countUpOffsetsAreSequential(size: Int) throws {
    // v6.13+: offset starts at 0 after refill and grows by fragsz; no alignment with page_frag_alloc.
    let m = system()
    let nc = m.pageFragCacheCreate(name: "t")
    let perPage = 32768 / size
    let got = try offsets(m, nc, size, align: nil, count: perPage)
    #expect(got == (0..<perPage).map { $0 * size })
    #expect(m.page_frag_cache_full(nc, fragsz: size))
}

@Test(arguments: [1920, 2048, 75, 4096])
func legacyOffsetsCountDown(size: Int) throws {
    // <= v6.12: nc->offset = size after refill; each fragment at offset - fragsz.
    let m = system(.legacyCountDown)
    let nc = m.pageFragCacheCreate(name: "t")
    let perPage = 32768 / size
    let got = try offsets(m, nc, size, align: nil, count: perPage)
    #expect(got == (1...perPage).map { 32768 - $0 * size })
    #expect(m.pageFragCache(nc).legacySize == 32768)
}

@Test func alignedOffsetsBothAlgorithms() throws {
    // page_frag_alloc_align(align) passes align_mask = -align.
    // v6.13+ aligns the offset up before the fit check: 75 B at align 64 -> 0, 128, 256...
    let m = system()
    let nc = m.pageFragCacheCreate(name: "t")
    #expect(try offsets(m, nc, 75, align: 64, count: 4) == [0, 128, 256, 384])
    let m2 = system()
    let nc2 = m2.pageFragCacheCreate(name: "t")
    #expect(try offsets(m2, nc2, 100, align: 256, count: 3) == [0, 256, 512])
    // <= v6.12 masks the result down: (32768 - 75) & ~63 = 32640, (32640 - 75) & ~63 = 32512.
    let l = system(.legacyCountDown)
    let lc = l.pageFragCacheCreate(name: "t")
    #expect(try offsets(l, lc, 75, align: 64, count: 3) == [32640, 32512, 32384])
    let l2 = system(.legacyCountDown)
    let lc2 = l2.pageFragCacheCreate(name: "t")
    #expect(try offsets(l2, lc2, 100, align: 256, count: 2) == [32512, 32256])
}

@Test(arguments: [PageFragAlgorithm.countUp, .legacyCountDown])
func refillPointAndBias(algorithm: PageFragAlgorithm) throws {
    // 1920 B: 17 * 1920 = 32640 <= 32768 < 18 * 1920, so the 18th needs a new page.
    let m = system(algorithm)
    let nc = m.pageFragCacheCreate(name: "t")
    var addrs: [KernelAddress] = []
    for i in 1...17 {
        addrs.append(try #require(m.page_frag_alloc(nc, 1920, .GFP_ATOMIC)))
        let c = m.pageFragCache(nc)
        let page = try #require(m.pageFragCachePage(nc))
        #expect(c.order == 3)
        #expect(m.page_ref_count(page) == 32769)  // page_ref_add(32768) after refill
        #expect(Int(c.pagecntBias) == 32769 - i)  // one bias per fragment
        #expect(m.page_ref_count(page) - Int(c.pagecntBias) == i)
    }
    let first = try #require(m.pageFragCachePage(nc))
    #expect(m.page_frag_cache_full(nc, fragsz: 1920))
    let a18 = try #require(m.page_frag_alloc(nc, 1920, .GFP_ATOMIC))
    // 17 outstanding: page_ref_sub_and_test(bias) leaves 17 -> abandoned.
    #expect(m.virt_to_head_page(a18) != first)
    #expect(m.page_ref_count(first) == 17)
    #expect(m.pageFragCache(nc).stats.abandoned == 1)
    #expect(m.pageFragCache(nc).stats.refillsHighOrder == 2)
    let freeBefore = m.freePages
    for a in addrs { m.page_frag_free(a) }
    #expect(m.freePages == freeBefore + 8)  // last page_frag_free frees the order-3 page
    m.page_frag_free(a18)
    m.page_frag_cache_drain(nc)
    try m.expectNoLeaks()
    #expect(m.checker.reports.isEmpty)
}

@Test(arguments: [PageFragAlgorithm.countUp, .legacyCountDown])
func pageIsReusedWhenAllFragmentsCameBack(algorithm: PageFragAlgorithm) throws {
    let m = system(algorithm)
    let nc = m.pageFragCacheCreate(name: "t")
    var addrs: [KernelAddress] = []
    for _ in 0..<17 { addrs.append(try #require(m.page_frag_alloc(nc, 1920, .GFP_ATOMIC))) }
    for a in addrs { m.page_frag_free(a) }
    let page = try #require(m.pageFragCachePage(nc))
    #expect(m.page_ref_count(page) == 32769 - 17)
    let free = m.freePages
    let again = try #require(m.page_frag_alloc(nc, 1920, .GFP_ATOMIC))
    #expect(again == addrs[0])  // same page, offset restarts
    #expect(m.page_ref_count(page) == 32769)  // set_page_count(32769)
    #expect(m.pageFragCache(nc).pagecntBias == 32768)
    #expect(m.pageFragCache(nc).stats.reuses == 1)
    #expect(m.freePages == free)
    m.page_frag_free(again)
    m.page_frag_cache_drain(nc)
    #expect(m.freePages == m.totalPages)
}

@Test func oversizeFragmentReturnsNullKeepingPageCountUp() throws {
    // v6.13+: offset + fragsz > size and fragsz > PAGE_SIZE -> NULL, page kept.
    let m = system()
    let nc = m.pageFragCacheCreate(name: "t")
    let big = try #require(m.page_frag_alloc(nc, 30000, .GFP_ATOMIC))
    let before = m.pageFragCache(nc)
    #expect(m.page_frag_alloc(nc, 5000, .GFP_ATOMIC) == nil)
    let after = m.pageFragCache(nc)
    #expect(after.encodedPage == before.encodedPage && after.pagecntBias == before.pagecntBias && after.offset == 30000)
    #expect(after.stats.oversizeFailures == 1)
    // A fragment <= PAGE_SIZE still moves on to a new page.
    #expect(m.page_frag_alloc(nc, 4096, .GFP_ATOMIC) != nil)
    #expect(m.pageFragCache(nc).stats.abandoned == 1)
    _ = big
}

@Test func oversizeFragmentLegacyAbandonsAndRefills() throws {
    // <= v6.12 has no fragsz > PAGE_SIZE guard before the refill: 2768 - 5000 < 0
    // -> sub_and_test(bias) != 0 (one fragment out) -> abandon, refill, 32768 - 5000.
    let m = system(.legacyCountDown)
    let nc = m.pageFragCacheCreate(name: "t")
    _ = try #require(m.page_frag_alloc(nc, 30000, .GFP_ATOMIC))
    let a = try #require(m.page_frag_alloc(nc, 5000, .GFP_ATOMIC))
    #expect(a - m.pageFragCache(nc).va! == 27768)
    #expect(m.pageFragCache(nc).stats.abandoned == 1)
}

@Test(arguments: [PageFragAlgorithm.countUp, .legacyCountDown])
func order0FallbackUnderInjectedOrder3Failure(algorithm: PageFragAlgorithm) throws {
    let m = system(algorithm)
    m.failPageAlloc.minOrder = 3
    m.failPageAlloc.failNth = 1  // fail the first order >= 3 allocation
    let nc = m.pageFragCacheCreate(name: "t")
    let a = try #require(m.page_frag_alloc(nc, 1920, .GFP_ATOMIC))
    let c = m.pageFragCache(nc)
    #expect(c.order == 0)
    #expect(c.stats.refillsOrder0 == 1 && c.stats.refillsHighOrder == 0)
    #expect(m.failPageAlloc.injected == 1)
    #expect(m.warnings.isEmpty)  // the order-3 try is __GFP_NOWARN
    // A 4096-byte page holds two 1920-byte fragments.
    let b = try #require(m.page_frag_alloc(nc, 1920, .GFP_ATOMIC))
    #expect(m.virt_to_head_page(a) == m.virt_to_head_page(b))
    #expect(m.page_frag_cache_full(nc, fragsz: 1920))
    m.page_frag_free(a)
    m.page_frag_free(b)
    // The next refill succeeds at order 3 again; the order-0 page is reused first.
    let d = try #require(m.page_frag_alloc(nc, 4096, .GFP_ATOMIC))
    #expect(m.pageFragCache(nc).stats.reuses == 1 && m.pageFragCache(nc).order == 0)
    let big = m.page_frag_alloc(nc, 5000, .GFP_ATOMIC)
    if algorithm == .countUp {
        // fragsz > PAGE_SIZE does not fit the order-0 page: NULL, page kept.
        #expect(big == nil && m.pageFragCache(nc).order == 0)
    } else {
        // <= 6.12: 0 - 5000 < 0, d is out -> abandon, refill at order 3, 32768 - 5000.
        #expect(big.map { $0 - m.pageFragCache(nc).va! } == 27768 && m.pageFragCache(nc).order == 3)
        m.page_frag_free(big!)
    }
    m.page_frag_free(d)
}

@Test func highOrderRefillDropsDirectReclaim() throws {
    // The order-3 try uses gfp & ~__GFP_DIRECT_RECLAIM: fail_page_alloc's ignore-gfp-wait
    // therefore does not protect it, while the order-0 GFP_KERNEL retry is ignored.
    let m = system()
    m.failPageAlloc.minOrder = 0
    m.failPageAlloc.probability = 1
    let nc = m.pageFragCacheCreate(name: "t")
    _ = try #require(m.page_frag_alloc(nc, 100, .GFP_KERNEL))
    #expect(m.pageFragCache(nc).order == 0)
    #expect(m.failPageAlloc.injected == 1)
    #expect(m.page_frag_alloc(m.pageFragCacheCreate(name: "u"), 100, .GFP_ATOMIC) == nil)
}

@Test func pfmemallocPageIsNotReused() throws {
    let m = system()
    m.lowMemoryMode = true
    let nc = m.pageFragCacheCreate(name: "t")
    // Order 3 carries __GFP_NOMEMALLOC and fails; order 0 with __GFP_MEMALLOC uses reserves.
    let a = try #require(m.page_frag_alloc(nc, 1920, [.GFP_ATOMIC, .__GFP_MEMALLOC]))
    #expect(m.page_frag_cache_is_pfmemalloc(nc))
    #expect(m.page_is_pfmemalloc(m.virt_to_head_page(a)))
    #expect(m.pageFragCache(nc).order == 0)
    let b = try #require(m.page_frag_alloc(nc, 1920, [.GFP_ATOMIC, .__GFP_MEMALLOC]))
    m.page_frag_free(a)
    m.page_frag_free(b)
    m.lowMemoryMode = false
    let c = try #require(m.page_frag_alloc(nc, 1920, .GFP_ATOMIC))
    #expect(m.pageFragCache(nc).stats.pfmemallocFreed == 1)
    #expect(m.pageFragCache(nc).stats.reuses == 0)
    #expect(!m.page_frag_cache_is_pfmemalloc(nc) && m.pageFragCache(nc).order == 3)
    m.page_frag_free(c)
    m.page_frag_cache_drain(nc)
    #expect(m.freePages == m.totalPages)
}

@Test func lowMemoryWithoutReservesFailsWithWarning() {
    let m = system()
    m.lowMemoryMode = true
    let nc = m.pageFragCacheCreate(name: "t")
    #expect(m.page_frag_alloc(nc, 1920, .GFP_ATOMIC) == nil)
    // Only the order-0 try (caller's gfp, no __GFP_NOWARN) warns.
    #expect(m.warnings == ["skbsim: page allocation failure: order:0, mode:0x820(GFP_ATOMIC), nodemask=(null)"])
    #expect(m.pageFragCache(nc).encodedPage == 0 && m.pageFragCache(nc).stats.refillFailures == 1)
}

@Test func drainWithOutstandingFragments() throws {
    let m = system()
    let nc = m.pageFragCacheCreate(name: "t")
    let frags = try (0..<3).map { _ in try #require(m.page_frag_alloc(nc, 1000, .GFP_ATOMIC)) }
    let page = m.virt_to_head_page(frags[0])
    m.page_frag_cache_destroy(nc)  // seed alias of page_frag_cache_drain
    #expect(m.pageFragCache(nc).encodedPage == 0)
    #expect(m.page_ref_count(page) == 3)  // 32769 - 32766 returned bias
    #expect(!m.page(page).isFree)
    for f in frags { m.page_frag_free(f) }
    #expect(m.page(page).isFree && m.freePages == m.totalPages)
    #expect(m.page_frag_cache_full(nc, fragsz: 1))  // no page: the next allocation refills
}

@Test func freeThroughAnInteriorAddress() throws {
    // page_frag_free uses virt_to_head_page(addr): any address inside the fragment works.
    let m = system()
    let nc = m.pageFragCacheCreate(name: "t")
    let a = try #require(m.page_frag_alloc(nc, 1920, .GFP_ATOMIC))
    let b = try #require(m.page_frag_alloc(nc, 1920, .GFP_ATOMIC))
    let page = m.virt_to_head_page(a)
    m.page_frag_free(b + 1919)  // last byte of b
    m.page_frag_free(a + 100)
    #expect(m.page_ref_count(page) - Int(m.pageFragCache(nc).pagecntBias) == 0)
    #expect(m.checker.reports.isEmpty)
    m.page_frag_cache_drain(nc)
    try m.expectNoLeaks()
}

@Test func fragmentsAreRealBytes() throws {
    let m = system()
    let nc = m.pageFragCacheCreate(name: "t")
    let a = try #require(m.page_frag_alloc(nc, 64, .GFP_ATOMIC))
    let payload: [UInt8] = (0..<64).map { UInt8($0) }
    #expect(payload.withUnsafeBytes { m.copyIn(to: a, from: $0) })
    #expect(m.withUnsafeBytes(at: a + 10, count: 4) { Array($0) } == [10, 11, 12, 13])
    m.page_frag_free(a)
}
