// The `enum skb_drop_reason` name lists of the kernels the profiles model, as data.
//
// Each list is indexed by the enum's numeric value: index 0 is
// SKB_NOT_DROPPED_YET, then SKB_CONSUMED (v6.2+), then the order of
// `DEFINE_DROP_REASON(FN, FNe)` (include/net/dropreason-core.h, v6.4+;
// include/net/dropreason.h before), the SKB_DROP_REASON_ prefix dropped.
// SKB_DROP_REASON_MAX is the list's count and is not itself an entry.
// docs/fidelity.md says how each list was established.

extension SkbDropReasonTable {
    /// v6.1 (`include/net/dropreason.h`; the core list moved to
    /// dropreason-core.h in v6.4). No `SKB_CONSUMED` yet: it was added by
    /// 0e84afe8ebfb ("net: dropreason: add SKB_CONSUMED reason", v6.2), so
    /// NOT_SPECIFIED is 1 and every later reason one lower than in v6.2+.
    /// Transcribed from the FN() list of a post-v6.3 copy of the header
    /// (0x7f454c46/linux 101b990beb71) with the entries appended after v6.1
    /// removed: DUP_FRAG, FRAG_REASM_TIMEOUT, FRAG_TOO_FAR (4ecbb1c27c36 and
    /// the rest of that series, net-next of 28 Oct 2022, v6.2), TCP_MINTTL
    /// (net-next of 1 Feb 2023, v6.3) and the IPv6 reasons after it (v6.3).
    /// MAX = 65.
    public static let linux6_1 = SkbDropReasonTable(
        kernel: "6.1",
        source:
            "torvalds/linux v6.1 include/net/dropreason.h (derived: 0x7f454c46/linux 101b990beb71 minus the v6.2/v6.3 additions)",
        names: [
            "NOT_DROPPED_YET", "NOT_SPECIFIED", "NO_SOCKET", "PKT_TOO_SMALL", "TCP_CSUM", "SOCKET_FILTER", "UDP_CSUM",
            "NETFILTER_DROP", "OTHERHOST", "IP_CSUM", "IP_INHDR", "IP_RPFILTER", "UNICAST_IN_L2_MULTICAST",
            "XFRM_POLICY", "IP_NOPROTO", "SOCKET_RCVBUFF", "PROTO_MEM", "TCP_MD5NOTFOUND", "TCP_MD5UNEXPECTED",
            "TCP_MD5FAILURE", "SOCKET_BACKLOG", "TCP_FLAGS", "TCP_ZEROWINDOW", "TCP_OLD_DATA", "TCP_OVERWINDOW",
            "TCP_OFOMERGE", "TCP_RFC7323_PAWS", "TCP_INVALID_SEQUENCE", "TCP_RESET", "TCP_INVALID_SYN", "TCP_CLOSE",
            "TCP_FASTOPEN", "TCP_OLD_ACK", "TCP_TOO_OLD_ACK", "TCP_ACK_UNSENT_DATA", "TCP_OFO_QUEUE_PRUNE",
            "TCP_OFO_DROP", "IP_OUTNOROUTES", "BPF_CGROUP_EGRESS", "IPV6DISABLED", "NEIGH_CREATEFAIL", "NEIGH_FAILED",
            "NEIGH_QUEUEFULL", "NEIGH_DEAD", "TC_EGRESS", "QDISC_DROP", "CPU_BACKLOG", "XDP", "TC_INGRESS",
            "UNHANDLED_PROTO", "SKB_CSUM", "SKB_GSO_SEG", "SKB_UCOPY_FAULT", "DEV_HDR", "DEV_READY", "FULL_RING",
            "NOMEM", "HDR_TRUNC", "TAP_FILTER", "TAP_TXFILTER", "ICMP_CSUM", "INVALID_PROTO", "IP_INADDRERRORS",
            "IP_INNOROUTES", "PKT_TOO_BIG",
        ]
    )

