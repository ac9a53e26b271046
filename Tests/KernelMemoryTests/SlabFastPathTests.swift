import Testing

@testable import KernelMemory

// The slab/kmalloc fast paths and the checker's shadow fast path must give
// exactly what the plain definitions give: mm/slab_common.c kmalloc_info[]
// and kmalloc_size_index[], mm/slub.c freelist order, mm/kasan shadow codes.

/// `kmalloc_info[]` sizes (x86_64, 4 KiB pages, KMALLOC_MIN_SIZE 8):
/// a request gets the smallest class that holds it.
private let kmallocInfoSizes = [8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192]

@Test func kmallocIndexTableMatchesTheKernelDefinition() {
    let m = MemorySystem()
    #expect(m.kmalloc_index(0) == 0)
    for size in 1...8192 {
        // include/linux/slab.h __kmalloc_index(): 96 and 192 are indexes 1
        // and 2, otherwise the power of two ceil(log2(size)), at least 3.
        let reference: Int
        if size <= 8 {
            reference = 3
        } else if size > 64 && size <= 96 {
            reference = 1
        } else if size > 128 && size <= 192 {
            reference = 2
        } else {
            var i = 4
            while (1 << i) < size { i += 1 }
            reference = i
        }
        #expect(m.kmalloc_index(size) == reference, "kmalloc_index(\(size))")
        let cls = kmallocInfoSizes.first { $0 >= size }!
        #expect(m.kmalloc_size_roundup(size) == cls, "kmalloc_size_roundup(\(size))")
        #expect(
            MemorySystem.kmallocClassSize(m.kmalloc_index(size)) == MemorySystem.kmallocSizes[m.kmalloc_index(size)])
    }
}

@Test func kmallocServesEachSizeFromItsClassCache() throws {
    let m = MemorySystem()
    for size in [1, 8, 9, 64, 65, 96, 97, 128, 129, 192, 193, 256, 257, 1000, 4097, 8192] {
        let p = try #require(m.kmalloc(size, .GFP_ATOMIC))
        let cache = try #require(m.kmallocCache(forSize: size))
        #expect(m.page(m.virt_to_head_page(p)).owner == .slab(cache))
        #expect(m.slabInfo(cache).objectSize == m.kmalloc_size_roundup(size))
        m.kfree(p)
    }
    try m.expectNoLeaks()
    #expect(m.checker.reports.isEmpty)
}

