/// `eth_get_headlen` (net/ethernet/eth.c, v6.18): how many bytes of a frame
/// are headers, as a header-split driver (`igb_construct_skb`, ixgbe, i40e,
/// ice) decides what to copy into the skb head.
extension RxDriver {
    /// `eth_get_headlen(dev, data, hlen)`: the flow dissector
    /// (`skb_flow_dissect_flow_keys_basic`, net/core/flow_dissector.c, flags
    /// `FLOW_DISSECTOR_F_PARSE_1ST_FRAG`) walks the first `hlen` bytes to the
    /// transport header (`thoff`); when it fails the result is
    /// max(thoff, ETH_HLEN), else `__skb_get_poff` adds the transport header
    /// — TCP max(20, doff × 4) when the doff byte lies within `hlen`; UDP,
    /// UDP-Lite, ICMP, ICMPv6, IGMP 8; DCCP, SCTP 12; nothing for an IP
    /// fragment after the first or any other protocol — and the result is
    /// capped at `hlen`.
    ///
    /// Dissected as the kernel does: 802.1Q/802.1AD tags, IPv4 (IHL ≥ 5; no
    /// version, length or checksum test), IPv6 with hop-by-hop, routing,
    /// destination-options and fragment headers, IP-in-IP and IPv6-in-IP
    /// (the inner header is dissected too), ARP/RARP (no transport header);
    /// any other type stops at the network header. GRE, MPLS, PPPoE and the
    /// other encapsulations the kernel's dissector also enters stop at their
    /// outer header here.
    static func eth_get_headlen(_ bytes: UnsafeRawBufferPointer, _ hlen: Int) -> Int {
        let len = min(bytes.count, hlen)
        guard len >= 14 else { return len }  // "this should never happen"
        @inline(__always) func be16(_ at: Int) -> Int? {
            at + 2 <= len ? Int(bytes[at]) << 8 | Int(bytes[at + 1]) : nil
        }
        @inline(__always) func u8(_ at: Int) -> Int? { at < len ? Int(bytes[at]) : nil }
        var proto = be16(12)!
        var nhoff = 14
        var ipProto = -1
        var fragment = false
        var firstFragment = false
        var good = false
        var depth = 0
        dissect: while depth < 15 {  // MAX_FLOW_DISSECT_HDRS
            depth += 1
            switch proto {
            case 0x8100, 0x88A8:
                guard let next = be16(nhoff + 2) else { break dissect }
                proto = next
                nhoff += 4
                continue dissect
            case 0x0800:
                guard let vihl = u8(nhoff), nhoff + 20 <= len, vihl & 0x0F >= 5 else { break dissect }
                ipProto = u8(nhoff + 9)!
                let fragOff = be16(nhoff + 6)!
                nhoff += (vihl & 0x0F) * 4
                if fragOff & 0x3FFF != 0 {  // ip_is_fragment
                    fragment = true
                    if fragOff & 0x1FFF != 0 {
                        good = true
                        break dissect
                    }
                    firstFragment = true
                }
            case 0x86DD:
                guard nhoff + 40 <= len else { break dissect }
                ipProto = u8(nhoff + 6)!
                nhoff += 40
            case 0x0806, 0x8035:
                good = true  // ARP/RARP: no transport header in the basic keys
                break dissect
            default:
                break dissect
            }
            // ip_proto_again
            while true {
                switch ipProto {
                case 0, 43, 60:  // NEXTHDR_HOP, NEXTHDR_ROUTING, NEXTHDR_DEST
                    guard proto == 0x86DD, let next = u8(nhoff), let extLen = u8(nhoff + 1) else { break dissect }
                    ipProto = next
                    nhoff += (extLen + 1) << 3
                case 44:  // NEXTHDR_FRAGMENT
                    guard proto == 0x86DD, let next = u8(nhoff), let fragOff = be16(nhoff + 2) else { break dissect }
                    fragment = true
                    ipProto = next
                    nhoff += 8
                    if fragOff & 0xFFF8 != 0 {  // IP6_OFFSET
                        good = true
                        break dissect
                    }
                    firstFragment = true
                case 4:  // IPPROTO_IPIP
                    proto = 0x0800
                    continue dissect
                case 41:  // IPPROTO_IPV6
                    proto = 0x86DD
                    continue dissect
                default:
                    good = true
                    break dissect
                }
            }
        }
        let thoff = min(nhoff, len)
        guard good else { return max(thoff, 14) }
        if fragment && !firstFragment { return min(thoff, len) }
        var poff = thoff
        switch ipProto {
        case 6:
            if let doff = u8(thoff + 12) { poff += max(20, (doff & 0xF0) >> 2) }
        case 17, 136, 1, 58, 2: poff += 8
        case 33, 132: poff += 12
        default: break
        }
        return min(poff, len)
    }
}
