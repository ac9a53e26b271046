/// `__alloc_skb` flags (`SKB_ALLOC_*`, include/linux/skbuff.h).
public struct SkbAllocFlags: OptionSet, Sendable, Hashable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// `SKB_ALLOC_FCLONE` (0x01): struct from `skbuff_fclone_cache`.
    public static let fclone = SkbAllocFlags(rawValue: 0x01)
    /// `SKB_ALLOC_RX` (0x02).
    public static let rx = SkbAllocFlags(rawValue: 0x02)
    /// `SKB_ALLOC_NAPI` (0x04): struct from the per-CPU NAPI skb cache
    /// (`napi_skb_cache_get`) unless `.fclone` is set too.
    public static let napi = SkbAllocFlags(rawValue: 0x04)
}
