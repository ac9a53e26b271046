/// Byte access to simulated memory, checked against the KASAN shadow.
///
/// Reads of bad memory are reported and still performed (KASAN reports and
/// lets the access happen); writes to bad memory are reported and skipped,
/// so a use-after-free cannot corrupt poison or another owner's bytes.
extension MemorySystem {
    /// `kasan_check_range`: nil if every byte of [addr, addr+size) is
    /// accessible, else the first bad address and its shadow code.
    /// Precondition: the range lies inside RAM (callers check `isValid`).
    ///
    /// Fast path: a range touching at most 8 granules (any access of up to
    /// 57 bytes: every field load/store and a 32-byte shinfo clear) is good
    /// when one word of shadow, masked to those granules, is all zero, or,
    /// in a page_frag page, all `Shadow.fragBlock` with a zero code for the
    /// one or two 64-byte blocks it touches. Anything else goes to
    /// `firstBadByteSlow`, which finds the exact first bad byte, so reports
    /// are the same as without the fast path.
    @inlinable @inline(__always) func firstBadByte(_ addr: KernelAddress, _ size: Int) -> (KernelAddress, UInt8)? {
        let off = offsetInArena(addr)
        let g0 = off &>> 3
        let n = ((off &+ size &- 1) &>> 3) &- g0 &+ 1
        if _fastPath(size > 0 && n <= 8) {
            // The shadows have `Shadow.slack` bytes past their ends, so the
            // loads stay inside the allocations; bytes past the range are masked.
            let w = UInt64(littleEndian: UnsafeRawPointer(shadow).loadUnaligned(fromByteOffset: g0, as: UInt64.self))
            let mask = n == 8 ? UInt64.max : (1 &<< UInt64(truncatingIfNeeded: n &* 8)) &- 1
            if w & mask == 0 { return nil }
            if (w ^ MemorySystem.fragBlockWord) & mask == 0 {
                let b0 = off &>> 6
                let b1 = (off &+ size &- 1) &>> 6
                let codes = UInt16(
                    littleEndian: UnsafeRawPointer(blockShadow).loadUnaligned(fromByteOffset: b0, as: UInt16.self))
                if codes & (b1 == b0 ? 0xff : 0xffff) == 0 { return nil }
            }
        }
        return firstBadByteSlow(addr, size)
    }

    @usableFromInline static let fragBlockWord = UInt64(Shadow.fragBlock) &* 0x0101_0101_0101_0101

    /// `firstBadByte` for any size: like KASAN, the partial granules at the
    /// two ends are checked with one shadow code each and the whole
    /// granules in between by theirs, a 64-byte block (8 granules, one
    /// shadow word) at a time where the block is all accessible, four
    /// blocks at a time while they are.
    @usableFromInline @inline(never) func firstBadByteSlow(
        _ addr: KernelAddress, _ size: Int
    ) -> (KernelAddress, UInt8)? {
        let off = offsetInArena(addr)
        let end = off + size
        var o = off
        if o & 7 != 0 && o < end {
            // The ragged first granule: one code. 1...7 leaves the
            // granule's first `code` bytes accessible, >= 8 none.
            let lim = min(end, (o | 7) + 1)
            let code = shadowCode(granule: o >> 3)
            if code != 0 {
                let bad = code >= 8 ? o : max(o, (o & ~7) + Int(code))
                if bad < lim { return (addr + (bad - off), code) }
            }
            o = lim
        }
        // The whole granules [g, gEnd), a 64-byte block (one shadow word)
        // at a time: a block's granules in range are accessible when their
        // shadow bytes are zero, or all fragBlock with block code zero;
        // four whole blocks per step while they are. Only a block that
        // fails is looked at granule by granule.
        var g = o >> 3
        let gEnd = end >> 3
        let sh = UnsafeRawPointer(shadow)
        let delegated = MemorySystem.fragBlockWord
        while g < gEnd {
            if g & 7 == 0 && g + 16 <= gEnd && sh.loadUnaligned(fromByteOffset: g, as: UInt64.self) == delegated {
                // Block state: this is a page_frag page (nothing else holds
                // fragBlock), so up to the end of its 4 KiB page the bitmap
                // says which blocks are in block state; those are accessible
                // when their block codes are zero.
                let b = g &>> 3
                let bStop = min(gEnd &>> 3, (b | 63) &+ 1)
                let bits =
                    (UInt64.max &>> UInt64(truncatingIfNeeded: 64 &- (bStop &- b)))
                    &<< UInt64(truncatingIfNeeded: b & 63)
                if granularBlocks[b &>> 6] & bits == 0 && blockCodesAreZero(b, bStop) {
                    g = bStop &<< 3
                    continue
                }
            }
            if g & 7 == 0 && g + 32 <= gEnd {
                let w0 = sh.loadUnaligned(fromByteOffset: g, as: UInt64.self)
                let w1 = sh.loadUnaligned(fromByteOffset: g + 8, as: UInt64.self)
                let w2 = sh.loadUnaligned(fromByteOffset: g + 16, as: UInt64.self)
                let w3 = sh.loadUnaligned(fromByteOffset: g + 24, as: UInt64.self)
                if w0 | w1 | w2 | w3 == 0 {
                    g += 32
                    continue
                }
                if (w0 ^ delegated) | (w1 ^ delegated) | (w2 ^ delegated) | (w3 ^ delegated) == 0
                    && UnsafeRawPointer(blockShadow).loadUnaligned(fromByteOffset: g >> 3, as: UInt32.self) == 0
                {
                    g += 32
                    continue
                }
            }
            let b = g &>> 3
            let stop = min(gEnd, (b &+ 1) &<< 3)
            // Shadow bytes g...stop-1 of the block's word.
            let mask =
                (UInt64.max &>> UInt64(truncatingIfNeeded: 64 &- 8 &* (stop &- g)))
                &<< UInt64(truncatingIfNeeded: (g & 7) &* 8)
            let w = sh.loadUnaligned(fromByteOffset: b &<< 3, as: UInt64.self)
            if w & mask != 0 && ((w ^ delegated) & mask != 0 || blockShadow[b] != 0) {
                for gg in g..<stop {
                    let code = shadowCode(granule: gg)
                    if code != 0 {
                        // 1...7: only the first `code` bytes of the granule are accessible.
                        return (addr + ((gg << 3) - off) + (code < 8 ? Int(code) : 0), code)
                    }
                }
            }
            g = stop
        }
        if gEnd << 3 > o { o = gEnd << 3 }
        if o < end {
            // The ragged last granule (o is 8-aligned here): one code.
            let code = shadowCode(granule: o >> 3)
            if code != 0 {
                let bad = code >= 8 ? o : o + Int(code)
                if bad < end { return (addr + (bad - off), code) }
            }
        }
        return nil
    }

