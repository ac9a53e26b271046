import KernelMemory
import Trace

/// The release path, in the kernel's order (net/core/skbuff.c, v6.11+):
///
/// `kfree_skb_reason` / `consume_skb`
///   → `skb_unref` (stop while users remain)
///   → trace (`drop` with reason / `consume`)
///   → `__kfree_skb` = `skb_release_all` (`skb_release_head_state`,
///     `skb_release_data`) + `kfree_skbmem`.
///
/// `skb_release_data` = `skb_data_unref` (stop while clones hold the data)
/// → frag unrefs → frag_list (`kfree_skb_list_reason`) → `skb_free_head`,
/// then `pp_recycle = 0`. Each stage is its own public function so they can
/// be driven one by one (the `Release` module's `ReleasePipeline` does).
///
/// Reasons are `SkbDropReason` values from the simulation's table
/// (`dropReasonTable`, `reasons`).
extension SkbSim {
    /// `kfree_skb_reason(skb, reason)` (`sk_skb_reason_drop(NULL, ...)`).
    /// A stale handle (double free) records a slab-use-after-free report and throws.
    public func kfree_skb_reason(_ id: SkbID, _ reason: SkbDropReason) throws(SkbError) {
        let i = try slot(id, "kfree_skb_reason")
        guard skbUnref(i) else { return }
        if reason == reasons.consumed { emit(.consume, i, "kfree_skb_reason", reason: reason.rawValue) }
        else { emit(.drop, i, "kfree_skb_reason", reason: reason.rawValue) }
        try __kfree_skb(i)
    }

    /// `kfree_skb_reason` with a raw value of the simulation's table.
    @available(*, deprecated, message: "pass an SkbDropReason (sim.reasons.…)")
    public func kfree_skb_reason(_ id: SkbID, _ reason: UInt32) throws(SkbError) {
        try kfree_skb_reason(id, SkbDropReason(rawValue: reason))
    }

    /// `kfree_skb(skb)` = `kfree_skb_reason(skb, SKB_DROP_REASON_NOT_SPECIFIED)`.
    public func kfree_skb(_ id: SkbID) throws(SkbError) { try kfree_skb_reason(id, reasons.notSpecified) }

    /// `consume_skb(skb)`: freed after successful use (trace `consume_skb`).
    public func consume_skb(_ id: SkbID) throws(SkbError) {
        let i = try slot(id, "consume_skb")
        guard skbUnref(i) else { return }
        emit(.consume, i, "consume_skb", reason: reasons.consumed.rawValue)
        try __kfree_skb(i)
    }

    /// `kfree_skb_list_reason(segs, reason)`: each skb on the `next` chain
    /// through the full unref → trace → release path.
    public func kfree_skb_list_reason(_ first: SkbID, _ reason: SkbDropReason) throws(SkbError) {
        try kfreeSkbListReason(first, reason)
    }

    /// `kfree_skb_list(segs)`.
    public func kfree_skb_list(_ first: SkbID) throws(SkbError) { try kfreeSkbListReason(first, reasons.notSpecified) }

    func kfreeSkbListReason(_ first: SkbID, _ reason: SkbDropReason) throws(SkbError) {
        var cur: SkbID? = first
        while let c = cur {
            let ci = try slot(c, "kfree_skb_list_reason")
            cur = skbs[ci].next
            guard skbUnref(ci) else { continue }
            if reason == reasons.consumed { emit(.consume, ci, "kfree_skb_list_reason", reason: reason.rawValue) }
            else { emit(.drop, ci, "kfree_skb_list_reason", reason: reason.rawValue) }
            try __kfree_skb(ci)
        }
    }

    /// `__kfree_skb(skb)`: release everything with NOT_SPECIFIED (as the
    /// kernel passes down), then free the struct.
    func __kfree_skb(_ i: Int) throws(SkbError) {
        try skbReleaseAll(i, reasons.notSpecified)
        kfreeSkbmem(i)
    }

    /// `__kfree_skb` on a handle whose users already reached zero (for
    /// callers driving the stages themselves).
    public func __kfree_skb(_ id: SkbID) throws(SkbError) { try __kfree_skb(try slot(id, "__kfree_skb")) }

    // MARK: Stages

