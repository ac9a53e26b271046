/// The kernel build the model imitates: page size, cache line, struct sizes
/// and the limits that follow from them.
///
/// The defaults are an x86_64 distribution kernel (4 KiB pages, 64-byte cache
/// lines, `MAX_SKB_FRAGS` 17). Everything derived from them is computed with
/// the kernel's own macros (`include/linux/skbuff.h`) in one place,
/// `SkbSizes`, kept in `sizes`.
public struct KernelConfig: Hashable, Sendable {
    /// `PAGE_SIZE`: 4 KiB (x86_64), 16 KiB or 64 KiB (arm64, ppc64). Sets
    /// `PAGE_FRAG_CACHE_MAX_SIZE` (32 KiB rounded up to a page) and its
    /// order, `SKB_WITH_OVERHEAD(PAGE_SIZE)` (the rx allocators' page_frag
    /// upper bound), `KMALLOC_MAX_CACHE_SIZE`, and MAX_SKB_FRAGS before v6.4.
    public var pageSize: Int = 4096 { didSet { updateDerived() } }
    /// `SMP_CACHE_BYTES` = `L1_CACHE_BYTES`.
    public var cacheLineSize: Int = 64 { didSet { updateDerived() } }
    /// `CONFIG_MAX_SKB_FRAGS` (net/Kconfig: 17...45, default 17).
    public var maxSkbFrags: Int = 17 { didSet { updateDerived() } }
    /// `sizeof(struct sk_buff)`; 232 on a typical x86_64 distro config (6.x).
    public var sizeofSkBuff: Int = 232 { didSet { updateDerived() } }

    // MARK: Memory model

    /// Simulated RAM in bytes (one zone). Default 32 MiB = 8192 pages.
    public var memorySize: Int = 32 << 20
    /// `min_free_kbytes`; `nil` = the kernel's default formula
    /// `int_sqrt(lowmem_kbytes * 16)` clamped to 128...262144
    /// (`mm/page_alloc.c`, `calculate_min_free_kbytes`). 724 KiB for 32 MiB.
    public var minFreeKbytes: Int? = nil
    /// Which `__page_frag_alloc_align` the page_frag caches run.
    public var pageFragAlgorithm: PageFragAlgorithm = .countUp
    /// SLUB's `min_objects` for `calc_slab_order`: `4 * (fls(nr_cpu_ids) + 1)`
    /// (`mm/slub.c`, `calculate_order`); 12 for 2 CPUs. With it the model
    /// reproduces the slab orders observed in `/proc/slabinfo` on Linux
    /// 6.18.44 (2 CPUs): kmalloc-8...256 order 0, 512 order 1, 1k order 2,
    /// 2k/4k/8k order 3.
    public var slubMinObjects: Int = 12
    /// Poison freed memory: slab objects with `POISON_FREE`/`POISON_END`
    /// (SLUB debug 'P'), pages with `PAGE_POISON` (CONFIG_PAGE_POISONING).
    public var poisonOnFree: Bool = true
    /// Capacity of the checker's page_frag fragment table (records live and
    /// recently freed fragments). Fragments beyond it are handed out untracked.
    public var maxTrackedFragments: Int = 1 << 16
    /// `MAX_HEADER` (`include/linux/netdevice.h`): 176 on a distro config
    /// with tunnels and Hyper-V; 32 for a minimal config.
    public var maxHeader: Int = 176 { didSet { updateDerived() } }
    /// `NET_IP_ALIGN`: 0 on x86_64 (`arch/x86/include/asm/processor.h`).
    public var netIpAlign: Int = 0 { didSet { updateDerived() } }
    /// Which `SKB_SMALL_HEAD_CACHE_SIZE` the kernel defines, if any.
    public var smallHeadCache: SmallHeadCache = .maxTcpHeaderOrGroMaxHeadPad { didSet { updateDerived() } }

    /// The derived sizes, recomputed from the fields above whenever one of
    /// them is set: the rx path reads them for every packet, and the full
    /// macro chain costs ~45 instructions.
    public private(set) var sizes: SkbSizes

    public init() {
        sizes = .uncomputed
        updateDerived()
    }

    mutating func updateDerived() { sizes = SkbSizes(self) }

    /// `SKB_DATA_ALIGN(x)`: round up to `SMP_CACHE_BYTES`.
    @inlinable
    public func skbDataAlign(_ x: Int) -> Int { sizes.dataAlign(x) }

    /// `sizeof(struct skb_shared_info)`: 40 bytes of fields, the 8-byte
    /// `destructor_arg`, then `MAX_SKB_FRAGS` 16-byte `skb_frag_t`.
    @inlinable public var sizeofSharedInfo: Int { 48 + 16 * maxSkbFrags }

    /// `SKB_TRUESIZE(x)`.
    @inlinable
    public func skbTruesize(_ x: Int) -> Int { sizes.truesize(x) }
}