    /// Whether every block code of blocks `b..<end` is zero.
    @inline(__always) func blockCodesAreZero(_ b: Int, _ end: Int) -> Bool {
        let p = UnsafeRawPointer(blockShadow)
        var i = b
        var acc: UInt64 = 0
        if end &- b >= 8 {
            // Whole words, the last one overlapping the previous.
            while i &+ 8 <= end {
                acc |= p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                i &+= 8
            }
            return acc | p.loadUnaligned(fromByteOffset: end &- 8, as: UInt64.self) == 0
        }
        while i < end {
            acc |= UInt64(blockShadow[i])
            i &+= 1
        }
        return acc == 0
    }

    /// Whether [addr, addr+count) is inside RAM and accessible, without
    /// reporting anything (for observers such as trace sinks).
    @inlinable @inline(__always) public func isAccessible(_ addr: KernelAddress, count: Int) -> Bool {
        count <= 0 || (isValid(addr) && isValid(addr + (count - 1)) && firstBadByte(addr, count) == nil)
    }

    /// The shadow code if the byte at arena offset `o` is not accessible
    /// (the definition `firstBadByte` implements, one byte at a time).
    func badShadow(at o: Int) -> UInt8? {
        let code = shadowCode(granule: o >> 3)
        return code != 0 && (code >= 8 || (o & 7) >= Int(code)) ? code : nil
    }

    @inlinable @inline(__always)
    func checkAccess(_ addr: KernelAddress, _ size: Int, op: StaticString, isWrite: Bool) -> Bool {
        guard size > 0 else { return true }
        guard _fastPath(isValid(addr) && isValid(addr + (size - 1))) else {
            reportWild(addr, size: size, op: op, isWrite: isWrite, isFree: false)
            return false
        }
        guard let (bad, code) = firstBadByte(addr, size) else { return true }
        reportBadAccess(addr, size: size, bad: bad, code: code, op: op, isWrite: isWrite)
        return false
    }

    /// Copy bytes into simulated memory (`memcpy(to, from, n)`).
    /// Returns false (and writes nothing) if the checker flagged the range.
    @inlinable @discardableResult
    public func copyIn(to addr: KernelAddress, from bytes: UnsafeRawBufferPointer) -> Bool {
        guard checkAccess(addr, bytes.count, op: "copyIn", isWrite: true) else { return false }
        if let base = bytes.baseAddress { (arena + offsetInArena(addr)).copyMemory(from: base, byteCount: bytes.count) }
        return true
    }

    /// Copy bytes out of simulated memory into `buffer`.
    /// Returns false if the checker flagged the range (bytes are still copied
    /// when the range is inside RAM).
    @inlinable @discardableResult
    public func copyOut(from addr: KernelAddress, into buffer: UnsafeMutableRawBufferPointer) -> Bool {
        let ok = checkAccess(addr, buffer.count, op: "copyOut", isWrite: false)
        if isValid(addr) && isValid(addr + max(buffer.count - 1, 0)), let base = buffer.baseAddress {
            base.copyMemory(from: arena + offsetInArena(addr), byteCount: buffer.count)
        }
        return ok
    }

