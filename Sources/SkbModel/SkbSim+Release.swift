import KernelMemory
import Trace

/// The release path of net/core/skbuff.c (v6.18), the one implementation
/// every free runs through — a driver's, the socket layer's, GRO's, a
/// library user's and each stage of `Release`'s `ReleasePipeline`:
///
/// ```
/// kfree_skb_reason(skb, reason)  = sk_skb_reason_drop(NULL, skb, reason)
/// consume_skb(skb)
///   → skb_unref                    stop while other users remain
///   → trace_kfree_skb / trace_consume_skb
///   → __kfree_skb_reason           (consume_skb: __kfree_skb, NOT_SPECIFIED)
///       skb_release_all(skb, reason)
///         skb_release_head_state   skb->destructor (sock_rfree, …) once
///         skb_release_data(skb, reason)
///           skb_data_unref         stop while clones hold the data
///           __skb_frag_unref × nr_frags
///           kfree_skb_list_reason(frag_list, reason)
///           skb_free_head
///       kfree_skbmem
/// ```
///
/// The reason reaching `skb_release_data` (and so the frag_list members) is
/// the caller's for `kfree_skb_reason`, and NOT_SPECIFIED for `consume_skb`
/// and `__kfree_skb` (v6.18 net/core/skbuff.c: `__kfree_skb` calls
/// `skb_release_all(skb, SKB_DROP_REASON_NOT_SPECIFIED)`).
///
/// Each step is a function of its own, named as in the kernel, so
/// `ReleasePipeline` composes other orders (the seed document's, a user's)
/// from these same steps. Reasons are values of the simulation's table
/// (`dropReasonTable`, `reasons`).
extension SkbSim {
    // MARK: Entry points

    /// `kfree_skb_reason(skb, reason)` (`sk_skb_reason_drop(NULL, ...)`).
    /// A stale handle (double free) records a slab-use-after-free report and throws.
    public func kfree_skb_reason(_ id: SkbID, _ reason: SkbDropReason) throws(SkbError) {
        try skbReasonDrop(try slot(id, "kfree_skb_reason"), reason, reason, "kfree_skb_reason")
    }

    /// `kfree_skb(skb)` = `kfree_skb_reason(skb, SKB_DROP_REASON_NOT_SPECIFIED)`.
    public func kfree_skb(_ id: SkbID) throws(SkbError) { try kfree_skb_reason(id, reasons.notSpecified) }

    /// `consume_skb(skb)`: freed after successful use (`skb:consume_skb`).
    public func consume_skb(_ id: SkbID) throws(SkbError) {
        try skbReasonDrop(try slot(id, "consume_skb"), reasons.consumed, reasons.notSpecified, "consume_skb")
    }

    /// `dev_kfree_skb_any(skb)` = `dev_kfree_skb_any_reason(skb, SKB_CONSUMED)`:
    /// outside hard IRQ (the model never is in one) `kfree_skb_reason(skb,
    /// SKB_CONSUMED)`, so CONSUMED reaches the frag_list members.
    public func dev_kfree_skb_any(_ id: SkbID) throws(SkbError) {
        try skbReasonDrop(try slot(id, "dev_kfree_skb_any"), reasons.consumed, reasons.consumed, "dev_kfree_skb_any")
    }

    /// A free whose trace event names `caller` (the tracepoint's
    /// `location`): `reason` for the tracepoint, `dataReason` for
    /// `skb_release_all` (NOT_SPECIFIED after `consume_skb`, which frees
    /// with `__kfree_skb`; the reason itself after `kfree_skb_reason`).
    public func free(
        _ id: SkbID, _ reason: SkbDropReason, dataReason: SkbDropReason,
        caller: StaticString
    ) throws(SkbError) {
        try skbReasonDrop(try slot(id, caller), reason, dataReason, caller)
    }

    /// `kfree_skb_list_reason(segs, reason)`: each skb on the `next` chain
    /// through unref → trace → release with `reason`.
    public func kfree_skb_list_reason(_ first: SkbID, _ reason: SkbDropReason) throws(SkbError) {
        var cur: SkbID? = first
        while let c = cur {
            let ci = try slot(c, "kfree_skb_list_reason")
            cur = skbs[ci].next
            guard skb_unref(ci) else { continue }
            trace_kfree_skb(ci, reason, "kfree_skb_list_reason")
            try __kfree_skb_reason(ci, reason)
        }
    }

