import Testing

@testable import KernelMemory

// mm/slab_common.c: kmalloc_info[], kmalloc_size_roundup(); include/linux/slab.h:
// KMALLOC_MAX_CACHE_SIZE; mm/slub.c: calc_slab_order, ksize().

@Test func kmallocSizeRoundupAroundEveryClassBoundary() {
    let m = MemorySystem()
    let expected: [(Int, Int)] = [
        (0, 0), (1, 8), (8, 8), (9, 16), (16, 16), (17, 32), (32, 32), (33, 64), (64, 64),
        (65, 96), (96, 96), (97, 128), (128, 128), (129, 192), (192, 192), (193, 256), (256, 256),
        (257, 512), (512, 512), (513, 1024), (1024, 1024), (1025, 2048), (2048, 2048),
        (2049, 4096), (4096, 4096), (4097, 8192), (8192, 8192),
        // Above KMALLOC_MAX_CACHE_SIZE: PAGE_SIZE << get_order(size).
        (8193, 16384), (16384, 16384), (16385, 32768), (1 << 22, 1 << 22), ((1 << 22) + 1, (1 << 22) + 1),
    ]
    for (size, rounded) in expected {
        #expect(m.kmalloc_size_roundup(size) == rounded, "kmalloc_size_roundup(\(size))")
    }
}

@Test func ksizeMatchesRoundupForRealAllocations() throws {
    let m = MemorySystem()
    for size in [1, 13, 64, 65, 100, 129, 200, 700, 1500, 2049, 5000, 8192, 8193, 20000] {
        let p = try #require(m.kmalloc(size, .GFP_KERNEL))
        #expect(m.ksize(p) == m.kmalloc_size_roundup(size), "ksize(kmalloc(\(size)))")
        m.kfree(p)
    }
    #expect(m.kmalloc(0, .GFP_KERNEL) == .zeroSizePointer)
    #expect(m.ksize(.zeroSizePointer) == 0)
    m.kfree(.zeroSizePointer)
    m.kfree(nil)
    try m.expectNoLeaks()
    #expect(m.checker.reports.isEmpty)
}

@Test func kmallocLargeIsACompoundPage() throws {
    let m = MemorySystem()
    let p = try #require(m.kmalloc(10000, .GFP_KERNEL))  // get_order(10000) = 2
    let info = m.page(m.virt_to_page(p))
    #expect(info.isHead && info.order == 2 && info.owner == .kmallocLarge(size: 10000))
    #expect(m.page(m.virt_to_page(p + 3 * 4096)).isTail)
    #expect(m.freePages == m.totalPages - 4)
    m.kfree(p)
    #expect(m.freePages == m.totalPages)
}

@Test func skbuffCachesGeometry() {
    let m = MemorySystem()
    // skbuff_small_head: SKB_HEAD_ALIGN(max(MAX_TCP_HEADER, GRO_MAX_HEAD_PAD)) = 704 (facts §2.1).
    let small = m.slabInfo(m.skbSmallHeadCache)
    #expect(small.name == "skbuff_small_head" && small.objectSize == 704 && small.size == 704)
    #expect(m.config.skbSmallHeadHeadroom == 384)
    // 704 B: order 1 holds 11 < slub_min_objects 12, so order 2 (23 objects).
    #expect(small.order == 2 && small.objectsPerSlab == 23)
    // skbuff_cache, SLAB_HWCACHE_ALIGN: 232 -> 256 stride, 16 per order-0 slab (slabinfo, Linux 6.18.44).
    let skb = m.slabInfo(m.skbuffCache)
    #expect(
        skb.name == "skbuff_cache" && skb.objectSize == 232 && skb.size == 256 && skb.order == 0
            && skb.objectsPerSlab == 16)
    #expect(m.kmemCache(named: "skbuff_head_cache") == m.skbuffCache)
    // skbuff_fclone_cache: 2 * 232 + 4 -> 472, aligned to 512, order 1 (observed: merged 512 cache, 16/2 pages).
    let fc = m.slabInfo(m.skbuffFcloneCache)
    #expect(fc.objectSize == 472 && fc.size == 512 && fc.order == 1 && fc.objectsPerSlab == 16)
}

