import Capture
import KernelMemory

/// The VLAN devices the simulated host has (`ip link add link eth0 name
/// eth0.100 type vlan id 100`): which tags `vlan_do_receive` finds a device
/// for. A tagged frame with no device for its (non-zero) VID is marked
/// `PACKET_OTHERHOST` and dropped by `ip_rcv_core` / `ipv6_rcv_core`.
public struct VLANDevices: Sendable, Hashable {
    /// 802.1Q devices by VID, then 802.1AD devices by VID (4096 bits each).
    @usableFromInline var bits: [UInt64]

    /// A device for every VID of both tag protocols: every tagged frame is
    /// delivered, as on the host the capture describes (the default).
    public static let all = VLANDevices(bits: [UInt64](repeating: ~0, count: 128))
    /// No VLAN device: tagged frames with a non-zero VID are dropped (OTHERHOST).
    public static let none = VLANDevices(bits: [UInt64](repeating: 0, count: 128))

    init(bits: [UInt64]) { self.bits = bits }

    /// Devices for exactly these VIDs: `dot1q` for 802.1Q (0x8100) tags,
    /// `dot1ad` for 802.1AD (0x88A8) tags. VIDs above 4095 are ignored.
    public init(dot1q: some Sequence<UInt16>, dot1ad: some Sequence<UInt16> = [UInt16]()) {
        var bits = [UInt64](repeating: 0, count: 128)
        for v in dot1q where v < 4096 { bits[Int(v) >> 6] |= 1 << (UInt64(v) & 63) }
        for v in dot1ad where v < 4096 { bits[64 + Int(v) >> 6] |= 1 << (UInt64(v) & 63) }
        self.bits = bits
    }

    /// `vlan_find_dev(dev, vlan_proto, vlan_id) != NULL`.
    @inlinable public func contains(proto: UInt16, vid: UInt16) -> Bool {
        let base = proto == HeaderDecoder.ethP8021AD ? 64 : proto == HeaderDecoder.ethP8021Q ? 0 : -1
        guard base >= 0, vid < 4096 else { return false }
        return bits[base + Int(vid) >> 6] & (1 << (UInt64(vid) & 63)) != 0
    }

    /// Parses the `--vlan-devices` value: `all`, `none`, or a comma list of
    /// VIDs (802.1Q) and `ad:VID` (802.1AD). nil when malformed.
    public init?(parsing text: String) {
        switch text {
        case "all": self = .all
        case "none": self = .none
        default:
            var q: [UInt16] = []
            var ad: [UInt16] = []
            for part in text.split(separator: ",", omittingEmptySubsequences: false) {
                let isAD = part.hasPrefix("ad:")
                guard let v = UInt16(isAD ? part.dropFirst(3) : part), v < 4096 else { return nil }
                if isAD { ad.append(v) } else { q.append(v) }
            }
            self.init(dot1q: q, dot1ad: ad)
        }
    }
}

/// include/linux/if_vlan.h; the ethertypes are the decoder's
/// (`HeaderDecoder.ethP8021Q`, …: include/uapi/linux/if_ether.h).
public enum VLANReceive {
    /// `VLAN_HLEN`.
    static let vlanHeaderLength = 4

    /// `eth_type_vlan(ethertype)`: 802.1Q or 802.1AD (not the pre-standard 0x9100).
    @inlinable public static func isVLAN(_ type: UInt16) -> Bool {
        type == HeaderDecoder.ethP8021Q || type == HeaderDecoder.ethP8021AD
    }
}

/// What `__netif_receive_skb_core` did with an skb's VLAN tags.
public enum VLANOutcome: Sendable, Hashable {
    /// No tag: nothing to do.
    case untagged
    /// Every tag found its VLAN device (`vlan_do_receive`), or was a
    /// priority tag (VID 0): the skb goes on to the protocol handlers.
    case viaDevice
    /// A tag with a non-zero VID had no device: `pkt_type` is now
    /// `PACKET_OTHERHOST`; the protocol handler drops it.
    case otherHost
    /// `skb_vlan_untag` freed the skb (too short for a tag, or no memory).
    case freed
}

