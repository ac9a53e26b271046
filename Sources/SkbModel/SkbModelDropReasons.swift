import Trace

/// The drop reasons the skb model and the release pipeline emit, looked up
/// by name in one `SkbDropReasonTable` (the simulated kernel's), so that
/// the numbers in events and the names the sinks print always agree.
///
/// Every number comes from the table: NOMEM is 56 in 6.1, 63 in 6.8, 81 in
/// 6.18. CONSUMED (1) exists from v6.2; on v6.1 `consume_skb` carries no
/// reason, so `consumed` is NOT_DROPPED_YET (0) there and NOT_SPECIFIED is
/// 1. A name missing from a table maps to NOT_SPECIFIED.
public struct SkbModelDropReasons: Sendable, Hashable {
    public var consumed: SkbDropReason
    public var notSpecified: SkbDropReason
    public var nomem: SkbDropReason
    public var netfilterDrop: SkbDropReason
    public var socketRcvbuff: SkbDropReason
    public var protoMem: SkbDropReason
    public var noSocket: SkbDropReason
    public var queuePurge: SkbDropReason
    public var pktTooSmall: SkbDropReason
    public var otherHost: SkbDropReason
    public var unhandledProto: SkbDropReason
    /// `SKB_DROP_REASON_TCP_CSUM` / `UDP_CSUM` (both since v5.17).
    public var tcpCsum: SkbDropReason
    public var udpCsum: SkbDropReason

    public init(table: SkbDropReasonTable) {
        let notSpecified = table.reason(named: "NOT_SPECIFIED") ?? .notSpecified
        func r(_ name: String) -> SkbDropReason { table.reason(named: name) ?? notSpecified }
        self.notSpecified = notSpecified
        consumed = table.reason(named: "CONSUMED") ?? .notDroppedYet
        nomem = r("NOMEM")
        netfilterDrop = r("NETFILTER_DROP")
        socketRcvbuff = r("SOCKET_RCVBUFF")
        protoMem = r("PROTO_MEM")
        noSocket = r("NO_SOCKET")
        queuePurge = r("QUEUE_PURGE")
        pktTooSmall = r("PKT_TOO_SMALL")
        otherHost = r("OTHERHOST")
        unhandledProto = r("UNHANDLED_PROTO")
        tcpCsum = r("TCP_CSUM")
        udpCsum = r("UDP_CSUM")
    }
}