    /// `kfree_skb_list(segs)`.
    public func kfree_skb_list(_ first: SkbID) throws(SkbError) {
        try kfree_skb_list_reason(first, reasons.notSpecified)
    }

    /// `__kfree_skb(skb)` on a handle whose users already reached zero:
    /// `skb_release_all(skb, NOT_SPECIFIED)` + `kfree_skbmem`, no tracepoint.
    public func __kfree_skb(_ id: SkbID) throws(SkbError) { try __kfree_skb(try slot(id, "__kfree_skb")) }

    /// `__sk_skb_reason_drop` + `__kfree_skb_reason`: the body of every
    /// kfree_skb_reason / consume_skb style entry point.
    @inlinable
    func skbReasonDrop(
        _ i: Int, _ reason: SkbDropReason, _ dataReason: SkbDropReason,
        _ fn: StaticString
    ) throws(SkbError) {
        guard skb_unref(i) else { return }
        trace_kfree_skb(i, reason, fn)
        try __kfree_skb_reason(i, dataReason)
    }

    /// `__kfree_skb(skb)`: release with NOT_SPECIFIED, then free the struct.
    @usableFromInline func __kfree_skb(_ i: Int) throws(SkbError) {
        try __kfree_skb_reason(i, reasons.notSpecified)
    }

    @usableFromInline func __kfree_skb_reason(_ i: Int, _ reason: SkbDropReason) throws(SkbError) {
        try skb_release_all(i, reason)
        kfree_skbmem(i)
    }

    // MARK: Tracepoints

    /// `trace_consume_skb` (CONSUMED) or `trace_kfree_skb` (any other
    /// reason): a `.consume` / `.drop` event, and the count by reason
    /// (`dropCounts`) a drop monitor attached to the tracepoint would keep.
    public func trace_kfree_skb(_ id: SkbID, _ reason: SkbDropReason, caller: StaticString) throws(SkbError) {
        trace_kfree_skb(try slot(id, "trace_kfree_skb"), reason, caller)
    }

    @usableFromInline func trace_kfree_skb(_ i: Int, _ reason: SkbDropReason, _ fn: StaticString) {
        if reason == reasons.consumed {
            emit(.consume, i, fn, reason: reason.rawValue)
        } else {
            emit(.drop, i, fn, reason: reason.rawValue)
        }
        dropCounts.count(reason, listMember: fragListDepth > 0)
        if _slowPath(flows != nil) && reason != reasons.consumed && fragListDepth == 0 {
            flows?.dropped(skbs[i].flow)
        }
    }

    // MARK: Steps

    /// `skb_unref(skb)`: true when this was the last user. users == 1 is the
    /// fast path (no atomic); else decrement and report whether it hit 0.
    public func skb_unref(_ id: SkbID) throws(SkbError) -> Bool { skb_unref(try slot(id, "skb_unref")) }

    @usableFromInline func skb_unref(_ i: Int) -> Bool {
        if skbs[i].users == 1 { return true }
        if skbs[i].users <= 0 {
            memory.reportWarning(
                .refcountUnderflow, operation: "skb_unref", address: skbs[i].skbaddr,
                message: "refcount_t: underflow; use-after-free.")
            return false
        }
        skbs[i].users -= 1
        if skbs[i].users == 0 { return true }
        emit(.unref, i, "skb_unref", UInt64(skbs[i].users))
        return false
    }

    /// `skb_release_all(skb, reason)`: head state, then data if there is a head.
    public func skb_release_all(_ id: SkbID, _ reason: SkbDropReason) throws(SkbError) {
        try skb_release_all(try slot(id, "skb_release_all"), reason)
    }

    @usableFromInline func skb_release_all(_ i: Int, _ reason: SkbDropReason) throws(SkbError) {
        skb_release_head_state(i)
        if skbs[i].head.raw != 0 { try skb_release_data(i, reason) }
    }

    /// `skb_release_head_state(skb)`: (dst drop: not modelled) the
    /// destructor runs once — `sock_rfree` uncharges its socket (`Sockets`),
    /// a `.custom` one calls what was registered with `registerDestructor`
    /// — and is cleared with `sk`; (conntrack and extensions: not
    /// modelled). Returns the destructor that ran (`.none` if none).
    @discardableResult
    public func skb_release_head_state(_ id: SkbID) throws(SkbError) -> SkbDestructor {
        skb_release_head_state(try slot(id, "skb_release_head_state"))
    }

