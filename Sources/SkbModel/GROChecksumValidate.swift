/// `skb_gro_checksum_validate(skb, IPPROTO_TCP, inet_gro_compute_pseudo /
/// ip6_gro_compute_pseudo)` (include/net/gro.h, v6.18), as
/// `tcp4_gro_receive` / `tcp6_gro_receive` (net/ipv4/tcp_offload.c,
/// net/ipv6/tcpv6_offload.c) call it before `tcp_gro_receive` — unless
/// the IP layer has set `NAPI_GRO_CB(skb)->flush` already ("Don't bother
/// verifying checksum if we're going to flush anyway").
///
/// Needed (`__skb_gro_checksum_validate_needed`) when no checksum is known
/// right: `NAPI_GRO_CB(skb)->csum_cnt` is 0 (`dev_gro_receive` sets it to
/// `csum_level + 1` for `CHECKSUM_UNNECESSARY`) and the skb is not
/// `CHECKSUM_PARTIAL` — so for `CHECKSUM_NONE` and `CHECKSUM_COMPLETE`.
/// Then `__skb_gro_checksum_complete` sums the segment (`skb_checksum`
/// from `skb_gro_offset`, pseudo-header with `skb_gro_len`: the IP length,
/// as the IP layer did not flag a mismatch) into `NAPI_GRO_CB` only.
/// Right: `skb_gro_incr_csum_unnecessary` turns `CHECKSUM_NONE` into
/// `CHECKSUM_UNNECESSARY` ("This saves work if we fallback to normal
/// path"). Wrong: the caller goes to `flush:` — `NAPI_GRO_CB(skb)->flush = 1`,
/// returns NULL; `dev_gro_receive` then completes nothing (`pp` is NULL:
/// a held super-packet of the same flow stays held) and sends the skb up
/// alone (`goto normal`), still `CHECKSUM_NONE`, for TCP to drop
/// (`SKB_DROP_REASON_TCP_CSUM`).
extension SkbSim {
    /// True = the checksum is wrong (`tcp4_gro_receive`'s `goto flush`).
    func skb_gro_checksum_validate(_ i: Int) throws(SkbError) -> Bool {
        let summed = skbs[i].ipSummed
        guard summed == .none || summed == .complete else { return false }
        switch try l4Checksum(i, proto: 6) {
        case .invalid: return true
        case .valid: __skb_incr_checksum_unnecessary(i)
        case .notComputable: break
        }
        return false
    }
}
