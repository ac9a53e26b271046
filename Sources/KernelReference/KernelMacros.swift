import KernelMemory

/// The kernel's skb sizing macros for one profile, restated from
/// `include/linux/skbuff.h`, `include/linux/netdevice.h`, `include/net/tcp.h`,
/// `net/core/skbuff.c` and `mm/slab_common.c`, written apart from the model:
/// only the release and the raw build numbers (page size, cache line,
/// CONFIG_MAX_SKB_FRAGS, sizeof(struct sk_buff), MAX_HEADER, NET_IP_ALIGN)
/// are read from the profile; which rule a release follows comes from
/// `KernelReleaseFacts`, never from `KernelProfile`'s or `KernelConfig`'s
/// rules or derived helpers.
public struct KernelMacros: Hashable, Sendable {
    public let profile: KernelProfile
    /// The release's rules.
    public let facts: KernelReleaseFacts

    /// Traps for a release `KernelReleaseFacts` has not transcribed: the
    /// reference does not guess.
    public init(_ profile: KernelProfile) {
        guard let facts = KernelReleaseFacts.of(profile.version) else {
            preconditionFailure("KernelReference: no facts transcribed for Linux \(profile.version)")
        }
        self.profile = profile
        self.facts = facts
    }

    var pageSize: Int { profile.config.pageSize }
    /// `L1_CACHE_BYTES` = `SMP_CACHE_BYTES`.
    var l1: Int { profile.config.cacheLineSize }

    /// `SKB_DATA_ALIGN(x)` / `L1_CACHE_ALIGN(x)`.
    public func dataAlign(_ x: Int) -> Int { (x + l1 - 1) / l1 * l1 }
    /// `SKB_DATA_ALIGN(sizeof(struct skb_shared_info))`: 40 bytes of flags, counts,
    /// frag_list, hwtstamps, gso_type, tskey, dataref and xdp_frags_size, the
    /// 8-byte destructor_arg, then MAX_SKB_FRAGS 16-byte skb_frag_t.
    public var sharedInfo: Int { dataAlign(40 + 8 + 16 * maxSkbFrags) }
    /// `MAX_SKB_FRAGS`: `(65536/PAGE_SIZE + 1)`, at least 16, where the
    /// release fixes it; else `CONFIG_MAX_SKB_FRAGS`.
    public var maxSkbFrags: Int {
        facts.maxSkbFragsFromPageSize ? max(65536 / pageSize + 1, 16) : profile.config.maxSkbFrags
    }
    /// `SKB_DATA_ALIGN(sizeof(struct sk_buff))`.
    public var skBuff: Int { dataAlign(profile.config.sizeofSkBuff) }
    /// `SKB_HEAD_ALIGN(x)` (v6.3+).
    public func headAlign(_ x: Int) -> Int { dataAlign(x) + sharedInfo }
    /// `SKB_WITH_OVERHEAD(x)`.
    public func withOverhead(_ x: Int) -> Int { x - sharedInfo }
    /// `SKB_TRUESIZE(x)`.
    public func truesize(_ x: Int) -> Int { x + skBuff + sharedInfo }
    /// `SKB_MAX_ALLOC` = `SKB_MAX_ORDER(0, 2)`.
    public var skbMaxAlloc: Int { withOverhead(pageSize << 2) }
    /// `NET_SKB_PAD` = max(32, L1_CACHE_BYTES).
    public var netSkbPad: Int { max(32, l1) }
    public var netIpAlign: Int { profile.config.netIpAlign }
    /// `MAX_TCP_HEADER` = L1_CACHE_ALIGN(128 + MAX_HEADER).
    public var maxTcpHeader: Int { dataAlign(128 + profile.config.maxHeader) }
    /// `GRO_MAX_HEAD_PAD` = GRO_MAX_HEAD (MAX_HEADER + 128) + NET_SKB_PAD + NET_IP_ALIGN.
    public var groMaxHeadPad: Int { profile.config.maxHeader + 128 + netSkbPad + netIpAlign }
    /// `SKB_SMALL_HEAD_CACHE_SIZE`: SKB_HEAD_ALIGN(MAX_TCP_HEADER) (v6.3–v6.13) or
    /// SKB_HEAD_ALIGN(max(MAX_TCP_HEADER, GRO_MAX_HEAD_PAD)) (v6.14+), one cache
    /// line more when that is a power of two; nil where the release has no cache.
    public var smallHeadCacheSize: Int? {
        let s: Int
        switch facts.smallHead {
        case .absent: return nil
        case .maxTcpHeader: s = headAlign(maxTcpHeader)
        case .maxTcpHeaderOrGroMaxHeadPad: s = headAlign(max(maxTcpHeader, groMaxHeadPad))
        }
        return s & (s - 1) == 0 ? s + l1 : s
    }
    /// `SKB_SMALL_HEAD_HEADROOM`.
    public var smallHeadHeadroom: Int? { smallHeadCacheSize.map(withOverhead) }

