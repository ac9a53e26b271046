import KernelMemory

/// `napi_alloc_skb` with `NAPI_HAS_SMALL_PAGE_FRAG` (v6.1–v6.13, 4 KiB pages;
/// `options.napiSmallPageFrag1k`).
extension SkbSim {
    /// The small-length branch of `napi_alloc_skb` (net/core/skbuff.c
    /// v6.1–v6.13): for a padded length (len + NET_SKB_PAD + NET_IP_ALIGN) of at
    /// most `SKB_WITH_OVERHEAD(1024)` and a gfp without `__GFP_DIRECT_RECLAIM` /
    /// `GFP_DMA` (napi_alloc_skb's is GFP_ATOMIC), the length is inflated to
    /// `SZ_1K` and the head is a `page_frag_alloc_1k` slice of
    /// `napi_alloc_cache.page_small`; `__napi_build_skb(data, 1024)` makes
    /// end = SKB_WITH_OVERHEAD(1024) and truesize = SKB_TRUESIZE(end);
    /// head_frag = 1, pfmemalloc from the small page. Then
    /// skb_reserve(NET_SKB_PAD + NET_IP_ALIGN). On struct allocation failure
    /// the slice goes back with `skb_free_frag`. Freeing the skb puts the
    /// slice's page reference (`skb_free_head` → `skb_free_frag`).
    func napiAllocSkbSmallFrag(_ length: Int) -> SkbID? {
        let pad = config.netSkbPad + config.netIpAlign
        let size = MemorySystem.pageFrag1kSize
        guard let data = memory.page_frag_alloc_1k(napiSmallPageCache, [.GFP_ATOMIC, .__GFP_NOWARN]) else { return nil }
        guard let skb = buildSkb(data, size, "napi_alloc_skb", napiCache: true) else {
            memory.page_frag_free(data)  // skb_free_frag
            return nil
        }
        let i = Int(skb.index)
        skbs[i].pfmemalloc = memory.page_frag_1k_is_pfmemalloc(napiSmallPageCache)
        __skb_reserve(i, pad)
        return skb
    }
}
