/// A 48-bit IEEE 802 MAC address, stored in the low 48 bits of a `UInt64` in
/// transmission order (the first octet on the wire is bits 47…40).
public struct MACAddress: Hashable, Sendable, CustomStringConvertible {
    public var value: UInt64

    public init(_ value: UInt64) { self.value = value & 0xFFFF_FFFF_FFFF }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, _ e: UInt8, _ f: UInt8) {
        self.init([a, b, c, d, e, f].reduce(0) { $0 << 8 | UInt64($1) })
    }

    /// ff:ff:ff:ff:ff:ff; eth_type_trans classifies it as PACKET_BROADCAST.
    public static let broadcast = MACAddress(0xFFFF_FFFF_FFFF)

    /// The six octets in transmission order.
    public var bytes: [UInt8] { (0..<6).map { UInt8(truncatingIfNeeded: value >> (40 - 8 * UInt64($0))) } }

    public var description: String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
            .joined(separator: ":")
    }
}
