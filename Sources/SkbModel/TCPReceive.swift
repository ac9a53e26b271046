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