    @discardableResult
    @usableFromInline func skb_release_head_state(_ i: Int) -> SkbDestructor {
        let d = skbs[i].destructor
        if !d.isNone {
            emit(.destructor, i, "skb_release_head_state", d.code)
            runDestructor(d, i)
            skbs[i].destructor = .none
            skbs[i].sk = nil
        }
        return d
    }

    /// `skb_data_unref(skb)`: true when this skb dropped the last data
    /// reference. Not cloned: true without touching dataref. Else bias =
    /// nohdr ? (1 << 16) + 1 : 1; dataref == bias → true; else subtract.
    ///
    /// A second release of the same skb's data (its head may already be
    /// freed), or a dataref smaller than the bias, is a dataref underflow:
    /// reported (`WARNING: ... dataref underflow`) and answered false, so
    /// nothing is freed twice.
    public func skb_data_unref(_ id: SkbID) throws(SkbError) -> Bool { skb_data_unref(try slot(id, "skb_data_unref")) }

    @usableFromInline func skb_data_unref(_ i: Int) -> Bool {
        if _slowPath(skbs[i].dataReleased) {
            memory.reportWarning(
                .refcountUnderflow, operation: "skb_release_data", address: skbs[i].skbaddr,
                message:
                    "skb_release_data: dataref underflow: the data of skb \(id(i)) was already released (head \(skbs[i].head))"
            )
            return false
        }
        guard skbs[i].cloned else {
            skbs[i].dataReleased = true
            return true
        }
        let bias: UInt32 = skbs[i].nohdr ? (1 << SharedInfo.datarefShift) + 1 : 1
        let sh = shinfo(at: i)
        let d = sh.dataref
        if d == bias {
            skbs[i].dataReleased = true
            return true
        }
        if _slowPath(d & SharedInfo.datarefMask < bias & SharedInfo.datarefMask) {
            memory.reportWarning(
                .refcountUnderflow, operation: "skb_release_data", address: skbs[i].skbaddr,
                message: "skb_release_data: dataref underflow: dataref \(d) < bias \(bias) on skb \(id(i))")
            skbs[i].dataReleased = true
            return false
        }
        let after = d &- bias
        sh.dataref = after
        skbs[i].dataReleased = true
        if after == 0 { return true }
        emit(.dataUnref, i, "skb_data_unref", UInt64(after))
        return false
    }

    /// `skb_release_data(skb, reason)`: data unref, frag unrefs, frag_list
    /// free with `reason`, head free; `pp_recycle = 0` at exit.
    public func skb_release_data(_ id: SkbID, _ reason: SkbDropReason) throws(SkbError) {
        try skb_release_data(try slot(id, "skb_release_data"), reason)
    }

    @usableFromInline func skb_release_data(_ i: Int, _ reason: SkbDropReason) throws(SkbError) {
        if skb_data_unref(i) {
            if let list = releaseFragsLoadingFragList(i) {
                try freeFragList(i, list, reason) { (member: SkbID) throws(SkbError) in
                    try self.kfree_skb_list_reason(member, reason)
                }
            }
            skb_free_head(i)
        }
        skbs[i].ppRecycle = false
    }

    /// The `kfree_skb_list_reason(shinfo->frag_list, reason)` step of
    /// `skb_release_data`: a `.listFree` event, then `freeMembers` (the
    /// model's list free, or a pipeline's own stages) with the members
    /// counted as list members by the tracepoint. The skb may be freed by
    /// its own frag_list (a corrupted list): that is reported as a
    /// use-after-free, and thrown, when the release goes on.
    public func freeFragList(
        _ id: SkbID, _ reason: SkbDropReason,
        _ freeMembers: (SkbID) throws(SkbError) -> Void
    ) throws(SkbError) {
        let i = try slot(id, "kfree_skb_list_reason")
        guard let list = shinfo(at: i).fragList else { return }
        try freeFragList(i, list, reason, freeMembers)
    }

    func freeFragList(
        _ i: Int, _ list: SkbID, _ reason: SkbDropReason,
        _ freeMembers: (SkbID) throws(SkbError) -> Void
    ) throws(SkbError) {
        let skb = id(i)
        emit(.listFree, i, "kfree_skb_list_reason", UInt64(fragListCount(list)), reason: reason.rawValue)
        fragListDepth += 1
        defer { fragListDepth -= 1 }
        try freeMembers(list)
        // A member list that reached the skb itself freed it.
        _ = try slot(skb, "skb_free_head")
    }

    /// The frag unref loop of `skb_release_data`: `__skb_frag_unref` for
    /// frags[0..<nr_frags] (no kmap, no per-frag destructor).
    public func releaseFrags(_ id: SkbID) throws(SkbError) { releaseFrags(try slot(id, "skb_release_data")) }

