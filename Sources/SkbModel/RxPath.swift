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

    /// A write to a TAP device: the skb is allocated in the writing task,
    /// mostly GFP_KERNEL (which fail_page_alloc and failslab leave alone by
    /// default: `ignore-gfp-wait`).
    @inlinable public var isTunWrite: Bool { self == .tunBuildSkb || self == .tunAllocSkb }
}
