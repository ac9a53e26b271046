import Trace

/// UDP delivery to a local socket (net/ipv4/udp.c, v6.18).
///
/// - enqueue (`__udp_enqueue_schedule_skb`): no `skb->destructor`; the
///   socket is charged `truesize` directly. Dropped (`SOCKET_RCVBUFF`, the
///   caller's `kfree_skb_reason`) when `rmem + truesize > rcvbuf`, unless the
///   queue is empty (rmem 0) and rcvbuf ≤ INT_MAX/2. Above half of rcvbuf
///   the skb is first condensed (`skb_condense`).
/// - dequeue (`__skb_recv_udp` → `udp_skb_destructor` → `udp_rmem_release`):
///   the truesize is uncharged at dequeue, batched: it accumulates in
///   `forward_deficit` until that reaches `sk_rcvbuf >> 2` or the reader
///   queue is empty, then `sk_rmem_alloc` drops by the whole deficit.
/// - free (`skb_consume_udp`): an unshared skb goes to
///   `skb_attempt_defer_free` (no tracepoint; on the allocating CPU, which
///   is the model's only CPU, `kfree_skb_napi_cache`); a shared one, once its
///   last user lets go, to `__consume_stateless_skb` (`trace_consume_skb`,
///   `skb_release_data(skb, SKB_CONSUMED)`, `kfree_skbmem`).
///
/// - checksum: `__udp4_lib_rcv` / `__udp6_lib_rcv` drop a datagram of at
///   most `CHECKSUM_BREAK` bytes with a wrong checksum, and an IPv6 one
///   with a zero checksum, before the socket (`udpChecksumError`); a longer
///   one whose checksum is not known right is queued and charged like any
///   other (the model's socket has no `sk_filter`, which would make
///   `udp_queue_rcv_one_skb` check it first) and dropped by `udp_recvmsg`
///   when read (`csum_copy_err`, after the dequeue uncharged it).
///
/// Not modelled: the per-NUMA producer queue (one CPU), `sk_forward_alloc`
/// page accounting, peeking.
extension SkbSim {
    /// `__udp_enqueue_schedule_skb(sk, skb)`: false = not queued (the caller
    /// drops it with SOCKET_RCVBUFF).
    public func __udp_enqueue_schedule_skb(_ id: SkbID, socket sk: UInt32) throws(SkbError) -> Bool {
        let i = try slot(id, "__udp_enqueue_schedule_skb")
        let s = sockets.socketPointer(sk)
        let rmem = s.pointee.rmemAlloc
        let rcvbuf = s.pointee.rcvbuf
        if rmem + Int(skbs[i].truesize) > rcvbuf {
            if rcvbuf > Int(Int32.max) >> 1 || rmem != 0 { return false }
        }
        if rmem > rcvbuf >> 1 { skb_condense(i) }
        guard s.pointee.enqueue(id, .udp) else { return false }
        s.pointee.charge(Int(skbs[i].truesize))
        return true
    }

    /// The checksum tests of `__udp4_lib_rcv` / `__udp6_lib_rcv`
    /// (net/ipv4/udp.c, net/ipv6/udp.c, v6.18): `udp4_csum_init` /
    /// `udp6_csum_init` (`skb_checksum_init_zero_check`: a zero checksum
    /// needs no check, a datagram of at most `CHECKSUM_BREAK` bytes is
    /// summed at once; a software `CHECKSUM_COMPLETE` found wrong fails),
    /// then on IPv6 a zero checksum on a socket without
    /// `UDP_NO_CHECK6_RX` (`report_csum_error`). True = `csum_error`:
    /// `SKB_DROP_REASON_UDP_CSUM` before the socket.
    public func udpChecksumError(_ id: SkbID) throws(SkbError) -> Bool {
        let i = try slot(id, "__udp4_lib_rcv")
        if !checksumKnownRight(i) {
            if try __skb_checksum_validate(i, proto: 17, complete: false, zeroOkay: true) { return true }
            if skbs[i].ipSummed == .complete && !skbs[i].csumValid && skbs[i].csumCompleteSw { return true }
        }
        return skbs[i].protocolType == 0x86DD ? try transportCheckField(i, proto: 17) == 0 : false
    }