    @usableFromInline func releaseFrags(_ i: Int) {
        let sh = shinfo(at: i)
        let n = sh.nrFrags
        for k in 0..<n { __skb_frag_unref(sh.frag(k), i, k) }
    }

    /// `releaseFrags` then the read of `frag_list`. With no frags and an
    /// accessible shinfo, one checker look covers both fields; otherwise the
    /// two checked accesses run, so the checker's reports are the same either way.
    @usableFromInline func releaseFragsLoadingFragList(_ i: Int) -> SkbID? {
        let sh = skbs[i].endPointer
        // nr_frags (offset 2) and frag_list (offsets 8..<16) in one look.
        if memory.isAccessible(sh, count: SharedInfo.fragListOffset + 8)
            && memory.rawLoad(UInt8.self, at: sh + SharedInfo.nrFragsOffset) == 0
        {
            return SharedInfo.decode(memory.rawLoad(UInt64.self, at: sh + SharedInfo.fragListOffset))
        }
        releaseFrags(i)
        return shinfo(at: i).fragList
    }

    /// Live skbs on a `next` chain starting at `first`.
    public func fragListCount(_ first: SkbID) -> Int {
        var count = 0
        var cur: SkbID? = first
        while let c = cur, isLive(c) {
            count += 1
            cur = skbs[Int(c.index)].next
        }
        return count
    }

    /// `skb_free_head(skb)` and the `pp_recycle = 0` that ends
    /// `skb_release_data`: `skb_free_frag` (`page_frag_free`) for a
    /// head_frag head, else `skb_kfree_head`: before the CVE-2026-31429 fix
    /// `kmem_cache_free(skb_small_head_cache)` when end ==
    /// SKB_SMALL_HEAD_HEADROOM, otherwise (and always after it) `kfree`.
    public func skb_free_head(_ id: SkbID) throws(SkbError) {
        let i = try slot(id, "skb_free_head")
        skb_free_head(i)
        skbs[i].ppRecycle = false
    }

    @usableFromInline func skb_free_head(_ i: Int) {
        let head = skbs[i].head
        skbs[i].dataReleased = true
        if skbs[i].headFrag {
            emit(.headFree, i, "skb_free_frag", head.raw, 0) { self.headPageOffset(head) }
            memory.page_frag_free(head)
        } else if !options.kfreeHeadAlways && Int(skbs[i].end) == sizes.smallHeadHeadroom {
            emit(.headFree, i, "skb_kfree_head", head.raw, 2) { self.headPageOffset(head) }
            memory.kmem_cache_free(skbSmallHeadCache, head)
        } else {
            emit(.headFree, i, "skb_kfree_head", head.raw, 1) { self.headPageOffset(head) }
            memory.kfree(head)
        }
    }

    /// The head's offset in its (compound head) page, for the `headFree` event.
    func headPageOffset(_ head: KernelAddress) -> UInt64 {
        head.raw &- memory.page_address(memory.virt_to_head_page(head)).raw
    }

    /// `kfree_skbmem(skb)`: by `skb->fclone`: UNAVAILABLE → kmem_cache_free
    /// (skbuff_cache); ORIG → free the fclones block if fclone_ref is 1,
    /// else decrement; CLONE → decrement, free the block at 0. The pool slot
    /// is released either way (its handle becomes stale).
    public func kfree_skbmem(_ id: SkbID) throws(SkbError) { kfree_skbmem(try slot(id, "kfree_skbmem")) }

    @usableFromInline func kfree_skbmem(_ i: Int) {
        let addr = skbs[i].skbaddr
        emit(.skbFree, i, "kfree_skbmem", skbs[i].fclone == .unavailable ? 0 : 1, UInt64(skbs[i].fclone.rawValue))
        switch skbs[i].fclone {
        case .unavailable:
            memory.kmem_cache_free(skbuffCache, addr)
        case .orig:
            let r = fcloneRef(orig: addr)
            if r == 1 { memory.kmem_cache_free(skbuffFcloneCache, addr) } else { setFcloneRef(orig: addr, r &- 1) }
        case .clone:
            let orig = addr - config.sizeofSkBuff
            let r = fcloneRef(orig: orig) &- 1
            setFcloneRef(orig: orig, r)
            if r == 0 { memory.kmem_cache_free(skbuffFcloneCache, orig) }
        }
        releaseSlot(i)
    }
}
