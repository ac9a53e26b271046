/// Byte access to simulated memory, checked against the KASAN shadow.
///
/// Reads of bad memory are reported and still performed (KASAN reports and
/// lets the access happen); writes to bad memory are reported and skipped,
/// so a use-after-free cannot corrupt poison or another owner's bytes.
extension MemorySystem {
    /// `kasan_check_range`: nil if every byte of [addr, addr+size) is
    /// accessible, else the first bad address and its shadow code.
    ///
    /// Like KASAN, the partial granules at the two ends are checked with one
    /// shadow byte each and the whole granules in between by their shadow
    /// bytes, 32 granules (256 bytes of memory) per four 64-bit loads while
    /// all are zero.
    @inlinable func firstBadByte(_ addr: KernelAddress, _ size: Int) -> (KernelAddress, UInt8)? {
        let off = offsetInArena(addr)
        let end = off + size
        var o = off
        if o & 7 != 0 && o < end {
            // The ragged first granule: one shadow byte. Code 1...7 leaves
            // the granule's first `code` bytes accessible, >= 8 none.
            let lim = min(end, (o | 7) + 1)
            let code = shadow[o >> 3]
            if code != 0 {
                let bad = code >= 8 ? o : max(o, (o & ~7) + Int(code))
                if bad < lim { return (addr + (bad - off), code) }
            }
            o = lim
        }
        // The whole granules [o, end & ~7): shadow bytes [g, gEnd), 32 at a
        // time (256 bytes of memory), then 8, then one by one from the
        // first word with a non-zero byte.
        var g = o >> 3
        let gEnd = end >> 3
        let sh = UnsafeRawPointer(shadow)
        while g + 32 <= gEnd {
            let w = sh.loadUnaligned(fromByteOffset: g, as: UInt64.self) | sh.loadUnaligned(fromByteOffset: g + 8, as: UInt64.self)
                | sh.loadUnaligned(fromByteOffset: g + 16, as: UInt64.self) | sh.loadUnaligned(fromByteOffset: g + 24, as: UInt64.self)
            if w != 0 { break }
            g += 32
        }
        while g + 8 <= gEnd && sh.loadUnaligned(fromByteOffset: g, as: UInt64.self) == 0 { g += 8 }
        while g < gEnd {
            let code = shadow[g]
            if code != 0 {
                // 1...7: only the first `code` bytes of the granule are accessible.
                return (addr + ((g << 3) - off) + (code < 8 ? Int(code) : 0), code)
            }
            g += 1
        }
        if gEnd << 3 > o { o = gEnd << 3 }
        if o < end {
            // The ragged last granule (o is 8-aligned here): one shadow byte.
            let code = shadow[o >> 3]
            if code != 0 {
                let bad = code >= 8 ? o : o + Int(code)
                if bad < end { return (addr + (bad - off), code) }
            }
        }
        return nil
    }

    /// Whether [addr, addr+count) is inside RAM and accessible, without
    /// reporting anything (for observers such as trace sinks).
    @inlinable public func isAccessible(_ addr: KernelAddress, count: Int) -> Bool {
        count <= 0 || (isValid(addr) && isValid(addr + (count - 1)) && firstBadByte(addr, count) == nil)
    }

    /// The shadow code if the byte at arena offset `o` is not accessible.
    @inlinable @inline(__always) func badShadow(at o: Int) -> UInt8? {
        let code = shadow[o >> 3]
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
    public func withUnsafeBytes<R>(at addr: KernelAddress, count: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if !checkAccess(addr, count, op: "withUnsafeBytes", isWrite: false) {
            precondition(isValid(addr) && isValid(addr + max(count - 1, 0)), "wild memory access at \(addr)")
        }
        return try body(UnsafeRawBufferPointer(start: arena + offsetInArena(addr), count: count))
    }

    /// Write access to `count` bytes at `addr`. If the checker flags the
    /// range, `body` gets a scratch-free empty buffer and nothing is written.
    @inlinable
    public func withUnsafeMutableBytes<R>(at addr: KernelAddress, count: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
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
}