    /// v6.6 (`include/net/dropreason-core.h`): the list of the 6.6.y stable
    /// tree stored as gregkh/linux 14f679a8d2dd without its two stable
    /// backports appended at the end (TC_ERROR, net-next of 9 Oct 2023, and
    /// PACKET_SOCK_ERROR, net-next of 1 Dec 2023, both v6.7/v6.8 upstream);
    /// QUEUE_PURGE (net-next of 18 Aug 2023) is v6.6. Equal to the v6.8 list
    /// without the v6.7/v6.8 additions (TCP_AUTH_HDR, the four TCP_AO*,
    /// TC_COOKIE_ERROR, PACKET_SOCK_ERROR, TC_CHAIN_NOTFOUND,
    /// TC_RECLASSIFY_LOOP). MAX = 78. 6.6.y stable kernels with the two
    /// backports have MAX 80; the numbers below QUEUE_PURGE do not change.
    public static let linux6_6 = SkbDropReasonTable(
        kernel: "6.6",
        source:
            "torvalds/linux v6.6 include/net/dropreason-core.h (derived: gregkh/linux 14f679a8d2dd minus two stable backports)",
        names: [
            "NOT_DROPPED_YET", "CONSUMED", "NOT_SPECIFIED", "NO_SOCKET", "PKT_TOO_SMALL", "TCP_CSUM", "SOCKET_FILTER",
            "UDP_CSUM", "NETFILTER_DROP", "OTHERHOST", "IP_CSUM", "IP_INHDR", "IP_RPFILTER", "UNICAST_IN_L2_MULTICAST",
            "XFRM_POLICY", "IP_NOPROTO", "SOCKET_RCVBUFF", "PROTO_MEM", "TCP_MD5NOTFOUND", "TCP_MD5UNEXPECTED",
            "TCP_MD5FAILURE", "SOCKET_BACKLOG", "TCP_FLAGS", "TCP_ZEROWINDOW", "TCP_OLD_DATA", "TCP_OVERWINDOW",
            "TCP_OFOMERGE", "TCP_RFC7323_PAWS", "TCP_OLD_SEQUENCE", "TCP_INVALID_SEQUENCE", "TCP_RESET",
            "TCP_INVALID_SYN", "TCP_CLOSE", "TCP_FASTOPEN", "TCP_OLD_ACK", "TCP_TOO_OLD_ACK", "TCP_ACK_UNSENT_DATA",
            "TCP_OFO_QUEUE_PRUNE", "TCP_OFO_DROP", "IP_OUTNOROUTES", "BPF_CGROUP_EGRESS", "IPV6DISABLED",
            "NEIGH_CREATEFAIL", "NEIGH_FAILED", "NEIGH_QUEUEFULL", "NEIGH_DEAD", "TC_EGRESS", "QDISC_DROP",
            "CPU_BACKLOG", "XDP", "TC_INGRESS", "UNHANDLED_PROTO", "SKB_CSUM", "SKB_GSO_SEG", "SKB_UCOPY_FAULT",
            "DEV_HDR", "DEV_READY", "FULL_RING", "NOMEM", "HDR_TRUNC", "TAP_FILTER", "TAP_TXFILTER", "ICMP_CSUM",
            "INVALID_PROTO", "IP_INADDRERRORS", "IP_INNOROUTES", "PKT_TOO_BIG", "DUP_FRAG", "FRAG_REASM_TIMEOUT",
            "FRAG_TOO_FAR", "TCP_MINTTL", "IPV6_BAD_EXTHDR", "IPV6_NDISC_FRAG", "IPV6_NDISC_HOP_LIMIT",
            "IPV6_NDISC_BAD_CODE", "IPV6_NDISC_BAD_OPTIONS", "IPV6_NDISC_NS_OTHERHOST", "QUEUE_PURGE",
        ]
    )

