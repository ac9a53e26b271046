import KernelMemory

/// What one release's source says about the rules that size an skb,
/// transcribed per release from that release's files (each with its
/// citation), not derived from `KernelProfile`'s or `KernelConfig`'s rules:
/// the reference reads only a profile's release and raw build numbers and
/// looks the rules up here.
public struct KernelReleaseFacts: Hashable, Sendable {
    /// `SKB_SMALL_HEAD_CACHE_SIZE` as the release defines it (net/core/skbuff.c).
    public enum SmallHead: Hashable, Sendable {
        /// No `skbuff_small_head` cache: heads are kmalloc'ed.
        case absent
        /// `SKB_HEAD_ALIGN(MAX_TCP_HEADER)`, + L1_CACHE_BYTES if a power of two.
        case maxTcpHeader
        /// `SKB_HEAD_ALIGN(max(MAX_TCP_HEADER, GRO_MAX_HEAD_PAD))`, + L1_CACHE_BYTES if a power of two.
        case maxTcpHeaderOrGroMaxHeadPad
    }

    /// `major.minor`.
    public var release: String
    public var smallHead: SmallHead
    /// `__netdev_alloc_skb` / `napi_alloc_skb` use kmalloc up to
    /// `SKB_WITH_OVERHEAD(SKB_SMALL_HEAD_CACHE_SIZE)` (true) or `SKB_WITH_OVERHEAD(1024)`.
    public var rxBoundIsSmallHeadHeadroom: Bool
    /// `NAPI_HAS_SMALL_PAGE_FRAG` (`PAGE_SIZE == SZ_4K`): napi heads ≤
    /// `SKB_WITH_OVERHEAD(1024)` are 1 KiB page_frag_alloc_1k slices.
    public var napiSmallPageFrag1kOn4K: Bool
    /// `__page_frag_alloc_align` hands out fragments from the end of the page down.
    public var pageFragCountsDown: Bool
    /// The file of the page_frag allocator: mm/page_alloc.c until David Howells'
    /// move to mm/page_frag_cache.c (v6.9).
    public var pageFragFile: String {
        ["6.1", "6.6", "6.8"].contains(release) ? "mm/page_alloc.c" : "mm/page_frag_cache.c"
    }
    /// `MAX_SKB_FRAGS` is `(65536/PAGE_SIZE + 1)`, at least 16, not `CONFIG_MAX_SKB_FRAGS`.
    public var maxSkbFragsFromPageSize: Bool
    /// IPv4 GRO may build packets above 64 KiB (`gro_ipv4_max_size`, BIG TCP for IPv4).
    public var bigTCPIPv4: Bool
    /// `SKB_SMALL_HEAD_CACHE_SIZE` of the distro x86_64 build (MAX_HEADER 176,
    /// 64-byte lines, MAX_SKB_FRAGS 17) and of MAX_HEADER 32, worked out by
    /// hand from the macros (nil: no cache). The reference's formula must give them.
    public var smallHeadDistro: Int?
    public var smallHeadMaxHeader32: Int?
    /// `enum skb_drop_reason` values counted by hand in the release's list:
    /// NOT_SPECIFIED, NETFILTER_DROP, SOCKET_RCVBUFF, NOMEM and MAX.
    public var dropReasons: [String: Int]
    /// Where each rule is stated, for docs/fidelity.md.
    public var sources: [Citation]

    /// The facts of `version` (nil for a release not transcribed).
    public static func of(_ version: KernelProfile.Version) -> KernelReleaseFacts? {
        table.first { $0.release == version.description }
    }