    /// `skb_unref(skb)`: true when this was the last user. users == 1 is the
    /// fast path (no atomic); else decrement and report whether it hit 0.
    @inlinable public func skbUnref(_ id: SkbID) throws(SkbError) -> Bool { skbUnref(try slot(id, "skb_unref")) }

    @usableFromInline func skbUnref(_ i: Int) -> Bool {
        if skbs[i].users == 1 { return true }
        if skbs[i].users <= 0 {
            memory.reportWarning(.refcountUnderflow, operation: "skb_unref", address: skbs[i].skbaddr,
                                 message: "refcount_t: underflow; use-after-free.")
            return false
        }
        skbs[i].users -= 1
        if skbs[i].users == 0 { return true }
        emit(.unref, i, "skb_unref", UInt64(skbs[i].users))
        return false
    }

    /// `skb_release_all(skb, reason)`: head state, then data if there is a head.
    public func skbReleaseAll(_ id: SkbID, _ reason: SkbDropReason) throws(SkbError) { try skbReleaseAll(try slot(id, "skb_release_all"), reason) }

    func skbReleaseAll(_ i: Int, _ reason: SkbDropReason) throws(SkbError) {
        skbReleaseHeadState(i)
        if skbs[i].head.raw != 0 { try skbReleaseData(i, reason) }
    }

    /// `skb_release_head_state(skb)`: (dst drop: not modelled) the
    /// destructor runs once and is cleared with `sk`; (conntrack and
    /// extensions: not modelled). Returns the destructor that ran (`.none`
    /// if there was none) so a caller can do its accounting (`sock_rfree`).
    @discardableResult
    @inlinable public func skbReleaseHeadState(_ id: SkbID) throws(SkbError) -> SkbDestructor { skbReleaseHeadState(try slot(id, "skb_release_head_state")) }