    /// The v6.8 list: torvalds/linux at commit 03c11eb3b16d (has the TCP-AO
    /// reasons and TC_RECLASSIFY_LOOP, not the v6.9 additions
    /// TCP_ABORT_ON_DATA, TCP_INVALID_ACK_SEQUENCE and SECURITY_HOOK).
    /// MAX = 87.
    public static let linux6_8 = SkbDropReasonTable(
        kernel: "6.8",
        source: "torvalds/linux 03c11eb3b16d include/net/dropreason-core.h",
        names: [
            "NOT_DROPPED_YET", "CONSUMED", "NOT_SPECIFIED", "NO_SOCKET", "PKT_TOO_SMALL", "TCP_CSUM", "SOCKET_FILTER",
            "UDP_CSUM", "NETFILTER_DROP", "OTHERHOST", "IP_CSUM", "IP_INHDR", "IP_RPFILTER", "UNICAST_IN_L2_MULTICAST",
            "XFRM_POLICY", "IP_NOPROTO", "SOCKET_RCVBUFF", "PROTO_MEM", "TCP_AUTH_HDR", "TCP_MD5NOTFOUND",
            "TCP_MD5UNEXPECTED", "TCP_MD5FAILURE", "TCP_AONOTFOUND", "TCP_AOUNEXPECTED", "TCP_AOKEYNOTFOUND",
            "TCP_AOFAILURE", "SOCKET_BACKLOG", "TCP_FLAGS", "TCP_ZEROWINDOW", "TCP_OLD_DATA", "TCP_OVERWINDOW",
            "TCP_OFOMERGE", "TCP_RFC7323_PAWS", "TCP_OLD_SEQUENCE", "TCP_INVALID_SEQUENCE", "TCP_RESET",
            "TCP_INVALID_SYN", "TCP_CLOSE", "TCP_FASTOPEN", "TCP_OLD_ACK", "TCP_TOO_OLD_ACK", "TCP_ACK_UNSENT_DATA",
            "TCP_OFO_QUEUE_PRUNE", "TCP_OFO_DROP", "IP_OUTNOROUTES", "BPF_CGROUP_EGRESS", "IPV6DISABLED",
            "NEIGH_CREATEFAIL", "NEIGH_FAILED", "NEIGH_QUEUEFULL", "NEIGH_DEAD", "TC_EGRESS", "QDISC_DROP",
            "CPU_BACKLOG", "XDP", "TC_INGRESS", "UNHANDLED_PROTO", "SKB_CSUM", "SKB_GSO_SEG", "SKB_UCOPY_FAULT",
            "DEV_HDR", "DEV_READY", "FULL_RING", "NOMEM", "HDR_TRUNC", "TAP_FILTER", "TAP_TXFILTER", "ICMP_CSUM",
            "INVALID_PROTO", "IP_INADDRERRORS", "IP_INNOROUTES", "PKT_TOO_BIG", "DUP_FRAG", "FRAG_REASM_TIMEOUT",
            "FRAG_TOO_FAR", "TCP_MINTTL", "IPV6_BAD_EXTHDR", "IPV6_NDISC_FRAG", "IPV6_NDISC_HOP_LIMIT",
            "IPV6_NDISC_BAD_CODE", "IPV6_NDISC_BAD_OPTIONS", "IPV6_NDISC_NS_OTHERHOST", "QUEUE_PURGE",
            "TC_COOKIE_ERROR",
            "PACKET_SOCK_ERROR", "TC_CHAIN_NOTFOUND", "TC_RECLASSIFY_LOOP",
        ]
    )

