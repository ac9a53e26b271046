/// The shadow of page_frag pages: two levels instead of KASAN's one.
///
/// KASAN keeps one shadow byte per 8-byte granule. A 1920-byte fragment
/// would need 240 of them cleared on alloc and 240 poisoned on free. Here
/// each of its whole 64-byte blocks gets one code in `blockShadow` (30
/// bytes); only the granules of the blocks it shares with neighbours (at
/// most its two ends) are written in the byte shadow. Reports are the same
/// as with one level: granule g's code is `shadow[g]`, or
/// `blockShadow[g >> 3]` where `shadow[g]` is `Shadow.fragBlock`
/// (`shadowCode(granule:)`), a code nothing else writes.
///
/// Invariants, for each 64-byte block b of a page_frag page:
/// - a block code stands for every granule of b that holds `fragBlock`:
///   it is what a one-level shadow would hold there;
/// - bit b of `granularBlocks` is set whenever some granule of b does not
///   hold `fragBlock` (it may stay set after they all do again).
///
/// A refill puts every block in block state ("unused"). Fragments never
/// overlap within a generation of a page (between refills and reuses), so
/// the whole blocks of a fragment are its own until it is freed: free writes
/// exactly the blocks alloc wrote. A block with granule codes left by an
/// earlier generation (its bit set) goes back to block state when a new
/// fragment covers it whole. Fragments of up to `smallFragment` bytes write
/// every granule they touch: for them one level is as cheap.
@usableFromInline
enum FragShadow {
    @usableFromInline static let blockShift = 6
    /// Up to this size a fragment's shadow is per granule (<= 32 bytes).
    @usableFromInline static let smallFragment = 256
    @usableFromInline static let granulesPerBlock = 8
}

extension MemorySystem {
    /// The shadow code of granule `g`, through the block level where it applies.
    @inlinable @inline(__always)
    func shadowCode(granule g: Int) -> UInt8 {
        let c = shadow[g]
        return c == Shadow.fragBlock ? blockShadow[g &>> 3] : c
    }

    /// A fresh page_frag page (`__page_frag_cache_refill`): every block in
    /// block state, not yet handed out.
    @usableFromInline func resetFragPageShadow(_ pfn: Int, _ order: Int) {
        let b0 = (pfn << pageShift) >> FragShadow.blockShift
        let n = (pageSize << order) >> FragShadow.blockShift
        (shadow + b0 * FragShadow.granulesPerBlock).update(
            repeating: Shadow.fragBlock, count: n * FragShadow.granulesPerBlock)
        (blockShadow + b0).update(repeating: Shadow.fragUnused, count: n)
        // PAGE_SIZE >= 4096: a page is a whole number of bitmap words.
        (granularBlocks + b0 / 64).update(repeating: 0, count: n / 64)
    }

    // MARK: Alloc and free of a fragment

    /// Open the shadow of a fragment at arena offset `s` of `size` (> 0) bytes.
    @inlinable @inline(__always)
    func openFragShadow(_ s: Int, _ size: Int) {
        let e = s &+ size
        if size <= FragShadow.smallFragment {
            markGranular(s &>> 6, (e &- 1) &>> 6)
            let first = s &>> 3
            let last = (e &- 1) &>> 3
            fillShadow(shadow + first, count: last &- first &+ 1, Shadow.accessible)
            return
        }
        let w0 = (s &+ 63) &>> 6
        let w1 = e &>> 6  // whole blocks, at least 3
        if _slowPath(anyGranular(w0, w1)) { toBlockState(w0, w1) }
        fillShadow(blockShadow + w0, count: w1 &- w0, Shadow.accessible)
        if s & 63 != 0 { openGranules(block: s &>> 6, from: s, to: w0 &<< 6) }
        if e & 63 != 0 { openGranules(block: w1, from: w1 &<< 6, to: e) }
    }