    /// v6.1, v6.6, v6.12, v6.18 (and v6.8, whose drop-reason list the tests use).
    public static let table: [KernelReleaseFacts] = [
        KernelReleaseFacts(
            release: "6.1", smallHead: .absent, rxBoundIsSmallHeadHeadroom: false, napiSmallPageFrag1kOn4K: true,
            pageFragCountsDown: true, maxSkbFragsFromPageSize: true, bigTCPIPv4: false,
            smallHeadDistro: nil, smallHeadMaxHeader32: nil,
            dropReasons: ["NOT_SPECIFIED": 1, "NETFILTER_DROP": 7, "SOCKET_RCVBUFF": 15, "NOMEM": 56, "MAX": 65],
            sources: [
                Citation("net/core/skbuff.c", "kmalloc_reserve: kmalloc only, no skbuff_small_head", "v6.1"),
                Citation(
                    "net/core/skbuff.c",
                    "__napi_alloc_skb: NAPI_HAS_SMALL_PAGE_FRAG, page_frag_alloc_1k (dbae2b062824)", "v6.1"),
                Citation("include/linux/skbuff.h", "MAX_SKB_FRAGS (65536/PAGE_SIZE + 1), ≥ 16", "v6.1"),
                Citation("mm/page_alloc.c", "page_frag_alloc_align: offset counts down", "≤ v6.12"),
                Citation(
                    "include/net/dropreason.h", "enum skb_drop_reason: no SKB_CONSUMED (0e84afe8ebfb is v6.2)", "v6.1"),
                Citation(
                    "net/core/gro.c", "skb_gro_receive: past 64 KiB only plain IPv6/TCP (gro_max_size)", "v5.19–v6.2"),
            ]),
        KernelReleaseFacts(
            release: "6.6", smallHead: .maxTcpHeader, rxBoundIsSmallHeadHeadroom: false, napiSmallPageFrag1kOn4K: true,
            pageFragCountsDown: true, maxSkbFragsFromPageSize: false, bigTCPIPv4: true,
            smallHeadDistro: 640, smallHeadMaxHeader32: 576,
            dropReasons: ["NOT_SPECIFIED": 2, "NETFILTER_DROP": 8, "SOCKET_RCVBUFF": 16, "NOMEM": 58, "MAX": 78],
            sources: [
                Citation(
                    "net/core/skbuff.c", "SKB_SMALL_HEAD_SIZE = SKB_HEAD_ALIGN(MAX_TCP_HEADER) (bf9f1baa279f)",
                    "v6.3–v6.13"),
                Citation(
                    "net/core/skbuff.c", "__netdev_alloc_skb, napi_alloc_skb: len ≤ SKB_WITH_OVERHEAD(1024)", "≤ v6.13"),
                Citation("net/Kconfig", "CONFIG_MAX_SKB_FRAGS (3948b05950fd)", "v6.4+"),
                Citation("mm/page_alloc.c", "page_frag_alloc_align: offset counts down", "≤ v6.12"),
                Citation("include/net/dropreason-core.h", "enum skb_drop_reason", "v6.6"),
                Citation(
                    "net/core/gro.c", "skb_gro_receive: IPv4 bounded by gro_ipv4_max_size (b1a78b9b9886)", "v6.3+"),
            ]),
        KernelReleaseFacts(
            release: "6.8", smallHead: .maxTcpHeader, rxBoundIsSmallHeadHeadroom: false, napiSmallPageFrag1kOn4K: true,
            pageFragCountsDown: true, maxSkbFragsFromPageSize: false, bigTCPIPv4: true,
            smallHeadDistro: 640, smallHeadMaxHeader32: 576,
            dropReasons: ["NOT_SPECIFIED": 2, "NETFILTER_DROP": 8, "SOCKET_RCVBUFF": 16, "NOMEM": 63, "MAX": 87],
            sources: [Citation("include/net/dropreason-core.h", "enum skb_drop_reason (03c11eb3b16d)", "v6.8")]),
        KernelReleaseFacts(
            release: "6.12", smallHead: .maxTcpHeader, rxBoundIsSmallHeadHeadroom: false, napiSmallPageFrag1kOn4K: true,
            pageFragCountsDown: true, maxSkbFragsFromPageSize: false, bigTCPIPv4: true,
            smallHeadDistro: 640, smallHeadMaxHeader32: 576,
            dropReasons: ["NOT_SPECIFIED": 2, "NETFILTER_DROP": 8, "SOCKET_RCVBUFF": 16, "NOMEM": 66, "MAX": 90],
            sources: [
                Citation("net/core/skbuff.c", "SKB_SMALL_HEAD_SIZE = SKB_HEAD_ALIGN(MAX_TCP_HEADER)", "v6.3–v6.13"),
                Citation(
                    "net/core/skbuff.c",
                    "__netdev_alloc_skb, napi_alloc_skb: len ≤ SKB_WITH_OVERHEAD(1024); page_frag_alloc_1k", "≤ v6.13"),
                Citation("mm/page_frag_cache.c", "__page_frag_alloc_align: offset counts down", "≤ v6.12"),
                Citation("include/net/dropreason-core.h", "enum skb_drop_reason", "v6.12"),
            ]),
        KernelReleaseFacts(
            release: "6.18", smallHead: .maxTcpHeaderOrGroMaxHeadPad, rxBoundIsSmallHeadHeadroom: true,
            napiSmallPageFrag1kOn4K: false, pageFragCountsDown: false, maxSkbFragsFromPageSize: false, bigTCPIPv4: true,
            smallHeadDistro: 704, smallHeadMaxHeader32: 576,
            dropReasons: ["NOT_SPECIFIED": 2, "NETFILTER_DROP": 12, "SOCKET_RCVBUFF": 6, "NOMEM": 81, "MAX": 130],
            sources: [
                Citation(
                    "net/core/skbuff.c",
                    "SKB_SMALL_HEAD_SIZE = SKB_HEAD_ALIGN(max(MAX_TCP_HEADER, GRO_MAX_HEAD_PAD)) (14ad6ed30a10)",
                    "v6.14+"),
                Citation(
                    "net/core/skbuff.c",
                    "__netdev_alloc_skb, napi_alloc_skb: len ≤ SKB_WITH_OVERHEAD(SKB_SMALL_HEAD_CACHE_SIZE); no page_frag_alloc_1k (6bc7e4eb0499)",
                    "v6.14+"),
                Citation("mm/page_frag_cache.c", "__page_frag_alloc_align: offset counts up", "v6.13+"),
                Citation(
                    "include/net/dropreason-core.h", "enum skb_drop_reason (SOCKET_* regrouped after NO_SOCKET)",
                    "v6.14+"),
            ]),
    ]
}
