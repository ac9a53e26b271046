/// Handle of a page_frag cache owned by a `MemorySystem` (e.g. one per
/// CPU for `netdev_alloc_cache` and `napi_alloc_cache.page`).
public struct PageFragCacheID: Hashable, Sendable {
    public var raw: UInt16
    @inlinable public init(raw: UInt16) { self.raw = raw }
}

/// Per-cache counters (skbsim's; the kernel keeps none).
public struct PageFragStats: Hashable, Sendable {
    /// Successful `__page_frag_cache_refill`s at `PAGE_FRAG_CACHE_MAX_ORDER`.
    public var refillsHighOrder = 0
    /// Successful refills that fell back to order 0.
    public var refillsOrder0 = 0
    /// Refills where both attempts failed (the allocation returned NULL).
    public var refillFailures = 0
    /// Exhausted pages recycled in place (every fragment had come back).
    public var reuses = 0
    /// Exhausted pages left to their outstanding fragments.
    public var abandoned = 0
    /// Exhausted pfmemalloc pages freed instead of reused.
    public var pfmemallocFreed = 0
    /// `fragsz > PAGE_SIZE` that did not fit: NULL, page kept.
    public var oversizeFailures = 0
    /// Fragments handed out and their bytes.
    public var allocations = 0
    public var bytes = 0
    /// Bytes of this cache's fragments whose last reference was dropped
    /// (`page_frag_free`): `bytes - freedBytes` are still out.
    public var freedBytes = 0
    /// Pages (blocks of any order) the page allocator gave this cache and
    /// that are not back yet: the current page plus pages left to their
    /// outstanding fragments.
    public var pagesHeld = 0
    public init() {}
}

/// `struct page_frag_cache` (`include/linux/mm_types_task.h`, v6.13+).
/// Callers get copies (`MemorySystem.pageFragCache(_:)`); mutating a copy
/// has no effect on the cache.
///
/// `encodedPage` packs the page's virtual address with the order in bits
/// 0-7 (`PAGE_FRAG_CACHE_ORDER_MASK`) and pfmemalloc in bit 8
/// (`PAGE_FRAG_CACHE_PFMEMALLOC_BIT`); 0 means no page. The legacy (≤ 6.12)
/// algorithm keeps `va`, `size` and `pfmemalloc` as separate fields; here
/// `va`/`pfmemalloc` are read from the same encoding and `size` is
/// `legacySize`.
///
/// Invariant while a page is held: `page_ref_count(page) - pagecntBias`
/// = fragments still outstanding from this cache's current page.
public struct PageFragCache: Sendable {
    /// `encoded_page`.
    public var encodedPage: UInt64 = 0
    /// `offset`: next free byte (v6.13+, counts up) or start of the last
    /// fragment handed out (≤ 6.12, counts down).
    public var offset: UInt32 = 0
    /// `pagecnt_bias`: page references pre-owned by the cache.
    public var pagecntBias: UInt32 = 0
    /// `size` of the ≤ 6.12 struct (32768 or PAGE_SIZE); unused in v6.13+.
    public var legacySize: UInt32 = 0
    public var stats = PageFragStats()

    @inlinable init() {}

    @usableFromInline static let orderMask: UInt64 = 0xff
    @usableFromInline static let pfmemallocBit: UInt64 = 0x100

    /// `encoded_page_decode_order`.
    @inlinable public var order: Int { Int(encodedPage & PageFragCache.orderMask) }
    /// `encoded_page_decode_pfmemalloc` (`page_frag_cache_is_pfmemalloc`).
    @inlinable public var pfmemalloc: Bool { encodedPage & PageFragCache.pfmemallocBit != 0 }
    /// `encoded_page_decode_virt`: the page's address, nil if none.
    @inlinable public var va: KernelAddress? { encodedPage == 0 ? nil : KernelAddress(encodedPage & ~UInt64(0xfff)) }
}

extension MemorySystem {
    /// Create a page_frag cache in the `page_frag_cache_init` state
    /// (`encoded_page = 0`: no page until the first allocation).
    public func pageFragCacheCreate(name: String) -> PageFragCacheID {
        let n = ctx.pointee.fragCacheCount
        precondition(n < MemorySystem.maxPageFragCaches, "too many page_frag caches")
        ctx.pointee.fragCacheCount = n + 1
        fragCaches[n] = PageFragCache()
        fragCacheNames.append(name)
        return PageFragCacheID(raw: UInt16(n))
    }

