import KernelMemory

/// Software verification of a received TCP/UDP checksum
/// (include/linux/skbuff.h, net/core/skbuff.c, v6.18): `skb_csum_unnecessary`,
/// `__skb_checksum_validate` (`skb_checksum_init`, `skb_checksum_init_zero_check`)
/// with its `CHECKSUM_BREAK` (76) shortcut, and `__skb_checksum_complete`.
///
/// The segment is the transport header on, as long as the IP header says
/// (`ip_rcv_core` / `ipv6_rcv` trim the skb to it: `pskb_trim_rcsum`), and
/// for UDP as long as `uh->len` (`__udp4_lib_rcv` trims to it); the
/// pseudo-header takes that length (`inet_compute_pseudo`,
/// `ip6_compute_pseudo`: `skb->len` after the trims). Bytes are read from
/// the skb (head, frags, frag_list) through the checker (`skb_copy_bits`).
///
/// Not computed (`SkbL4Checksum.notComputable`, treated as valid): IP
/// fragments (their checksum is checked after `ip_defrag`, which the model
/// does not run) and segments the IP or UDP length says are longer than the
/// skb (the kernel drops those in `ip_rcv_core` / as `PKT_TOO_SMALL`, not modelled).
public enum SkbL4Checksum: Sendable, Hashable {
    case valid
    case invalid
    case notComputable
}

extension SkbSim {
    /// `CHECKSUM_BREAK`: segments up to this many bytes are verified at once
    /// by `__skb_checksum_validate_complete`, longer ones when their data is read.
    static let checksumBreak = 76

    /// `skb_csum_unnecessary(skb)`: `CHECKSUM_UNNECESSARY`, `csum_valid`, or
    /// `CHECKSUM_PARTIAL` with `csum_start` at or after data (the model's
    /// PARTIAL skbs are GRO super-packets whose `csum_start` is the TCP header).
    @inline(__always) func skb_csum_unnecessary(_ i: Int) -> Bool {
        let s = skbs[i].ipSummed
        return s == .unnecessary || s == .partial || skbs[i].csumValid
    }

    /// `__skb_decr_checksum_unnecessary(skb)`: one verified checksum used up;
    /// level 0 → `CHECKSUM_NONE` (`csum_valid` says it was right).
    @inline(__always) func __skb_decr_checksum_unnecessary(_ i: Int) {
        guard skbs[i].ipSummed == .unnecessary else { return }
        if skbs[i].csumLevel == 0 { skbs[i].ipSummed = .none } else { skbs[i].csumLevel -= 1 }
    }

    /// `__skb_incr_checksum_unnecessary(skb)`: one more checksum verified
    /// (GRO's `skb_gro_incr_csum_unnecessary` with `csum_cnt` 0).
    @inline(__always) func __skb_incr_checksum_unnecessary(_ i: Int) {
        switch skbs[i].ipSummed {
        case .unnecessary: if skbs[i].csumLevel < 3 { skbs[i].csumLevel += 1 }  // SKB_MAX_CSUM_LEVEL
        case .none:
            skbs[i].ipSummed = .unnecessary
            skbs[i].csumLevel = 0
        default: break
        }
    }

    /// The first test of `__skb_checksum_validate`, inline: a checksum known
    /// right (`CHECKSUM_UNNECESSARY` from the NIC, `CHECKSUM_PARTIAL` from
    /// GRO) needs no sum — `csum_valid` is set and one verified level used up.
    @inline(__always) func checksumKnownRight(_ i: Int) -> Bool {
        switch skbs[i].ipSummed {
        case .unnecessary:
            skbs[i].csumValid = true
            __skb_decr_checksum_unnecessary(i)
            return true
        case .partial:
            skbs[i].csumValid = true
            return true
        default: return false
        }
    }

    /// `__skb_checksum_validate(skb, proto, complete, zero_okay, check, ...)`
    /// for the TCP or UDP segment of skb `i` (`proto` 6 or 17): true =
    /// the checksum is wrong (the callers' `csum_error`). Clears
    /// `csum_valid` first; a checksum already known right
    /// (`skb_csum_unnecessary`) or a zero UDP checksum with `zeroOkay`
    /// is valid at once (`__skb_decr_checksum_unnecessary`); otherwise the
    /// segment is summed now when `complete` or when it has at most
    /// `CHECKSUM_BREAK` bytes, and left for `skb_checksum_complete` at read
    /// time when longer.
    func __skb_checksum_validate(_ i: Int, proto: UInt8, complete: Bool, zeroOkay: Bool) throws(SkbError) -> Bool {
        skbs[i].csumValid = false
        // __skb_checksum_validate_needed
        var known = skb_csum_unnecessary(i)
        if !known && zeroOkay { known = try transportCheckField(i, proto: proto) == 0 }
        if known {
            skbs[i].csumValid = true
            __skb_decr_checksum_unnecessary(i)
            return false
        }
        guard let length = try l4Extent(i, proto: proto)?.length else { return false }
        // __skb_checksum_validate_complete: a CHECKSUM_COMPLETE sum that
        // folds to 0 with the pseudo-header is right (the model's COMPLETE
        // sums are its own, so the segment is summed again).
        if skbs[i].ipSummed == .complete, try l4Checksum(i, proto: proto) != .invalid {
            skbs[i].csumValid = true
            return false
        }
        if complete || length <= Self.checksumBreak { return try __skb_checksum_complete(i, proto: proto) }
        return false
    }

