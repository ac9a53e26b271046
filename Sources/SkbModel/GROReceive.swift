import KernelMemory
import Trace

/// GRO (`net/core/gro.c`, `net/ipv4/tcp_offload.c`, `net/ipv4/af_inet.c`,
/// `net/ipv6/ip6_offload.c`): TCP segments of one flow merged into one
/// super-packet before the stack sees them.
///
/// Only IPv4/IPv6 TCP is aggregated. Everything else — UDP (no UDP GRO
/// socket is modelled), ICMP, ARP, frames with a VLAN tag still in the data
/// (`vlan_gro_receive` is not modelled; a tag the NIC stripped is compared
/// as `vlan_all`), IPv4 with options
/// or fragments, skbs that are already GSO — passes straight through,
/// unmerged and in order. A TCP segment the NIC left `CHECKSUM_NONE` is
/// verified in software and, when wrong, sent up alone
/// (`skb_gro_checksum_validate`); the IPv4 header checksum GRO checks itself.
/// The model driver sets no RSS hash, so every skb hashes to bucket 0
/// (`skb_get_hash_raw` = 0), as on a NIC without RSS.
extension SkbSim {
    /// `napi_gro_receive(napi, skb)` (see `Napi.napi_gro_receive`).
    func napi_gro_receive(_ napi: Napi, _ skb: SkbID, _ deliver: (SkbID) throws(SkbError) -> Void) throws(SkbError) {
        let i = try slot(skb, "napi_gro_receive")
        if napi.gro.options.enabled {
            try dev_gro_receive(napi, i, deliver)
        } else {
            napi.gro.statistics.normal += 1
            try deliver(skb)
        }
    }

    // MARK: dev_gro_receive

    func groFlushAll(_ napi: Napi, _ cause: GROFlushCause, _ deliver: (SkbID) throws(SkbError) -> Void) throws(SkbError)
    {
        // Buckets in bitmask order; each chain oldest first (list_for_each_entry_safe_reverse).
        for b in 0..<GROOptions.hashBuckets {
            while napi.gro.counts[b] > 0 {
                let h = napi.gro.remove(b, 0)
                try napi_gro_complete(napi, h, cause, deliver)
            }
        }
    }

