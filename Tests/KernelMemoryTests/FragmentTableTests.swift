import Testing

@testable import KernelMemory

// The checker's fragment table (FragmentTable): one slot per 64-byte block,
// overflow records for fragments under 64 bytes sharing a block, page
// generations that forget a page's fragments at once, and the reports that
// depend on it.

@Suite struct FragmentTableTests {
    /// A bare table over 1 MiB of "RAM" (4 KiB pages) with a fake mem_map.
    struct Fixture {
        let table = FragmentTable(capacity: 64, memoryBytes: 1 << 20)
        let pages: UnsafeMutablePointer<Page> = {
            let p = UnsafeMutablePointer<Page>.allocate(capacity: 256)
            p.initialize(repeating: Page(), count: 256)
            return p
        }()
        func addr(_ off: Int) -> UInt64 { KernelAddress.directMapBase + UInt64(off) }
        @discardableResult
        func insert(_ off: Int, size: Int, page: Int, event: UInt64 = 1) -> Bool {
            table.insert(
                addr: addr(off), offset: off, size: size, cache: 0, page: page, pages: pages, event: event, packet: 0)
        }
        func find(_ off: Int) -> Int { table.find(addr(off), offset: off, page: off >> 12) }
        func info(_ off: Int) -> FragInfo? {
            let f = find(off)
            return f == 0 ? nil : table.info(f)
        }
        func containing(_ off: Int) -> Int {
            table.containing(addr(off), offset: off, page: off >> 12, firstBlock: (off >> 12) << 6)
        }
        func count(page: Int) -> Int {
            var n = 0
            table.forEach(page: page, firstBlock: page << 6, blockCount: 64) { _ in n += 1 }
            return n
        }
        func release() {
            table.deallocate()
            pages.deallocate()
        }
    }

    @Test func insertFindAndMiss() throws {
        let f = Fixture()
        defer { f.release() }
        #expect(f.find(4096) == 0)
        #expect(f.insert(4096, size: 1000, page: 1))
        #expect(f.insert(4096 + 1000, size: 1000, page: 1))
        let r = f.find(4096)
        let i = try #require(f.info(4096))
        #expect(r > 0 && i.size == 1000 && i.live && i.addr == f.addr(4096))
        #expect(f.find(4096 + 1000) > 0 && f.find(4096 + 1000) != r && f.info(4096 + 1000)?.addr == f.addr(4096 + 1000))
        // Inside a fragment but not its start: no exact record.
        #expect(f.find(4096 + 64) == 0 && f.find(4096 + 1001) == 0)
        #expect(f.containing(4096 + 64) == r && f.containing(4096 + 1999) == f.find(4096 + 1000))
        #expect(f.containing(4096 + 2000) == 0)
        #expect(f.count(page: 1) == 2 && f.table.state.pointee.used == 0)
    }

