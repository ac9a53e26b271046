/// Why a held GRO skb left the held list (`SkbEventKind.groFlush` arg1).
///
/// | code | cause | kernel |
/// |------|-------|--------|
/// | 0 | `pollEnd` | end of a NAPI poll: `napi_complete_done` → `gro_flush` |
/// | 1 | `explicitFlush` | `napi_gro_flush` called by the caller (e.g. end of capture) |
/// | 2 | `tcpFlags` | the merged segment had PSH/URG/RST/SYN/FIN (`tcp_gro_receive` out_check_final) |
/// | 3 | `shortSegment` | the merged segment was shorter than the mss (`len < mss`) |
/// | 4 | `tcpHeader` | new segment not merged: CWR set, flags (other than CWR/FIN/PSH), data offset or window differ, or ack_seq differs |
/// | 5 | `tcpOptions` | new segment not merged: TCP option bytes differ (e.g. a new TSval) |
/// | 6 | `network` | new segment not merged: IPv4 ttl/tos/DF/IP ID sequence or IPv6 traffic class/hop limit differ, or the IP layer flagged the new skb (length mismatch) |
/// | 7 | `oversize` | new segment not merged: its payload is larger than the held mss (`len - 1 >= mss`) |
/// | 8 | `seqGap` | new segment not merged: its seq is not held seq + held payload |
/// | 9 | `groMaxSize` | `skb_gro_receive` returned -E2BIG (`p->len + len >= gro_max_size`) |
/// | 10 | `bucketFull` | `gro_flush_oldest`: the bucket already held `MAX_GRO_SKBS` |
public enum GROFlushCause: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case pollEnd = 0
    case explicitFlush = 1
    case tcpFlags = 2
    case shortSegment = 3
    case tcpHeader = 4
    case tcpOptions = 5
    case network = 6
    case oversize = 7
    case seqGap = 8
    case groMaxSize = 9
    case bucketFull = 10

    public var description: String {
        switch self {
        case .pollEnd: "poll_end"
        case .explicitFlush: "flush"
        case .tcpFlags: "tcp_flags"
        case .shortSegment: "short_segment"
        case .tcpHeader: "tcp_header"
        case .tcpOptions: "tcp_options"
        case .network: "network"
        case .oversize: "oversize"
        case .seqGap: "seq_gap"
        case .groMaxSize: "gro_max_size"
        case .bucketFull: "bucket_full"
        }
    }
}

/// How `skb_gro_receive` attached a segment (`SkbEventKind.groMerge` arg1).
public enum GROMergeStrategy: UInt8, Sendable, CaseIterable {
    /// Headers all in the linear part, payload in frags: the frags move to
    /// the held skb, the new skb's shell and head are freed (`NAPI_GRO_FREE`).
    case frags = 0
    /// `head_frag` head: the head page becomes a frag of the held skb; only the
    /// struct is freed (`NAPI_GRO_FREE_STOLEN_HEAD`).
    case headSteal = 1
    /// Fallback: the skb, pulled to its payload, is chained on `frag_list`.
    case fragList = 2
}