    func dev_gro_receive(_ napi: Napi, _ i: Int, _ deliver: (SkbID) throws(SkbError) -> Void) throws(SkbError) {
        let skb = id(i)
        // Already-GSO skbs (none from the model drivers) are not aggregated.
        guard shinfo(at: i).gsoSize == 0, let seg = try groParse(napi, i) else {
            napi.gro.statistics.normal += 1
            try deliver(skb)
            return
        }
        // tcp4/6_gro_receive: a wrong checksum flushes the skb itself (up
        // alone, unmerged); the flow's held skb is not touched.
        if !seg.flush && _slowPath(skbs[i].ipSummed == .none || skbs[i].ipSummed == .complete),
            try skb_gro_checksum_validate(i)
        {
            napi.gro.statistics.checksumBad += 1
            napi.gro.statistics.normal += 1
            try deliver(skb)
            return
        }
        let bucket = Int(skbs[i].hash) & (GROOptions.hashBuckets - 1)
        let found = groLookup(napi, i, seg, bucket)
        var merged: GROMergeStrategy?
        var ppCause: GROFlushCause?
        var skbFlush = seg.flush
        var mss = 1
        if let k = found {
            let h = napi.gro.slots[napi.gro.slotIndex(bucket, k)]
            let p = Int(h.skb.index)
            var fixed = h.ipFixedID
            if let cause = groCompare(napi, i, seg, p, h, &fixed) {
                ppCause = cause
            } else if let strategy = try skb_gro_receive(napi, bucket, k, i, seg) {
                merged = strategy
                mss = Int(shinfo(at: p).gsoSize)
                // tcp_flag_word(th2) |= flags & (FIN | PSH)
                let th2 = skbs[p].head + Int(skbs[p].transportHeader)
                groStoreU8(th2 + 13, groU8(th2 + 13) | (seg.flags & (TCPBits.fin | TCPBits.psh)))
            } else {
                ppCause =
                    Int(skbs[p].len) + seg.len >= napi.gro.options.maxSize(ipv6: seg.v6) || !seg.flush
                    ? .groMaxSize : .network
            }
            napi.gro.slots[napi.gro.slotIndex(bucket, k)].ipFixedID = fixed
        }
        // out_check_final
        let finalFlags = seg.flags & (TCPBits.urg | TCPBits.psh | TCPBits.rst | TCPBits.syn | TCPBits.fin)
        let finalFlush = seg.len < mss || finalFlags != 0
        if merged != nil && finalFlush { ppCause = finalFlags != 0 ? .tcpFlags : .shortSegment }
        skbFlush = skbFlush || finalFlush
        if let k = found, let cause = ppCause {
            let h = napi.gro.remove(bucket, k)
            try napi_gro_complete(napi, h, cause, deliver)
        }
        if let strategy = merged {
            // gro_skb_finish (napi_skb_finish before 6.15): GRO_MERGED_FREE
            // frees without a tracepoint; GRO_MERGED keeps it on p's frag_list.
            switch strategy {
            case .headSteal: napi_skb_free_stolen_head(i)
            case .frags:
                if skbs[i].fclone != .unavailable {
                    try __kfree_skb(i)
                } else {
                    try __napi_kfree_skb(i, reasons.consumed)
                }
            case .fragList: break
            }
            return
        }
        if skbFlush {
            napi.gro.statistics.normal += 1
            try deliver(skb)
            return
        }
        if napi.gro.counts[bucket] >= GROOptions.maxGroSkbs {
            let oldest = napi.gro.remove(bucket, 0)  // gro_flush_oldest
            try napi_gro_complete(napi, oldest, .bucketFull, deliver)
        }
        shinfo(at: i).gsoSize = UInt16(truncatingIfNeeded: seg.len)
        napi.gro.append(bucket, GROEngine.Held(skb: skb, last: skb, count: 1, ipFixedID: false))
        napi.gro.statistics.held += 1
        emit(.groHold, i, "dev_gro_receive", UInt64(seg.len))
        if _slowPath(sink != nil) { groMembers[i] = nil }
    }

    /// `gro_list_prepare` + the IP layer's and `tcp_gro_lookup`'s same-flow
    /// tests: the first held skb of the same flow in the bucket.
    func groLookup(_ napi: Napi, _ i: Int, _ seg: GROSegment, _ bucket: Int) -> Int? {
        let d = skbs[i].dataPointer
        let count = napi.gro.counts[bucket]
        guard count > 0 else { return nil }
        // The bytes of `i` the tests may read: its MAC header, its network
        // header and the ports (one span when they are in order).
        let iOK =
            !napi.checkedReadsOnly
            && groHeadersAccessible(i, network: (skbs[i].data, seg.networkLength + 4), transport: nil, mac: true)
        for k in 0..<count {
            let p = Int(napi.gro.slots[napi.gro.slotIndex(bucket, k)].skb.index)
            let ps = skbs[p]
            // gro_list_prepare: same device (one here), same vlan_all, same MAC header.
            guard ps.hash == skbs[i].hash, ps.protocolType == skbs[i].protocolType, ps.macLen == skbs[i].macLen,
                ps.vlanProto == skbs[i].vlanProto, ps.vlanTCI == skbs[i].vlanTCI
            else {
                continue
            }
            let same: Bool
            if iOK
                && groHeadersAccessible(
                    p, network: (UInt32(ps.networkHeader), seg.networkLength),
                    transport: (UInt32(ps.transportHeader), 4), mac: true)
            {
                same = groSameFlow(GRORawReader(memory: memory), i, d, p, seg)
            } else {
                same = groSameFlow(GROCheckedReader(sim: self), i, d, p, seg)
            }
            if same { return k }
        }
        return nil
    }