/// The `SKB_SMALL_HEAD_CACHE_SIZE` a kernel defines (`net/core/skbuff.c`).
public enum SmallHeadCache: Hashable, Sendable {
    /// ≤ v6.2: no `skbuff_small_head` cache; `kmalloc_reserve` uses kmalloc only.
    case none
    /// v6.3 (bf9f1baa279f "net: add dedicated kmem_cache for typical/small
    /// skb->head") to v6.13: `SKB_HEAD_ALIGN(MAX_TCP_HEADER)`, 640 on a
    /// distro x86_64 build, 576 with MAX_HEADER 32.
    case maxTcpHeader
    /// 14ad6ed30a10 ("net: allow small head cache usage with large
    /// MAX_SKB_FRAGS values", v6.14-rc4, also picked by stable trees):
    /// `SKB_HEAD_ALIGN(max(MAX_TCP_HEADER, GRO_MAX_HEAD_PAD))`, 704 on a
    /// distro x86_64 build, 576 with MAX_HEADER 32.
    case maxTcpHeaderOrGroMaxHeadPad
}

/// The two `__page_frag_alloc_align` algorithms of `mm/page_frag_cache.c`.
public enum PageFragAlgorithm: Hashable, Sendable {
    /// v6.13+ (the default): `offset` counts up from 0, alignment is applied
    /// before the fit check, size is `PAGE_SIZE << order`.
    case countUp
    /// v6.12 and older: `offset` counts down from `size`, the align mask is
    /// applied to the result after the fit check.
    case legacyCountDown
}

extension KernelConfig {
    /// `PAGE_SHIFT`.
    @inlinable public var pageShift: Int { pageSize.trailingZeroBitCount }
    /// Number of simulated pages.
    @inlinable public var pageCount: Int { memorySize / pageSize }
    /// `MAX_PAGE_ORDER` (`include/linux/mmzone.h`, default 10).
    public static let maxPageOrder = 10
    /// `PAGE_ALLOC_COSTLY_ORDER` (3): SLUB's `slub_max_order` default.
    public static let pageAllocCostlyOrder = 3

    /// `min_free_kbytes` in pages (`WMARK_MIN` of the single zone).
    public var minWatermarkPages: Int {
        let kb = minFreeKbytes ?? min(max(Int(Double(memorySize / 1024 * 16).squareRoot()), 128), 262_144)
        return kb * 1024 / pageSize
    }

    /// `PAGE_FRAG_CACHE_MAX_SIZE = __ALIGN_MASK(32768, ~PAGE_MASK)`.
    @inlinable public var pageFragCacheMaxSize: Int { (32768 + pageSize - 1) & ~(pageSize - 1) }
    /// `PAGE_FRAG_CACHE_MAX_ORDER = get_order(PAGE_FRAG_CACHE_MAX_SIZE)`: 3 on 4 KiB pages.
    @inlinable public var pageFragCacheMaxOrder: Int { get_order(pageFragCacheMaxSize) }

    /// `get_order(size)`: smallest order whose block holds `size` bytes.
    @inlinable public func get_order(_ size: Int) -> Int {
        var order = 0
        while (pageSize << order) < size { order += 1 }
        return order
    }

    /// `KMALLOC_MAX_CACHE_SIZE` = `1 << (PAGE_SHIFT + 1)` for SLUB (8 KiB).
    @inlinable public var kmallocMaxCacheSize: Int { pageSize << 1 }
    /// `KMALLOC_MAX_SIZE` = `1 << (MAX_PAGE_ORDER + PAGE_SHIFT)` (4 MiB).
    @inlinable public var kmallocMaxSize: Int { pageSize << KernelConfig.maxPageOrder }

    /// `NET_SKB_PAD = max(32, L1_CACHE_BYTES)`.
    @inlinable public var netSkbPad: Int { sizes.netSkbPad }
    /// `SKB_HEAD_ALIGN(x)`.
    @inlinable public func skbHeadAlign(_ x: Int) -> Int { sizes.headAlign(x) }
    /// `SKB_WITH_OVERHEAD(x)`.
    @inlinable public func skbWithOverhead(_ x: Int) -> Int { sizes.withOverhead(x) }
    /// `GRO_MAX_HEAD = MAX_HEADER + 128`.
    @inlinable public var groMaxHead: Int { maxHeader + 128 }
    /// `MAX_TCP_HEADER = L1_CACHE_ALIGN(128 + MAX_HEADER)` (`include/net/tcp.h`).
    @inlinable public var maxTcpHeader: Int { skbDataAlign(128 + maxHeader) }
    /// `SKB_SMALL_HEAD_CACHE_SIZE` (`net/core/skbuff.c`, v6.3+; see
    /// `SmallHeadCache`): 704 on a distro x86_64 config from 14ad6ed30a10,
    /// 640 before; 0 when the kernel has no small-head cache.
    @inlinable public var skbSmallHeadCacheSize: Int { sizes.smallHeadCacheSize }
    /// `SKB_SMALL_HEAD_HEADROOM = SKB_WITH_OVERHEAD(SKB_SMALL_HEAD_CACHE_SIZE)`; -1 without the cache.
    @inlinable public var skbSmallHeadHeadroom: Int { sizes.smallHeadHeadroom }
    /// `sizeof(struct sk_buff_fclones)`: two sk_buffs plus `refcount_t fclone_ref`,
    /// padded to the struct's 8-byte alignment.
    @inlinable public var sizeofSkBuffFclones: Int { (2 * sizeofSkBuff + 4 + 7) & ~7 }
}
