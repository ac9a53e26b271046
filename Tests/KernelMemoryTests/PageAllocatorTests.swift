import Testing

@testable import KernelMemory

// mm/page_alloc.c: __rmqueue_smallest/expand, __free_one_page, __zone_watermark_ok,
// warn_alloc; mm/fail_page_alloc.c + lib/fault-inject.c.

private func small() -> MemorySystem {
    var config = KernelConfig()
    config.memorySize = 256 * 4096  // 1 MiB: min_free_kbytes = max(sqrt(1024*16), 128) = 128 -> 32 pages
    return MemorySystem(config: config)
}

@Test func addressesAndPfns() {
    let m = MemorySystem()
    #expect(m.page_address(PFN(0)).description == "ffff888000000000")
    #expect(m.page_address(PFN(0xa1b)).description == "ffff888000a1b000")
    #expect(m.virt_to_page(KernelAddress(0xffff_8880_00a1_b040)) == PFN(0xa1b))
    #expect(m.totalPages == 8192 && m.minWatermarkPages == 181)  // sqrt(32768 * 16) = 724 KiB
}

@Test func splitAndMerge() throws {
    let m = MemorySystem()
    #expect(m.buddyInfo == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8])
    let p = try #require(m.alloc_pages(.GFP_KERNEL, order: 0))
    #expect(p == PFN(0))
    #expect(m.buddyInfo == [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 7])
    let q = try #require(m.alloc_pages(.GFP_KERNEL, order: 3))
    #expect(q.index % 8 == 0 && q == PFN(8))
    m.put_page(p)
    m.freePages(q, order: 3)
    #expect(m.buddyInfo == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8])
    #expect(m.freePages == 8192)
}

@Test(arguments: 0...10)
func blocksAreNaturallyAligned(order: Int) throws {
    let m = MemorySystem()
    _ = try #require(m.alloc_pages(.GFP_KERNEL, order: 0))
    let p = try #require(m.alloc_pages([.GFP_KERNEL, .__GFP_COMP], order: order))
    #expect(p.index % (1 << order) == 0)
    #expect(m.page(p).order == order)
    if order > 0 { #expect(m.page(PFN(p.index + (1 << order) - 1)).head == p) }
}

@Test func watermarksAndPfmemalloc() throws {
    let m = small()
    #expect(m.minWatermarkPages == 32)
    var got: [PFN] = []
    while let p = m.alloc_pages(.GFP_KERNEL, order: 0) { got.append(p) }
    #expect(got.count == 256 - 32)  // stops at the min watermark
    #expect(m.warnings.last == "skbsim: page allocation failure: order:0, mode:0xcc0(GFP_KERNEL), nodemask=(null)")
    // GFP_ATOMIC: min - min/2 = 16, non-blocking: 16 - 16/4 = 12.
    var atomic = 0
    while let p = m.alloc_pages(.GFP_ATOMIC, order: 0) {
        got.append(p)
        atomic += 1
        #expect(!m.page_is_pfmemalloc(p))
    }
    #expect(atomic == 20 && m.freePages == 12)
    #expect(m.alloc_pages([.GFP_ATOMIC, .__GFP_MEMALLOC, .__GFP_NOMEMALLOC, .__GFP_NOWARN], order: 0) == nil)
    var reserve = 0
    while let p = m.alloc_pages([.GFP_ATOMIC, .__GFP_MEMALLOC, .__GFP_NOWARN], order: 0) {
        #expect(m.page_is_pfmemalloc(p))
        got.append(p)
        reserve += 1
    }
    #expect(reserve == 12 && m.freePages == 0)
    for p in got { m.put_page(p) }
    #expect(m.freePages == 256 && m.buddyInfo.last == 0 && m.buddyInfo[8] == 1)
}

@Test func fragmentationFailsHighOrderAndNowarnIsSilent() throws {
    let m = small()
    // Take every other page: plenty free, but no order-1 block.
    var held: [PFN] = []
    var all: [PFN] = []
    while let p = m.alloc_pages([.GFP_ATOMIC, .__GFP_MEMALLOC, .__GFP_NOWARN], order: 0) { all.append(p) }
    #expect(all.count == 256)
    for p in all { if p.index % 2 == 0 { held.append(p) } else { m.put_page(p) } }
    #expect(m.alloc_pages([.GFP_KERNEL, .__GFP_NOWARN], order: 1) == nil)
    #expect(m.freePages == 128 && m.warnings.isEmpty)
    #expect(m.alloc_pages(.GFP_KERNEL, order: 0) != nil)
}

@Test func refcountApi() throws {
    let m = MemorySystem()
    let p = try #require(m.alloc_pages([.GFP_KERNEL, .__GFP_COMP], order: 2))
    m.get_page(PFN(p.index + 3))  // tail -> head
    #expect(m.page_ref_count(p) == 2)
    m.page_ref_add(p, 10)
    #expect(!m.page_ref_sub_and_test(p, 11))
    #expect(m.page_ref_count(p) == 1)
    m.put_page(PFN(p.index + 1))
    #expect(m.page(p).isFree && m.freePages == m.totalPages)
    #expect(m.checker.reports.isEmpty)
}

private func failurePattern(seed: UInt64) -> [Bool] {
    let m = MemorySystem()
    m.failPageAlloc.probability = 0.3
    m.failPageAlloc.seed = seed
    return (0..<200).map { _ in
        guard let p = m.alloc_pages(.GFP_ATOMIC, order: 1) else { return true }
        m.freePages(p, order: 1)
        return false
    }
}

@Test func failureInjectionIsDeterministic() {
    let a = failurePattern(seed: 42)
    let b = failurePattern(seed: 42)
    let c = failurePattern(seed: 43)
    #expect(a == b)
    #expect(a != c)
    let n = a.filter { $0 }.count
    #expect(n > 30 && n < 90)  // ~30% of 200
}

@Test func failureInjectionFilters() {
    let m = MemorySystem()
    m.failPageAlloc.probability = 1
    #expect(m.alloc_pages(.GFP_ATOMIC, order: 0) != nil)  // min-order 1 (kernel default)
    #expect(m.alloc_pages(.GFP_KERNEL, order: 2) != nil)  // ignore-gfp-wait
    #expect(m.alloc_pages([.GFP_ATOMIC, .__GFP_NOFAIL], order: 2) != nil)
    #expect(m.alloc_pages(.GFP_ATOMIC, order: 2) == nil)
    m.failPageAlloc.times = 1
    #expect(m.alloc_pages(.GFP_ATOMIC, order: 2) == nil)
    #expect(m.alloc_pages(.GFP_ATOMIC, order: 2) != nil)  // times exhausted
    m.failPageAlloc.probability = 0
    m.failPageAlloc.interval = 1
    #expect(m.failPageAlloc.injected == 2)
    #expect(m.warnings.isEmpty)  // injected failures do not warn_alloc
}

@Test func gfpPrintsLikePGg() {
    #expect("\(GFP.GFP_ATOMIC.union(.__GFP_NOWARN))" == "0x2820(GFP_ATOMIC|__GFP_NOWARN)")
    #expect("\(GFP.GFP_KERNEL)" == "0xcc0(GFP_KERNEL)")
    #expect(
        GFP.GFP_ATOMIC.rawValue == 0x820 && GFP.__GFP_COMP.rawValue == 0x40000
            && GFP.__GFP_NOMEMALLOC.rawValue == 0x80000)
}
