/// Address family of a loopback send or probe.
public enum IPFamily: String, Sendable, Hashable, CaseIterable {
    case ipv4, ipv6

    /// The protocol-maximum UDP payload: 65535 minus IPv4+UDP headers, or minus UDP only
    /// for IPv6 (its payload length excludes the fixed header).
    public var maxUDPPayload: Int { self == .ipv4 ? 65507 : 65527 }
}

/// The route a UDP datagram takes when sent to a loopback address, as far as skb
/// sizing is concerned.
public struct LoopbackUDPPath: Sendable, Hashable {
    /// dst MTU of lo (`cork->fragsize`; 65536 by default).
    public var mtu: Int
    /// LL_RESERVED_SPACE(lo): ((hard_header_len 14 + needed_headroom 0) & ~15) + 16 = 16.
    public var linkReserve: Int
    /// lo advertises NETIF_F_SG (drivers/net/loopback.c `LOOPBACK_FEATURES`), which lets
    /// `__ip_append_data` put large payloads in page fragments.
    public var scatterGather: Bool

    public init(mtu: Int = 65536, linkReserve: Int = 16, scatterGather: Bool = true) {
        self.mtu = mtu
        self.linkReserve = linkReserve
        self.scatterGather = scatterGather
    }

    public static let `default` = LoopbackUDPPath()
}

/// One skb built by `__ip_append_data` / `__ip6_append_data` for a datagram.
public struct UDPSkbPlan: Sendable, Hashable {
    /// Size passed to `sock_alloc_send_skb` / `alloc_skb`.
    public var allocRequest: Int
    /// Head object the allocator hands back (small-head cache, kmalloc bucket or pages).
    public var headObject: Int
    /// Payload bytes copied into page fragments (`sk_page_frag`), each charged byte for byte.
    public var pagedBytes: Int
    /// skb->truesize = headObject + SKB_DATA_ALIGN(sizeof(struct sk_buff)) + pagedBytes.
    public var truesize: Int
}

public enum UDPTruesizeModel {
    /// The skbs the sender builds for one UDP datagram of `payload` bytes over loopback,
    /// with no IP options, no MSG_MORE / corking, no UDP GSO, no MSG_ZEROCOPY and no
    /// IPsec (dst trailer 0). More than one skb means IP fragmentation (only IPv6 on lo:
    /// 48 header bytes + 65527 payload exceed the 65536 MTU).
    public static func skbs(
        payload: Int, family: IPFamily, layout: SkbLayout,
        path: LoopbackUDPPath = .default
    ) -> [UDPSkbPlan] {
        let udpHeader = 8
        // fragheaderlen: the IP header (no options / extension headers).
        let ipHeader = family == .ipv4 ? 20 : 40
        // alloc_extra: __ip_append_data adds hh_len + 15; __ip6_append_data adds hh_len
        // plus room for a fragment header (sizeof(struct frag_hdr) = 8) in every skb and
        // no 15. (dst exthdr/trailer lengths are 0 without IPsec.)
        let allocExtra = family == .ipv4 ? path.linkReserve + 15 : path.linkReserve + 8
        // maxfraglen: data per fragment rounded down to 8; IPv6 subtracts the frag header.
        let maxFragLen = ((path.mtu - ipHeader) & ~7) + ipHeader - (family == .ipv6 ? 8 : 0)

        var remaining = payload + udpHeader  // `length` in __ip_append_data
        var transport = udpHeader  // transhdrlen, 0 after the first skb
        var plans: [UDPSkbPlan] = []
        repeat {
            // fraggap is 0 here: every full fragment is exactly maxfraglen long.
            var datalen = remaining
            if datalen > path.mtu - ipHeader { datalen = maxFragLen - ipHeader }
            let fraglen = datalen + ipHeader
            let request: Int
            let paged: Int
            if fraglen + allocExtra < layout.skbMaxAlloc || !path.scatterGather {
                request = fraglen + allocExtra
                paged = 0
            } else {
                request = ipHeader + transport + allocExtra
                paged = datalen - transport
            }
            let head = layout.headObjectSize(request: request)
            plans.append(
                UDPSkbPlan(
                    allocRequest: request, headObject: head, pagedBytes: paged,
                    truesize: head + layout.skBuffAligned + paged))
            remaining -= datalen
            transport = 0
        } while remaining > 0
        return plans
    }

    /// sk_rmem_alloc charged on the receiving socket for one datagram: the truesize of the
    /// sender's skb (loopback hands the same skb over; UDP charges skb->truesize), or for
    /// a fragmented IPv6 datagram the sum over its fragments (`__ip6_make_skb` sums them,
    /// `ip6_fragment` splits them back, reassembly adds each fragment's truesize because
    /// `skb_try_coalesce` refuses a kmalloc'ed, non-empty fragment head).
    public static func expectedTruesize(
        payload: Int, family: IPFamily, layout: SkbLayout,
        path: LoopbackUDPPath = .default
    ) -> Int {
        skbs(payload: payload, family: family, layout: layout, path: path)
            .reduce(0) { $0 + $1.truesize }
    }
}

/// `expectedUDPTruesize(payload:family:config:)`: see `UDPTruesizeModel.expectedTruesize`.
public func expectedUDPTruesize(
    payload: Int, family: IPFamily, config: SkbLayout,
    path: LoopbackUDPPath = .default
) -> Int {
    UDPTruesizeModel.expectedTruesize(payload: payload, family: family, layout: config, path: path)
}
