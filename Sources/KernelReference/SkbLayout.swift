/// The allocator constants that decide an skb's head size and truesize, and the
/// arithmetic of `__alloc_skb` / `kmalloc_reserve` (net/core/skbuff.c) and
/// SKB_TRUESIZE (include/linux/skbuff.h), restated (not copied) in Swift.
public struct SkbLayout: Sendable, Hashable {
    /// SMP_CACHE_BYTES: the alignment of SKB_DATA_ALIGN.
    public var cacheLine: Int
    /// SKB_DATA_ALIGN(sizeof(struct sk_buff)).
    public var skBuffAligned: Int
    /// SKB_DATA_ALIGN(sizeof(struct skb_shared_info)); 48 + 16 * MAX_SKB_FRAGS on x86_64.
    public var sharedInfoAligned: Int
    /// SKB_SMALL_HEAD_CACHE_SIZE, the `skbuff_small_head` object size.
    public var smallHeadCacheSize: Int
    /// PAGE_SIZE.
    public var pageSize: Int
    /// Object sizes of the kmalloc caches, ascending; the last is KMALLOC_MAX_CACHE_SIZE
    /// (2 * PAGE_SIZE with SLUB). Larger requests go to the page allocator.
    public var kmallocSizes: [Int]

    public init(
        cacheLine: Int, skBuffAligned: Int, sharedInfoAligned: Int,
        smallHeadCacheSize: Int, pageSize: Int, kmallocSizes: [Int]
    ) {
        self.cacheLine = cacheLine
        self.skBuffAligned = skBuffAligned
        self.sharedInfoAligned = sharedInfoAligned
        self.smallHeadCacheSize = smallHeadCacheSize
        self.pageSize = pageSize
        self.kmallocSizes = kmallocSizes
    }

    /// The measured machine (6.18.44-fc-v782, x86_64): sk_buff 256 (skbuff_head_cache),
    /// MAX_SKB_FRAGS 17 → shared info 48 + 17*16 = 320, small head 576, 4 KiB pages,
    /// SLUB kmalloc caches 8..8192.
    public static let firecracker6_18 = SkbLayout(
        cacheLine: 64, skBuffAligned: 256, sharedInfoAligned: 320, smallHeadCacheSize: 576,
        pageSize: 4096, kmallocSizes: [8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192])

    public static func align(_ x: Int, to a: Int) -> Int { (x + a - 1) / a * a }

    /// SKB_DATA_ALIGN(x).
    public func dataAlign(_ x: Int) -> Int { SkbLayout.align(x, to: cacheLine) }

    /// SKB_HEAD_ALIGN(x) = SKB_DATA_ALIGN(x) + SKB_DATA_ALIGN(sizeof(skb_shared_info)).
    public func headAlign(_ x: Int) -> Int { dataAlign(x) + sharedInfoAligned }

    /// SKB_MAX_ORDER(0, 2) = SKB_MAX_ALLOC: (PAGE_SIZE << 2) minus the shared info.
    public var skbMaxAlloc: Int { (pageSize << 2) - sharedInfoAligned }

    /// Bytes actually obtained for a head of `size` bytes requested from `__alloc_skb`
    /// with normal GFP flags: `kmalloc_reserve` takes SKB_HEAD_ALIGN(size), uses the
    /// small-head cache when that fits, otherwise `kmalloc_size_roundup` (next kmalloc
    /// bucket, or PAGE_SIZE << order past the largest bucket).
    public func headObjectSize(request size: Int) -> Int {
        let obj = headAlign(size)
        if obj <= smallHeadCacheSize { return smallHeadCacheSize }
        if let bucket = kmallocSizes.first(where: { $0 >= obj }) { return bucket }
        var pages = pageSize
        while pages < obj { pages <<= 1 }
        return pages
    }

    /// skb->truesize right after `__alloc_skb(size)`: SKB_TRUESIZE(SKB_WITH_OVERHEAD(obj))
    /// = obj + SKB_DATA_ALIGN(sizeof(struct sk_buff)).
    public func allocTruesize(request size: Int) -> Int {
        headObjectSize(request: size) + skBuffAligned
    }

    /// SKB_SMALL_HEAD_CACHE_SIZE for a given MAX_HEADER, the 14ad6ed30a10 form (net/core/skbuff.c, v6.14+;
    /// v6.3–v6.13 use SKB_HEAD_ALIGN(MAX_TCP_HEADER), see `KernelReleaseFacts`):
    /// SKB_HEAD_ALIGN(max(MAX_TCP_HEADER, GRO_MAX_HEAD_PAD)), plus one cache line if that
    /// is a power of two. MAX_TCP_HEADER = L1_CACHE_ALIGN(128 + MAX_HEADER);
    /// GRO_MAX_HEAD_PAD = (MAX_HEADER + 128) + NET_SKB_PAD + NET_IP_ALIGN.
    public static func smallHeadCacheSize(
        maxHeader: Int, sharedInfoAligned: Int,
        cacheLine: Int = 64, netSkbPad: Int = 64,
        netIPAlign: Int = 0
    ) -> Int {
        let maxTCPHeader = align(128 + maxHeader, to: cacheLine)
        let groMaxHeadPad = maxHeader + 128 + netSkbPad + netIPAlign
        let size = align(max(maxTCPHeader, groMaxHeadPad), to: cacheLine) + sharedInfoAligned
        return size & (size - 1) == 0 ? size + cacheLine : size
    }
}
