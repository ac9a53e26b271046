/// Builds a pcapng file (draft-ietf-opsawg-pcapng) in memory, little-endian,
/// with one section and one interface.
///
/// Blocks: a Section Header Block (length -1 = unknown), one Interface
/// Description Block carrying `if_tsresol` (9 = nanoseconds, 6 =
/// microseconds), then one Enhanced Packet Block per packet. Every block body
/// and option value is padded to 32 bits; the block's total length is
/// written at both ends so readers can walk backwards.
///
/// A long stream (`skbsim export` to pcapng) takes the blocks written so
/// far with `takeBytes()` after each packet, so the file is written as it
/// grows instead of held whole.
public struct PcapNGWriter: Sendable {
    public let linkType: UInt16
    public let snapLength: Int
    /// Decimal exponent of the timestamp unit: 6 → µs, 9 → ns.
    public let timestampResolution: UInt8
    public private(set) var bytes: [UInt8] = []
    public private(set) var packetCount = 0

    static let sectionHeaderType: UInt32 = 0x0A0D_0D0A
    static let interfaceDescriptionType: UInt32 = 0x0000_0001
    static let enhancedPacketType: UInt32 = 0x0000_0006
    static let byteOrderMagic: UInt32 = 0x1A2B_3C4D

    public init(linkType: UInt16, snapLength: Int = 262_144, timestampResolution: UInt8 = 9) {
        self.linkType = linkType
        self.snapLength = snapLength
        self.timestampResolution = timestampResolution

        var section: [UInt8] = []
        section.appendLittleEndian(Self.byteOrderMagic)
        section.appendLittleEndian(UInt16(1))  // major
        section.appendLittleEndian(UInt16(0))  // minor
        section += [UInt8](repeating: 0xFF, count: 8)  // section length: unknown
        appendBlock(type: Self.sectionHeaderType, body: section)

        var interface: [UInt8] = []
        interface.appendLittleEndian(linkType)
        interface.appendLittleEndian(UInt16(0))  // reserved
        interface.appendLittleEndian(UInt32(snapLength))
        interface += Self.options([(9, [timestampResolution])])  // if_tsresol
        appendBlock(type: Self.interfaceDescriptionType, body: interface)
    }

    /// Appends an Enhanced Packet Block on interface 0. `timestamp` is
    /// nanoseconds since the Unix epoch, stored in the interface's unit as a
    /// 64-bit count split high/low. A `comment` becomes an `opt_comment`
    /// followed by `opt_endofopt`.
    public mutating func append(
        _ packet: [UInt8], timestamp: UInt64, originalLength: Int? = nil,
        comment: String? = nil
    ) {
        var units = timestamp
        for _ in 0..<(9 - Int(min(timestampResolution, 9))) { units /= 10 }
        let captured = min(packet.count, snapLength)
        var body: [UInt8] = []
        body.reserveCapacity(20 + captured + 3)
        body.appendLittleEndian(UInt32(0))  // interface ID
        body.appendLittleEndian(UInt32(truncatingIfNeeded: units >> 32))
        body.appendLittleEndian(UInt32(truncatingIfNeeded: units))
        body.appendLittleEndian(UInt32(captured))
        body.appendLittleEndian(UInt32(originalLength ?? packet.count))
        body += packet.prefix(captured)
        body.padWithZeros(toMultipleOf: 4)
        if let comment { body += Self.options([(1, Array(comment.utf8))]) }
        appendBlock(type: Self.enhancedPacketType, body: body)
        packetCount += 1
    }

    /// The bytes written since the last call (the headers first), which the
    /// writer then forgets; `packetCount` keeps counting.
    public mutating func takeBytes() -> [UInt8] {
        var taken: [UInt8] = []
        swap(&taken, &bytes)
        return taken
    }

    /// Options as code(2) length(2) value padded to 4, ending with opt_endofopt.
    static func options(_ list: [(code: UInt16, value: [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        for (code, value) in list {
            out.appendLittleEndian(code)
            out.appendLittleEndian(UInt16(value.count))
            out += value
            out.padWithZeros(toMultipleOf: 4)
        }
        out.appendLittleEndian(UInt32(0))  // opt_endofopt
        return out
    }

    private mutating func appendBlock(type: UInt32, body: [UInt8]) {
        precondition(body.count % 4 == 0, "pcapng block bodies are 32-bit aligned")
        let total = UInt32(12 + body.count)
        bytes.appendLittleEndian(type)
        bytes.appendLittleEndian(total)
        bytes += body
        bytes.appendLittleEndian(total)
    }
}
