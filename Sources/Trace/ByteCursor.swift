/// A write position in a `TraceOutput` buffer with room already reserved:
/// appends are unchecked stores through a local pointer (no class property
/// access, no exclusivity checks, no allocation). Get one from
/// `TraceOutput.beginRecord(maxBytes:)`, give it back with `endRecord(_:)`.
struct ByteCursor {
    var p: UnsafeMutablePointer<UInt8>

    @inline(__always)
    mutating func appendByte(_ byte: UInt8) {
        p.pointee = byte
        p += 1
    }

    @inline(__always)
    mutating func append(_ string: StaticString) {
        if string.hasPointerRepresentation {
            let n = string.utf8CodeUnitCount
            p.update(from: string.utf8Start, count: n)
            p += n
        } else {
            string.withUTF8Buffer { for byte in $0 { appendByte(byte) } }
        }
    }

    @inline(__always)
    mutating func appendDecimal(_ value: UInt64) {
        let digits = decimalDigitCount(value)
        var v = value
        var q = p + digits
        // Two digits per step from a "00".."99" table: half the dependent divisions.
        let pairs = digitPairs.utf8Start
        while v >= 100 {
            let r = Int(truncatingIfNeeded: v % 100)
            v /= 100
            q -= 2
            q[0] = pairs[2 * r]
            q[1] = pairs[2 * r + 1]
        }
        if v >= 10 {
            let r = Int(truncatingIfNeeded: v)
            q -= 2
            q[0] = pairs[2 * r]
            q[1] = pairs[2 * r + 1]
        } else {
            q -= 1
            q[0] = 0x30 &+ UInt8(truncatingIfNeeded: v)
        }
        p += digits
    }

    @inline(__always)
    mutating func appendDecimal(_ value: Int64) {
        if value < 0 {
            appendByte(UInt8(ascii: "-"))
            appendDecimal(UInt64(bitPattern: 0 &- value))
        } else {
            appendDecimal(UInt64(value))
        }
    }

    @inline(__always)
    mutating func appendHex(_ value: UInt64, width: Int) {
        let significant = value == 0 ? 1 : (67 - value.leadingZeroBitCount) / 4
        let digits = significant < width ? width : significant
        var v = value
        var q = p + (digits - 1)
        while q >= p {
            let nibble = UInt8(truncatingIfNeeded: v & 0xf)
            q.pointee = nibble < 10 ? 0x30 &+ nibble : 0x57 &+ nibble
            v >>= 4
            q -= 1
        }
        p += digits
    }

    /// Escapes `"`, `\` and control characters in the first `limit` bytes;
    /// needs 6 bytes per input byte reserved.
    mutating func appendJSONEscaped(_ string: StaticString, limit: Int) {
        string.withUTF8Buffer { buffer in
            for byte in buffer.prefix(limit) {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                    appendByte(UInt8(ascii: "\\"))
                    appendByte(byte)
                } else if byte < 0x20 {
                    append("\\u00")
                    appendHex(UInt64(byte), width: 2)
                } else {
                    appendByte(byte)
                }
            }
        }
    }
}

extension TraceOutput {
    /// Reserves `maxBytes` (flushing first if needed) and returns a cursor at
    /// the end of the buffered bytes. `maxBytes` must not exceed the buffer size.
    @inline(__always)
    func beginRecord(maxBytes: Int) -> ByteCursor {
        reserve(maxBytes)
        return ByteCursor(p: bufferEnd)
    }
}

/// A computed literal, not a stored global: no lazy-initialization check per use.
private var digitPairs: StaticString {
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
}

/// Number of decimal digits of `v` (1 for 0), by a few comparisons.
@inline(__always)
func decimalDigitCount(_ v: UInt64) -> Int {
    if v < 10_000_000_000 {
        if v < 100_000 {
            if v < 100 { return v < 10 ? 1 : 2 }
            return v < 1_000 ? 3 : (v < 10_000 ? 4 : 5)
        }
        if v < 10_000_000 { return v < 1_000_000 ? 6 : 7 }
        return v < 100_000_000 ? 8 : (v < 1_000_000_000 ? 9 : 10)
    }
    if v < 1_000_000_000_000_000 {
        if v < 1_000_000_000_000 { return v < 100_000_000_000 ? 11 : 12 }
        if v < 100_000_000_000_000 { return v < 10_000_000_000_000 ? 13 : 14 }
        return 15
    }
    if v < 10_000_000_000_000_000_000 as UInt64 {
        if v < 10_000_000_000_000_000 { return 16 }
        if v < 100_000_000_000_000_000 { return 17 }
        return v < 1_000_000_000_000_000_000 ? 18 : 19
    }
    return 20
}
