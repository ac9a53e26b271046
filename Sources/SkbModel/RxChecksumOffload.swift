import Capture

/// What the model NIC tells the stack about a received frame's TCP/UDP
/// checksum (`NETIF_F_RXCSUM`; `--rx-csum`): the `skb->ip_summed` its
/// driver sets (ixgbe_rx_checksum, igb_rx_checksum, i40e_rx_checksum,
/// v6.18: `CHECKSUM_UNNECESSARY` for a checksum the hardware found right,
/// `CHECKSUM_NONE` otherwise, the stack then checking in software).
public enum RxChecksumMode: String, CaseIterable, Sendable {
    /// The NIC checks what the capture holds: TCP and UDP over IPv4/IPv6
    /// (not fragments) get `CHECKSUM_UNNECESSARY` when their checksum
    /// (pseudo-header included) is right, `CHECKSUM_NONE` when it is wrong;
    /// other frames `CHECKSUM_NONE`, and a UDP/IPv4 datagram sent without
    /// a checksum (0) too (nothing to verify; the stack accepts it). A
    /// frame whose segment runs past the capture's snapshot length cannot
    /// be checked: it is taken as right (`CHECKSUM_UNNECESSARY`) and
    /// counted (`RxDriverStatistics.checksumNotVerifiable`).
    case verify
    /// The NIC said `CHECKSUM_UNNECESSARY` for every frame: the capture's
    /// checksums are not looked at. For captures taken on the sending host,
    /// where TX checksum offload leaves the checksum to the NIC after the
    /// capture point.
    case trust
}

extension RxDriver {
    /// `verify`: the driver's `ip_summed` for skb `i` from the frame's own
    /// bytes (`frame`, from the link header on; `h`'s offsets count
    /// `pseudo` capture bytes before it). Work: one pass over the segment.
    @inline(never)
    func rxChecksumVerify(_ i: Int, _ frame: UnsafeRawBufferPointer, _ h: UnsafePointer<PacketHeaders>, _ pseudo: Int) {
        sim.skbs[i].ipSummed = .none
        guard let proto = h.pointee.ipProtocol, proto == 6 || proto == 17, !h.pointee.isFragment,
            let nh0 = h.pointee.networkHeader, let th0 = h.pointee.transportHeader,
            let total = h.pointee.ipTotalLength, let base = frame.baseAddress
        else { return }
        let nh = nh0 - pseudo
        let th = th0 - pseudo
        let v6 = h.pointee.ipVersion == 6
        var length = nh + total - th
        let captured = min(frame.count, capturedBytes)
        let headerLength = proto == 17 ? 8 : 20
        guard nh >= 0, th >= nh + (v6 ? 40 : 20), length >= headerLength else { return }
        if th + length > captured {
            // Cut by the snapshot length: part of the segment is unknown.
            // Otherwise the IP header claims more than the frame holds
            // (ip_rcv_core drops it; not modelled): nothing to verify.
            if capturedBytes != .max { notVerifiable(i) }
            return
        }
        if proto == 17 {
            if !v6 && base.loadUnaligned(fromByteOffset: th + 6, as: UInt16.self) == 0 { return }  // no checksum
            let ulen = Int(UInt16(bigEndian: base.loadUnaligned(fromByteOffset: th + 4, as: UInt16.self)))
            // IPv6 jumbograms carry uh->len 0: the IP length stands.
            if ulen != 0 || !v6 {
                // Shorter than its header or than the IP length says: the
                // stack drops it before any checksum (PKT_TOO_SMALL).
                guard ulen >= 8, ulen <= length else { return }
                length = ulen
            }
        }
        // Invariant for the raw loads here and in CsumPartial: nh + 20 (40 on
        // IPv6) ≤ th, th + 8 (UDP) / 20 (TCP) ≤ th + length ≤ frame.count.
        let (valid, pseudoSum) = CsumPartial.verify(base, nh: nh, th: th, l4Length: length, proto: proto)
        if valid {
            sim.skbs[i].ipSummed = .unnecessary
            statistics.checksumVerified += 1
            return
        }
        statistics.checksumBad += 1
        // With TX checksum offload the sender's stack leaves only the
        // pseudo-header sum in the field (`~tcp_v4_check(len, saddr, daddr, 0)`,
        // `__tcp_v4_send_check`; udp4_hwcsum / udp6_set_csum alike): a
        // capture on the sending host shows that, the wire had it filled in.
        let field = base.loadUnaligned(fromByteOffset: th + (proto == 17 ? 6 : 16), as: UInt16.self)
        if field == pseudoSum { statistics.checksumPseudoHeaderOnly += 1 }
    }

    func notVerifiable(_ i: Int) {
        sim.skbs[i].ipSummed = .unnecessary
        statistics.checksumNotVerifiable += 1
    }
}