    /// v6.12: the v6.8 list plus the three reasons of net-next February 2024
    /// (v6.9): TCP_ABORT_ON_DATA after TCP_FLAGS, TCP_INVALID_ACK_SEQUENCE
    /// after TCP_INVALID_SEQUENCE, SECURITY_HOOK after TC_EGRESS. Checked
    /// against two stored copies: torvalds/linux a42d71e322a8 (net-next of
    /// December 2024, v6.13 material) minus its v6.13 additions, and the
    /// Android 6.12 tree (maade93791/kernel_common-6.12 0c10203ea93f) minus
    /// its two v6.14 backports (SOCKET_CLOSE, UNIX_SKIP_OOB) give the same
    /// list. MAX = 90.
    public static let linux6_12 = SkbDropReasonTable(
        kernel: "6.12",
        source:
            "torvalds/linux v6.12 include/net/dropreason-core.h (derived: a42d71e322a8 and android 6.12 0c10203ea93f agree)",
        names: [
            "NOT_DROPPED_YET", "CONSUMED", "NOT_SPECIFIED", "NO_SOCKET", "PKT_TOO_SMALL", "TCP_CSUM", "SOCKET_FILTER",
            "UDP_CSUM", "NETFILTER_DROP", "OTHERHOST", "IP_CSUM", "IP_INHDR", "IP_RPFILTER", "UNICAST_IN_L2_MULTICAST",
            "XFRM_POLICY", "IP_NOPROTO", "SOCKET_RCVBUFF", "PROTO_MEM", "TCP_AUTH_HDR", "TCP_MD5NOTFOUND",
            "TCP_MD5UNEXPECTED", "TCP_MD5FAILURE", "TCP_AONOTFOUND", "TCP_AOUNEXPECTED", "TCP_AOKEYNOTFOUND",
            "TCP_AOFAILURE", "SOCKET_BACKLOG", "TCP_FLAGS", "TCP_ABORT_ON_DATA", "TCP_ZEROWINDOW", "TCP_OLD_DATA",
            "TCP_OVERWINDOW", "TCP_OFOMERGE", "TCP_RFC7323_PAWS", "TCP_OLD_SEQUENCE", "TCP_INVALID_SEQUENCE",
            "TCP_INVALID_ACK_SEQUENCE", "TCP_RESET", "TCP_INVALID_SYN", "TCP_CLOSE", "TCP_FASTOPEN", "TCP_OLD_ACK",
            "TCP_TOO_OLD_ACK", "TCP_ACK_UNSENT_DATA", "TCP_OFO_QUEUE_PRUNE", "TCP_OFO_DROP", "IP_OUTNOROUTES",
            "BPF_CGROUP_EGRESS", "IPV6DISABLED", "NEIGH_CREATEFAIL", "NEIGH_FAILED", "NEIGH_QUEUEFULL", "NEIGH_DEAD",
            "TC_EGRESS", "SECURITY_HOOK", "QDISC_DROP", "CPU_BACKLOG", "XDP", "TC_INGRESS", "UNHANDLED_PROTO",
            "SKB_CSUM", "SKB_GSO_SEG", "SKB_UCOPY_FAULT", "DEV_HDR", "DEV_READY", "FULL_RING", "NOMEM", "HDR_TRUNC",
            "TAP_FILTER", "TAP_TXFILTER", "ICMP_CSUM", "INVALID_PROTO", "IP_INADDRERRORS", "IP_INNOROUTES",
            "PKT_TOO_BIG", "DUP_FRAG", "FRAG_REASM_TIMEOUT", "FRAG_TOO_FAR", "TCP_MINTTL", "IPV6_BAD_EXTHDR",
            "IPV6_NDISC_FRAG", "IPV6_NDISC_HOP_LIMIT", "IPV6_NDISC_BAD_CODE", "IPV6_NDISC_BAD_OPTIONS",
            "IPV6_NDISC_NS_OTHERHOST", "QUEUE_PURGE", "TC_COOKIE_ERROR", "PACKET_SOCK_ERROR", "TC_CHAIN_NOTFOUND",
            "TC_RECLASSIFY_LOOP",
        ]
    )

