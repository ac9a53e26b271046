/// How the model driver turns a received frame into an skb (`--rx-path`;
/// the table in `RxDriver`'s documentation).
public enum RxPath: String, CaseIterable, Sendable, Hashable {
    case netdevAllocSkb = "netdev-alloc-skb"
    case napiAllocSkb = "napi-alloc-skb"
    case buildSkb = "build-skb"
    case scatterGather = "sg-copybreak"
}
