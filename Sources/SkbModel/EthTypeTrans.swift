import Capture
import KernelMemory

/// The link layer's part of receive (net/ethernet/eth.c `eth_type_trans`,
/// and what the cooked, raw and loopback devices set instead).
extension SkbSim {
    /// Link-layer receive on an skb whose data is at the first byte the
    /// driver received (after any capture pseudo-header, `pseudoHeader`
    /// bytes of the captured frame).
    /// Ethernet (`eth_type_trans`): mac_header = data, pull ETH_HLEN,
    /// protocol and pkt_type from the frame (a tag the NIC did not strip
    /// stays in the data for `skb_vlan_untag`: VLANReceive.swift). Cooked SLL/SLL2 (the "any" device): the skb
    /// holds no link header; protocol and pkt_type are the kernel's own,
    /// from the pseudo-header (with re-inserted VLAN tags, the inner
    /// protocol, as with VLAN offload); mac_header = data, mac_len 0. Raw IP
    /// (a tun device, `tun_get_user`) and BSD null/loop: no MAC header
    /// either, mac_header = data with length 0, protocol from the IP version
    /// or the address family.
    /// network/transport_header = head offset of the decoder's offsets.
    func setLinkHeaders(
        _ skb: SkbID, _ h: UnsafePointer<PacketHeaders>, _ linkType: LinkType, pseudoHeader: Int = 0
    ) throws(SkbError) {
        let i = Int(skb.index)
        let base = Int(skbs[i].data)
        if h.pointee.macHeader != nil { skbs[i].macHeader = UInt16(truncatingIfNeeded: base) }
        skbs[i].protocolType =
            h.pointee.vlanDepth > 0 && pseudoHeader > 0 ? h.pointee.networkProtocol : h.pointee.protocolType
        skbs[i].pktType = h.pointee.pktType.rawValue
        let ethernet = linkType.dlt == LinkType.ethernet.dlt
        skbs[i].macLen = ethernet ? UInt16(truncatingIfNeeded: h.pointee.macLength) : 0
        // eth_type_trans pulls ETH_HLEN; the other link types give the skb no MAC header.
        let pull = ethernet && h.pointee.macHeader != nil ? 14 : 0
        if pull > 0 && pull <= Int(skbs[i].headlen) { _ = try __skb_pull(i, pull) }
        let origin = base - pseudoHeader
        if let n = h.pointee.networkHeader { skbs[i].networkHeader = UInt16(truncatingIfNeeded: origin + n) }
        if let t = h.pointee.transportHeader { skbs[i].transportHeader = UInt16(truncatingIfNeeded: origin + t) }
        emit(.headersSet, i, "eth_type_trans", UInt64(skbs[i].networkHeader), UInt64(skbs[i].transportHeader))
    }
}