    /// v6.18 as built into this project's reference machine (6.18.44): the
    /// `__print_symbolic` table of `/sys/kernel/tracing/events/skb/kfree_skb/format`,
    /// which the kernel generates from `DEFINE_DROP_REASON`. From v6.14 the
    /// SOCKET_* reasons are grouped after NO_SOCKET (SOCKET_CLOSE 4,
    /// SOCKET_FILTER 5, SOCKET_RCVBUFF 6), so every number from 4 on differs
    /// from the ≤ v6.13 lists. `TraceTests` re-reads the format file on a
    /// running 6.18 kernel and compares. MAX = 130.
    public static let linux6_18 = SkbDropReasonTable(
        kernel: "6.18",
        source: "Linux 6.18.44 tracefs events/skb/kfree_skb/format (DEFINE_DROP_REASON)",
        names: [
            "NOT_DROPPED_YET", "CONSUMED", "NOT_SPECIFIED", "NO_SOCKET", "SOCKET_CLOSE", "SOCKET_FILTER",
            "SOCKET_RCVBUFF", "UNIX_DISCONNECT", "UNIX_SKIP_OOB", "PKT_TOO_SMALL", "TCP_CSUM", "UDP_CSUM",
            "NETFILTER_DROP", "OTHERHOST", "IP_CSUM", "IP_INHDR", "IP_RPFILTER", "UNICAST_IN_L2_MULTICAST",
            "XFRM_POLICY", "IP_NOPROTO", "PROTO_MEM", "TCP_AUTH_HDR", "TCP_MD5NOTFOUND", "TCP_MD5UNEXPECTED",
            "TCP_MD5FAILURE", "TCP_AONOTFOUND", "TCP_AOUNEXPECTED", "TCP_AOKEYNOTFOUND", "TCP_AOFAILURE",
            "SOCKET_BACKLOG", "TCP_FLAGS", "TCP_ABORT_ON_DATA", "TCP_ZEROWINDOW", "TCP_OLD_DATA", "TCP_OVERWINDOW",
            "TCP_OFOMERGE", "TCP_RFC7323_PAWS", "TCP_RFC7323_PAWS_ACK", "TCP_RFC7323_TW_PAWS", "TCP_RFC7323_TSECR",
            "TCP_LISTEN_OVERFLOW", "TCP_OLD_SEQUENCE", "TCP_INVALID_SEQUENCE", "TCP_INVALID_END_SEQUENCE",
            "TCP_INVALID_ACK_SEQUENCE", "TCP_RESET", "TCP_INVALID_SYN", "TCP_CLOSE", "TCP_FASTOPEN", "TCP_OLD_ACK",
            "TCP_TOO_OLD_ACK", "TCP_ACK_UNSENT_DATA", "TCP_OFO_QUEUE_PRUNE", "TCP_OFO_DROP", "IP_OUTNOROUTES",
            "BPF_CGROUP_EGRESS", "IPV6DISABLED", "NEIGH_CREATEFAIL", "NEIGH_FAILED", "NEIGH_QUEUEFULL", "NEIGH_DEAD",
            "NEIGH_HH_FILLFAIL", "TC_EGRESS", "SECURITY_HOOK", "QDISC_DROP", "QDISC_OVERLIMIT", "QDISC_CONGESTED",
            "CAKE_FLOOD", "FQ_BAND_LIMIT", "FQ_HORIZON_LIMIT", "FQ_FLOW_LIMIT", "CPU_BACKLOG", "XDP", "TC_INGRESS",
            "UNHANDLED_PROTO", "SKB_CSUM", "SKB_GSO_SEG", "SKB_UCOPY_FAULT", "DEV_HDR", "DEV_READY", "FULL_RING",
            "NOMEM", "HDR_TRUNC", "TAP_FILTER", "TAP_TXFILTER", "ICMP_CSUM", "INVALID_PROTO", "IP_INADDRERRORS",
            "IP_INNOROUTES", "IP_LOCAL_SOURCE", "IP_INVALID_SOURCE", "IP_LOCALNET", "IP_INVALID_DEST", "PKT_TOO_BIG",
            "DUP_FRAG", "FRAG_REASM_TIMEOUT", "FRAG_TOO_FAR", "TCP_MINTTL", "IPV6_BAD_EXTHDR", "IPV6_TOO_MANY_EXTHDRS",
            "IPV6_NDISC_FRAG", "IPV6_NDISC_HOP_LIMIT", "IPV6_NDISC_BAD_CODE", "IPV6_NDISC_BAD_OPTIONS",
            "IPV6_NDISC_NS_OTHERHOST", "QUEUE_PURGE", "TC_COOKIE_ERROR", "PACKET_SOCK_ERROR", "TC_CHAIN_NOTFOUND",
            "TC_RECLASSIFY_LOOP", "VXLAN_INVALID_HDR", "VXLAN_VNI_NOT_FOUND", "MAC_INVALID_SOURCE",
            "VXLAN_ENTRY_EXISTS",
            "NO_TX_TARGET", "IP_TUNNEL_ECN", "TUNNEL_TXINFO", "LOCAL_MAC", "ARP_PVLAN_DISABLE", "MAC_IEEE_MAC_CONTROL",
            "BRIDGE_INGRESS_STP_STATE", "CAN_RX_INVALID_FRAME", "CANFD_RX_INVALID_FRAME", "CANXL_RX_INVALID_FRAME",
            "PFMEMALLOC", "DUALPI2_STEP_DROP", "PSP_INPUT", "PSP_OUTPUT", "RECURSION_LIMIT", "SKB_RX_HEADROOM",
        ]
    )
}