@Test func smallHeadWithMinimalConfigMatchesThisMachine() {
    // Observed on Linux 6.18.44 (/proc/slabinfo): skbuff_small_head objsize 576,
    // 14 per slab, 2 pages per slab: MAX_HEADER 32 gives GRO_MAX_HEAD_PAD 224 -> 256 + 320.
    var config = KernelConfig()
    config.maxHeader = 32
    let m = MemorySystem(config: config)
    let small = m.slabInfo(m.skbSmallHeadCache)
    #expect(small.objectSize == 576 && small.objectsPerSlab == 14 && small.order == 1)
}

@Test func kmallocSlabOrdersMatchSlabinfo() {
    // /proc/slabinfo on Linux 6.18.44, 2 CPUs: <objperslab> <pagesperslab>.
    let observed: [(String, Int, Int)] = [
        ("kmalloc-8", 512, 1), ("kmalloc-16", 256, 1), ("kmalloc-32", 128, 1), ("kmalloc-64", 64, 1),
        ("kmalloc-96", 42, 1), ("kmalloc-128", 32, 1), ("kmalloc-192", 21, 1), ("kmalloc-256", 16, 1),
        ("kmalloc-512", 16, 2), ("kmalloc-1k", 16, 4), ("kmalloc-2k", 16, 8), ("kmalloc-4k", 8, 8),
        ("kmalloc-8k", 4, 8),
    ]
    let m = MemorySystem()
    for (name, per, pages) in observed {
        let info = m.slabInfo(m.kmemCache(named: name)!)
        #expect(info.objectsPerSlab == per && 1 << info.order == pages, "\(name)")
    }
}

@Test func kmemCacheCountsAndLifoReuse() throws {
    let m = MemorySystem()
    let c = m.skbuffCache
    var objs: [KernelAddress] = []
    for _ in 0..<17 { objs.append(try #require(m.kmem_cache_alloc(c, .GFP_ATOMIC))) }
    var info = m.slabInfo(c)
    #expect(info.activeObjects == 17 && info.numSlabs == 2 && info.numObjects == 32 && info.pages == 2)
    #expect(objs[1] - objs[0] == 256)
    m.kmem_cache_free(c, objs[5])
    #expect(try #require(m.kmem_cache_alloc(c, .GFP_ATOMIC)) == objs[5])  // SLUB freelist is LIFO
    for o in objs { m.kmem_cache_free(c, o) }
    info = m.slabInfo(c)
    #expect(info.activeObjects == 0 && info.allocations == 18 && info.frees == 18)
    try m.expectNoLeaks()
}

@Test func emptySlabsBeyondMinPartialAreFreed() throws {
    let m = MemorySystem()
    let c = try #require(m.kmallocCache(forSize: 4096))  // 8 objects per order-3 slab
    let objs = try (0..<80).map { _ in try #require(m.kmalloc(4096, .GFP_KERNEL)) }
    #expect(m.slabInfo(c).numSlabs == 10)
    for o in objs { m.kfree(o) }
    #expect(m.slabInfo(c).numSlabs == 5)  // min_partial = 5
    #expect(m.freePages == m.totalPages - 5 * 8)
}

@Test func failslabInjection() {
    let m = MemorySystem()
    m.failSlab.failNth = 2
    #expect(m.kmalloc(64, .GFP_ATOMIC) != nil)
    #expect(m.kmalloc(64, .GFP_ATOMIC) == nil)
    #expect(m.kmalloc(64, .GFP_ATOMIC) != nil)
    #expect(m.kmalloc(64, .GFP_KERNEL) != nil)  // ignore-gfp-wait
    #expect(m.failSlab.injected == 1)
    #expect(m.slabInfo(m.kmallocCache(forSize: 64)!).allocationFailures == 1)
}
