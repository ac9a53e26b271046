/// The sizes `include/linux/skbuff.h` and `net/core/skbuff.c` derive from a
/// `KernelConfig`: the one place their formulas live.
///
/// `KernelConfig` keeps one (`config.sizes`), recomputed whenever one of the
/// fields it depends on changes; its helpers (`skbDataAlign`,
/// `skbSmallHeadCacheSize`, ...) read it, and the model reads it once per
/// simulation (`SkbSim.sizes`), so the per-packet paths pay a load, not the
/// macro chain.
public struct SkbSizes: Hashable, Sendable {
    /// `L1_CACHE_BYTES - 1` (SKB_DATA_ALIGN's mask).
    public let cacheLineMask: Int
    /// `SKB_DATA_ALIGN(sizeof(struct skb_shared_info))`.
    public let sharedInfoAligned: Int
    /// `SKB_DATA_ALIGN(sizeof(struct sk_buff))`.
    public let skBuffAligned: Int
    /// `SKB_TRUESIZE(x) - x`.
    public let truesizeOverhead: Int
    /// `SKB_SMALL_HEAD_CACHE_SIZE`, the `skbuff_small_head` object size;
    /// 0 when the kernel has no such cache (≤ v6.2, `SmallHeadCache.none`).
    public let smallHeadCacheSize: Int
    /// `SKB_SMALL_HEAD_HEADROOM`; -1 (no `skb_end_offset` equals it) without the cache.
    public let smallHeadHeadroom: Int
    /// `SKB_WITH_OVERHEAD(SKB_SMALL_HEAD_CACHE_SIZE)` / `SKB_WITH_OVERHEAD(1024)`:
    /// the two rx kmalloc thresholds (`RxKmallocThreshold`).
    public let rxKmallocBoundSmallHead: Int
    public let rxKmallocBound1024: Int
    /// `SKB_WITH_OVERHEAD(PAGE_SIZE)`.
    public let withOverheadPage: Int
    /// `NET_SKB_PAD`, `NET_SKB_PAD + NET_IP_ALIGN`.
    public let netSkbPad: Int
    public let napiPad: Int

    /// Computed from `c`'s own fields only (page size, cache line,
    /// MAX_SKB_FRAGS, sizeof(struct sk_buff), MAX_HEADER, NET_IP_ALIGN, the
    /// small-head layout), never from `c.sizes`.
    public init(_ c: KernelConfig) {
        let line = c.cacheLineSize
        func align(_ x: Int) -> Int { (x + line - 1) & ~(line - 1) }
        cacheLineMask = line - 1
        sharedInfoAligned = align(c.sizeofSharedInfo)
        skBuffAligned = align(c.sizeofSkBuff)
        truesizeOverhead = skBuffAligned + sharedInfoAligned
        netSkbPad = max(32, line)
        napiPad = netSkbPad + c.netIpAlign
        // MAX_TCP_HEADER = L1_CACHE_ALIGN(128 + MAX_HEADER) (include/net/tcp.h);
        // GRO_MAX_HEAD_PAD = GRO_MAX_HEAD + NET_SKB_PAD + NET_IP_ALIGN.
        let maxTcpHeader = align(128 + c.maxHeader)
        let groMaxHeadPad = c.maxHeader + 128 + netSkbPad + c.netIpAlign
        let base: Int
        switch c.smallHeadCache {
        case .none: base = 0
        case .maxTcpHeader: base = align(maxTcpHeader) + sharedInfoAligned
        case .maxTcpHeaderOrGroMaxHeadPad: base = align(max(maxTcpHeader, groMaxHeadPad)) + sharedInfoAligned
        }
        // A power of two gets one more cache line, so that the cache has a
        // size no kmalloc cache has.
        smallHeadCacheSize = base > 0 && base & (base - 1) == 0 ? base + line : base
        smallHeadHeadroom = smallHeadCacheSize > 0 ? smallHeadCacheSize - sharedInfoAligned : -1
        rxKmallocBound1024 = 1024 - sharedInfoAligned
        rxKmallocBoundSmallHead = smallHeadCacheSize > 0 ? smallHeadHeadroom : rxKmallocBound1024
        withOverheadPage = c.pageSize - sharedInfoAligned
    }

    /// Placeholder `KernelConfig.init` replaces before returning.
    static let uncomputed = SkbSizes()
    private init() {
        cacheLineMask = 0
        sharedInfoAligned = 0
        skBuffAligned = 0
        truesizeOverhead = 0
        smallHeadCacheSize = 0
        smallHeadHeadroom = 0
        rxKmallocBoundSmallHead = 0
        rxKmallocBound1024 = 0
        withOverheadPage = 0
        netSkbPad = 0
        napiPad = 0
    }

    /// `SKB_DATA_ALIGN(x)`.
    @inlinable public func dataAlign(_ x: Int) -> Int { (x &+ cacheLineMask) & ~cacheLineMask }
    /// `SKB_HEAD_ALIGN(x)`.
    @inlinable public func headAlign(_ x: Int) -> Int { dataAlign(x) &+ sharedInfoAligned }
    /// `SKB_WITH_OVERHEAD(x)`.
    @inlinable public func withOverhead(_ x: Int) -> Int { x &- sharedInfoAligned }
    /// `SKB_TRUESIZE(x)`.
    @inlinable public func truesize(_ x: Int) -> Int { x &+ truesizeOverhead }
}
