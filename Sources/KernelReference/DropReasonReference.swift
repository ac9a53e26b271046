/// `enum skb_drop_reason` values of a few reasons, counted by hand from the
/// `DEFINE_DROP_REASON` list of `include/net/dropreason-core.h` at the cited
/// torvalds/linux commit (SKB_NOT_DROPPED_YET 0, SKB_CONSUMED 1, then the
/// list in order from 2), written apart from Trace's tables.
public enum DropReasonReference {
    public struct Expected: Hashable, Sendable {
        public var name: String
        public var value: Int
    }

    /// The reasons of the fidelity rows.
    public static let names = ["NOT_SPECIFIED", "NOMEM", "NETFILTER_DROP", "SOCKET_RCVBUFF"]

    /// Values in the list at `commit` ("03c11eb3b16d" = v6.8/v6.9,
    /// "a42d71e322a8" = net-next December 2024); nil for a commit not read.
    public static func values(commit: String) -> [Expected]? {
        switch commit {
        case "03c11eb3b16d":
            // NOMEM: 62nd entry of the list (after FULL_RING), MAX 87.
            [.init(name: "NOT_SPECIFIED", value: 2), .init(name: "NOMEM", value: 63),
             .init(name: "NETFILTER_DROP", value: 8), .init(name: "SOCKET_RCVBUFF", value: 16)]
        case "a42d71e322a8":
            // Nine reasons inserted before NOMEM since 6.8 (TCP_ABORT_ON_DATA,
            // TCP_INVALID_ACK_SEQUENCE, SECURITY_HOOK, QDISC_OVERLIMIT,
            // QDISC_CONGESTED, CAKE_FLOOD, FQ_BAND_LIMIT, FQ_HORIZON_LIMIT,
            // FQ_FLOW_LIMIT): NOMEM 63 + 9 = 72; MAX 109.
            [.init(name: "NOT_SPECIFIED", value: 2), .init(name: "NOMEM", value: 72),
             .init(name: "NETFILTER_DROP", value: 8), .init(name: "SOCKET_RCVBUFF", value: 16)]
        default: nil
        }
    }

    public static func source(commit: String) -> Citation {
        Citation("include/net/dropreason-core.h", "DEFINE_DROP_REASON, enum skb_drop_reason", "torvalds/linux \(commit)")
    }
}