    /// Snapshot of a cache's fields and counters.
    @inlinable public func pageFragCache(_ nc: PageFragCacheID) -> PageFragCache { fragCaches[Int(nc.raw)] }

    public func pageFragCacheName(_ nc: PageFragCacheID) -> String { fragCacheNames[Int(nc.raw)] }

    /// The cache's current page (`virt_to_page(encoded_page_decode_virt())`).
    public func pageFragCachePage(_ nc: PageFragCacheID) -> PFN? {
        fragCaches[Int(nc.raw)].va.map { virt_to_page($0) }
    }

    /// `page_frag_cache_init(nc)` (v6.13+): set `encoded_page = 0`. Any held
    /// page is forgotten without being drained, exactly like the kernel's
    /// inline; call `page_frag_cache_drain` first if one is held.
    public func page_frag_cache_init(_ nc: PageFragCacheID) {
        let stats = fragCaches[Int(nc.raw)].stats
        fragCaches[Int(nc.raw)] = PageFragCache()
        fragCaches[Int(nc.raw)].stats = stats
    }

    /// `page_frag_cache_is_pfmemalloc(nc)`.
    @inlinable public func page_frag_cache_is_pfmemalloc(_ nc: PageFragCacheID) -> Bool {
        fragCaches[Int(nc.raw)].pfmemalloc
    }

    /// `page_frag_alloc(nc, fragsz, gfp)`: `align_mask = ~0u`.
    @inlinable @inline(__always)
    public func page_frag_alloc(_ nc: PageFragCacheID, _ fragsz: Int, _ gfp: GFP) -> KernelAddress? {
        __page_frag_alloc_align(nc, fragsz, gfp, alignMask: ~0)
    }

    /// `page_frag_alloc_align(nc, fragsz, gfp, align)`: WARN_ON_ONCE if
    /// `align` is not a power of two, then `align_mask = -align` regardless.
    @inlinable public func page_frag_alloc_align(
        _ nc: PageFragCacheID, _ fragsz: Int, _ gfp: GFP, align: Int
    ) -> KernelAddress? {
        if _slowPath(align <= 0 || align & (align - 1) != 0) {
            warnNotPowerOfTwo(align)
        }
        return __page_frag_alloc_align(nc, fragsz, gfp, alignMask: 0 &- UInt32(truncatingIfNeeded: align))
    }

    @usableFromInline func warnNotPowerOfTwo(_ align: Int) {
        warnings.append("WARNING: page_frag_alloc_align: !is_power_of_2(\(align))")
    }

    /// `__page_frag_cache_refill`: order `PAGE_FRAG_CACHE_MAX_ORDER` with
    /// the caller's gfp minus `__GFP_DIRECT_RECLAIM` plus
    /// `__GFP_COMP|__GFP_NOWARN|__GFP_NORETRY|__GFP_NOMEMALLOC`, then order 0
    /// with the caller's gfp. Stores the encoded page (0 on failure).
    @usableFromInline func __page_frag_cache_refill(
        _ c: UnsafeMutablePointer<PageFragCache>, _ id: UInt16, _ gfp: GFP
    ) -> Int? {
        var order = 0
        var pfn: PFN? = nil
        if pageSize < fragMaxSize {
            var high = gfp
            high.remove(.__GFP_DIRECT_RECLAIM)
            high.formUnion([.__GFP_COMP, .__GFP_NOWARN, .__GFP_NORETRY, .__GFP_NOMEMALLOC])
            pfn = alloc_pages(high, order: fragMaxOrder, owner: .pageFrag(PageFragCacheID(raw: id)))
            order = fragMaxOrder
        }
        if pfn == nil {
            pfn = alloc_pages(gfp, order: 0, owner: .pageFrag(PageFragCacheID(raw: id)))
            order = 0
        }
        guard let pfn else {
            c.pointee.encodedPage = 0
            c.pointee.stats.refillFailures += 1
            return nil
        }
        if order == 0 { c.pointee.stats.refillsOrder0 += 1 } else { c.pointee.stats.refillsHighOrder += 1 }
        c.pointee.legacySize = UInt32(order == 0 ? pageSize : fragMaxSize)
        c.pointee.encodedPage =
            page_address(pfn).raw | UInt64(order) | (page_is_pfmemalloc(pfn) ? PageFragCache.pfmemallocBit : 0)
        startFragPage(pfn.index, order)
        return pfn.index
    }