    /// Whether the checker would pass reads of skb `s`'s bytes
    /// `[network.0, +network.1)` and `[transport.0, +transport.1)` (head
    /// offsets), and with `mac` of its MAC header: one look at the span from
    /// the first to the last byte when the parts are in order, else one per part.
    @inline(__always)
    func groHeadersAccessible(_ s: Int, network: (UInt32, Int), transport: (UInt32, Int)?, mac: Bool) -> Bool {
        let head = skbs[s].head
        var lo = Int(network.0)
        var hi = lo + network.1
        if let t = transport {
            if Int(t.0) >= lo {
                hi = max(hi, Int(t.0) + t.1)
            } else if !groAccessible(head + Int(t.0), t.1) {
                return false
            }
        }
        let m = skbs[s].macHeader
        if mac && m != SkBuff.unsetHeader {
            let ml = Int(skbs[s].macLen)
            if Int(m) <= lo && Int(m) + ml >= lo - 64 {
                lo = Int(m)
            } else if !groAccessible(head + Int(m), ml) {
                return false
            }
        }
        return groAccessible(head + lo, hi - lo)
    }

    /// One candidate of `groLookup`, past the hash, protocol and mac_len tests.
    @inline(__always)
    func groSameFlow<R: GROHeaderReader>(_ r: R, _ i: Int, _ d: KernelAddress, _ p: Int, _ seg: GROSegment) -> Bool {
        let ps = skbs[p]
        if skbs[i].macHeader != SkBuff.unsetHeader && ps.macHeader != SkBuff.unsetHeader && skbs[i].macLen > 0 {
            guard r.equal(ps.head + Int(ps.macHeader), skbs[i].head + Int(skbs[i].macHeader), Int(skbs[i].macLen))
            else { return false }
        }
        let nh2 = ps.head + Int(ps.networkHeader)
        let th2 = ps.head + Int(ps.transportHeader)
        if seg.v6 {
            guard (r.be32(d) ^ r.be32(nh2)) & 0xF00F_FFFF == 0, r.equal(d + 8, nh2 + 8, 32),
                r.u8(d + 6) == r.u8(nh2 + 6), Int(ps.transportHeader) - Int(ps.networkHeader) == seg.networkLength,
                r.equal(d + 40, nh2 + 40, seg.networkLength - 40)
            else { return false }
        } else {
            guard r.u8(d + 9) == r.u8(nh2 + 9), r.equal(d + 12, nh2 + 12, 8) else { return false }
        }
        return r.equal(d + seg.networkLength, th2, 4)  // ports
    }

    /// `tcp_gro_receive`'s flush tests against the held `p` (before
    /// `skb_gro_receive`); nil = may merge. Updates `ip_fixedid` as `inet_gro_flush` does.
    /// The kernel ORs all tests; when several hold, the cause reported is the
    /// first of: TCP header, TCP options, oversize, seq gap, network.
    func groCompare(
        _ napi: Napi, _ i: Int, _ seg: GROSegment, _ p: Int, _ h: GROEngine.Held, _ fixed: inout Bool
    ) -> GROFlushCause? {
        // The bytes the tests may read: `i`'s network + TCP header, the
        // first 9 bytes of `p`'s network header (up to the IPv4 TTL) and its
        // TCP header as long as `i`'s.
        if !napi.checkedReadsOnly && groAccessible(skbs[i].dataPointer, seg.offset)
            && groHeadersAccessible(
                p, network: (UInt32(skbs[p].networkHeader), 9),
                transport: (UInt32(skbs[p].transportHeader), seg.tcpLength), mac: false)
        {
            return groCompare(GRORawReader(memory: memory), i, seg, p, h, &fixed)
        }
        return groCompare(GROCheckedReader(sim: self), i, seg, p, h, &fixed)
    }