    /// SLUB's `kmalloc_info[]` sizes up to `KMALLOC_MAX_CACHE_SIZE` (2 pages).
    public var kmallocClasses: [Int] {
        [8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072]
            .filter { $0 <= 2 * pageSize }
    }
    /// `get_order(size)`.
    public func order(_ size: Int) -> Int {
        var o = 0
        while pageSize << o < size { o += 1 }
        return o
    }

    /// Head of `size` bytes asked of `__alloc_skb`: `kmalloc_reserve` (the
    /// small-head cache first where the release has one).
    public func kmallocReserve(_ size: Int) -> HeadKind {
        let obj = headAlign(size)
        if let small = smallHeadCacheSize, obj <= small { return .smallHead(small) }
        if let c = kmallocClasses.first(where: { obj <= $0 }) { return .kmalloc(c) }
        return .pages(order: order(obj))
    }

    /// Upper bound (inclusive) of the padded length for which `__netdev_alloc_skb`
    /// / `napi_alloc_skb` use kmalloc: `SKB_WITH_OVERHEAD(SKB_SMALL_HEAD_CACHE_SIZE)`
    /// from v6.14, `SKB_WITH_OVERHEAD(1024)` before.
    public var rxKmallocBound: Int {
        if facts.rxBoundIsSmallHeadHeadroom, let h = smallHeadHeadroom { return h }
        return withOverhead(1024)
    }

    /// `NAPI_HAS_SMALL_PAGE_FRAG` in this release and page size.
    public var napiSmallPageFrag1k: Bool { facts.napiSmallPageFrag1kOn4K && pageSize == 4096 }

    /// `PAGE_FRAG_CACHE_MAX_SIZE` and its order.
    public var pageFragMaxSize: Int { (32768 + pageSize - 1) / pageSize * pageSize }
    public var pageFragMaxOrder: Int { order(pageFragMaxSize) }

    /// Offset of the first fragment of `size` bytes cut from a fresh page_frag cache
    /// (order-3 refill): 0 when counting up (v6.13+), `size of page − fragsz` when
    /// counting down (≤ v6.12).
    public func firstFragOffset(_ fragsz: Int) -> Int {
        facts.pageFragCountsDown ? pageFragMaxSize - fragsz : 0
    }

    /// The `SkbLayout` the UDP send derivation (`UDPTruesizeModel`) runs on.
    public var layout: SkbLayout {
        SkbLayout(
            cacheLine: l1, skBuffAligned: skBuff, sharedInfoAligned: sharedInfo,
            smallHeadCacheSize: smallHeadCacheSize ?? 0, pageSize: pageSize,
            kmallocSizes: kmallocClasses)
    }
}

/// Where an skb's head buffer comes from.
public enum HeadKind: Hashable, Sendable, CustomStringConvertible {
    /// `skbuff_small_head` object of this size.
    case smallHead(Int)
    /// `kmalloc-<size>` object.
    case kmalloc(Int)
    /// Large kmalloc: compound pages of this order.
    case pages(order: Int)
    /// A page fragment of `size` bytes (head_frag = 1); `order` and `offset` of the
    /// compound page where the rule fixes them (nil where a driver decides).
    case pageFrag(size: Int, order: Int?, offset: Int?)

    public var description: String {
        switch self {
        case .smallHead(let s): "small-head \(s)"
        case .kmalloc(let s): s >= 1024 ? "kmalloc-\(s / 1024)k" : "kmalloc-\(s)"
        case .pages(let o): "pages o\(o)"
        case .pageFrag(let s, let o, let off):
            "frag \(s)" + (o.map { " o\($0)" } ?? "") + (off.map { " @\($0)" } ?? "")
        }
    }

    /// Equal, where an expectation's nil order/offset matches anything.
    public func matches(_ observed: HeadKind) -> Bool {
        switch (self, observed) {
        case (.pageFrag(let s, let o, let off), .pageFrag(let s2, let o2, let off2)):
            s == s2 && (o == nil || o == o2) && (off == nil || off == off2)
        default: self == observed
        }
    }
}
