// Big-endian loads for the decoder. Callers check bounds first: these are on
// the per-packet path and must not trap, allocate, or re-check. Multi-byte
// fields are one unaligned load and a byte swap (`bigEndian:`), not a
// shift-and-or per byte; a range checked non-empty has a base address.
extension UnsafeRawBufferPointer {
    @inline(__always) func u8(_ offset: Int) -> UInt8 { self[offset] }

    @inline(__always) func be16(_ offset: Int) -> UInt16 {
        UInt16(bigEndian: baseAddress.unsafelyUnwrapped.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(__always) func be32(_ offset: Int) -> UInt32 {
        UInt32(bigEndian: baseAddress.unsafelyUnwrapped.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always) func le32(_ offset: Int) -> UInt32 {
        UInt32(littleEndian: baseAddress.unsafelyUnwrapped.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always) func be64(_ offset: Int) -> UInt64 {
        UInt64(bigEndian: baseAddress.unsafelyUnwrapped.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// The 48-bit big-endian value at `offset` (a MAC address).
    @inline(__always) func be48(_ offset: Int) -> UInt64 {
        UInt64(be32(offset)) << 16 | UInt64(be16(offset + 4))
    }
}
