import Trace

/// TCP delivery to a local socket (net/ipv4/tcp_input.c, net/ipv4/tcp.c, v6.18).
///
/// - queue (`tcp_data_queue` → `tcp_queue_rcv`): `skb_set_owner_r`
///   (`skb->destructor = sock_rfree`, `sk_rmem_alloc += truesize`). When
///   `sk_rmem_alloc > sk_rcvbuf` (`tcp_try_rmem_schedule` fails) the
///   segment is dropped with `SKB_DROP_REASON_PROTO_MEM` if the receive
///   queue holds skbs, and taken anyway into an empty one
///   (`sk_forced_mem_schedule`).
/// - read (`tcp_recvmsg` → `tcp_eat_recv_skb`): `sock_rfree`, destructor
///   and sk cleared, then `skb_attempt_defer_free` — on the allocating CPU
///   (the model's only one) `kfree_skb_napi_cache`: `__napi_kfree_skb(skb,
///   SKB_CONSUMED)`, the struct parked in the NAPI skb cache. No tracepoint
///   for the skb; frag_list members are traced as CONSUMED.
///
/// - checksum (`tcpChecksumError`): before the segment is queued or charged.
///
/// Not modelled: sequence-number processing (every segment is taken as
/// the next in order), `tcp_try_coalesce` into the previous queued skb,
/// `tcp_prune_queue` / collapse before the PROTO_MEM drop, `sk_forward_alloc`.
extension SkbSim {
    /// `tcp_data_queue` for an in-order segment: false = not queued (the
    /// caller drops it with PROTO_MEM).
    public func tcp_queue_rcv(_ id: SkbID, socket sk: UInt32) throws(SkbError) -> Bool {
        let i = try slot(id, "tcp_queue_rcv")
        let s = sockets.socketPointer(sk)
        // tcp_try_rmem_schedule failing into a non-empty queue drops; an
        // empty queue takes the segment anyway (sk_forced_mem_schedule).
        if s.pointee.rmemAlloc > s.pointee.rcvbuf && s.pointee.queued > 0 { return false }
        guard s.pointee.enqueue(id, .tcp) else { return false }
        skb_set_owner_r(i, sk)
        return true
    }

    /// The checksum tests of `tcp_v4_rcv` / `tcp_v6_rcv`
    /// (net/ipv4/tcp_ipv4.c, net/ipv6/tcp_ipv6.c, v6.18):
    /// `skb_checksum_init(skb, IPPROTO_TCP, inet_compute_pseudo /
    /// ip6_compute_pseudo)` — a checksum the NIC verified is used up
    /// (`CHECKSUM_UNNECESSARY` → `csum_valid`), a segment of at most
    /// `CHECKSUM_BREAK` (76) bytes is summed at once — then, for longer
    /// ones, `tcp_checksum_complete` in `tcp_rcv_established` (net/ipv4/tcp_input.c:
    /// fast path before the data is queued, slow path first thing). True =
    /// wrong: `csum_error`, `SKB_DROP_REASON_TCP_CSUM` (TCP_MIB_CSUMERRORS),
    /// before the socket is charged. GRO super-packets are `CHECKSUM_PARTIAL`.
    public func tcpChecksumError(_ id: SkbID) throws(SkbError) -> Bool {
        let i = try slot(id, "tcp_v4_rcv")
        if checksumKnownRight(i) { return false }
        if try __skb_checksum_validate(i, proto: 6, complete: false, zeroOkay: false) { return true }
        return try skb_checksum_complete(i, proto: 6)
    }

    /// `tcp_recvmsg` reading the oldest skb of socket `sk` whole
    /// (`tcp_eat_recv_skb`). Returns false when the queue was empty.
    @discardableResult
    public func tcpRecvmsg(socket sk: UInt32) throws(SkbError) -> Bool {
        guard let skb = sockets.dequeue(sk) else { return false }
        try tcp_eat_recv_skb(try slot(skb, "tcp_eat_recv_skb"))
        return true
    }

    /// `tcp_eat_recv_skb(sk, skb)`.
    func tcp_eat_recv_skb(_ i: Int) throws(SkbError) {
        if case .sockRfree(let sk) = skbs[i].destructor {
            emit(.destructor, i, "tcp_eat_recv_skb", skbs[i].destructor.code)
            sock_rfree(i, sk)
            skbs[i].destructor = .none
            skbs[i].sk = nil
            return try skb_attempt_defer_free(i)
        }
        try __kfree_skb(i)
    }
}
