import Trace

/// A live skb's pool index, resolved once from its `SkbID`
/// (`SkbSim.resolve(_:_:)`) for a caller that runs several release stages
/// back to back (`ReleasePipeline`'s kernel order): the stage functions
/// taking a slot skip the handle check their `SkbID` versions repeat.
///
/// Valid while the skb it was resolved from is live. A caller must resolve
/// again after anything that may free skbs (e.g. freeing a frag_list, which
/// could hold the skb itself), where the `SkbID` versions would throw a
/// stale-handle error. Debug builds check every use; release builds do
/// not, which is why this is `package`, for skbsim's own `Release`, and not
/// public: a user's stale slot would be a silent bug, a stale `SkbID` is a
/// reported one.
@usableFromInline package struct SkbSlot: Hashable, Sendable {
    @usableFromInline let index: Int
    @inlinable init(index: Int) { self.index = index }
}

extension SkbSim {
    /// Resolve `id` once; a stale handle is a use-after-free of its old skb
    /// (reported, and thrown), exactly as in the `SkbID` functions.
    @inlinable package func resolve(_ id: SkbID, _ op: StaticString) throws(SkbError) -> SkbSlot {
        SkbSlot(index: try slot(id, op))
    }

    /// The pool index of `s`, asserting in debug builds that it is live.
    @inlinable @inline(__always) func index(_ s: SkbSlot) -> Int {
        assert(s.index < skbs.count && skbs[s.index].live, "SkbSlot used after its skb was freed")
        return s.index
    }

    /// `skb->truesize`.
    @inlinable package func truesize(_ s: SkbSlot) -> UInt32 { skbs[index(s)].truesize }
    /// `skbUnref(_:)` on a resolved slot.
    @inlinable package func skbUnref(_ s: SkbSlot) -> Bool { skbUnref(index(s)) }
    /// `trace(_:_:_:arg0:arg1:reason:)` on a resolved slot.
    @inlinable package func trace(_ kind: Trace.SkbEventKind, _ s: SkbSlot, _ function: StaticString, reason: UInt32 = 0) {
        emit(kind, index(s), function, reason: reason)
    }
    /// `skbReleaseHeadState(_:)` on a resolved slot.
    @inlinable @discardableResult
    package func skbReleaseHeadState(_ s: SkbSlot) -> SkbDestructor { skbReleaseHeadState(index(s)) }
    /// `skbDataUnref(_:)` on a resolved slot.
    @inlinable package func skbDataUnref(_ s: SkbSlot) -> Bool { skbDataUnref(index(s)) }
    /// `skbReleaseFragsLoadingFragList(_:)` on a resolved slot.
    @inlinable package func skbReleaseFragsLoadingFragList(_ s: SkbSlot) -> SkbID? { skbReleaseFragsLoadingFragList(index(s)) }
    /// `skbFreeHead(_:)` on a resolved slot.
    @inlinable package func skbFreeHead(_ s: SkbSlot) { skbFreeHead(index(s)) }
    /// `skbClearPpRecycle(_:)` on a resolved slot.
    @inlinable package func skbClearPpRecycle(_ s: SkbSlot) { skbs[index(s)].ppRecycle = false }
    /// `kfreeSkbmem(_:)` on a resolved slot: the skb is freed, the slot dead.
    @inlinable package func kfreeSkbmem(_ s: SkbSlot) { kfreeSkbmem(index(s)) }
}
