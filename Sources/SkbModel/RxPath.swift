/// How the model driver turns a received frame into an skb (`--rx-path`;
/// the table in `RxDriver`'s documentation).
public enum RxPath: String, CaseIterable, Sendable, Hashable {
    case netdevAllocSkb = "netdev-alloc-skb"
    case napiAllocSkb = "napi-alloc-skb"
    case buildSkb = "build-skb"
    case scatterGather = "sg-copybreak"
    /// A non-blocking write to a TAP device: `tun_build_skb` when the frame
    /// fits a page, else `tun_alloc_skb` (`TunReceive.swift`).
    case tunBuildSkb = "tun-build-skb"
    /// A blocking write to a TAP device: `tun_alloc_skb` (`TunReceive.swift`).
    case tunAllocSkb = "tun-alloc-skb"
}