    /// A page a page_frag cache just took from the page allocator: nothing
    /// handed out yet, no fragment records.
    @usableFromInline func startFragPage(_ pfn: Int, _ order: Int) {
        resetFragPageShadow(pfn, order)
        fragments.beginGeneration(pfn, event: ctx.pointee.event, pages)
    }

    /// `__page_frag_alloc_align(nc, fragsz, gfp, align_mask)`, in the
    /// algorithm chosen by `KernelConfig.pageFragAlgorithm`.
    ///
    /// Inline fast path: the cache holds a page and the fragment fits (the
    /// first pass of the kernel's loop, both algorithms). Refill, reuse and
    /// failure go out of line (`pageFragAllocSlow`).
    @inlinable @inline(__always)
    public func __page_frag_alloc_align(
        _ nc: PageFragCacheID, _ fragsz: Int, _ gfp: GFP, alignMask: UInt32
    ) -> KernelAddress? {
        let c = fragCaches + Int(nc.raw)
        let encoded = c.pointee.encodedPage
        if _fastPath(encoded != 0) {
            var offset: Int
            if _fastPath(!legacyPageFrag) {
                // __ALIGN_KERNEL_MASK(nc->offset, ~align_mask)
                offset = Int((c.pointee.offset &+ ~alignMask) & alignMask)
                guard _fastPath(offset &+ fragsz <= pageSize &<< Int(encoded & PageFragCache.orderMask)) else {
                    return pageFragAllocSlow(c, nc.raw, fragsz, gfp, alignMask)
                }
                c.pointee.offset = UInt32(truncatingIfNeeded: offset &+ fragsz)
            } else {
                offset = Int(c.pointee.offset) &- fragsz
                guard _fastPath(offset >= 0) else { return pageFragAllocSlow(c, nc.raw, fragsz, gfp, alignMask) }
                offset &= Int(alignMask)
                c.pointee.offset = UInt32(truncatingIfNeeded: offset)
            }
            c.pointee.pagecntBias -= 1
            let addr = KernelAddress((encoded & ~UInt64(0xfff)) &+ UInt64(offset))
            c.pointee.stats.allocations &+= 1
            c.pointee.stats.bytes &+= fragsz
            // The cache's page is the head page (allocated with __GFP_COMP or order 0).
            trackFragAlloc(
                addr, fragsz, nc.raw,
                page: Int(truncatingIfNeeded: (encoded & ~UInt64(0xfff)) &- KernelAddress.directMapBase) &>> pageShift)
            return addr
        }
        return pageFragAllocSlow(c, nc.raw, fragsz, gfp, alignMask)
    }

    /// The whole of `__page_frag_alloc_align` when the fast path does not
    /// apply: no page yet, or the fragment does not fit.
    @usableFromInline @inline(never)
    func pageFragAllocSlow(
        _ c: UnsafeMutablePointer<PageFragCache>, _ id: UInt16, _ fragsz: Int, _ gfp: GFP, _ alignMask: UInt32
    ) -> KernelAddress? {
        let addr =
            legacyPageFrag
            ? pageFragAllocLegacy(c, id, fragsz, gfp, alignMask)
            : pageFragAllocCountUp(c, id, fragsz, gfp, alignMask)
        guard let addr else { return nil }
        c.pointee.stats.allocations &+= 1
        c.pointee.stats.bytes &+= fragsz
        trackFragAlloc(addr, fragsz, id)
        return addr
    }

    /// v6.13+: offset counts up; align before the fit check.
    @usableFromInline func pageFragAllocCountUp(
        _ c: UnsafeMutablePointer<PageFragCache>, _ id: UInt16, _ fragsz: Int, _ gfp: GFP, _ alignMask: UInt32
    ) -> KernelAddress? {
        if _slowPath(c.pointee.encodedPage == 0) {
            guard refillAndBias(c, id, gfp) else { return nil }
        }
        while true {
            let encoded = c.pointee.encodedPage
            let size = pageSize << Int(encoded & PageFragCache.orderMask)
            // __ALIGN_KERNEL_MASK(nc->offset, ~align_mask)
            let offset = Int((c.pointee.offset &+ ~alignMask) & alignMask)
            if _fastPath(offset + fragsz <= size) {
                c.pointee.pagecntBias -= 1
                c.pointee.offset = UInt32(truncatingIfNeeded: offset + fragsz)
                return KernelAddress((encoded & ~UInt64(0xfff)) &+ UInt64(offset))
            }
            if fragsz > pageSize {
                // Releasing the page could make memory pressure worse: keep it.
                c.pointee.stats.oversizeFailures += 1
                return nil
            }
            switch exhausted(c, id) {
            case .reused: c.pointee.offset = 0
            case .refill: guard refillAndBias(c, id, gfp) else { return nil }
            }
        }
    }