    @inline(__always)
    func groCompare<R: GROHeaderReader>(
        _ r: R, _ i: Int, _ seg: GROSegment, _ p: Int, _ h: GROEngine.Held, _ fixed: inout Bool
    ) -> GROFlushCause? {
        let d = skbs[i].dataPointer
        let th = d + seg.networkLength
        let th2 = skbs[p].head + Int(skbs[p].transportHeader)
        let nh2 = skbs[p].head + Int(skbs[p].networkHeader)
        // CWR; flag word (doff, flags other than CWR/FIN/PSH, window); ack_seq.
        let mask: UInt32 = ~(UInt32(TCPBits.cwr | TCPBits.fin | TCPBits.psh) << 16)
        if seg.flags & TCPBits.cwr != 0 || (r.be32(th + 12) ^ r.be32(th2 + 12)) & mask != 0
            || r.be32(th + 8) != r.be32(th2 + 8)
        {
            return .tcpHeader
        }
        for k in stride(from: 20, to: seg.tcpLength, by: 4) where r.be32(th + k) != r.be32(th2 + k) {
            return .tcpOptions
        }
        let mss = Int(shinfo(at: p).gsoSize)
        if seg.len == 0 || seg.len - 1 >= mss { return .oversize }
        let pOffset = Int(skbs[p].transportHeader) - Int(skbs[p].data) + Int(r.u8(th2 + 12) >> 4) * 4
        let pLen = UInt32(truncatingIfNeeded: Int(skbs[p].len) - pOffset)  // skb_gro_len(p)
        if r.be32(th2 + 4) &+ pLen != r.be32(th + 4) { return .seqGap }
        // gro_receive_network_flush
        if seg.v6 {
            if (r.be32(d) ^ r.be32(nh2)) & 0x0FF0_0000 != 0 || r.u8(d + 7) != r.u8(nh2 + 7) { return .network }
        } else {
            let df = r.be16(d + 6) & 0x4000
            if r.u8(d + 8) != r.u8(nh2 + 8) || r.u8(d + 1) != r.u8(nh2 + 1) || df != r.be16(nh2 + 6) & 0x4000 {
                return .network
            }
            let ipidOffset = r.be16(d + 4) &- r.be16(nh2 + 4)
            if h.count == 1 && df != 0 && ipidOffset == 0 { fixed = true }
            if ipidOffset != (fixed ? 0 : h.count) { return .network }
        }
        return nil
    }

    // MARK: skb_gro_receive