/// VLAN receive (v6.18): the NIC's tag offload, `skb_vlan_untag`
/// (net/core/skbuff.c) and the VLAN part of `__netif_receive_skb_core`
/// (net/core/dev.c) with `vlan_do_receive` (net/8021q/vlan_core.c).
///
/// A NIC with `NETIF_F_HW_VLAN_CTAG_RX` (igb, ixgbe, i40e, mlx5: on by
/// default) strips the outer 802.1Q tag before DMA and the driver calls
/// `__vlan_hwaccel_put_tag`; the skb's data never holds it. Without the
/// offload (virtio_net, tun, `ethtool -K dev rxvlan off`) the tag stays in
/// the frame, `eth_type_trans` returns 0x8100 and `skb_vlan_untag` pops it
/// in `__netif_receive_skb_core`: data moves 4 bytes on, the MAC addresses
/// are moved up over the tag (`skb_reorder_vlan_header`), mac_header += 4.
/// The memory the skb holds (truesize) is the same either way; its length
/// is 4 bytes shorter.
extension SkbSim {
    /// `__vlan_hwaccel_put_tag(skb, vlan_proto, vlan_tci)`.
    public func __vlan_hwaccel_put_tag(_ skb: SkbID, proto: UInt16, tci: UInt16) throws(SkbError) {
        let i = try slot(skb, "__vlan_hwaccel_put_tag")
        skbs[i].vlanProto = proto
        skbs[i].vlanTCI = tci
    }

    /// `skb_vlan_untag(skb)`: pops the in-band tag at `skb->data` into
    /// `vlan_tci`. Returns false when the skb was freed (the kernel returns
    /// NULL after `kfree_skb`): too short for a tag and the next type, or
    /// `skb_cow` could not unclone the head.
    public func skb_vlan_untag(_ skb: SkbID) throws(SkbError) -> Bool {
        let i = try slot(skb, "skb_vlan_untag")
        if skbs[i].vlanTagPresent { return true }  // "leave this for another time"
        // We may access the two bytes after vlan_hdr in vlan_set_encap_proto().
        guard try pskb_may_pull(skb, VLANReceive.vlanHeaderLength + 2) else {
            try kfree_skb_reason(skb, reasons.notSpecified)
            return false
        }
        let d = skbs[i].dataPointer
        var header = (UInt8(0), UInt8(0), UInt8(0), UInt8(0))
        _ = withUnsafeMutableBytes(of: &header) { memory.copyOut(from: d, into: $0) }
        let tci = UInt16(header.0) << 8 | UInt16(header.1)
        let encapsulated = UInt16(header.2) << 8 | UInt16(header.3)
        skbs[i].vlanProto = skbs[i].protocolType
        skbs[i].vlanTCI = tci
        _ = try __skb_pull(i, VLANReceive.vlanHeaderLength)  // skb_pull_rcsum
        // vlan_set_encap_proto: a length field means 802.3 (raw IPX) or 802.2.
        if encapsulated >= HeaderDecoder.ethP8023Min {
            skbs[i].protocolType = encapsulated
        } else {
            var next = (UInt8(0), UInt8(0))
            _ = withUnsafeMutableBytes(of: &next) { memory.copyOut(from: skbs[i].dataPointer, into: $0) }
            skbs[i].protocolType = next == (0xFF, 0xFF) ? HeaderDecoder.ethP8023 : HeaderDecoder.ethP8022
        }
        guard try skb_reorder_vlan_header(i) else { return false }
        skbs[i].networkHeader = UInt16(truncatingIfNeeded: skbs[i].data)  // skb_reset_network_header
        if skbs[i].transportHeader == SkBuff.unsetHeader {
            skbs[i].transportHeader = skbs[i].networkHeader
        }
        if skbs[i].macHeader != SkBuff.unsetHeader {  // skb_reset_mac_len
            skbs[i].macLen = skbs[i].networkHeader &- skbs[i].macHeader
        }
        emit(.headersSet, i, "skb_vlan_untag", UInt64(skbs[i].networkHeader), UInt64(skbs[i].transportHeader))
        return true
    }

