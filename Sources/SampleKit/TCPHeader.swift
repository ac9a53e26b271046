/// A TCP header (RFC 9293). `encode` sets the data offset from the options,
/// which it pads with EOL to a 4-byte multiple, and computes the checksum over
/// the pseudo-header, header and payload.
public struct TCPHeader: Hashable, Sendable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var sequenceNumber: UInt32
    public var acknowledgmentNumber: UInt32
    public var flags: TCPFlags
    public var window: UInt16
    public var urgentPointer: UInt16
    public var options: [TCPOption]

    public init(
        sourcePort: UInt16, destinationPort: UInt16, sequenceNumber: UInt32 = 0,
        acknowledgmentNumber: UInt32 = 0, flags: TCPFlags = .ack, window: UInt16 = 502,
        urgentPointer: UInt16 = 0, options: [TCPOption] = []
    ) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.sequenceNumber = sequenceNumber
        self.acknowledgmentNumber = acknowledgmentNumber
        self.flags = flags
        self.window = window
        self.urgentPointer = urgentPointer
        self.options = options
    }

    public static let protocolNumber: UInt8 = 6

    /// Header length in bytes (data offset × 4).
    public var headerLength: Int { 20 + (options.reduce(0) { $0 + $1.encode().count } + 3) / 4 * 4 }

    public func encode(payload: [UInt8], source: IPAddress, destination: IPAddress) -> [UInt8] {
        precondition(headerLength <= 60, "TCP options longer than 40 bytes")
        var out: [UInt8] = []
        out.reserveCapacity(headerLength + payload.count)
        out.appendBigEndian(sourcePort)
        out.appendBigEndian(destinationPort)
        out.appendBigEndian(sequenceNumber)
        out.appendBigEndian(acknowledgmentNumber)
        out.append(UInt8(headerLength / 4) << 4)
        out.append(flags.rawValue)
        out.appendBigEndian(window)
        out.appendBigEndian(UInt16(0))
        out.appendBigEndian(urgentPointer)
        for option in options { out += option.encode() }
        out.padWithZeros(toMultipleOf: 4)
        out += payload
        var sum = InternetChecksum()
        sum.addPseudoHeader(
            source: source, destination: destination,
            protocolNumber: Self.protocolNumber, upperLayerLength: out.count)
        sum.add(out)
        out.storeBigEndian(sum.value, at: 16)
        return out
    }
}