    /// `skb_gro_receive(p, skb)`: nil = -E2BIG; else how `skb` was attached.
    func skb_gro_receive(
        _ napi: Napi, _ bucket: Int, _ k: Int, _ i: Int, _ seg: GROSegment
    ) throws(SkbError) -> GROMergeStrategy? {
        let slot = napi.gro.slotIndex(bucket, k)
        let pid = napi.gro.slots[slot].skb
        let p = Int(pid.index)
        let len = seg.len
        var offset = seg.offset
        let headlen = Int(skbs[i].headlen)
        let plen = Int(skbs[p].len)
        if plen + len >= napi.gro.options.maxSize(ipv6: seg.v6) || seg.flush { return nil }
        if plen + len >= GROOptions.legacyMaxSize {
            // BIG TCP. v6.3+: any TCP (the only protocol aggregated here);
            // IPv6 needs room for the hop-by-hop jumbo header. Before: plain
            // IPv6/TCP (next header TCP) with that room.
            if seg.v6 && skbs[p].headroom < 8 { return nil }
            if !napi.gro.options.ipv4BigTCP {
                let nh = skbs[p].head + Int(skbs[p].networkHeader)
                if !seg.v6 || groU8(nh + 6) != 6 { return nil }
            }
        }
        let lastID = napi.gro.slots[slot].last
        var lp = Int(lastID.index)
        let pinfo = shinfo(at: lp)
        let skbinfo = shinfo(at: i)
        let maxFrags = config.maxSkbFrags
        let delta: Int
        var strategy: GROMergeStrategy = .fragList
        // Where the packet went: its first frag's index in lp, or its
        // index on p's frag_list (counted only when a sink listens).
        var position = 0
        if headlen <= offset && pinfo.nrFrags + skbinfo.nrFrags <= maxFrags {
            let n = skbinfo.nrFrags
            let base = pinfo.nrFrags
            for f in 0..<n { pinfo.setFrag(base + f, skbinfo.frag(f)) }
            pinfo.nrFrags = base + n
            position = base
            skbinfo.nrFrags = 0
            if n > 0 {
                var first = pinfo.frag(base)
                first.offset &+= UInt32(offset - headlen)
                first.size &-= UInt32(offset - headlen)
                pinfo.setFrag(base, first)
            }
            let newTruesize = config.skbTruesize(Int(skbs[i].end))
            delta = Int(skbs[i].truesize) - newTruesize
            skbs[i].truesize = UInt32(newTruesize)
            skbs[i].len &-= skbs[i].dataLen
            skbs[i].dataLen = 0
            strategy = .frags
        } else if headlen > offset && skbs[i].headFrag && pinfo.nrFrags + 1 + skbinfo.nrFrags <= maxFrags {
            let n = skbinfo.nrFrags
            let base = pinfo.nrFrags
            let page = memory.virt_to_head_page(skbs[i].head)
            let pageStart = memory.page_address(page)
            pinfo.setFrag(
                base,
                SkbFrag(
                    page: pageStart, size: UInt32(headlen - offset),
                    offset: UInt32(skbs[i].dataPointer + offset - pageStart)))
            for f in 0..<n { pinfo.setFrag(base + 1 + f, skbinfo.frag(f)) }
            pinfo.nrFrags = base + 1 + n
            position = base
            let newTruesize = config.skbDataAlign(config.sizeofSkBuff)
            delta = Int(skbs[i].truesize) - newTruesize
            skbs[i].truesize = UInt32(newTruesize)
            strategy = .headSteal
        } else {
            // merge: frag_list
            skbs[i].destructor = .none
            delta = Int(skbs[i].truesize)
            if offset > headlen {
                let eat = offset - headlen
                var f0 = skbinfo.frag(0)
                f0.offset &+= UInt32(eat)
                f0.size &-= UInt32(eat)
                skbinfo.setFrag(0, f0)
                skbs[i].dataLen &-= UInt32(eat)
                skbs[i].len &-= UInt32(eat)
                offset = headlen
            }
            _ = try __skb_pull(i, offset)
            let sid = id(i)
            if lastID == pid { shinfo(at: p).fragList = sid } else { skbs[lp].next = sid }
            napi.gro.slots[slot].last = sid
            try __skb_header_release(sid)
            lp = p
        }
        if _slowPath(sink != nil) { groMerged(p, i, strategy, position) }
        napi.gro.slots[slot].count &+= 1
        skbs[p].dataLen &+= UInt32(len)
        skbs[p].truesize &+= UInt32(delta)
        skbs[p].len &+= UInt32(len)
        if lp != p {
            skbs[lp].dataLen &+= UInt32(len)
            skbs[lp].truesize &+= UInt32(delta)
            skbs[lp].len &+= UInt32(len)
        }
        napi.gro.statistics.merged[Int(strategy.rawValue)] += 1
        return strategy
    }

    // MARK: napi_gro_complete

