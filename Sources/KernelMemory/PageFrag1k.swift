/// `struct page_frag_1k` and `page_frag_alloc_1k` (net/core/skbuff.c,
/// v6.1–v6.13 with 4 KiB pages, `NAPI_HAS_SMALL_PAGE_FRAG`; added by commit
/// dbae2b062824 "net: skb: introduce and use a single page frag cache",
/// removed by 6bc7e4eb0499 together with 14ad6ed30a10 in v6.14-rc4).
///
/// The kernel's rule, restated: the cache remembers one order-0 page and an
/// offset. Each call moves the offset down by 1 KiB; when it would go below
/// 0 a fresh order-0 page is taken with the caller's gfp
/// (`alloc_pages_node(NUMA_NO_NODE, gfp, 0)`), its pfmemalloc state is
/// remembered, the offset becomes `PAGE_SIZE - 1K` and `page_ref_add(page,
/// offset / 1K)` raises the count to exactly one reference per slice (4 on
/// 4 KiB pages). The cache itself holds no reference: each 1 KiB slice
/// carries one, dropped by `page_frag_free` → `put_page` (what `skb_free_frag`
/// does for a head_frag head), and the page goes back to the buddy allocator
/// when its last slice is freed. Slices are handed out from the top of the
/// page down: offsets 3072, 2048, 1024, 0.
///
/// Storage is a regular page_frag cache slot (for its name, page owner and
/// the checker's fragment records): `encodedPage` holds the page address and
/// pfmemalloc bit (order 0), `offset` the offset of the last slice. Use only
/// the functions below on such a cache, not `page_frag_alloc`/`_drain`.
extension MemorySystem {
    /// Slice size of `page_frag_alloc_1k` (`SZ_1K`).
    public static let pageFrag1kSize = 1024

    /// `page_frag_alloc_1k(nc, gfp)`: a 1 KiB slice, or nil when the page
    /// allocation fails. The slice is tracked by the checker like any
    /// page_frag fragment (freed with `page_frag_free`).
    public func page_frag_alloc_1k(_ nc: PageFragCacheID, _ gfp: GFP) -> KernelAddress? {
        let c = fragCaches + Int(nc.raw)
        let size = MemorySystem.pageFrag1kSize
        var offset = c.pointee.encodedPage == 0 ? -1 : Int(c.pointee.offset) - size
        if offset < 0 {
            guard let pfn = alloc_pages(gfp, order: 0, owner: .pageFrag(nc)) else {
                c.pointee.stats.refillFailures += 1
                return nil
            }
            c.pointee.stats.refillsOrder0 += 1
            c.pointee.encodedPage = page_address(pfn).raw | (page_is_pfmemalloc(pfn) ? PageFragCache.pfmemallocBit : 0)
            c.pointee.legacySize = UInt32(pageSize)
            startFragPage(pfn.index, 0)
            offset = pageSize - size
            page_ref_add(pfn, offset / size)
        }
        c.pointee.offset = UInt32(offset)
        let addr = KernelAddress((c.pointee.encodedPage & ~UInt64(0xfff)) &+ UInt64(offset))
        c.pointee.stats.allocations &+= 1
        c.pointee.stats.bytes &+= size
        trackFragAlloc(addr, size, nc.raw)
        return addr
    }

    /// `NAPI_SMALL_PAGE_PFMEMALLOC(nc)`: whether the current page came from
    /// the emergency reserves.
    public func page_frag_1k_is_pfmemalloc(_ nc: PageFragCacheID) -> Bool {
        fragCaches[Int(nc.raw)].pfmemalloc
    }

    /// skbsim's teardown (the kernel's per-CPU cache lives forever and has no
    /// drain): drop the references of the slices of the current page not yet
    /// handed out (`offset / 1K` of them) and forget the page. Slices still
    /// held by skbs keep the page until they are freed.
    public func page_frag_1k_drain(_ nc: PageFragCacheID) {
        let c = fragCaches + Int(nc.raw)
        guard let va = c.pointee.va else { return }
        let unused = Int(c.pointee.offset) / MemorySystem.pageFrag1kSize
        let pfn = virt_to_page(va)
        if unused > 0 && page_ref_sub_and_test(pfn, unused) { free_unref_page(pfn, order: 0) }
        c.pointee.encodedPage = 0
        c.pointee.offset = 0
    }
}
