/// kmalloc (`mm/slab_common.c`, `include/linux/slab.h`, SLUB):
/// size classes 8, 16, 32, 64, 96, 128, 192, 256, 512, 1k, 2k, 4k, 8k
/// (`kmalloc_info[]`) and, with 16/64 KiB pages, up to 32k/128k; above
/// `KMALLOC_MAX_CACHE_SIZE` (2 * PAGE_SIZE) the page allocator serves
/// compound pages (`__kmalloc_large_node`).
extension MemorySystem {
    /// Sizes of `kmalloc_caches[KMALLOC_NORMAL][i]` for i = `kmalloc_index`;
    /// index 1 is kmalloc-96, 2 is kmalloc-192, 3 is kmalloc-8.
    static let kmallocSizes: [Int] = [
        0, 96, 192, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192,
        16384, 32768, 65536, 131072,
    ]

    /// `kmalloc_size_index[24]` (`mm/slab_common.c`, KMALLOC_MIN_SIZE 8):
    /// the class index of sizes 1...192 by `(size - 1) / 8`, packed four
    /// bits an entry so the lookup is two constants, a shift and a mask:
    /// {3, 4, 5, 5, 6, 6, 6, 6, 1, 1, 1, 1, 7, 7, 7, 7, 2, 2, 2, 2, 2, 2, 2, 2}.
    @usableFromInline static let sizeIndexLow: UInt64 = 0x7777_1111_6666_5543
    @usableFromInline static let sizeIndexHigh: UInt64 = 0x2222_2222

    /// `kmalloc_index(size)`: 0 for size 0, else the class index:
    /// `kmalloc_size_index[(size - 1) / 8]` up to 192 bytes (as
    /// `kmalloc_slab` looks it up), `fls(size - 1)` above.
    @inlinable public func kmalloc_index(_ size: Int) -> Int {
        if size <= 0 { return 0 }
        if size <= 192 {
            let i = (size &- 1) &>> 3
            let packed = i < 16 ? MemorySystem.sizeIndexLow : MemorySystem.sizeIndexHigh
            return Int(truncatingIfNeeded: (packed &>> UInt64((i & 15) &* 4)) & 0xF)
        }
        return Int.bitWidth &- (size &- 1).leadingZeroBitCount
    }

    /// Size of kmalloc class `index` (`kmalloc_info[index].size`): 96 and
    /// 192 at 1 and 2, `1 << index` from 3 (kmalloc-8) on.
    @inlinable static func kmallocClassSize(_ index: Int) -> Int {
        index >= 3 ? 1 &<< index : (index == 1 ? 96 : index == 2 ? 192 : 0)
    }

    /// Display name of a kmalloc size class ("kmalloc-96", "kmalloc-2k").
    static func kmallocName(_ size: Int) -> String {
        size >= 1024 ? "kmalloc-\(size / 1024)k" : "kmalloc-\(size)"
    }

    func createStandardCaches() {
        for i in 1..<MemorySystem.kmallocSizes.count {
            let size = MemorySystem.kmallocSizes[i]
            guard size <= config.kmallocMaxCacheSize else { continue }
            kmallocCacheByIndex[i] = kmem_cache_create(name: MemorySystem.kmallocName(size), size: size)
        }
        // net/core/skbuff.c skb_init(): SLAB_HWCACHE_ALIGN caches.
        skbuffCache = kmem_cache_create(name: "skbuff_cache", size: config.sizeofSkBuff, align: config.cacheLineSize)
        skbuffFcloneCache = kmem_cache_create(
            name: "skbuff_fclone_cache", size: config.sizeofSkBuffFclones, align: config.cacheLineSize)
        // skb_init() creates skbuff_small_head from v6.3 on; without it the
        // id names no cache, so no slab id ever equals it.
        if config.skbSmallHeadCacheSize > 0 {
            skbSmallHeadCache = kmem_cache_create(name: "skbuff_small_head", size: config.skbSmallHeadCacheSize)
        } else {
            skbSmallHeadCache = KmemCacheID(raw: .max)
        }
    }

    /// `kmalloc_size_roundup(size)`: the size kmalloc would really give.
    /// 0 for 0; the class size up to KMALLOC_MAX_CACHE_SIZE; `PAGE_SIZE <<
    /// get_order(size)` up to KMALLOC_MAX_SIZE; `size` itself above that
    /// (the allocation will fail anyway).
    @inlinable public func kmalloc_size_roundup(_ size: Int) -> Int {
        if size == 0 { return 0 }
        // pageSize << 1 is KMALLOC_MAX_CACHE_SIZE.
        if _fastPath(size <= pageSize << 1) { return MemorySystem.kmallocClassSize(kmalloc_index(size)) }
        return kmallocLargeRoundup(size)
    }

    @usableFromInline func kmallocLargeRoundup(_ size: Int) -> Int {
        if size > config.kmallocMaxSize { return size }
        return pageSize << config.get_order(size)
    }

    /// `kmalloc(size, gfp)`. Returns `ZERO_SIZE_PTR` for 0 and nil on failure.
    @inlinable public func kmalloc(_ size: Int, _ gfp: GFP) -> KernelAddress? {
        if size == 0 { return .zeroSizePointer }
        if _slowPath(size > pageSize << 1) { return kmalloc_large(size, gfp) }  // > KMALLOC_MAX_CACHE_SIZE
        let id = kmallocCacheByIndex[kmalloc_index(size)].unsafelyUnwrapped
        return slabAlloc(Int(id.raw), gfp, requested: size, caller: "kmalloc")
    }