    /// `napi_gro_complete(napi, p)`: one segment → gso_size = 0 and up as is;
    /// else `inet_gro_complete`/`ipv6_gro_complete` (IP length and header
    /// checksum) and `tcp4/6_gro_complete` (pseudo-header check, gso_type
    /// TCPV4 (| FIXEDID) or TCPV6 (| TCP_ECN on CWR), gso_segs = count). Then delivered.
    func napi_gro_complete(
        _ napi: Napi, _ h: GROEngine.Held, _ cause: GROFlushCause, _ deliver: (SkbID) throws(SkbError) -> Void
    ) throws(SkbError) {
        let p = try slot(h.skb, "napi_gro_complete")
        let sh = shinfo(at: p)
        if h.count == 1 {
            sh.gsoSize = 0
        } else {
            let s = skbs[p]
            let nh = s.head + Int(s.networkHeader)
            let th = s.head + Int(s.transportHeader)
            let nhoff = Int(s.networkHeader) - Int(s.data)
            let thoff = Int(s.transportHeader) - Int(s.data)
            let tcpLen = Int(s.len) - thoff
            var sum: UInt32
            var gsoType: UInt32
            if groU8(nh) >> 4 == 4 {
                // iph_set_totlen: 0 above IP_MAX_MTU (IPv4 BIG TCP, v6.3+).
                let old = groBE16(nh + 2)
                let total = Int(s.len) - nhoff
                let new = total <= 65535 ? UInt16(total) : 0
                groStoreBE16(nh + 2, new)
                // csum_replace2: HC' = ~(~HC + ~m + m')
                var c = UInt32(~groBE16(nh + 10)) &+ UInt32(~old) &+ UInt32(new)
                while c >> 16 != 0 { c = (c & 0xFFFF) &+ (c >> 16) }
                groStoreBE16(nh + 10, ~UInt16(c))
                sum = 6 &+ UInt32(tcpLen >> 16) &+ UInt32(tcpLen & 0xFFFF)
                for k in stride(from: 12, to: 20, by: 2) { sum &+= UInt32(groBE16(nh + k)) }
                gsoType = 1 << 0 | (h.ipFixedID ? 1 << 3 : 0)  // SKB_GSO_TCPV4 | SKB_GSO_TCP_FIXEDID
            } else {
                groStoreBE16(nh + 4, UInt16(truncatingIfNeeded: Int(s.len) - nhoff - 40))
                sum = 6 &+ UInt32(tcpLen >> 16) &+ UInt32(tcpLen & 0xFFFF)
                for k in stride(from: 8, to: 40, by: 2) { sum &+= UInt32(groBE16(nh + k)) }
                gsoType = 1 << 4  // SKB_GSO_TCPV6
            }
            while sum >> 16 != 0 { sum = (sum & 0xFFFF) &+ (sum >> 16) }
            groStoreBE16(th + 16, UInt16(sum))  // th->check = ~tcp_vX_check(...)
            if groU8(th + 13) & TCPBits.cwr != 0 { gsoType |= 1 << 2 }  // SKB_GSO_TCP_ECN
            sh.gsoType = sh.gsoType | gsoType
            sh.gsoSegs = h.count
            // tcp_gro_complete: csum_start/csum_offset at th->check.
            skbs[p].ipSummed = .partial
        }
        emit(.groFlush, p, "napi_gro_complete", UInt64(h.count), UInt64(cause.rawValue))
        if _slowPath(sink != nil) { groMembersFlushed(p) }
        napi.gro.statistics.flushed[Int(cause.rawValue)] += 1
        try deliver(h.skb)
    }

    // MARK: Tracking (only with a sink)

    /// The `groMerge` event of `i` merged into held `p`, and `i`'s place in
    /// `p`'s member list. A frag_list position is the member's index on
    /// the list, counted now that it is linked.
    @inline(never)
    func groMerged(_ p: Int, _ i: Int, _ strategy: GROMergeStrategy, _ position: Int) {
        var position = position
        if strategy == .fragList, let list = shinfo(at: p).fragList { position = max(fragListCount(list) - 1, 0) }
        emit(.groMerge, i, "skb_gro_receive", UInt64(p), UInt64(strategy.rawValue)) { UInt64(position) }
        let track = skbs[i].packet < 0 ? 0 : UInt32(skbs[i].packet) + 1
        groMembers[p, default: []].append((track, strategy.rawValue, UInt32(position)))
    }

    /// One `groMember` event per packet of the super-packet `p` just flushed:
    /// the held skb's own packet (strategy 3, held), then the merged ones in
    /// merge order.
    @inline(never)
    func groMembersFlushed(_ p: Int) {
        let held = skbs[p].packet < 0 ? 0 : UInt64(skbs[p].packet) + 1
        emit(.groMember, p, "napi_gro_complete", held, 3) { 0 }
        for m in groMembers.removeValue(forKey: p) ?? [] {
            emit(.groMember, p, "napi_gro_complete", UInt64(m.track), UInt64(m.strategy)) { UInt64(m.position) }
        }
    }
}
