/// A UDP header (RFC 768). `encode` sets the length and the pseudo-header
/// checksum; a computed 0 is sent as 0xFFFF because 0 means "no checksum".
public struct UDPHeader: Hashable, Sendable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16

    public init(sourcePort: UInt16, destinationPort: UInt16) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
    }

    public static let protocolNumber: UInt8 = 17

    public func encode(payload: [UInt8], source: IPAddress, destination: IPAddress) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(8 + payload.count)
        out.appendBigEndian(sourcePort)
        out.appendBigEndian(destinationPort)
        out.appendBigEndian(UInt16(8 + payload.count))
        out.appendBigEndian(UInt16(0))
        out += payload
        var sum = InternetChecksum()
        sum.addPseudoHeader(
            source: source, destination: destination,
            protocolNumber: Self.protocolNumber, upperLayerLength: out.count)
        sum.add(out)
        out.storeBigEndian(sum.value == 0 ? 0xFFFF : sum.value, at: 6)
        return out
    }
}
