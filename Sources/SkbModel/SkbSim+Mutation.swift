import KernelMemory
import Trace

/// Direct field access for layers built on the model (GRO, hooks): what
/// kernel code does by assigning skb fields.
extension SkbSim {
    /// Mutate a live skb's public fields in place (`truesize`, `next`,
    /// header offsets, `protocolType`, `mark`, `destructor`, `sk`, ...).
    /// Lengths change only through the operations below.
    @discardableResult
    @inlinable public func modify<R>(_ id: SkbID, _ body: (inout SkBuff) -> R) throws(SkbError) -> R {
        let i = try slot(id, "skb")
        return body(&skbs[i])
    }

    /// `skb_len_add(skb, delta)`: len += delta (linear length unchanged
    /// only if the caller also adds to data_len; see `skbPagedLenAdd`).
    public func skb_len_add(_ id: SkbID, _ delta: Int) throws(SkbError) {
        let i = try slot(id, "skb_len_add")
        skbs[i].len = UInt32(Int(skbs[i].len) + delta)
    }

    /// `skb->data_len += delta; skb->len += delta` — what GRO does to the
    /// held skb (and to `NAPI_GRO_CB(p)->last`) when paged or frag_list
    /// bytes are attached or detached by hand.
    public func skbPagedLenAdd(_ id: SkbID, _ delta: Int) throws(SkbError) {
        let i = try slot(id, "skb_len_add")
        skbs[i].len = UInt32(Int(skbs[i].len) + delta)
        skbs[i].dataLen = UInt32(Int(skbs[i].dataLen) + delta)
    }

    /// `__skb_frag_ref(&skb_shinfo(skb)->frags[i])`.
    public func skb_frag_ref(_ id: SkbID, _ index: Int) throws(SkbError) {
        let i = try slot(id, "skb_frag_ref")
        __skb_frag_ref(shinfo(at: i).frag(index))
    }

    /// `skb_frag_unref(skb, i)`: drop frags[i]'s page reference (nr_frags unchanged).
    public func skb_frag_unref(_ id: SkbID, _ index: Int) throws(SkbError) {
        let i = try slot(id, "skb_frag_unref")
        __skb_frag_unref(shinfo(at: i).frag(index), i, index)
    }

    /// Record an arbitrary event on an skb (e.g. GRO's `.groMerge`) with
    /// the skb's current fields; free when no sink is attached.
    @inlinable public func trace(
        _ kind: Trace.SkbEventKind, _ id: SkbID, _ function: StaticString, arg0: UInt64 = 0, arg1: UInt64 = 0,
        reason: UInt32 = 0
    ) throws(SkbError) {
        let i = try slot(id, "trace")
        emit(kind, i, function, arg0, arg1, reason: reason)
    }
}