    /// `memset(addr, value, count)`; skipped if the range is bad.
    @inlinable @discardableResult
    public func memset(_ addr: KernelAddress, _ value: UInt8, count: Int) -> Bool {
        guard checkAccess(addr, count, op: "memset", isWrite: true) else { return false }
        (arena + offsetInArena(addr)).initializeMemory(as: UInt8.self, repeating: value, count: count)
        return true
    }

    /// Read access to `count` bytes at `addr` (checked once, up front).
    /// The pointer is valid only inside `body`. Precondition: the range
    /// lies inside simulated RAM (a wild range is reported and traps).
    @inlinable
    public func withUnsafeBytes<R>(
        at addr: KernelAddress, count: Int, _ body: (UnsafeRawBufferPointer) throws -> R
    ) rethrows -> R {
        if !checkAccess(addr, count, op: "withUnsafeBytes", isWrite: false) {
            precondition(isValid(addr) && isValid(addr + max(count - 1, 0)), "wild memory access at \(addr)")
        }
        return try body(UnsafeRawBufferPointer(start: arena + offsetInArena(addr), count: count))
    }

    /// Write access to `count` bytes at `addr`. If the checker flags the
    /// range, `body` gets a scratch-free empty buffer and nothing is written.
    @inlinable
    public func withUnsafeMutableBytes<R>(
        at addr: KernelAddress, count: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> R
    ) rethrows -> R {
        if !checkAccess(addr, count, op: "withUnsafeMutableBytes", isWrite: true) {
            return try body(UnsafeMutableRawBufferPointer(start: nil, count: 0))
        }
        return try body(UnsafeMutableRawBufferPointer(start: arena + offsetInArena(addr), count: count))
    }

    /// Unchecked view of raw bytes (a debugger's view: no reports), e.g. to
    /// see the poison in freed memory.
    public func rawBytes(at addr: KernelAddress, count: Int) -> [UInt8] {
        precondition(isValid(addr) && isValid(addr + max(count - 1, 0)), "address outside simulated RAM")
        return Array(UnsafeRawBufferPointer(start: arena + offsetInArena(addr), count: count))
    }
}

extension MemorySystem {
    /// Unchecked little-endian load (a debugger's view, like `rawBytes`):
    /// no shadow check, no report. For tracing and dumps only; returns 0
    /// outside simulated RAM.
    @inlinable
    public func rawLoad<T: FixedWidthInteger>(_ type: T.Type, at addr: KernelAddress) -> T {
        guard isValid(addr) && isValid(addr + (MemoryLayout<T>.size - 1)) else { return 0 }
        return T(littleEndian: (arena + offsetInArena(addr)).loadUnaligned(as: T.self))
    }

    /// Unchecked little-endian store: the counterpart of `rawLoad` for
    /// initialising memory the caller itself has just allocated (and so
    /// unpoisoned), e.g. the fields `__finalize_skb_around` writes into a
    /// fresh head. No shadow check and no report, so it costs one store.
    ///
    /// Invariant (the caller's duty; asserted in debug builds): every byte
    /// of the range is accessible, i.e. a checked store could not report.
    /// Never use it on memory reached through model state that may be stale
    /// (a freed head, a dangling frag): only the checked accessors
    /// (`withUnsafeMutableBytes`, `copyIn`, `memset`) report those. A range
    /// outside RAM traps.
    @inlinable
    package func rawStore<T: FixedWidthInteger>(_ value: T, at addr: KernelAddress) {
        precondition(isValid(addr) && isValid(addr + (MemoryLayout<T>.size - 1)), "rawStore outside simulated RAM")
        assert(firstBadByte(addr, MemoryLayout<T>.size) == nil, "rawStore to memory the checker would flag")
        (arena + offsetInArena(addr)).storeBytes(of: value.littleEndian, as: T.self)
    }

    /// Unchecked `memset(addr, value, count)`, under `rawStore`'s invariant:
    /// only for bytes the caller has just allocated. A range outside RAM traps.
    @inlinable
    package func rawSet(_ addr: KernelAddress, _ value: UInt8, count: Int) {
        guard count > 0 else { return }
        precondition(isValid(addr) && isValid(addr + (count - 1)), "rawSet outside simulated RAM")
        assert(firstBadByte(addr, count) == nil, "rawSet on memory the checker would flag")
        (arena + offsetInArena(addr)).initializeMemory(as: UInt8.self, repeating: value, count: count)
    }

    /// Unchecked `memcpy(addr, bytes, bytes.count)`, under `rawStore`'s
    /// invariant: only into memory the caller has just allocated, e.g. a
    /// driver copying a received frame into the head it allocated for it.
    /// A range outside RAM traps.
    @inlinable
    package func rawCopyIn(to addr: KernelAddress, from bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        precondition(isValid(addr) && isValid(addr + (bytes.count - 1)), "rawCopyIn outside simulated RAM")
        assert(firstBadByte(addr, bytes.count) == nil, "rawCopyIn to memory the checker would flag")
        (arena + offsetInArena(addr)).copyMemory(from: base, byteCount: bytes.count)
    }
}