    @discardableResult
    @usableFromInline func skbReleaseHeadState(_ i: Int) -> SkbDestructor {
        let d = skbs[i].destructor
        if !d.isNone {
            emit(.destructor, i, "skb_release_head_state", d.code)
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
    @inlinable public func skbDataUnref(_ id: SkbID) throws(SkbError) -> Bool { skbDataUnref(try slot(id, "skb_data_unref")) }

    @usableFromInline func skbDataUnref(_ i: Int) -> Bool {
        if _slowPath(skbs[i].dataReleased) {
            memory.reportWarning(.refcountUnderflow, operation: "skb_release_data", address: skbs[i].skbaddr,
                                 message: "skb_release_data: dataref underflow: the data of skb \(id(i)) was already released (head \(skbs[i].head))")
            return false
        }
        guard skbs[i].cloned else { skbs[i].dataReleased = true; return true }
        let bias: UInt32 = skbs[i].nohdr ? (1 << SharedInfo.datarefShift) + 1 : 1
        let sh = shinfo(at: i)
        let d = sh.dataref
        if d == bias { skbs[i].dataReleased = true; return true }
        if _slowPath(d & SharedInfo.datarefMask < bias & SharedInfo.datarefMask) {
            memory.reportWarning(.refcountUnderflow, operation: "skb_release_data", address: skbs[i].skbaddr,
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
    /// free, head free; `pp_recycle = 0` at exit.
    public func skbReleaseData(_ id: SkbID, _ reason: SkbDropReason) throws(SkbError) { try skbReleaseData(try slot(id, "skb_release_data"), reason) }

    func skbReleaseData(_ i: Int, _ reason: SkbDropReason) throws(SkbError) {
        if skbDataUnref(i) {
            skbReleaseFrags(i)
            if let list = shinfo(at: i).fragList {
                emit(.listFree, i, "kfree_skb_list_reason", UInt64(fragListCount(list)), reason: reason.rawValue)
                try kfreeSkbListReason(list, reason)
            }
            skbFreeHead(i)
        }
        skbs[i].ppRecycle = false
    }

    /// The frag unref loop of `skb_release_data`: `__skb_frag_unref` for
    /// frags[0..<nr_frags] (no kmap, no per-frag destructor).
    @inlinable public func skbReleaseFrags(_ id: SkbID) throws(SkbError) { skbReleaseFrags(try slot(id, "skb_release_data")) }

    @usableFromInline func skbReleaseFrags(_ i: Int) {
        let sh = shinfo(at: i)
        let n = sh.nrFrags
        for k in 0..<n { fragUnref(sh.frag(k), i, k) }
    }

    /// `.fragUnref` then the `frag_list` read of `.listFree`, for a driver
    /// of the stages (`ReleasePipeline`): `skbReleaseFrags(id)` followed by
    /// `shinfo(id).fragList`. With no frags and an accessible shinfo, one
    /// checker look covers both fields; otherwise the two checked accesses
    /// run as before, so the checker's reports are the same either way.
    @inlinable public func skbReleaseFragsLoadingFragList(_ id: SkbID) throws(SkbError) -> SkbID? {
        skbReleaseFragsLoadingFragList(try slot(id, "skb_release_data"))
    }

    @usableFromInline func skbReleaseFragsLoadingFragList(_ i: Int) -> SkbID? {
        let sh = skbs[i].endPointer
        // nr_frags (offset 2) and frag_list (offsets 8..<16) in one look.
        if memory.isAccessible(sh, count: SharedInfo.fragListOffset + 8)
            && memory.rawLoad(UInt8.self, at: sh + SharedInfo.nrFragsOffset) == 0 {
            return SharedInfo.decode(memory.rawLoad(UInt64.self, at: sh + SharedInfo.fragListOffset))
        }
        skbReleaseFrags(i)
        return shinfo(at: i).fragList
    }

    /// Live skbs on a `next` chain starting at `first`.
    public func fragListCount(_ first: SkbID) -> Int {
        var count = 0
        var cur: SkbID? = first
        while let c = cur, isLive(c) { count += 1; cur = skbs[Int(c.index)].next }
        return count
    }

    /// `skb->pp_recycle = 0` (the exit of `skb_release_data`).
    @inlinable public func skbClearPpRecycle(_ id: SkbID) throws(SkbError) { skbs[try slot(id, "skb_release_data")].ppRecycle = false }

    /// `skb_free_head(skb)`: `skb_free_frag` (`page_frag_free`) for a
    /// head_frag head, else `skb_kfree_head`: before the CVE-2026-31429 fix
    /// `kmem_cache_free(skb_small_head_cache)` when end ==
    /// SKB_SMALL_HEAD_HEADROOM, otherwise (and always after it) `kfree`.
    @inlinable public func skbFreeHead(_ id: SkbID) throws(SkbError) { skbFreeHead(try slot(id, "skb_free_head")) }

    @usableFromInline func skbFreeHead(_ i: Int) {
        let head = skbs[i].head
        skbs[i].dataReleased = true
        if skbs[i].headFrag {
            emit(.headFree, i, "skb_free_frag", head.raw, 0)
            memory.page_frag_free(head)
        } else if !options.kfreeHeadAlways && Int(skbs[i].end) == sizes.smallHeadHeadroom {
            emit(.headFree, i, "skb_kfree_head", head.raw, 2)
            memory.kmemCacheFree(skbSmallHeadCache, head)
        } else {
            emit(.headFree, i, "skb_kfree_head", head.raw, 1)
            memory.kfree(head)
        }
    }

    /// `kfree_skbmem(skb)`: by `skb->fclone`: UNAVAILABLE → kmem_cache_free
    /// (skbuff_cache); ORIG → free the fclones block if fclone_ref is 1,
    /// else decrement; CLONE → decrement, free the block at 0. The pool slot
    /// is released either way (its handle becomes stale).
    @inlinable public func kfreeSkbmem(_ id: SkbID) throws(SkbError) { kfreeSkbmem(try slot(id, "kfree_skbmem")) }

    @usableFromInline func kfreeSkbmem(_ i: Int) {
        let addr = skbs[i].skbaddr
        emit(.skbFree, i, "kfree_skbmem", skbs[i].fclone == .unavailable ? 0 : 1, UInt64(skbs[i].fclone.rawValue))
        switch skbs[i].fclone {
        case .unavailable:
            memory.kmemCacheFree(skbuffCache, addr)
        case .orig:
            let r = fcloneRef(orig: addr)
            if r == 1 { memory.kmemCacheFree(skbuffFcloneCache, addr) }
            else { setFcloneRef(orig: addr, r &- 1) }
        case .clone:
            let orig = addr - config.sizeofSkBuff
            let r = fcloneRef(orig: orig) &- 1
            setFcloneRef(orig: orig, r)
            if r == 0 { memory.kmemCacheFree(skbuffFcloneCache, orig) }
        }
        releaseSlot(i)
    }
}