    /// `__kmalloc_large_node`: `alloc_pages(gfp | __GFP_COMP, get_order(size))`.
    @usableFromInline func kmalloc_large(_ size: Int, _ gfp: GFP) -> KernelAddress? {
        guard size <= config.kmallocMaxSize else {
            if !gfp.contains(.__GFP_NOWARN) { warnings.append("WARNING: kmalloc: size \(size) > KMALLOC_MAX_SIZE") }
            return nil
        }
        let order = config.get_order(size)
        guard let pfn = alloc_pages(gfp.union(.__GFP_COMP), order: order, owner: .kmallocLarge(size: size)) else {
            return nil
        }
        // KASAN: the tail beyond the request is a page redzone.
        let off = pfn.index << pageShift
        let g = off / Shadow.granule
        let full = size / Shadow.granule
        var done = full
        if size % Shadow.granule != 0 {
            shadow[g + full] = UInt8(size % Shadow.granule)
            done += 1
        }
        (shadow + g + done).update(repeating: Shadow.pageRedzone, count: (pageSize << order) / Shadow.granule - done)
        return page_address(pfn)
    }

    /// `ksize(obj)`: `s->object_size` for slab objects, `page_size()` for
    /// large kmalloc; 0 for NULL/ZERO_SIZE_PTR or a non-kmalloc address.
    public func ksize(_ addr: KernelAddress?) -> Int {
        guard let addr, addr != .zeroSizePointer, isValid(addr) else { return 0 }
        let head = Int(pages[virt_to_page(addr).index].head)
        if pages[head].flags & PageFlag.slab != 0 { return caches[Int(pages[head].ownerID)].objectSize }
        if pages[head].ownerKind == PageOwnerKind.kmallocLarge.rawValue { return pageSize << Int(pages[head].order) }
        return 0
    }

    /// `kfree(obj)`: any slab object (any cache, as SLUB allows) or a large
    /// kmalloc. NULL and ZERO_SIZE_PTR are ignored. Invalid and double frees
    /// are reported and skipped.
    @inlinable public func kfree(_ addr: KernelAddress?) {
        guard let addr, addr != .zeroSizePointer else { return }
        guard _fastPath(isValid(addr)) else {
            reportWild(addr, size: 0, op: "kfree", isWrite: true, isFree: true)
            return
        }
        let head = Int(pages[virt_to_page(addr).index].head)
        if _fastPath(pages[head].flags & PageFlag.slab != 0) {
            slabFree(Int(pages[head].ownerID), head, addr, op: "kfree")
            return
        }
        kfreeNonSlab(addr, head)
    }

    /// `kfree` of a large kmalloc, or an invalid or double free.
    @usableFromInline func kfreeNonSlab(_ addr: KernelAddress, _ head: Int) {
        if pages[head].ownerKind == PageOwnerKind.kmallocLarge.rawValue && pages[head].refcount > 0 {
            guard addr == page_address(PFN(head)) else {
                reportInvalidFree(addr, op: "kfree", why: "not at the start of a large kmalloc")
                return
            }
            // free_large_kmalloc: put the folio.
            put_page(PFN(head))
            return
        }
        if shadow[offsetInArena(addr) / Shadow.granule] == Shadow.pageFree, pages[head].allocEvent != 0,
            pages[head].freeEvent != 0
        {
            reportDoubleFree(addr, op: "kfree")
        } else {
            reportInvalidFree(addr, op: "kfree", why: "not a kmalloc object")
        }
    }
}

extension MemorySystem {
    /// `skbuff_cache` (named `skbuff_head_cache` before v6.3; that name is
    /// accepted by `kmemCache(named:)` as a documented alias): sk_buff
    /// structs, `SLAB_HWCACHE_ALIGN` (object 232, stride 256 on x86_64).
    public internal(set) var skbuffCache: KmemCacheID {
        @inlinable get { standardCaches.skbuff }
        set { standardCaches.skbuff = newValue }
    }
    /// Seed-document alias of `skbuffCache`.
    @inlinable public var skbuffHeadCache: KmemCacheID { skbuffCache }
    /// `skbuff_fclone_cache`: `struct sk_buff_fclones` (two sk_buffs +
    /// `fclone_ref`), `SLAB_HWCACHE_ALIGN`.
    public internal(set) var skbuffFcloneCache: KmemCacheID {
        @inlinable get { standardCaches.fclone }
        set { standardCaches.fclone = newValue }
    }
    /// `skbuff_small_head` (v6.3+): objects of `SKB_SMALL_HEAD_CACHE_SIZE`;
    /// `KmemCacheID(raw: .max)`, no cache, when the config has none.
    public internal(set) var skbSmallHeadCache: KmemCacheID {
        @inlinable get { standardCaches.smallHead }
        set { standardCaches.smallHead = newValue }
    }
    /// `kmalloc_caches[KMALLOC_NORMAL][kmalloc_index(size)]`, nil above 8 KiB.
    public func kmallocCache(forSize size: Int) -> KmemCacheID? {
        size == 0 || size > config.kmallocMaxCacheSize ? nil : kmallocCacheByIndex[kmalloc_index(size)]
    }
}

@usableFromInline
struct StandardCaches {
    @usableFromInline var skbuff = KmemCacheID(raw: 0)
    @usableFromInline var fclone = KmemCacheID(raw: 0)
    @usableFromInline var smallHead = KmemCacheID(raw: 0)
}