    /// ≤ 6.12: offset counts down from `size`; the align mask is applied to
    /// the result after the fit check.
    @usableFromInline func pageFragAllocLegacy(
        _ c: UnsafeMutablePointer<PageFragCache>, _ id: UInt16, _ fragsz: Int, _ gfp: GFP, _ alignMask: UInt32
    ) -> KernelAddress? {
        if _slowPath(c.pointee.encodedPage == 0) {
            guard refillAndBias(c, id, gfp) else { return nil }
            c.pointee.offset = c.pointee.legacySize
        }
        while true {
            var offset = Int(c.pointee.offset) - fragsz
            if _slowPath(offset < 0) {
                switch exhausted(c, id) {
                case .reused:
                    offset = Int(c.pointee.legacySize) - fragsz
                    if offset < 0 {
                        // fragsz larger than the (order-0) page: NULL, page kept.
                        c.pointee.stats.oversizeFailures += 1
                        return nil
                    }
                case .refill:
                    guard refillAndBias(c, id, gfp) else { return nil }
                    c.pointee.offset = c.pointee.legacySize
                    continue
                }
            }
            c.pointee.pagecntBias -= 1
            offset &= Int(alignMask)
            c.pointee.offset = UInt32(truncatingIfNeeded: offset)
            return KernelAddress((c.pointee.encodedPage & ~UInt64(0xfff)) &+ UInt64(offset))
        }
    }

    /// Refill, then `page_ref_add(page, PAGE_FRAG_CACHE_MAX_SIZE)` and
    /// `pagecnt_bias = PAGE_FRAG_CACHE_MAX_SIZE + 1`, offset 0.
    @usableFromInline func refillAndBias(_ c: UnsafeMutablePointer<PageFragCache>, _ id: UInt16, _ gfp: GFP) -> Bool {
        guard let pfn = __page_frag_cache_refill(c, id, gfp) else { return false }
        pages[pfn].refcount += Int32(fragMaxSize)
        c.pointee.pagecntBias = UInt32(fragMaxSize + 1)
        c.pointee.offset = 0
        return true
    }

    @usableFromInline enum Exhausted { case reused, refill }

    /// The page ran out: `page_ref_sub_and_test(page, pagecnt_bias)`.
    /// Outstanding fragments → abandon (they free it) and refill; a
    /// pfmemalloc page → free it and refill; otherwise reuse it in place
    /// with `set_page_count(page, PAGE_FRAG_CACHE_MAX_SIZE + 1)`.
    @usableFromInline func exhausted(_ c: UnsafeMutablePointer<PageFragCache>, _ id: UInt16) -> Exhausted {
        let encoded = c.pointee.encodedPage
        let pfn = virt_to_page(KernelAddress(encoded & ~UInt64(0xfff)))
        if !page_ref_sub_and_test(pfn, Int(c.pointee.pagecntBias)) {
            c.pointee.stats.abandoned += 1
            return .refill
        }
        if encoded & PageFragCache.pfmemallocBit != 0 {
            c.pointee.stats.pfmemallocFreed += 1
            free_unref_page(pfn, order: Int(encoded & PageFragCache.orderMask))
            return .refill
        }
        set_page_count(pfn, fragMaxSize + 1)
        c.pointee.pagecntBias = UInt32(fragMaxSize + 1)
        c.pointee.stats.reuses += 1
        // Every fragment came back: forget their records (a new generation).
        // The shadow needs no reset: handed-out ranges are already poisoned
        // as freed.
        fragments.beginGeneration(pfn.index, event: ctx.pointee.event, pages)
        return .reused
    }

