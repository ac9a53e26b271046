/// GRO knobs (`--gro`): the device parameters `napi_gro_receive` depends on
/// (the poll budget is `Napi.budget`).
public struct GROOptions: Sendable, Hashable {
    /// `NETIF_F_GRO` on the device. Off: `napi_gro_receive` hands every skb
    /// straight to `deliver` as received (`netif_elide_gro`).
    public var enabled: Bool
    /// `dev->gro_max_size` (default `GRO_LEGACY_MAX_SIZE` 65536): a merge that
    /// would make `p->len + len >= gro_max_size` fails with -E2BIG. Above
    /// 65536 IPv6/TCP may grow (BIG TCP, v5.19+) when the held skb has
    /// headroom for the hop-by-hop jumbo header. From v6.3 (`ipv4BigTCP`) it
    /// bounds IPv6 only; IPv4 has `groIPv4MaxSize`.
    public var groMaxSize: Int
    /// `dev->gro_ipv4_max_size` (v6.3+, default 65536): the bound for IPv4.
    public var groIPv4MaxSize: Int
    /// The release has IPv4 BIG TCP (b1a78b9b9886 "net: add support for ipv4
    /// big tcp", v6.3): `skb_gro_receive` bounds IPv4 by `gro_ipv4_max_size`
    /// and lets any TCP grow past 64 KiB. false (≤ v6.2): `gro_max_size`
    /// bounds both and only plain IPv6/TCP (next header TCP) grows past 64 KiB.
    public var ipv4BigTCP: Bool

    public init(
        enabled: Bool = false, groMaxSize: Int = 65536,
        groIPv4MaxSize: Int = 65536, ipv4BigTCP: Bool = true
    ) {
        self.enabled = enabled
        self.groMaxSize = groMaxSize
        self.groIPv4MaxSize = groIPv4MaxSize
        self.ipv4BigTCP = ipv4BigTCP
    }

    /// The size limit `skb_gro_receive` applies to a held skb of this family.
    @inlinable public func maxSize(ipv6: Bool) -> Int {
        ipv6 || !ipv4BigTCP ? groMaxSize : groIPv4MaxSize
    }

    /// `GRO_HASH_BUCKETS`.
    public static let hashBuckets = 8
    /// `MAX_GRO_SKBS`: held skbs per bucket; the oldest is flushed when full.
    public static let maxGroSkbs = 8
    /// `GRO_LEGACY_MAX_SIZE`.
    public static let legacyMaxSize = 65536
}
