import Testing

@testable import KernelMemory

// The two-level shadow of page_frag pages (FragShadow.swift) must say, for
// every granule, exactly what a one-level KASAN-style shadow would: these
// tests run random page_frag workloads against a plain per-granule model.

@Suite struct FragShadowTests {
    /// The one-level reference: one code per 8-byte granule, updated the way
    /// a byte-granular checker does (open every granule a fragment touches,
    /// poison the granules entirely inside it, a fresh page all unused).
    struct Reference {
        var codes: [UInt8]
        mutating func fill(_ g0: Int, _ g1: Int, _ code: UInt8) {
            if g0 < g1 { for g in g0..<g1 { codes[g] = code } }
        }
        mutating func newPage(_ off: Int, _ bytes: Int) { fill(off >> 3, (off + bytes) >> 3, Shadow.fragUnused) }
        mutating func open(_ off: Int, _ size: Int) { fill(off >> 3, ((off + size - 1) >> 3) + 1, Shadow.accessible) }
        mutating func poison(_ off: Int, _ size: Int) { fill((off + 7) >> 3, (off + size) >> 3, Shadow.fragFree) }
        /// KASAN's definition, one byte at a time.
        func firstBad(_ off: Int, _ size: Int) -> Int? {
            for o in off..<(off + size) {
                let c = codes[o >> 3]
                if c != 0 && (c >= 8 || o & 7 >= Int(c)) { return o }
            }
            return nil
        }
    }

    struct Fragment {
        var addr: KernelAddress
        var size: Int
        var refs: Int
    }

