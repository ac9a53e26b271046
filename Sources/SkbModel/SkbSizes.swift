import KernelMemory

/// The `KernelConfig` sizes the per-packet paths use, computed once.
///
/// `KernelConfig`'s derived sizes (`SKB_HEAD_ALIGN`, `SKB_WITH_OVERHEAD`,
/// `SKB_SMALL_HEAD_CACHE_SIZE`, ...) are out-of-line computed properties of
/// another module; `MemorySystem.config` is immutable, so the model reads
/// them from here instead (`SkbSim.sizes`). Same formulas, same numbers:
/// `SkbSizesTests` checks every field against `KernelConfig`.
@usableFromInline
struct SkbSizes: Sendable {
    /// `L1_CACHE_BYTES - 1` (SKB_DATA_ALIGN's mask).
    @usableFromInline let cacheLineMask: Int
    /// `SKB_DATA_ALIGN(sizeof(struct skb_shared_info))`.
    @usableFromInline let sharedInfoAligned: Int
    /// `SKB_TRUESIZE(x) - x`.
    @usableFromInline let truesizeOverhead: Int
    /// `SKB_SMALL_HEAD_CACHE_SIZE`.
    @usableFromInline let smallHeadCacheSize: Int
    /// `SKB_SMALL_HEAD_HEADROOM`.
    @usableFromInline let smallHeadHeadroom: Int
    /// `SKB_WITH_OVERHEAD(SKB_SMALL_HEAD_CACHE_SIZE)` / `SKB_WITH_OVERHEAD(1024)`:
    /// the two rx kmalloc thresholds (`RxKmallocThreshold`).
    @usableFromInline let rxKmallocBoundSmallHead: Int
    @usableFromInline let rxKmallocBound1024: Int
    /// `SKB_WITH_OVERHEAD(PAGE_SIZE)`.
    @usableFromInline let withOverheadPage: Int
    /// `NET_SKB_PAD`, `NET_SKB_PAD + NET_IP_ALIGN`.
    @usableFromInline let netSkbPad: Int
    @usableFromInline let napiPad: Int

    init(_ c: KernelConfig) {
        cacheLineMask = c.cacheLineSize - 1
        sharedInfoAligned = c.skbDataAlign(c.sizeofSharedInfo)
        truesizeOverhead = c.skbTruesize(0)
        smallHeadCacheSize = c.skbSmallHeadCacheSize
        smallHeadHeadroom = c.skbSmallHeadHeadroom
        rxKmallocBoundSmallHead = c.skbWithOverhead(c.skbSmallHeadCacheSize)
        rxKmallocBound1024 = c.skbWithOverhead(1024)
        withOverheadPage = c.skbWithOverhead(c.pageSize)
        netSkbPad = c.netSkbPad
        napiPad = c.netSkbPad + c.netIpAlign
    }

    /// `SKB_DATA_ALIGN(x)`.
    @inlinable func dataAlign(_ x: Int) -> Int { (x &+ cacheLineMask) & ~cacheLineMask }
    /// `SKB_HEAD_ALIGN(x)`.
    @inlinable func headAlign(_ x: Int) -> Int { dataAlign(x) &+ sharedInfoAligned }
    /// `SKB_WITH_OVERHEAD(x)`.
    @inlinable func withOverhead(_ x: Int) -> Int { x &- sharedInfoAligned }
    /// `SKB_TRUESIZE(x)`.
    @inlinable func truesize(_ x: Int) -> Int { x &+ truesizeOverhead }
}
