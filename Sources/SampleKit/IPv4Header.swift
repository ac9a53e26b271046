/// An IPv4 header (RFC 791). `encode` computes IHL, total length and the
/// header checksum, so the result always verifies.
public struct IPv4Header: Hashable, Sendable {
    public var source: IPv4Address
    public var destination: IPv4Address
    public var timeToLive: UInt8
    public var identification: UInt16
    public var dontFragment: Bool
    public var moreFragments: Bool
    /// Fragment offset in 8-byte units; non-zero marks a non-first fragment.
    public var fragmentOffset: UInt16
    /// The DSCP/ECN byte.
    public var typeOfService: UInt8
    /// Raw option bytes; `encode` pads them with EOL (0) to a 4-byte multiple.
    /// At most 40 bytes fit (IHL is 4 bits).
    public var options: [UInt8]

    public init(
        source: IPv4Address, destination: IPv4Address, timeToLive: UInt8 = 64,
        identification: UInt16 = 0, dontFragment: Bool = true, moreFragments: Bool = false,
        fragmentOffset: UInt16 = 0, typeOfService: UInt8 = 0, options: [UInt8] = []
    ) {
        self.source = source
        self.destination = destination
        self.timeToLive = timeToLive
        self.identification = identification
        self.dontFragment = dontFragment
        self.moreFragments = moreFragments
        self.fragmentOffset = fragmentOffset
        self.typeOfService = typeOfService
        self.options = options
    }

    /// The Router Alert option (RFC 2113), 4 bytes; IGMP and RSVP carry it.
    public static let routerAlertOption: [UInt8] = [0x94, 0x04, 0x00, 0x00]

    /// Header length in bytes: 20 plus padded options.
    public var headerLength: Int { 20 + (options.count + 3) / 4 * 4 }

    public func encode(protocolNumber: UInt8, payload: [UInt8]) -> [UInt8] {
        precondition(headerLength <= 60, "IPv4 options longer than 40 bytes")
        var out: [UInt8] = []
        out.reserveCapacity(headerLength + payload.count)
        out.append(0x40 | UInt8(headerLength / 4))
        out.append(typeOfService)
        out.appendBigEndian(UInt16(headerLength + payload.count))
        out.appendBigEndian(identification)
        out.appendBigEndian((dontFragment ? 0x4000 : 0) | (moreFragments ? 0x2000 : 0) | (fragmentOffset & 0x1FFF))
        out.append(timeToLive)
        out.append(protocolNumber)
        out.appendBigEndian(UInt16(0))
        out += source.bytes
        out += destination.bytes
        out += options
        out.padWithZeros(toMultipleOf: 4)
        out.storeBigEndian(InternetChecksum.of(out), at: 10)
        return out + payload
    }
}
