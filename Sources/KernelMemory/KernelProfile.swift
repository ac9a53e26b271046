/// A kernel release plus build configuration, as far as it changes skb
/// geometry and allocation paths. The model takes a profile
/// (`SkbSim(profile:)`); the independent reference (`KernelReference`) reads
/// only its release and raw build numbers and applies its own per-release
/// table, so a fidelity row compares the same kernel on both sides without
/// sharing a rule.
///
/// What a profile decides, by release (`init` applies it to `config`):
/// - `SKB_SMALL_HEAD_CACHE_SIZE` (`KernelConfig.smallHeadCache`): no
///   `skbuff_small_head` cache ≤ v6.2, `SKB_HEAD_ALIGN(MAX_TCP_HEADER)`
///   v6.3–v6.13, `max(MAX_TCP_HEADER, GRO_MAX_HEAD_PAD)` from v6.14;
/// - the rx kmalloc threshold of `__netdev_alloc_skb` / `napi_alloc_skb`
///   (`rxKmallocUsesSmallHeadBound`), napi's 1 KiB page fragments
///   (`napiUsesSmallPageFrag1k`), the page_frag direction
///   (`KernelConfig.pageFragAlgorithm`), MAX_SKB_FRAGS before v6.4;
/// - the `enum skb_drop_reason` list (`dropReasons`).
/// The build: page size, cache line, `MAX_SKB_FRAGS`, `sizeof(struct sk_buff)`,
/// `MAX_HEADER`, `NET_IP_ALIGN` (`config`).
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

    /// Short identifier ("distro-x86_64-6.18").
    public var name: String
    /// One line for tables.
    public var summary: String
    public var version: Version
    public var config: KernelConfig
    /// `CONFIG_HZ` where known (a running kernel's, measured); nil for the
    /// named profiles, whose model does not depend on it.
    public var configHZ: Int?

    /// A profile of `version` built as `config`: the release's rules
    /// (small-head cache, page_frag direction, MAX_SKB_FRAGS before v6.4)
    /// replace what `config` says about them.
    public init(name: String, summary: String, version: Version, config: KernelConfig) {
        self.name = name
        self.summary = summary
        self.version = version
        var c = config
        c.pageFragAlgorithm = KernelProfile.pageFragAlgorithm(for: version)
        c.smallHeadCache = KernelProfile.smallHeadCache(for: version)
        if let frags = KernelProfile.fixedMaxSkbFrags(for: version, pageSize: c.pageSize) { c.maxSkbFrags = frags }
        self.config = c
    }

    /// 14ad6ed30a10 ("net: allow small head cache usage with large
    /// MAX_SKB_FRAGS values", v6.14-rc4; stable 6.13.y and 6.12.y picked it)
    /// changed the small-head size and, in the same patch, the rx allocators'
    /// kmalloc bound to `SKB_WITH_OVERHEAD(SKB_SMALL_HEAD_CACHE_SIZE)`;
    /// before, `SKB_WITH_OVERHEAD(1024)`. So the bound follows the small-head
    /// rule the profile has (a stable kernel with the backport has both).
    public var rxKmallocUsesSmallHeadBound: Bool { config.smallHeadCache == .maxTcpHeaderOrGroMaxHeadPad }

    /// page_frag count-up (v6.13+, "mm: page_frag: use initial zero offset
    /// for page_frag_alloc_align()") vs count-down (≤ v6.12).
    public static func pageFragAlgorithm(for version: Version) -> PageFragAlgorithm {
        version >= Version(6, 13) ? .countUp : .legacyCountDown
    }

    /// `SKB_SMALL_HEAD_CACHE_SIZE` of a release: none before bf9f1baa279f
    /// (v6.3), `SKB_HEAD_ALIGN(MAX_TCP_HEADER)` until 14ad6ed30a10 (v6.14-rc4).
    public static func smallHeadCache(for version: Version) -> SmallHeadCache {
        if version < Version(6, 3) { return .none }
        return version < Version(6, 14) ? .maxTcpHeader : .maxTcpHeaderOrGroMaxHeadPad
    }

    /// MAX_SKB_FRAGS where the release fixes it: before v6.4 (3948b05950fd
    /// "net: introduce a config option to tweak MAX_SKB_FRAGS") it is
    /// `65536/PAGE_SIZE + 1`, at least 16 (`include/linux/skbuff.h`): 17 on
    /// 4 KiB pages, 16 on 16/64 KiB. nil: `CONFIG_MAX_SKB_FRAGS` (17 by default).
    public static func fixedMaxSkbFrags(for version: Version, pageSize: Int) -> Int? {
        version < Version(6, 4) ? max(16, 65536 / pageSize + 1) : nil
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

    /// The `enum skb_drop_reason` list of this release: the key of Trace's
    /// `SkbDropReasonTable.named(_:)`, nil when none is stored for it (the
    /// numbers are not ABI: reasons are inserted mid-list between releases).
    public var dropReasons: String? {
        KernelProfile.dropReasonReleases.contains(version) ? version.description : nil
    }

    /// Releases whose drop-reason list Trace stores.
    public static let dropReasonReleases: [Version] = [
        Version(6, 1), Version(6, 6), Version(6, 8), Version(6, 12), Version(6, 18),
    ]

    /// This profile with `PAGE_SIZE` = `pageSize` (4096, 16384 or 65536):
    /// the geometry of arm64/ppc64 page sizes on this build's other numbers.
    public func withPageSize(_ pageSize: Int) -> KernelProfile {
        guard pageSize != config.pageSize else { return self }
        var c = config
        c.pageSize = pageSize
        return KernelProfile(
            name: "\(name)-\(pageSize / 1024)k", summary: "\(summary), \(pageSize / 1024) KiB pages",
            version: version, config: c)
    }
}

