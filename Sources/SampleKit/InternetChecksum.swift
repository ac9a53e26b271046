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

extension InternetChecksum {
    /// Adds the TCP/UDP/ICMPv6 pseudo-header (RFC 793 §3.1 for IPv4, RFC 8200
    /// §8.1 for IPv6): addresses, upper-layer protocol and length. The two
    /// layouts sum the same fields, only their widths differ.
    public mutating func addPseudoHeader(
        source: IPAddress, destination: IPAddress,
        protocolNumber: UInt8, upperLayerLength: Int
    ) {
        switch (source, destination) {
        case (.v4(let s), .v4(let d)):
            add(s.bytes)
            add(d.bytes)
            add([0, protocolNumber, UInt8(upperLayerLength >> 8 & 0xFF), UInt8(upperLayerLength & 0xFF)])
        case (.v6(let s), .v6(let d)):
            add(s.bytes)
            add(d.bytes)
            var tail: [UInt8] = []
            tail.appendBigEndian(UInt32(upperLayerLength))
            tail += [0, 0, 0, protocolNumber]
            add(tail)
        default:
            preconditionFailure("pseudo-header needs both addresses from one family")
        }
    }

    /// The checksum of `bytes` alone.
    public static func of<C: Collection>(_ bytes: C) -> UInt16 where C.Element == UInt8 {
        var sum = InternetChecksum()
        sum.add(bytes)
        return sum.value
    }
}
