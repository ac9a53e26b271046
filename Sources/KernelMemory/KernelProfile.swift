/// A kernel release plus build configuration, as far as it changes skb
/// geometry and allocation paths. The model (`SkbSim(profile:)`) and the
/// independent expectations (`KernelReference`) both take a profile, so a
/// table row always compares the same kernel on both sides.
///
/// What a profile decides:
/// - `config`: page size, cache line, `MAX_SKB_FRAGS`, `sizeof(struct sk_buff)`,
///   `MAX_HEADER` (→ `SKB_SMALL_HEAD_CACHE_SIZE`), `NET_IP_ALIGN` and the
///   page_frag algorithm (count-up v6.13+, count-down ≤ v6.12);
/// - `version`: the rx kmalloc threshold of `__netdev_alloc_skb` /
///   `napi_alloc_skb` (small-head cache v6.14+, `SKB_WITH_OVERHEAD(1024)`
///   before), napi's 1 KiB page fragments (v6.1–v6.13) and the drop-reason list.
public struct KernelProfile: Hashable, Sendable {
    /// `major.minor` of a kernel release.
    public struct Version: Hashable, Sendable, Comparable, CustomStringConvertible {
        public var major: Int
        public var minor: Int
        public init(_ major: Int, _ minor: Int) {
            self.major = major
            self.minor = minor
        }
        /// Parses the leading `major.minor` of a release string ("6.18.44-fc-v782").
        public init?(release: String) {
            let parts = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
            guard parts.count == 2 else { return nil }
            self.init(parts[0], parts[1])
        }
        public static func < (a: Version, b: Version) -> Bool { (a.major, a.minor) < (b.major, b.minor) }
        public var description: String { "\(major).\(minor)" }
    }

    /// Which `enum skb_drop_reason` list (include/net/dropreason-core.h) the
    /// model of this profile numbers its drop reasons with, and how far those
    /// numbers are verified for the profile's release. The numbers are not
    /// ABI: reasons are inserted mid-list between releases.
    public struct DropReasonList: Hashable, Sendable {
        /// Key of the list in Trace's `SkbDropReasonTable.named(_:)` ("6.8", "6.14").
        public var table: String
        /// torvalds/linux commit the list was read from.
        public var commit: String
        /// What is verified for this profile's release.
        public var verified: String

        /// `include/net/dropreason-core.h` at 03c11eb3b16d (v6.8/v6.9 list, MAX 87, NOMEM 63).
        public static let v6_8 = DropReasonList(
            table: "6.8", commit: "03c11eb3b16d",
            verified: "exact: the list of v6.8/v6.9 (none of the v6.10+ additions)")
        /// `include/net/dropreason-core.h` at a42d71e322a8: net-next of December
        /// 2024 (MAX 109, NOMEM 72), after v6.13's merge window, before the
        /// January 2025 SOCKET_* regrouping (SOCKET_CLOSE inserted after
        /// NO_SOCKET, SOCKET_FILTER/SOCKET_RCVBUFF moved up) that v6.14 released with.
        public static let netNextDec2024 = DropReasonList(
            table: "6.14", commit: "a42d71e322a8", verified: "")
    }

    /// Short identifier ("distro-x86_64-6.18").
    public var name: String
    /// One line for tables.
    public var summary: String
    public var version: Version
    public var config: KernelConfig

    public init(name: String, summary: String, version: Version, config: KernelConfig) {
        self.name = name
        self.summary = summary
        self.version = version
        var c = config
        c.pageFragAlgorithm = KernelProfile.pageFragAlgorithm(for: version)
        self.config = c
    }

    /// v6.14+ ("net: allow small head cache usage with large MAX_SKB_FRAGS
    /// values"): the rx allocators use kmalloc up to
    /// `SKB_WITH_OVERHEAD(SKB_SMALL_HEAD_CACHE_SIZE)`; before, up to
    /// `SKB_WITH_OVERHEAD(1024)`.
    public var rxKmallocUsesSmallHeadBound: Bool { version >= Version(6, 14) }

    /// page_frag count-up (v6.13+, "Replace page_frag with page_frag_cache
    /// (Part-1)") vs count-down (≤ v6.12).
    public static func pageFragAlgorithm(for version: Version) -> PageFragAlgorithm {
        version >= Version(6, 13) ? .countUp : .legacyCountDown
    }