    /// `page_frag_free(addr)`: `put_page` on `virt_to_head_page(addr)`;
    /// any address inside the fragment works; knows nothing of the cache.
    /// The checker reports (and skips) double and invalid frees.
    ///
    /// Inline fast path: `addr` is the start of a live fragment holding its
    /// last reference and the page keeps other references (the cache's
    /// bias at least). Everything else goes to `pageFragFreeSlow`.
    @inlinable @inline(__always)
    public func page_frag_free(_ addr: KernelAddress) {
        let off = offsetInArena(addr)
        if _fastPath(isValid(addr)) {
            let slot = fragments.slots + (off &>> FragmentTable.blockShift)
            // The block's slot holds a fragment that starts at addr, has one
            // reference left and belongs to the current generation of its
            // head page (then slot.page is virt_to_head_page(addr)).
            let head = Int(slot.pointee.page)
            let page = pages + head
            if _fastPath(
                slot.pointee.addr == addr.raw && slot.pointee.refs == 1
                    && slot.pointee.allocEvent > fragments.generations[head] && page.pointee.refcount > 1)
            {
                slot.pointee.refs = 0
                fragCaches[Int(slot.pointee.cache)].stats.freedBytes &+= Int(slot.pointee.size)
                slot.pointee.freeEvent = nextEvent()
                slot.pointee.freePacket = ctx.pointee.packet
                poisonFragShadow(off, Int(slot.pointee.size))
                page.pointee.refcount &-= 1
                return
            }
        }
        pageFragFreeSlow(addr)
    }

    @usableFromInline @inline(never)
    func pageFragFreeSlow(_ addr: KernelAddress) {
        guard isValid(addr) else {
            reportWild(addr, size: 0, op: "page_frag_free", isWrite: true, isFree: true)
            return
        }
        let head = Int(pages[virt_to_page(addr).index].head)
        guard trackFragFree(addr, head) else { return }
        if _slowPath(pages[head].refcount <= 0) {
            reportRefcountUnderflow(head, op: "page_frag_free", sub: 1)
            return
        }
        pages[head].refcount -= 1
        if pages[head].refcount == 0 { freeBlock(head, blockOrder(head)) }
    }

    /// `__page_frag_cache_drain(page, count)`: VM_BUG_ON if the count is
    /// already 0, else subtract `count` and free the page at 0.
    public func __page_frag_cache_drain(_ pfn: PFN, _ count: Int) {
        let head = Int(pages[pfn.index].head)
        if pages[head].refcount == 0 {
            reportRefcountUnderflow(head, op: "__page_frag_cache_drain", sub: Int32(count))
            return
        }
        if page_ref_sub_and_test(PFN(head), count) { free_unref_page(PFN(head), order: blockOrder(head)) }
    }

    /// `page_frag_cache_drain(nc)`: return the unused bias and clear the
    /// cache; outstanding fragments keep the page until `page_frag_free`.
    public func page_frag_cache_drain(_ nc: PageFragCacheID) {
        let c = fragCaches + Int(nc.raw)
        guard let va = c.pointee.va else { return }
        __page_frag_cache_drain(virt_to_page(va), Int(c.pointee.pagecntBias))
        c.pointee.encodedPage = 0
    }
}

// MARK: - Seed-document aliases (see docs/seed-vs-kernel.md)

extension MemorySystem {
    /// Seed alias of `page_frag_cache_init` (v6.13 semantics: no page yet).
    @discardableResult
    public func page_frag_cache_init(name: String) -> PageFragCacheID { pageFragCacheCreate(name: name) }

    /// Seed alias; the kernel has no destroy: this is `page_frag_cache_drain`.
    public func page_frag_cache_destroy(_ nc: PageFragCacheID) { page_frag_cache_drain(nc) }

    /// skbsim's invention (no such kernel function): would the next
    /// `page_frag_alloc(nc, fragsz)` (or `_align` with `align`) have to leave
    /// the current page, i.e. does the in-allocator fit check fail?
    /// v6.13+: no page, or `ALIGN(offset, align) + fragsz > PAGE_SIZE << order`;
    /// ≤ 6.12: no page, or `offset - fragsz < 0`. "Full" then means the
    /// allocator would reuse, abandon or refill the page (or return NULL).
    public func page_frag_cache_full(_ nc: PageFragCacheID, fragsz: Int, align: Int = 1) -> Bool {
        let c = fragCaches[Int(nc.raw)]
        guard c.encodedPage != 0 else { return true }
        if legacyPageFrag { return Int(c.offset) - fragsz < 0 }
        let mask = 0 &- UInt32(truncatingIfNeeded: max(align, 1))
        let offset = Int((c.offset &+ ~mask) & mask)
        return offset + fragsz > pageSize << c.order
    }
}