@Test func slabFreelistIsLIFOAndAFreedSlotOfAFullSlabComesBackFirst() throws {
    let m = MemorySystem()
    let cache = m.skbuffCache
    let per = m.slabInfo(cache).objectsPerSlab
    // LIFO within a slab: the object just freed is the next one handed out.
    let a = try #require(m.kmem_cache_alloc(cache, .GFP_ATOMIC))
    let b = try #require(m.kmem_cache_alloc(cache, .GFP_ATOMIC))
    #expect(b == a + 256)
    m.kmem_cache_free(cache, a)
    #expect(m.kmem_cache_alloc(cache, .GFP_ATOMIC) == a)
    // Fill the first slab, spill into a second one.
    var objects = [a, b]
    for _ in 2..<(per + 1) { objects.append(try #require(m.kmem_cache_alloc(cache, .GFP_ATOMIC))) }
    #expect(m.virt_to_head_page(objects[per]) != m.virt_to_head_page(a))
    #expect(m.slabInfo(cache).numSlabs == 2)
    // Freeing into the full slab puts it back on top of the partial list.
    m.kmem_cache_free(cache, objects[3])
    #expect(m.kmem_cache_alloc(cache, .GFP_ATOMIC) == objects[3])
    for o in objects { m.kmem_cache_free(cache, o) }
    let info = m.slabInfo(cache)
    #expect(info.activeObjects == 0 && info.allocations == info.frees)
    // Double free is still caught after the fast path.
    m.kmem_cache_free(cache, a)
    #expect(m.checker.reports.count == 1)
}

@Test func emptySlabsBeyondMinPartialAreDiscardedAndSlotsReused() throws {
    let m = MemorySystem()
    let cache = try #require(m.kmallocCache(forSize: 2048))
    let per = m.slabInfo(cache).objectsPerSlab
    let start = m.freePages
    var objects: [KernelAddress] = []
    for _ in 0..<(per * 8) { objects.append(try #require(m.kmalloc(2048, .GFP_KERNEL))) }
    #expect(m.slabInfo(cache).numSlabs == 8)
    for o in objects { m.kfree(o) }
    // min_partial = 5 empty slabs kept.
    #expect(m.slabInfo(cache).numSlabs == KmemCache.minPartial)
    #expect(m.freePages == start - KmemCache.minPartial << m.slabInfo(cache).order)
    objects.removeAll()
    for _ in 0..<(per * 8) { objects.append(try #require(m.kmalloc(2048, .GFP_KERNEL))) }
    #expect(m.slabInfo(cache).numSlabs == 8)
    for o in objects { m.kfree(o) }
    try m.expectNoLeaks()
    #expect(m.checker.reports.isEmpty)
}

@Test func firstBadByteFastPathAgreesWithTheFullScan() throws {
    let m = MemorySystem(
        config: {
            var c = KernelConfig()
            c.memorySize = 1 << 20
            return c
        }())
    // A mix of shadow codes: live objects with partial granules, redzones,
    // freed objects, free pages, the last page of RAM.
    var live: [KernelAddress] = []
    for size in [1, 3, 13, 24, 60, 100, 232, 700, 1500, 1700] {
        live.append(try #require(m.kmalloc(size, .GFP_KERNEL)))
        let freed = try #require(m.kmalloc(size, .GFP_KERNEL))
        m.kfree(freed)
    }
    let lastPage = m.page_address(PFN(Int32(m.totalPages - 1)))
    var rng = SplitMix64(seed: 8)
    var starts: [KernelAddress] = live.flatMap { p in (-16...40).map { p + $0 } }
    starts += (0..<64).map { lastPage + 4096 - 1 - $0 }
    // The definition: the first byte whose shadow says it is not accessible.
    func byteByByte(_ start: KernelAddress, _ size: Int) -> (KernelAddress, UInt8)? {
        let off = m.offsetInArena(start)
        for o in off..<(off + size) { if let code = m.badShadow(at: o) { return (start + (o - off), code) } }
        return nil
    }
    for start in starts {
        var sizes = Array(0...72)
        for _ in 0..<8 { sizes.append(Int(rng.next() % 2100)) }
        for size in sizes {
            guard m.isValid(start), size == 0 || m.isValid(start + (size - 1)) else { continue }
            let fast = m.firstBadByte(start, size)
            let slow = m.firstBadByteSlow(start, size)
            let ref = byteByByte(start, size)
            #expect(fast?.0 == ref?.0 && fast?.1 == ref?.1, "firstBadByte(\(start), \(size))")
            #expect(slow?.0 == ref?.0 && slow?.1 == ref?.1, "firstBadByteSlow(\(start), \(size))")
        }
    }
    for p in live { m.kfree(p) }
}

@Test func rawStoreWritesLittleEndianWithoutReports() throws {
    let m = MemorySystem()
    let p = try #require(m.kmalloc(64, .GFP_KERNEL))
    m.rawSet(p, 0xAB, count: 64)
    m.rawStore(UInt32(0x1122_3344), at: p + 5)
    m.rawStore(UInt8(7), at: p + 63)
    m.rawStore(UInt64(0x0102_0304_0506_0708), at: p + 16)
    #expect(m.rawBytes(at: p, count: 12) == [0xAB, 0xAB, 0xAB, 0xAB, 0xAB, 0x44, 0x33, 0x22, 0x11, 0xAB, 0xAB, 0xAB])
    #expect(m.rawLoad(UInt64.self, at: p + 16) == 0x0102_0304_0506_0708)
    #expect(m.rawLoad(UInt8.self, at: p + 63) == 7)
    // The checked view reads what the raw stores wrote.
    let word = m.withUnsafeBytes(at: p + 5, count: 4) { $0.loadUnaligned(as: UInt32.self) }
    #expect(UInt32(littleEndian: word) == 0x1122_3344)
    m.rawSet(p, 0, count: 0)
    #expect(m.checker.reports.isEmpty)
    m.kfree(p)
    // The same stores through the checked path are skipped and reported on
    // freed memory; the raw ones are only for memory just allocated.
    #expect(!m.memset(p, 0, count: 8))
    #expect(m.checker.reports.count == 1)
}

@Test func rawCopyInMatchesCheckedCopyIntoFreshFragment() throws {
    let m = MemorySystem()
    let nc = m.pageFragCacheCreate(name: "netdev_alloc_cache")
    let frame = (0..<1514).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
    let a = try #require(m.page_frag_alloc(nc, 1920, .GFP_ATOMIC))
    let b = try #require(m.page_frag_alloc(nc, 1920, .GFP_ATOMIC))
    frame.withUnsafeBytes { m.rawCopyIn(to: a + 64, from: $0) }
    frame.withUnsafeBytes { #expect(m.copyIn(to: b + 64, from: $0)) }
    #expect(m.rawBytes(at: a + 64, count: frame.count) == frame)
    #expect(m.rawBytes(at: b + 64, count: frame.count) == frame)
    // An empty copy writes nothing, wherever it points.
    m.rawCopyIn(to: a, from: UnsafeRawBufferPointer(start: nil, count: 0))
    #expect(m.checker.reports.isEmpty)
    m.page_frag_free(a)
    m.page_frag_free(b)
    m.page_frag_cache_drain(nc)
    #expect(m.leakReport().isEmpty)
}

/// lib/reciprocal_div.c: `reciprocal_divide(a, reciprocal_value(d))` is
/// a / d for every u32 a; `__obj_to_index` relies on it for slab frees.
@Test func reciprocalDivideIsExactDivision() {
    var rng = SystemRandomNumberGenerator()
    let divisors: [UInt32] =
        Array(1...4096) + [4097, 8192, 12288, 32768, 65535, 65536, 1 << 20, (1 << 31) - 1, 1 << 31]
    for d in divisors {
        let r = ReciprocalValue(d)
        // Around multiples of d inside a costly-order slab, and random u32s.
        for k: UInt32 in [0, 1, 2, 3, 7, 100] where UInt64(k) * UInt64(d) + 1 <= UInt64(UInt32.max) {
            for a in [k &* d, k &* d &+ 1, (k &+ 1) &* d &- 1] { #expect(r.divide(a) == a / d, "\(a) / \(d)") }
        }
        for _ in 0..<16 {
            let a = UInt32.random(in: 0...UInt32.max, using: &rng)
            if r.divide(a) != a / d {
                Issue.record("reciprocal_divide(\(a), \(d)) = \(r.divide(a)), not \(a / d)")
                break
            }
        }
        #expect(r.divide(UInt32.max) == UInt32.max / d)
    }
}
