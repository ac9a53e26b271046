import KernelReference

#if canImport(Glibc)
    import Glibc
#endif

/// What the running kernel says about its skb-related allocator configuration,
/// read from /proc and sysconf, so model tests can compare against it.
public struct KernelSnapshot: Sendable, Hashable {
    public var kernel: RunningKernel
    /// `sysconf(_SC_PAGESIZE)`.
    public var pageSize: Int
    /// `/proc/sys/net/core/max_skb_frags` (defaults to CONFIG_MAX_SKB_FRAGS); nil if absent.
    public var maxSkbFrags: Int?
    /// `/sys/class/net/lo/mtu`; nil if absent.
    public var loopbackMTU: Int?
    /// `skbuff_head_cache` (struct sk_buff, SLAB_HWCACHE_ALIGN); nil if /proc/slabinfo
    /// is unreadable or the cache was merged away.
    public var skbuffHeadCache: SlabCacheInfo?
    /// `skbuff_fclone_cache`; often merged into another cache by SLUB and then absent.
    public var skbuffFcloneCache: SlabCacheInfo?
    /// `skbuff_small_head` (kernels >= 6.3): heads of at most SKB_SMALL_HEAD_CACHE_SIZE.
    public var skbuffSmallHead: SlabCacheInfo?
    /// Plain `kmalloc-<size>` caches (not -cg, -rcl, dma-), sorted by object size.
    public var kmallocCaches: [SlabCacheInfo]

    public init(
        kernel: RunningKernel, pageSize: Int, maxSkbFrags: Int?, loopbackMTU: Int?,
        skbuffHeadCache: SlabCacheInfo?, skbuffFcloneCache: SlabCacheInfo?,
        skbuffSmallHead: SlabCacheInfo?, kmallocCaches: [SlabCacheInfo]
    ) {
        self.kernel = kernel
        self.pageSize = pageSize
        self.maxSkbFrags = maxSkbFrags
        self.loopbackMTU = loopbackMTU
        self.skbuffHeadCache = skbuffHeadCache
        self.skbuffFcloneCache = skbuffFcloneCache
        self.skbuffSmallHead = skbuffSmallHead
        self.kmallocCaches = kmallocCaches
    }

    /// Builds a snapshot from already-parsed slab caches (used by `current()` and tests).
    public init(
        kernel: RunningKernel, pageSize: Int, maxSkbFrags: Int?, loopbackMTU: Int?,
        slabs: [SlabCacheInfo]
    ) {
        func named(_ n: String) -> SlabCacheInfo? { slabs.first { $0.name == n } }
        let kmalloc = slabs.filter { cache in
            guard cache.name.hasPrefix("kmalloc-") else { return false }
            let suffix = cache.name.dropFirst("kmalloc-".count)
            return suffix.first?.isNumber == true
        }.sorted { $0.objectSize < $1.objectSize }
        self.init(
            kernel: kernel, pageSize: pageSize, maxSkbFrags: maxSkbFrags,
            loopbackMTU: loopbackMTU,
            skbuffHeadCache: named("skbuff_head_cache"),
            skbuffFcloneCache: named("skbuff_fclone_cache"),
            skbuffSmallHead: named("skbuff_small_head"),
            kmallocCaches: kmalloc)
    }

    public static func current() -> KernelSnapshot {
        func intFile(_ path: String) -> Int? {
            SystemFiles.readText(path).flatMap {
                Int($0.trimmingCharacters(in: " \n\t"))
            }
        }
        return KernelSnapshot(
            kernel: .current(), pageSize: Int(sysconf(Int32(_SC_PAGESIZE))),
            maxSkbFrags: intFile("/proc/sys/net/core/max_skb_frags"),
            loopbackMTU: intFile("/sys/class/net/lo/mtu"),
            slabs: SlabInfo.read() ?? [])
    }

    /// Object sizes of the plain kmalloc caches, ascending.
    public var kmallocSizes: [Int] { kmallocCaches.map(\.objectSize) }

    /// SKB_DATA_ALIGN(sizeof(struct sk_buff)) as charged by SKB_TRUESIZE: the cache is
    /// created with SLAB_HWCACHE_ALIGN (net/core/skbuff.c `skb_init`), so its object size
    /// is sizeof(struct sk_buff) rounded up to the cache line, which is what SKB_DATA_ALIGN
    /// also does when SMP_CACHE_BYTES equals the hardware line (64 on x86_64).
    public var inferredSkBuffAligned: Int? { skbuffHeadCache?.objectSize }

    /// MAX_HEADER values from include/linux/netdevice.h (LL_MAX_HEADER 32/96/128, plus 48
    /// when an IP tunnel driver is configured) that reproduce the observed
    /// `skbuff_small_head` object size, given SKB_DATA_ALIGN(sizeof(skb_shared_info)),
    /// under the v6.14+ (14ad6ed30a10) formula; `KernelProfile(snapshot:)` applies the
    /// running release's own rule instead.
    public func inferredMaxHeaderCandidates(
        sharedInfoAligned: Int, cacheLine: Int = 64,
        netSkbPad: Int = 64, netIPAlign: Int = 0
    ) -> [Int] {
        guard let observed = skbuffSmallHead?.objectSize else { return [] }
        return [32, 80, 96, 128, 144, 176].filter {
            SkbLayout.smallHeadCacheSize(
                maxHeader: $0, sharedInfoAligned: sharedInfoAligned,
                cacheLine: cacheLine, netSkbPad: netSkbPad,
                netIPAlign: netIPAlign) == observed
        }
    }
}

private extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let c = s.first, set.contains(c) { s.removeFirst() }
        while let c = s.last, set.contains(c) { s.removeLast() }
        return String(s)
    }
}
