/// A 48-bit MAC address in the low bits of a `UInt64`, first wire octet most
/// significant; a value type so decoding needs no allocation.
public struct EthernetAddress: Hashable, Sendable {
    public var value: UInt64

    public init(_ value: UInt64) { self.value = value & 0xFFFF_FFFF_FFFF }

    public static let broadcast = EthernetAddress(0xFFFF_FFFF_FFFF)

    /// The I/G bit: the least significant bit of the first octet.
    public var isMulticast: Bool { value & 0x0100_0000_0000 != 0 }

    /// Reads six octets at `offset`; the caller has checked the bounds.
    init(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        value = bytes.be48(offset)
    }
}
