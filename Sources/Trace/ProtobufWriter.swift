/// The protobuf wire format, as much of it as the Perfetto sink writes:
/// varints, length-delimited fields (strings, bytes, nested messages) and
/// nothing else (https://protobuf.dev/programming-guides/encoding/).
///
/// Bytes go into one reusable buffer; a nested message is opened with a
/// one-byte length placeholder and, if it grows past 127 bytes, moved up
/// when it is closed. `reset()` keeps the capacity, so writing a message of
/// a size seen before allocates nothing.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []
    private var open: [Int] = []

    init(capacity: Int = 4096) {
        bytes.reserveCapacity(capacity)
        open.reserveCapacity(8)
    }

    mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        open.removeAll(keepingCapacity: true)
    }

    @inline(__always) mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    /// Wire type 0 (varint) field.
    @inline(__always) mutating func uint(_ field: UInt32, _ value: UInt64) {
        varint(UInt64(field) << 3)
        varint(value)
    }

    /// An `int64`/`int32` field: negative values as 10-byte two's complement, as protobuf does.
    @inline(__always) mutating func int(_ field: UInt32, _ value: Int64) { uint(field, UInt64(bitPattern: value)) }

    @inline(__always) mutating func bool(_ field: UInt32, _ value: Bool) { uint(field, value ? 1 : 0) }

    /// Wire type 2 field holding `string`'s UTF-8.
    mutating func string(_ field: UInt32, _ string: String) {
        var s = string
        s.withUTF8 { utf8 in
            varint(UInt64(field) << 3 | 2)
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func string(_ field: UInt32, _ string: StaticString) {
        string.withUTF8Buffer { utf8 in
            varint(UInt64(field) << 3 | 2)
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// Raw bytes: an already encoded run of fields.
    mutating func appendRaw(_ other: [UInt8]) { bytes.append(contentsOf: other) }

    /// Opens a nested message in `field`; close it with `end()`.
    @inline(__always) mutating func begin(_ field: UInt32) {
        varint(UInt64(field) << 3 | 2)
        bytes.append(0)
        open.append(bytes.count)
    }

    /// Closes the innermost open message, writing its length.
    mutating func end() {
        let start = open.removeLast()
        let length = bytes.count - start
        if length < 0x80 {
            bytes[start - 1] = UInt8(length)
            return
        }
        var prefix: [UInt8] = []
        var v = UInt64(length)
        while v >= 0x80 {
            prefix.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        prefix.append(UInt8(v))
        bytes.replaceSubrange((start - 1)..<start, with: prefix)
    }
}
