import Testing
@testable import KernelMemory

// The checker's direct-mapped fragment index (FragmentTable): lookups by
// start address, chains of fragments under 64 bytes sharing an index block,
// page purges on reuse/free, and the reports that depend on it.

@Suite struct FragmentTableTests {
    /// A bare table over 1 MiB of "RAM" with a fake mem_map.
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
            table.insert(addr: addr(off), offset: off, size: size, cache: 0, page: page, pages: pages, event: event, packet: 0)
        }
        func find(_ off: Int) -> Int32 { table.find(addr(off), offset: off) }
        func release() { table.deallocate(); pages.deallocate() }
    }

    @Test func insertFindAndMiss() {
        let f = Fixture()
        defer { f.release() }
        #expect(f.find(4096) == 0)
        #expect(f.insert(4096, size: 1920, page: 1))
        #expect(f.insert(4096 + 1920, size: 1920, page: 1))
        let r = f.find(4096)
        #expect(r > 0 && f.table.records[Int(r)].size == 1920 && f.table.records[Int(r)].live)
        #expect(f.find(4096 + 1920) > 0 && f.find(4096 + 1920) != r)
        // Inside a fragment but not its start: no exact record.
        #expect(f.find(4096 + 64) == 0)
        #expect(f.table.containing(f.addr(4096 + 64), page: 1, f.pages) == r)
        #expect(f.table.state.pointee.used == 2)
    }

    @Test func smallFragmentsShareABlock() {
        let f = Fixture()
        defer { f.release() }
        // Five fragments starting inside the same 64-byte block.
        for i in 0..<5 { #expect(f.insert(8192 + i * 12, size: 12, page: 2, event: UInt64(i + 1))) }
        for i in 0..<5 {
            let r = f.find(8192 + i * 12)
            #expect(r > 0 && f.table.records[Int(r)].allocEvent == UInt64(i + 1))
        }
        #expect(f.find(8192 + 6) == 0)
        // Reinserting the same start overwrites that record, no new one.
        let r2 = f.find(8192 + 24)
        f.table.records[Int(r2)].refs = 0
        #expect(f.insert(8192 + 24, size: 12, page: 2, event: 99))
        #expect(f.find(8192 + 24) == r2 && f.table.records[Int(r2)].live && f.table.records[Int(r2)].allocEvent == 99)
        #expect(f.table.state.pointee.used == 5)
    }

    @Test func purgeDropsOnlyThatPage() {
        let f = Fixture()
        defer { f.release() }
        for i in 0..<4 { f.insert(4096 + i * 100, size: 100, page: 1) }
        for i in 0..<3 { f.insert(12288 + i * 10, size: 10, page: 3) }
        f.table.purgePage(1, f.pages)
        #expect(f.pages[1].fragList == -1)
        for i in 0..<4 { #expect(f.find(4096 + i * 100) == 0) }
        for i in 0..<3 { #expect(f.find(12288 + i * 10) > 0) }
        #expect(f.table.state.pointee.used == 3)
        // The purged records are reusable: fill the pool to capacity.
        for i in 0..<61 { #expect(f.insert(16384 + i * 64, size: 64, page: 4)) }
        #expect(!f.insert(65536, size: 64, page: 16))
        #expect(f.table.state.pointee.untracked == 1)
        f.table.purgePage(3, f.pages)
        f.table.purgePage(4, f.pages)
        #expect(f.table.state.pointee.used == 0)
        // A purged block starts a fresh chain (no link to recycled records).
        #expect(f.insert(12288 + 10, size: 10, page: 3))
        #expect(f.find(12288) == 0 && f.find(12288 + 20) == 0 && f.find(12288 + 10) > 0)
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
            if a == first { reused = true; last = a; break }
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
        let a = try #require(m.page_frag_alloc(nc, 75, .GFP_ATOMIC))     // refill: slow path
        var e = m.eventCount
        let b = try #require(m.page_frag_alloc(nc, 75, .GFP_ATOMIC))     // fast path
        #expect(m.eventCount == e + 1)
        m.page_frag_ref(a)
        e = m.eventCount
        m.page_frag_free(a)                                             // refs 2 -> 1: no free event, still live
        #expect(m.eventCount == e && m.isAccessible(a, count: 75) && m.checker.reports.isEmpty)
        m.page_frag_free(a)                                             // last reference: retired, poisoned
        #expect(m.eventCount == e + 1 && !m.isAccessible(a + 8, count: 8))
        m.page_frag_free(a)
        #expect(m.checker.reports.last?.kind == .doubleFree && m.checker.reports.count == 1)
        let page = m.virtToHeadPage(b)
        m.page_frag_cache_drain(nc)
        #expect(m.pageRefCount(page) == 1)                                 // only b's reference is left
        m.page_frag_free(b)                                             // last page reference: page freed
        #expect(m.freePages == m.totalPages && m.checker.reports.count == 1)
        #expect(m.trackedFragments.used == 0)
        _ = m.withUnsafeBytes(at: b, count: 4) { $0.count }
        #expect(m.checker.reports.last?.kind == .useAfterFree)
    }

    /// Records are taken from the pool lazily, 256 at a time, up to
    /// `maxTrackedFragments`; past it fragments are handed out untracked.
    @Test func poolGrowsToCapacityThenStopsTracking() throws {
        var config = KernelConfig()
        config.maxTrackedFragments = 600
        let m = MemorySystem(config: config)
        let nc = m.pageFragCacheCreate(name: "t")
        let frags = try (0..<700).map { _ in try #require(m.page_frag_alloc(nc, 20, .GFP_ATOMIC)) }
        #expect(m.trackedFragments.used == 600 && m.trackedFragments.untracked == 100)
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
