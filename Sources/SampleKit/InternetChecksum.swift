/// The RFC 1071 one's-complement checksum used by IPv4, TCP, UDP and ICMP.
public struct InternetChecksum: Sendable {
    private var sum: UInt32 = 0
    private var odd: UInt8? = nil

    public init() {}

    /// Adds bytes; successive calls behave as one contiguous buffer.
    public mutating func add<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        for byte in bytes {
            if let high = odd {
                sum &+= UInt32(high) << 8 | UInt32(byte)
                odd = nil
            } else {
                odd = byte
            }
        }
    }

    /// The checksum in host order, ready to be stored big-endian.
    public var value: UInt16 {
        var total = sum
        if let high = odd { total &+= UInt32(high) << 8 }
        while total > 0xFFFF { total = (total & 0xFFFF) &+ (total >> 16) }
        return ~UInt16(total)
    }
}
