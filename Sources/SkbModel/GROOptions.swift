/// GRO knobs (`--gro`): the device parameters `napi_gro_receive` depends on
/// (the poll budget is `Napi.budget`).
public struct GROOptions: Sendable, Hashable {
    /// `NETIF_F_GRO` on the device. Off: `napi_gro_receive` hands every skb
    /// straight to `deliver` as received (`netif_elide_gro`).
    public var enabled: Bool
    /// `dev->gro_max_size` (default `GRO_LEGACY_MAX_SIZE` 65536): a merge that
    /// would make `p->len + len >= gro_max_size` fails with -E2BIG. Above
    /// 65536 only plain IPv6/TCP may grow (BIG TCP); IPv4 stays at 64 KiB.
    public var groMaxSize: Int

    public init(enabled: Bool = false, groMaxSize: Int = 65536) {
        self.enabled = enabled
        self.groMaxSize = groMaxSize
    }

    /// `GRO_HASH_BUCKETS`.
    public static let hashBuckets = 8
    /// `MAX_GRO_SKBS`: held skbs per bucket; the oldest is flushed when full.
    public static let maxGroSkbs = 8
    /// `GRO_LEGACY_MAX_SIZE`.
    public static let legacyMaxSize = 65536
}