    /// `udp_recvmsg` reading datagrams whole: `__skb_recv_udp` takes the
    /// oldest skb of socket `sk` and uncharges it (`udp_rmem_release`,
    /// batched); one whose checksum is not known right is summed as it is
    /// copied (`skb_copy_and_csum_datagram_msg`) and, when wrong, dropped
    /// (`csum_copy_err`: `kfree_skb_reason(skb, SKB_DROP_REASON_UDP_CSUM)`,
    /// counted in `udpRecvChecksumErrors`; the kernel's call goes on to the
    /// next datagram, the model's reader takes it on its next read); else
    /// `skb_consume_udp` frees it. Returns false when the queue was empty.
    @discardableResult
    public func udpRecvmsg(socket sk: UInt32) throws(SkbError) -> Bool {
        let s = sockets.socketPointer(sk)
        if s.pointee.readerQueued == 0 { s.pointee.readerQueued = s.pointee.queued }
        guard let skb = s.pointee.dequeue() else { return false }
        s.pointee.readerQueued -= 1
        let i = try slot(skb, "__skb_recv_udp")
        udp_rmem_release(s, Int(skbs[i].truesize))
        if _slowPath(!skb_csum_unnecessary(i)), try l4Checksum(i, proto: 17) == .invalid {
            udpRecvChecksumErrors += 1
            try skbReasonDrop(i, reasons.udpCsum, reasons.udpCsum, "udp_recvmsg")
            return true
        }
        try skb_consume_udp(i)
        return true
    }

    /// `udp_rmem_release(sk, size, partial = 1, ...)`.
    func udp_rmem_release(_ s: UnsafeMutablePointer<SimSocket>, _ size: Int) {
        s.pointee.forwardDeficit += size
        let total = s.pointee.forwardDeficit
        if total < s.pointee.rcvbuf >> 2 && s.pointee.readerQueued > 0 { return }
        s.pointee.forwardDeficit = 0
        sockets.uncharge(s.pointee.id, total, packet: currentPacket)
        // The receive queue is spliced onto the reader queue.
        s.pointee.readerQueued = s.pointee.queued
    }

    /// `skb_consume_udp(sk, skb, len)`.
    func skb_consume_udp(_ i: Int) throws(SkbError) {
        if skbs[i].users == 1 { return try skb_attempt_defer_free(i) }
        guard skb_unref(i) else { return }
        if !skbs[i].destructor.isNone { skb_release_head_state(i) }
        try __consume_stateless_skb(i)
    }

    /// `__consume_stateless_skb(skb)`: trace, `skb_release_data(skb,
    /// SKB_CONSUMED)`, `kfree_skbmem`; no head state release.
    func __consume_stateless_skb(_ i: Int) throws(SkbError) {
        trace_kfree_skb(i, reasons.consumed, "skb_consume_udp")
        if skbs[i].head.raw != 0 { try skb_release_data(i, reasons.consumed) }
        kfree_skbmem(i)
    }

    /// `skb_condense(skb)`: a non-linear skb whose paged bytes fit its
    /// tailroom, not cloned, is pulled linear; then truesize =
    /// `SKB_TRUESIZE(skb_end_offset(skb))`.
    func skb_condense(_ i: Int) {
        if skbs[i].dataLen != 0 {
            if Int(skbs[i].dataLen) > Int(skbs[i].end) - Int(skbs[i].tail) || skb_cloned(i) { return }
            guard (try? __pskb_pull_tail(id(i), Int(skbs[i].dataLen))) != nil else { return }
        }
        skbs[i].truesize = UInt32(sizes.truesize(Int(skbs[i].end)))
    }
}