    /// Poison the shadow of a freed fragment: every granule entirely inside
    /// it (a neighbour may share the granules at its ends, since fragments
    /// are not 8-aligned).
    @inlinable @inline(__always)
    func poisonFragShadow(_ s: Int, _ size: Int) {
        let e = s &+ size
        if size <= FragShadow.smallFragment {
            let first = (s &+ 7) &>> 3
            let end = e &>> 3
            fillShadow(shadow + first, count: end &- first, Shadow.fragFree)
            return
        }
        let w0 = (s &+ 63) &>> 6
        let w1 = e &>> 6
        fillShadow(blockShadow + w0, count: w1 &- w0, Shadow.fragFree)
        if s & 63 != 0 { poisonGranules(block: s &>> 6, from: s, to: w0 &<< 6) }
        if e & 63 != 0 { poisonGranules(block: w1, from: w1 &<< 6, to: e) }
    }

    // MARK: Granular blocks

    /// Bytes `first...last` (0...7) of a shadow word.
    @inlinable @inline(__always)
    static func granuleMask(_ first: Int, _ last: Int) -> UInt64 {
        (UInt64.max &>> UInt64(truncatingIfNeeded: 56 &- 8 &* (last &- first)))
            &<< UInt64(truncatingIfNeeded: 8 &* first)
    }

    /// Open the granules of [a, c) (inside block `b`).
    @inlinable @inline(__always)
    func openGranules(block b: Int, from a: Int, to c: Int) {
        markGranular(b, b)
        let p = UnsafeMutableRawPointer(shadow + b &* 8)
        let mask = MemorySystem.granuleMask((a &>> 3) & 7, ((c &- 1) &>> 3) & 7)
        p.storeBytes(of: p.loadUnaligned(as: UInt64.self) & ~mask, as: UInt64.self)
    }

    /// Poison the granules entirely inside [a, c) (inside block `b`, whose
    /// granules `openGranules` wrote).
    @inlinable @inline(__always)
    func poisonGranules(block b: Int, from a: Int, to c: Int) {
        let g0 = (a &+ 7) &>> 3
        let g1 = c &>> 3
        guard g1 > g0 else { return }
        let p = UnsafeMutableRawPointer(shadow + b &* 8)
        let mask = MemorySystem.granuleMask(g0 &- b &* 8, g1 &- 1 &- b &* 8)
        let poison = UInt64(Shadow.fragFree) &* 0x0101_0101_0101_0101
        p.storeBytes(of: (p.loadUnaligned(as: UInt64.self) & ~mask) | (poison & mask), as: UInt64.self)
    }

    /// Set the bits of blocks `b0...b1` (at most 64 apart).
    @inlinable @inline(__always)
    func markGranular(_ b0: Int, _ b1: Int) {
        let bits = (UInt64.max &>> UInt64(truncatingIfNeeded: 63 &- (b1 &- b0))) &<< UInt64(truncatingIfNeeded: b0 & 63)
        granularBlocks[b0 &>> 6] |= bits
        if _slowPath(b1 &>> 6 != b0 &>> 6) { markGranularSpill(b1) }
    }

    /// `markGranular` past a bitmap word: the bits of the next word up to `b1`.
    @usableFromInline @inline(never)
    func markGranularSpill(_ b1: Int) {
        granularBlocks[b1 >> 6] |= UInt64.max >> UInt64(63 - (b1 & 63))
    }

    /// Whether any block of `b0..<b1` (non-empty) may hold granule codes.
    @inlinable @inline(__always)
    func anyGranular(_ b0: Int, _ b1: Int) -> Bool {
        var i = b0 &>> 6
        let last = (b1 &- 1) &>> 6
        var low = UInt64.max &<< UInt64(truncatingIfNeeded: b0 & 63)
        while i < last {
            if granularBlocks[i] & low != 0 { return true }
            low = .max
            i &+= 1
        }
        let high = UInt64.max &>> UInt64(truncatingIfNeeded: 63 &- ((b1 &- 1) & 63))
        return granularBlocks[last] & low & high != 0
    }

    /// Blocks of `b0..<b1` that may hold granule codes (left by an earlier
    /// generation) go back to block state; the caller sets their block codes.
    @usableFromInline @inline(never)
    func toBlockState(_ b0: Int, _ b1: Int) {
        let delegate = UInt64(Shadow.fragBlock) &* 0x0101_0101_0101_0101
        for b in b0..<b1 where granularBlocks[b >> 6] & (1 << UInt64(b & 63)) != 0 {
            UnsafeMutableRawPointer(shadow + b * 8).storeBytes(of: delegate, as: UInt64.self)
            granularBlocks[b >> 6] &= ~(1 << UInt64(b & 63))
        }
    }
}
