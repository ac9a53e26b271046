/// An ICMP (RFC 792) or ICMPv6 (RFC 4443) echo request or reply:
/// `type code checksum identifier sequence data`.
public struct ICMPEcho: Hashable, Sendable {
    public var isReply: Bool
    public var identifier: UInt16
    public var sequence: UInt16

    public init(isReply: Bool = false, identifier: UInt16, sequence: UInt16) {
        self.isReply = isReply
        self.identifier = identifier
        self.sequence = sequence
    }

    public static let icmpProtocolNumber: UInt8 = 1
    public static let icmpv6ProtocolNumber: UInt8 = 58

    /// ICMPv4's checksum covers only the message; ICMPv6's adds the IPv6
    /// pseudo-header, so the family of `source` picks the layout.
    public func encode(payload: [UInt8], source: IPAddress, destination: IPAddress) -> [UInt8] {
        var out: [UInt8] = []
        let isV6: Bool
        if case .v6 = source { isV6 = true } else { isV6 = false }
        out.append(isV6 ? (isReply ? 129 : 128) : (isReply ? 0 : 8))
        out.append(0)
        out.appendBigEndian(UInt16(0))
        out.appendBigEndian(identifier)
        out.appendBigEndian(sequence)
        out += payload
        var sum = InternetChecksum()
        if isV6 {
            sum.addPseudoHeader(
                source: source, destination: destination,
                protocolNumber: Self.icmpv6ProtocolNumber, upperLayerLength: out.count)
        }
        sum.add(out)
        out.storeBigEndian(sum.value, at: 2)
        return out
    }
}