    @Test func smallFragmentsShareABlock() throws {
        let f = Fixture()
        defer { f.release() }
        // Five fragments starting inside the same 64-byte block: the first
        // in the slot, four in overflow records.
        for i in 0..<5 { #expect(f.insert(8192 + i * 12, size: 12, page: 2, event: UInt64(i + 1))) }
        for i in 0..<5 {
            let info = try #require(f.info(8192 + i * 12))
            #expect(info.allocEvent == UInt64(i + 1) && info.addr == f.addr(8192 + i * 12) && info.size == 12)
        }
        #expect(f.find(8192) > 0 && f.find(8192 + 12) < 0)
        #expect(f.find(8192 + 6) == 0)
        #expect(f.containing(8192 + 30) == f.find(8192 + 24))
        #expect(f.table.state.pointee.used == 4 && f.count(page: 2) == 5)
        // Reinserting the same start overwrites that record, no new one.
        let r2 = f.find(8192 + 24)
        #expect(f.table.dropRef(r2))
        #expect(f.insert(8192 + 24, size: 12, page: 2, event: 99))
        #expect(f.find(8192 + 24) == r2 && f.info(8192 + 24)?.live == true && f.info(8192 + 24)?.allocEvent == 99)
        #expect(f.table.state.pointee.used == 4)
    }

    @Test func newGenerationForgetsOnlyThatPage() {
        let f = Fixture()
        defer { f.release() }
        for i in 0..<4 { f.insert(4096 + i * 100, size: 100, page: 1, event: 10) }
        for i in 0..<3 { f.insert(12288 + i * 10, size: 10, page: 3, event: 10) }
        #expect(f.pages[3].fragList >= 0 && f.table.state.pointee.used == 2)
        f.table.beginGeneration(1, event: 10, f.pages)
        for i in 0..<4 { #expect(f.find(4096 + i * 100) == 0) }
        #expect(f.containing(4096 + 150) == 0 && f.count(page: 1) == 0)
        for i in 0..<3 { #expect(f.find(12288 + i * 10) != 0) }
        // A stale slot is free for the next generation's fragment.
        #expect(f.insert(4096 + 100, size: 50, page: 1, event: 11))
        #expect(f.find(4096 + 100) > 0 && f.count(page: 1) == 1)
        // Fill the overflow pool to capacity (64 records, 2 in use): the
        // first fragment of each block takes its slot, the second a record.
        for i in 0..<62 { #expect(f.insert(16384 + i * 64 + 32, size: 8, page: 4, event: 12)) }
        #expect(f.table.state.pointee.used == 2)
        for i in 0..<62 { #expect(f.insert(16384 + i * 64, size: 8, page: 4, event: 12)) }
        #expect(f.table.state.pointee.used == 2 + 62)
        #expect(!f.insert(16384 + 40, size: 8, page: 4, event: 12))
        #expect(f.table.state.pointee.untracked == 1)
        // A new generation returns the page's records to the pool.
        f.table.beginGeneration(3, event: 20, f.pages)
        f.table.beginGeneration(4, event: 20, f.pages)
        #expect(f.table.state.pointee.used == 0 && f.pages[3].fragList == -1 && f.pages[4].fragList == -1)
        // A block of the new generation starts a fresh chain.
        #expect(f.insert(12288 + 10, size: 10, page: 3, event: 21))
        #expect(f.find(12288) == 0 && f.find(12288 + 20) == 0 && f.find(12288 + 10) > 0)
        // Pages freed to the buddy allocator: stale whatever their next head.
        f.insert(20480 + 64, size: 100, page: 5, event: 22)
        f.table.pagesFreed(5, count: 1, event: 23, f.pages)
        #expect(f.find(20480 + 64) == 0)
    }

    @Test func doubleFreeOfSmallFragmentIsReported() throws {
        let m = MemorySystem()
        let nc = m.pageFragCacheCreate(name: "t")
        // 20-byte fragments: three or four start in each 64-byte block.
        let frags = try (0..<10).map { _ in try #require(m.page_frag_alloc(nc, 20, .GFP_ATOMIC)) }
        m.page_frag_free(frags[4])
        m.page_frag_free(frags[4])
        let r = try #require(m.checker.reports.last)
        #expect(r.kind == .doubleFree && r.address == frags[4])
        #expect(r.text.contains("fragment size 20") && r.text.contains("Freed by packet"))
        // Its neighbours in the same block are still live and free cleanly.
        for (i, a) in frags.enumerated() where i != 4 { m.page_frag_free(a) }
        #expect(m.checker.reports.count == 1)
        m.page_frag_cache_drain(nc)
        try m.expectNoLeaks()
        #expect(m.freePages == m.totalPages)
    }

    @Test func useAfterFreeOfSmallFragmentBesideLiveOnes() throws {
        let m = MemorySystem()
        let nc = m.pageFragCacheCreate(name: "t")
        let a = try #require(m.page_frag_alloc(nc, 24, .GFP_ATOMIC))
        let b = try #require(m.page_frag_alloc(nc, 24, .GFP_ATOMIC))
        let c = try #require(m.page_frag_alloc(nc, 24, .GFP_ATOMIC))
        m.page_frag_free(b)
        #expect(m.isAccessible(a, count: 24) && m.isAccessible(c, count: 24))
        #expect(!m.isAccessible(b, count: 1) && !m.isAccessible(b + 23, count: 1))
        #expect(!m.memset(b + 4, 0, count: 4))
        let r = try #require(m.checker.reports.last)
        #expect(r.kind == .useAfterFree && r.text.contains("freed 24-byte region"))
        m.page_frag_free(a)
        m.page_frag_free(c)
    }

    /// Pages reused in place drop their records: a stale pointer into the
    /// reused page is judged against the new fragments, not the old ones.
    @Test func reusedPageForgetsOldFragments() throws {
        let m = MemorySystem()
        let nc = m.pageFragCacheCreate(name: "t")
        let first = try #require(m.page_frag_alloc(nc, 1920, .GFP_ATOMIC))
        m.page_frag_free(first)
        var last = first
        var reused = false
        for _ in 0..<40 {
            let a = try #require(m.page_frag_alloc(nc, 1920, .GFP_ATOMIC))
            if a == first {
                reused = true
                last = a
                break
            }
            m.page_frag_free(a)
        }
        #expect(reused && m.pageFragCache(nc).stats.reuses == 1)
        #expect(m.trackedFragments.used == 1)
        // `first` is live again (same start, new fragment): its free is clean,
        // a second one is a double free naming the new allocation.
        m.page_frag_free(last)
        #expect(m.checker.reports.isEmpty)
        m.page_frag_free(last)
        #expect(m.checker.reports.last?.kind == .doubleFree)
        // A free of a never-handed-out part of the reused page is invalid.
        m.page_frag_free(first + 3 * 1920 + 7)
        #expect(m.checker.reports.last?.kind == .invalidFree)
        m.page_frag_cache_drain(nc)
        #expect(m.freePages == m.totalPages)
        #expect(m.trackedFragments.used == 0)
    }

    /// The inline fast paths of page_frag_alloc/page_frag_free hand over to
    /// the general code exactly at their edges: extra references, the last
    /// page reference, double frees; one event per alloc and per free.
    @Test(arguments: [PageFragAlgorithm.countUp, .legacyCountDown])
    func fastPathEdges(algorithm: PageFragAlgorithm) throws {
        var config = KernelConfig()
        config.pageFragAlgorithm = algorithm
        let m = MemorySystem(config: config)
        let nc = m.pageFragCacheCreate(name: "t")
        let a = try #require(m.page_frag_alloc(nc, 75, .GFP_ATOMIC))  // refill: slow path
        var e = m.eventCount
        let b = try #require(m.page_frag_alloc(nc, 75, .GFP_ATOMIC))  // fast path
        #expect(m.eventCount == e + 1)
        m.page_frag_ref(a)
        e = m.eventCount
        m.page_frag_free(a)  // refs 2 -> 1: no free event, still live
        #expect(m.eventCount == e && m.isAccessible(a, count: 75) && m.checker.reports.isEmpty)
        m.page_frag_free(a)  // last reference: retired, poisoned
        #expect(m.eventCount == e + 1 && !m.isAccessible(a + 8, count: 8))
        m.page_frag_free(a)
        #expect(m.checker.reports.last?.kind == .doubleFree && m.checker.reports.count == 1)
        let page = m.virt_to_head_page(b)
        m.page_frag_cache_drain(nc)
        #expect(m.page_ref_count(page) == 1)  // only b's reference is left
        m.page_frag_free(b)  // last page reference: page freed
        #expect(m.freePages == m.totalPages && m.checker.reports.count == 1)
        #expect(m.trackedFragments.used == 0)
        _ = m.withUnsafeBytes(at: b, count: 4) { $0.count }
        #expect(m.checker.reports.last?.kind == .useAfterFree)
    }

    /// Overflow records (second and later fragments starting in one 64-byte
    /// block) are taken from the pool lazily, 256 at a time, up to
    /// `maxTrackedFragments`; past it such fragments are handed out untracked.
    @Test func poolGrowsToCapacityThenStopsTracking() throws {
        var config = KernelConfig()
        config.maxTrackedFragments = 300
        let m = MemorySystem(config: config)
        let nc = m.pageFragCacheCreate(name: "t")
        let frags = try (0..<700).map { _ in try #require(m.page_frag_alloc(nc, 20, .GFP_ATOMIC)) }
        // 700 × 20 bytes start in 219 blocks: 219 slots, 481 would-be
        // overflow records of which 300 fit.
        #expect(m.trackedFragments.used == 519 && m.trackedFragments.untracked == 181)
        // Tracked ones are still judged exactly: a double free of the 300th.
        m.page_frag_free(frags[299])
        m.page_frag_free(frags[299])
        #expect(m.checker.reports.count == 1 && m.checker.reports[0].kind == .doubleFree)
        for (i, a) in frags.enumerated() where i != 299 { m.page_frag_free(a) }
        #expect(m.checker.reports.count == 1)
        m.page_frag_cache_drain(nc)
        #expect(m.freePages == m.totalPages && m.trackedFragments.used == 0)
    }
}