    /// `skb_reorder_vlan_header`: `skb_cow` (a private head: a clone's is
    /// copied by `pskb_expand_head`), then the MAC header up to the tag moves
    /// VLAN_HLEN bytes on, over the tag, and `mac_header += VLAN_HLEN`.
    func skb_reorder_vlan_header(_ i: Int) throws(SkbError) -> Bool {
        if skbs[i].cloned {
            guard try pskb_expand_head(i, 0, 0, .GFP_ATOMIC) else {
                try kfree_skb_reason(id(i), reasons.notSpecified)
                return false
            }
        }
        guard skbs[i].macHeader != SkBuff.unsetHeader else { return true }
        let mac = skbs[i].head + Int(skbs[i].macHeader)
        let macLen = Int(skbs[i].data) - Int(skbs[i].macHeader)
        let moved = macLen - VLANReceive.vlanHeaderLength - 2  // ETH_TLEN
        if moved > 0 {  // memmove
            withUnsafeTemporaryAllocation(byteCount: moved, alignment: 1) { bytes in
                _ = memory.copyOut(from: mac, into: bytes)
                _ = memory.copyIn(to: mac + VLANReceive.vlanHeaderLength, from: UnsafeRawBufferPointer(bytes))
            }
        }
        skbs[i].macHeader &+= UInt16(VLANReceive.vlanHeaderLength)
        return true
    }

    /// `vlan_do_receive(&skb)`: the tag's VLAN device takes the skb (`skb->dev`
    /// becomes it; with the default `VLAN_FLAG_REORDER_HDR` the tag is not
    /// put back) and the tag is cleared. False when no device exists.
    func vlan_do_receive(_ i: Int, _ devices: VLANDevices) -> Bool {
        guard devices.contains(proto: skbs[i].vlanProto, vid: skbs[i].vlanTCI & 0x0FFF) else { return false }
        clearVLANTag(i)
        return true
    }

    /// The VLAN steps of `__netif_receive_skb_core` (net/core/dev.c, v6.18),
    /// each `another_round` included: an in-band tag is popped
    /// (`skb_vlan_untag`), a tag with a device is received by it
    /// (`vlan_do_receive`) and the next round starts; then, at
    /// `check_vlan_id`, a tag left with a non-zero VID marks the skb
    /// `PACKET_OTHERHOST`, a priority tag (VID 0) over a further tag is
    /// stripped and that tag tried, and the tag is cleared.
    public func netifReceiveVLAN(_ skb: SkbID, devices: VLANDevices) throws(SkbError) -> VLANOutcome {
        let i = try slot(skb, "__netif_receive_skb_core")
        guard skbs[i].vlanTagPresent || VLANReceive.isVLAN(skbs[i].protocolType) else { return .untagged }
        anotherRound: while true {
            if VLANReceive.isVLAN(skbs[i].protocolType) {
                guard try skb_vlan_untag(skb) else { return .freed }
            }
            if skbs[i].vlanTagPresent && vlan_do_receive(i, devices) { continue anotherRound }
            while skbs[i].vlanTagPresent {  // check_vlan_id
                if skbs[i].vlanTCI & 0x0FFF != 0 {
                    // "Vlan id is non 0 and vlan_do_receive() above couldn't find vlan device."
                    skbs[i].pktType = SkBuff.packetOtherHost
                } else if VLANReceive.isVLAN(skbs[i].protocolType) {
                    // An 802.1P priority tag over another tag: strip it, try the next.
                    clearVLANTag(i)
                    guard try skb_vlan_untag(skb) else { return .freed }
                    if vlan_do_receive(i, devices) { continue anotherRound }
                    continue
                }
                clearVLANTag(i)
            }
            break
        }
        return skbs[i].pktType == SkBuff.packetOtherHost ? .otherHost : .viaDevice
    }

    /// `__vlan_hwaccel_clear_tag(skb)`.
    @inline(__always) func clearVLANTag(_ i: Int) {
        skbs[i].vlanProto = 0
        skbs[i].vlanTCI = 0
    }
}

extension RxDriver {
    /// Whether `__netif_receive_skb_core` has VLAN work on an skb this driver
    /// built: a tag in `vlan_tci`, or an 802.1Q/802.1AD `skb->protocol` (a
    /// tag in the data). No skb has any while no frame came tagged.
    public func hasVLANTag(_ skb: SkbID) throws(SkbError) -> Bool {
        guard _slowPath(statistics.vlanTaggedFrames != 0) else { return false }
        let s = try sim.skb(skb)
        return s.vlanTagPresent || VLANReceive.isVLAN(s.protocolType)
    }
}
