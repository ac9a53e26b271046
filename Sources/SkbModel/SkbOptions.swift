/// Kernel-version choices and driver-model knobs of one simulation.
public struct SkbOptions: Sendable, Hashable {
    /// Lower bound below which `__netdev_alloc_skb` / `napi_alloc_skb` take
    /// the kmalloc (`__alloc_skb`) path instead of a page fragment.
    public enum RxKmallocThreshold: Sendable, Hashable {
        /// v6.14+ ("net: allow small head cache usage with large
        /// MAX_SKB_FRAGS values"): `len <= SKB_WITH_OVERHEAD(SKB_SMALL_HEAD_CACHE_SIZE)` (384 on x86_64).
        case smallHeadCache
        /// Older kernels: `len <= SKB_WITH_OVERHEAD(1024)` (704 on x86_64).
        case withOverhead1024
    }

    public var rxKmallocThreshold: RxKmallocThreshold = .smallHeadCache
    /// v6.1–v6.13 on 4 KiB pages (`NAPI_HAS_SMALL_PAGE_FRAG`): `napi_alloc_skb`
    /// serves padded lengths up to `SKB_WITH_OVERHEAD(1024)` from
    /// `page_frag_alloc_1k` (1 KiB slices of an order-0 page, truesize
    /// `SKB_TRUESIZE(SKB_WITH_OVERHEAD(1024))`) instead of kmalloc. Off = v6.14+.
    public var napiSmallPageFrag1k = false
    /// `skb_kfree_head` after the CVE-2026-31429 fix (commit 0f42e3f4fe2a,
    /// 6.18.23 / 7.0): always `kfree(head)`. False models v6.3 up to the fix:
    /// `kmem_cache_free(skb_small_head_cache)` when `end == SKB_SMALL_HEAD_HEADROOM`.
    public var kfreeHeadAlways = true
    public init() {}
}
