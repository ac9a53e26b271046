import Trace

/// The drop reasons the skb model and the release pipeline emit, looked up
/// by name in one `SkbDropReasonTable` (the simulated kernel's), so that
/// the numbers in events and the names the sinks print always agree.
///
/// NOT_DROPPED_YET (0), CONSUMED (1) and NOT_SPECIFIED (2) are the same in
/// every kernel; the others move between releases (NOMEM is 63 in 6.8 and
/// 72 in ≈6.14). A name missing from a table maps to NOT_SPECIFIED.
public struct SkbModelDropReasons: Sendable, Hashable {
    public var consumed = SkbDropReason.consumed
    public var notSpecified = SkbDropReason.notSpecified
    public var nomem: SkbDropReason
    public var netfilterDrop: SkbDropReason
    public var socketRcvbuff: SkbDropReason
    public var protoMem: SkbDropReason
    public var noSocket: SkbDropReason
    public var queuePurge: SkbDropReason
    public var pktTooSmall: SkbDropReason

    public init(table: SkbDropReasonTable) {
        func r(_ name: String) -> SkbDropReason { table.reason(named: name) ?? .notSpecified }
        nomem = r("NOMEM")
        netfilterDrop = r("NETFILTER_DROP")
        socketRcvbuff = r("SOCKET_RCVBUFF")
        protoMem = r("PROTO_MEM")
        noSocket = r("NO_SOCKET")
        queuePurge = r("QUEUE_PURGE")
        pktTooSmall = r("PKT_TOO_SMALL")
    }
}