    /// v6.1–v6.13 on 4 KiB pages (commit dbae2b062824 "net: skb: introduce and use a
    /// single page frag cache", reverted in v6.14): `napi_alloc_skb` serves padded
    /// lengths up to `SKB_WITH_OVERHEAD(1024)` from a 1 KiB slice of an order-0 page
    /// (`page_frag_alloc_1k`) instead of kmalloc. The revert (6bc7e4eb0499, with
    /// 14ad6ed30a10) landed in v6.14-rc4; stable updates may carry it too.
    /// Model: `SkbOptions.napiSmallPageFrag1k`.
    public var napiUsesSmallPageFrag1k: Bool {
        version >= Version(6, 1) && version < Version(6, 14) && config.pageSize == 4096
    }

    /// The drop-reason list of this profile (see `DropReasonList`). No list
    /// of a released 6.12, 6.13 or 6.14+ kernel is stored; the nearest stored
    /// list is used and `verified` says which numbers hold.
    public var dropReasons: DropReasonList {
        if version <= Version(6, 9) { return .v6_8 }
        var l = DropReasonList.netNextDec2024
        l.verified = version <= Version(6, 13)
            ? "NOT_SPECIFIED … TCP_FLAGS (2–27, e.g. NETFILTER_DROP 8, SOCKET_RCVBUFF 16): the same in the 6.8 list and in a42d71e322a8, so in every release between (reasons are only inserted); later numbers (NOMEM) not verified for v\(version)"
            : "NOT_SPECIFIED 2 and NO_SOCKET 3 only: after a42d71e322a8, net-next (January 2025, for v6.14) inserted SOCKET_CLOSE after NO_SOCKET and moved the SOCKET_* reasons up, so later numbers differ in v\(version); no 6.14+ list is stored"
        return l
    }
}

extension KernelConfig {
    /// A typical x86_64 distribution build: 4 KiB pages, 64-byte lines,
    /// `MAX_SKB_FRAGS` 17, `sizeof(struct sk_buff)` 232, `MAX_HEADER` 176
    /// (Hyper-V/WLAN `LL_MAX_HEADER` 128 + 48 for IP tunnels) → small head 704.
    public static var distroX86_64: KernelConfig { KernelConfig() }

    /// The Firecracker guest this repository's live numbers come from
    /// (6.18.44-fc-v782): no WLAN/AX25/Hyper-V and no IP tunnels, so
    /// `MAX_HEADER` = `LL_MAX_HEADER` = 32 → small head 576.
    public static var firecracker6_18: KernelConfig {
        var c = KernelConfig()
        c.maxHeader = 32
        return c
    }
}

extension KernelProfile {
    /// Distro x86_64, v6.18 (the model's defaults).
    public static let distroX86_64 = KernelProfile(
        name: "distro-x86_64-6.18", summary: "x86_64 distro config, MAX_HEADER 176, Linux 6.18",
        version: Version(6, 18), config: .distroX86_64)
    /// Distro x86_64, v6.13: page_frag counts up, rx kmalloc bound still `SKB_WITH_OVERHEAD(1024)`.
    public static let distroX86_64_v6_13 = KernelProfile(
        name: "distro-x86_64-6.13", summary: "x86_64 distro config, MAX_HEADER 176, Linux 6.13",
        version: Version(6, 13), config: .distroX86_64)
    /// Distro x86_64, v6.12: page_frag counts down, rx kmalloc bound `SKB_WITH_OVERHEAD(1024)`.
    public static let distroX86_64_v6_12 = KernelProfile(
        name: "distro-x86_64-6.12", summary: "x86_64 distro config, MAX_HEADER 176, Linux 6.12",
        version: Version(6, 12), config: .distroX86_64)
    /// The Firecracker guest of `docs/live-kernel.md`: 6.18, MAX_HEADER 32.
    public static let firecracker6_18 = KernelProfile(
        name: "firecracker-6.18", summary: "Firecracker minimal config, MAX_HEADER 32, Linux 6.18",
        version: Version(6, 18), config: .firecracker6_18)

    /// Every named profile, in table order.
    public static let all: [KernelProfile] = [.distroX86_64, .firecracker6_18, .distroX86_64_v6_13, .distroX86_64_v6_12]
}