extension KernelConfig {
    /// A typical x86_64 distribution build: 4 KiB pages, 64-byte lines,
    /// `MAX_SKB_FRAGS` 17, `sizeof(struct sk_buff)` 232, `MAX_HEADER` 176
    /// (Hyper-V/WLAN `LL_MAX_HEADER` 128 + 48 for IP tunnels).
    public static var distroX86_64: KernelConfig { KernelConfig() }

    /// The Firecracker guest this repository's live numbers come from
    /// (6.18.44-fc): no WLAN/AX25/Hyper-V and no IP tunnels, so
    /// `MAX_HEADER` = `LL_MAX_HEADER` = 32 → small head 576.
    public static var firecracker6_18: KernelConfig {
        var c = KernelConfig()
        c.maxHeader = 32
        return c
    }
}

extension KernelProfile {
    static func distro(_ major: Int, _ minor: Int) -> KernelProfile {
        KernelProfile(
            name: "distro-x86_64-\(major).\(minor)",
            summary: "x86_64 distro config, MAX_HEADER 176, Linux \(major).\(minor)",
            version: Version(major, minor), config: .distroX86_64)
    }

    /// Distro x86_64, v6.18 (the model's defaults).
    public static let distroX86_64 = distro(6, 18)
    /// Distro x86_64, v6.12: small head 640 (`SKB_HEAD_ALIGN(MAX_TCP_HEADER)`), rx bound
    /// `SKB_WITH_OVERHEAD(1024)`, napi 1 KiB page frags, page_frag counts down.
    public static let distroX86_64_v6_12 = distro(6, 12)
    /// Distro x86_64, v6.6: as v6.12, another drop-reason list.
    public static let distroX86_64_v6_6 = distro(6, 6)
    /// Distro x86_64, v6.1: no `skbuff_small_head` cache (kmalloc heads), MAX_SKB_FRAGS
    /// fixed at 17, no SKB_CONSUMED.
    public static let distroX86_64_v6_1 = distro(6, 1)
    /// The Firecracker guest of `docs/live-kernel.md`: 6.18, MAX_HEADER 32.
    public static let firecracker6_18 = KernelProfile(
        name: "firecracker-6.18", summary: "Firecracker minimal config, MAX_HEADER 32, Linux 6.18",
        version: Version(6, 18), config: .firecracker6_18)

    /// Every named profile, in table order.
    public static let all: [KernelProfile] = [
        .distroX86_64, .firecracker6_18, .distroX86_64_v6_12, .distroX86_64_v6_6, .distroX86_64_v6_1,
    ]

    /// A named profile: its name ("distro-x86_64-6.12", "firecracker-6.18")
    /// or a distro release ("6.12", "v6.1").
    public static func named(_ name: String) -> KernelProfile? {
        if let p = all.first(where: { $0.name == name }) { return p }
        let bare = name.hasPrefix("v") ? String(name.dropFirst()) : name
        return all.first { $0.name == "distro-x86_64-\(bare)" }
    }
}