    /// Random sizes (under 64 bytes, up to 256, larger, multiples of 64),
    /// alignments, frees in random order and extra references. Up to 300
    /// fragments live: pages are abandoned and refilled; up to 3: pages are
    /// reused in place, so blocks carry granule codes from one generation
    /// of a page into the next.
    @Test(arguments: [PageFragAlgorithm.countUp, .legacyCountDown], [(UInt64(1), 300), (2, 300), (3, 3), (4, 3)])
    func matchesOneLevelShadow(algorithm: PageFragAlgorithm, run: (seed: UInt64, maxLive: Int)) throws {
        let seed = run.seed
        var config = KernelConfig()
        config.memorySize = 1 << 20
        config.pageFragAlgorithm = algorithm
        let m = MemorySystem(config: config)
        let nc = m.pageFragCacheCreate(name: "t")
        var ref = Reference(codes: Array(repeating: Shadow.pageFree, count: config.memorySize / 8))
        var rng = SplitMix64(seed: seed)
        var live: [Fragment] = []
        var refills = 0

        func compare(_ step: Int) {
            var pfn = 0
            while pfn < m.totalPages {
                let p = m.page(PFN(Int32(pfn)))
                let span = m.pageSize << p.order
                if !p.isFree && !p.isTail, case .pageFrag = p.owner {
                    let base = pfn * m.pageSize
                    var mismatches = 0
                    for g in (base >> 3)..<((base + span) >> 3) where m.shadowCode(granule: g) != ref.codes[g] {
                        mismatches += 1
                    }
                    #expect(mismatches == 0, "step \(step): \(mismatches) granules of page \(pfn) differ")
                    for _ in 0..<40 {
                        let off = base + Int(rng.next() % UInt64(span))
                        let size = min(1 + Int(rng.next() % 3000), config.memorySize - off)
                        let got = m.firstBadByte(m.page_address(PFN(Int32(0))) + off, size).map {
                            m.offsetInArena($0.0)
                        }
                        #expect(got == ref.firstBad(off, size), "step \(step): firstBadByte(+\(off), \(size))")
                    }
                }
                pfn += p.isFree ? 1 : 1 << p.order
            }
        }

        for step in 0..<3000 {
            let r = rng.next() % 100
            if r < 55 && live.count < run.maxLive {
                let kind = rng.next() % 4
                let size: Int =
                    switch kind {
                    case 0: 1 + Int(rng.next() % 63)
                    case 1: 64 + Int(rng.next() % 193)
                    case 2: 257 + Int(rng.next() % 3700)
                    default: 64 * (1 + Int(rng.next() % 40))
                    }
                let align = [1, 1, 1, 8, 64, 256][Int(rng.next() % 6)]
                guard
                    let a = align == 1
                        ? m.page_frag_alloc(nc, size, .GFP_ATOMIC)
                        : m.page_frag_alloc_align(nc, size, .GFP_ATOMIC, align: align)
                else { continue }
                let stats = m.pageFragCache(nc).stats
                if stats.refillsHighOrder + stats.refillsOrder0 != refills {
                    refills = stats.refillsHighOrder + stats.refillsOrder0
                    let page = try #require(m.pageFragCachePage(nc))
                    ref.newPage(page.index * m.pageSize, m.pageSize << m.pageFragCache(nc).order)
                }
                ref.open(m.offsetInArena(a), size)
                #expect(
                    m.memset(a, UInt8(truncatingIfNeeded: step), count: size),
                    "step \(step): fresh fragment not writable")
                live.append(Fragment(addr: a, size: size, refs: 1))
            } else if r < 95 && !live.isEmpty {
                let i = Int(rng.next() % UInt64(live.count))
                m.page_frag_free(live[i].addr)
                live[i].refs -= 1
                if live[i].refs == 0 {
                    ref.poison(m.offsetInArena(live[i].addr), live[i].size)
                    live.remove(at: i)
                }
            } else if !live.isEmpty {
                let i = Int(rng.next() % UInt64(live.count))
                m.page_frag_ref(live[i].addr)
                live[i].refs += 1
            }
            if step % 100 == 99 { compare(step) }
        }
        compare(3000)
        if run.maxLive < 10 {
            #expect(m.pageFragCache(nc).stats.reuses > 3)
        } else {
            #expect(m.pageFragCache(nc).stats.abandoned > 5)
        }
        for f in live { for _ in 0..<f.refs { m.page_frag_free(f.addr) } }
        m.page_frag_cache_drain(nc)
        #expect(m.checker.reports.isEmpty)
        try m.expectNoLeaks()
        #expect(m.freePages == m.totalPages)
    }

    /// A large fragment that shares its end blocks with neighbours: a
    /// use-after-free is reported at its first byte, in its interior blocks
    /// and at its last byte, naming it; the neighbours stay accessible.
    @Test func useAfterFreeAtEndsAndInterior() throws {
        let m = MemorySystem()
        let nc = m.pageFragCacheCreate(name: "t")
        let before = try #require(m.page_frag_alloc(nc, 75, .GFP_ATOMIC))
        let big = try #require(m.page_frag_alloc(nc, 1920, .GFP_ATOMIC))
        let after = try #require(m.page_frag_alloc(nc, 75, .GFP_ATOMIC))
        #expect(m.offsetInArena(big) & 63 != 0 && m.offsetInArena(after) & 63 != 0)
        #expect(m.memset(big, 1, count: 1920) && m.isAccessible(before, count: 75) && m.isAccessible(after, count: 75))
        m.currentPacket = 7
        m.page_frag_free(big)
        #expect(m.isAccessible(before, count: 75) && m.isAccessible(after, count: 75))
        // Like KASAN's, the checker's unit is the 8-byte granule: the two
        // granules `big` shares with `before` and `after` stay open while
        // those live, so its first 5 and last 3 bytes are not reported.
        #expect(m.isAccessible(big, count: 5) && !m.isAccessible(big, count: 6) && m.isAccessible(big + 1917, count: 3))
        for (offset, size) in [(0, 8), (5, 1), (64, 8), (1000, 500), (1916, 1), (1880, 40)] {
            let n = m.checker.reports.count
            _ = m.withUnsafeBytes(at: big + offset, count: size) { $0.count }
            let report = try #require(m.checker.reports.last)
            #expect(m.checker.reports.count == n + 1, "+\(offset)")
            #expect(
                report.kind == .useAfterFree && report.text.contains("freed 1920-byte region [\(big), \(big + 1920))"),
                "+\(offset)")
            #expect(report.text.contains("Freed by packet 7"), "+\(offset)")
        }
        // A write is skipped, so the poison stays.
        #expect(!m.memset(big + 100, 0, count: 16))
        #expect(m.rawBytes(at: big + 100, count: 16).allSatisfy { $0 == 1 || $0 == Poison.free || $0 == Poison.page })
        // A double free of it is still reported and skipped.
        m.page_frag_free(big)
        #expect(m.checker.reports.last?.kind == .doubleFree)
        m.page_frag_free(before)
        m.page_frag_free(after)
        m.page_frag_cache_drain(nc)
        try m.expectNoLeaks()
    }
}