    /// `skb_checksum_complete(skb)`: `!skb_csum_unnecessary(skb) &&
    /// __skb_checksum_complete(skb)`; true = wrong.
    func skb_checksum_complete(_ i: Int, proto: UInt8) throws(SkbError) -> Bool {
        if skb_csum_unnecessary(i) { return false }
        return try __skb_checksum_complete(i, proto: proto)
    }

    /// `__skb_checksum_complete(skb)`: sum the segment in software; an
    /// unshared skb keeps the result (`CHECKSUM_COMPLETE`,
    /// `csum_complete_sw`, `csum_valid` = right). True = wrong.
    func __skb_checksum_complete(_ i: Int, proto: UInt8) throws(SkbError) -> Bool {
        let verdict = try l4Checksum(i, proto: proto)
        if verdict == .notComputable { return false }
        if skbs[i].users == 1 {
            skbs[i].ipSummed = .complete
            skbs[i].csumCompleteSw = true
            skbs[i].csumValid = verdict == .valid
        }
        return verdict == .invalid
    }

    /// The checksum of skb `i`'s TCP (`proto` 6) or UDP (17) segment, summed
    /// from its bytes (see `SkbL4Checksum`), whatever `ip_summed` says.
    public func l4Checksum(_ id: SkbID, proto: UInt8) throws(SkbError) -> SkbL4Checksum {
        try l4Checksum(try slot(id, "skb_checksum"), proto: proto)
    }

    func l4Checksum(_ i: Int, proto: UInt8) throws(SkbError) -> SkbL4Checksum {
        guard let e = try l4Extent(i, proto: proto) else { return .notComputable }
        let n = e.th + e.length - e.nh
        if n > checksumScratch.count {
            checksumScratch.deallocate()
            checksumScratch = .allocate(byteCount: max(n, 2 * checksumScratch.count), alignment: 8)
        }
        let buf = UnsafeMutableRawBufferPointer(rebasing: checksumScratch[0..<n])
        guard try copyBits(i, e.nh, buf) else { return .notComputable }
        let p = UnsafeRawPointer(buf.baseAddress!)
        return CsumPartial.verify(p, nh: 0, th: e.th - e.nh, l4Length: e.length, proto: proto).valid
            ? .valid : .invalid
    }

    /// Where skb `i`'s segment lies (offsets from data) and how long it is,
    /// read from its IP (and UDP) header; nil = not computable.
    func l4Extent(_ i: Int, proto: UInt8) throws(SkbError) -> (nh: Int, th: Int, length: Int)? {
        let s = skbs[i]
        guard s.transportHeader != SkBuff.unsetHeader else { return nil }
        let nh = Int(s.networkHeader) - Int(s.data)
        let th = Int(s.transportHeader) - Int(s.data)
        guard nh >= 0, th >= nh, th + (proto == 17 ? 8 : 20) <= Int(s.len) else { return nil }
        var ip = (UInt64(0), UInt64(0))  // the first 16 bytes of the IP header
        let got = try withUnsafeMutableBytes(of: &ip) { b throws(SkbError) in try copyBits(i, nh, b) }
        guard got else { return nil }
        let (version, total, fragment): (UInt8, Int, Bool) = withUnsafeBytes(of: ip) { b in
            let v = b[0] >> 4
            if v == 4 { return (4, Int(b[2]) << 8 | Int(b[3]), (Int(b[6]) << 8 | Int(b[7])) & 0x3FFF != 0) }
            return (v, 40 + (Int(b[4]) << 8 | Int(b[5])), false)
        }
        guard version == 4 || version == 6, !fragment else { return nil }
        var length = nh + total - th
        if proto == 17 {
            var uh: UInt64 = 0
            guard try withUnsafeMutableBytes(of: &uh, { b throws(SkbError) in try copyBits(i, th, b) }) else {
                return nil
            }
            let ulen = withUnsafeBytes(of: uh) { Int($0[4]) << 8 | Int($0[5]) }
            // IPv6 jumbograms carry uh->len 0: the IP length stands.
            if ulen != 0 || version == 4 {
                guard ulen >= 8, ulen <= length else { return nil }
                length = ulen
            }
        }
        guard length >= (proto == 17 ? 8 : 20), th + length <= Int(s.len) else { return nil }
        return (nh, th, length)
    }

    /// The TCP (`check` at 16) or UDP (`check` at 6) checksum field of skb
    /// `i`, nil when it cannot be read.
    func transportCheckField(_ i: Int, proto: UInt8) throws(SkbError) -> UInt16? {
        let s = skbs[i]
        guard s.transportHeader != SkBuff.unsetHeader else { return nil }
        let at = Int(s.transportHeader) - Int(s.data) + (proto == 17 ? 6 : 16)
        guard at >= 0 else { return nil }
        // In the linear data and readable (what the checker would pass): one raw load.
        if at + 2 <= Int(s.headlen) && memory.isAccessible(s.dataPointer + at, count: 2) {
            return UInt16(bigEndian: memory.rawLoad(UInt16.self, at: s.dataPointer + at))
        }
        var field: UInt16 = 0
        let got = try withUnsafeMutableBytes(of: &field) { b throws(SkbError) in try copyBits(i, at, b) }
        return got ? UInt16(bigEndian: field) : nil
    }
}
