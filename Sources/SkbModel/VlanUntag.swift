import KernelMemory

/// `skb_vlan_untag` (net/core/skbuff.c, v6.18), as `__netif_receive_skb_core`
/// (net/core/dev.c) calls it for an skb whose `skb->protocol` is 802.1Q or
/// 802.1ad, before the packet taps (`ptype_all`) see it: the outer tag
/// moves out of the data into `vlan_proto`/`vlan_tci`. With no VLAN device
/// on top (`vlan_do_receive` finds none) there is no further round, so a
/// second (inner) tag stays in-band.
extension SkbSim {
    /// `eth_type_vlan(skb->protocol)` of a live skb (no handle check: for
    /// the receive path, which holds the skb it was handed).
    @inlinable public func isVlanTagged(_ skb: SkbID) -> Bool {
        let p = skbs[Int(skb.index)].protocolType
        return p == 0x8100 || p == 0x88a8
    }

    /// `skb_vlan_untag(skb)`: nothing when a tag is already out of band;
    /// `pskb_may_pull(VLAN_HLEN + 2)` (an skb shorter than that is freed:
    /// `kfree_skb`, false returned); `__vlan_hwaccel_put_tag` with the TCI,
    /// `skb_pull_rcsum(VLAN_HLEN)`, `vlan_set_encap_proto`,
    /// `skb_reorder_vlan_header` (the destination and source addresses move
    /// up by VLAN_HLEN, `mac_header += VLAN_HLEN`; the skb here is never
    /// cloned, so its `skb_cow` does not copy), then the network header (and
    /// an unset transport header) reset to data and `skb_reset_mac_len`.
    /// truesize does not change. True while the skb lives.
    public func skb_vlan_untag(_ id: SkbID) throws(SkbError) -> Bool {
        let i = try slot(id, "skb_vlan_untag")
        if skbs[i].vlanProto != 0 { return true }
        let vlanHlen = 4
        guard Int(skbs[i].headlen) >= vlanHlen + 2 else {
            // pskb_may_pull would pull paged bytes into the head; the model's
            // receive paths always hold the link and network headers linear.
            if Int(skbs[i].len) < vlanHlen + 2 {
                try kfree_skb(id)
                return false
            }
            return true
        }
        var tag = [UInt8](repeating: 0, count: 6)
        tag.withUnsafeMutableBytes { _ = memory.copyOut(from: skbs[i].dataPointer, into: $0) }
        skbs[i].vlanProto = skbs[i].protocolType
        skbs[i].vlanTci = UInt16(tag[0]) << 8 | UInt16(tag[1])
        _ = try __skb_pull(i, vlanHlen)
        // vlan_set_encap_proto: an EtherType, else 802.3 raw (0xFFFF) or 802.2 LLC.
        let encap = UInt16(tag[2]) << 8 | UInt16(tag[3])
        skbs[i].protocolType = encap >= 0x0600 ? encap : (tag[4] == 0xff && tag[5] == 0xff ? 0x0001 : 0x0004)
        if skbs[i].macHeader != SkBuff.unsetHeader {
            let mac = skbs[i].head + Int(skbs[i].macHeader)
            let macLen = Int(skbs[i].data) - Int(skbs[i].macHeader)
            if macLen > vlanHlen + 2 {
                var addresses = [UInt8](repeating: 0, count: macLen - vlanHlen - 2)
                addresses.withUnsafeMutableBytes { _ = memory.copyOut(from: mac, into: $0) }
                addresses.withUnsafeBytes { _ = memory.copyIn(to: mac + vlanHlen, from: $0) }
            }
            skbs[i].macHeader &+= UInt16(vlanHlen)
        }
        skbs[i].networkHeader = UInt16(truncatingIfNeeded: skbs[i].data)
        if skbs[i].transportHeader == SkBuff.unsetHeader {
            skbs[i].transportHeader = UInt16(truncatingIfNeeded: skbs[i].data)
        }
        if skbs[i].macHeader != SkBuff.unsetHeader {
            skbs[i].macLen = skbs[i].networkHeader &- skbs[i].macHeader
        }
        emit(.headersSet, i, "skb_vlan_untag", UInt64(skbs[i].vlanTci), UInt64(skbs[i].protocolType))
        return true
    }
}
