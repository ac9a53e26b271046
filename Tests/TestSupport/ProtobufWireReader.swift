/// A protobuf wire-format reader for the tests, written from the encoding
/// spec (https://protobuf.dev/programming-guides/encoding/) and apart from
/// the Trace module's writer: it checks what was written, field by field.
public struct WireField: Sendable {
    public var number: UInt32
    /// 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.
    public var wireType: UInt8
    /// The value of a varint or fixed field.
    public var value: UInt64
    /// The payload of a length-delimited field.
    public var bytes: ArraySlice<UInt8>

    /// The payload read as a message.
    public func message() throws -> [WireField] { try WireReader.fields(bytes) }
    public var string: String { String(decoding: bytes, as: UTF8.self) }
    public var signed: Int64 { Int64(bitPattern: value) }
}

public struct WireError: Error, CustomStringConvertible {
    public var description: String
}

public enum WireReader {
    /// Every field of one message, in order; throws on a truncated or
    /// malformed encoding (including a group wire type).
    public static func fields(_ bytes: ArraySlice<UInt8>) throws -> [WireField] {
        var out: [WireField] = []
        var i = bytes.startIndex
        func varint() throws -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard i < bytes.endIndex else { throw WireError(description: "truncated varint at \(i)") }
                guard shift < 64 else { throw WireError(description: "varint longer than 10 bytes at \(i)") }
                let b = bytes[i]
                i += 1
                result |= UInt64(b & 0x7f) << shift
                if b & 0x80 == 0 { return result }
                shift += 7
            }
        }
        func fixed(_ n: Int) throws -> UInt64 {
            guard bytes.endIndex - i >= n else { throw WireError(description: "truncated fixed\(n * 8) at \(i)") }
            var v: UInt64 = 0
            for k in 0..<n { v |= UInt64(bytes[i + k]) << (8 * UInt64(k)) }
            i += n
            return v
        }
        while i < bytes.endIndex {
            let key = try varint()
            let number = UInt32(truncatingIfNeeded: key >> 3)
            guard number > 0 else { throw WireError(description: "field number 0 at \(i)") }
            let type = UInt8(key & 7)
            switch type {
            case 0: out.append(WireField(number: number, wireType: 0, value: try varint(), bytes: []))
            case 1: out.append(WireField(number: number, wireType: 1, value: try fixed(8), bytes: []))
            case 5: out.append(WireField(number: number, wireType: 5, value: try fixed(4), bytes: []))
            case 2:
                let n = Int(try varint())
                guard n >= 0, bytes.endIndex - i >= n else {
                    throw WireError(description: "length \(n) past the end at \(i)")
                }
                out.append(WireField(number: number, wireType: 2, value: 0, bytes: bytes[i..<(i + n)]))
                i += n
            default: throw WireError(description: "wire type \(type) at \(i)")
            }
        }
        return out
    }
}

extension Array where Element == WireField {
    /// The first field numbered `number`.
    public func first(_ number: UInt32) -> WireField? { first { $0.number == number } }
    /// Every field numbered `number`.
    public func all(_ number: UInt32) -> [WireField] { filter { $0.number == number } }
}
