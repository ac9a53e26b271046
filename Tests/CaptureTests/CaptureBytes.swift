import Foundation

/// Builds pcap and pcapng files byte by byte, independent of SampleKit, so
/// that the reader is tested against layouts written down from the format
/// specifications rather than against another writer.
enum CaptureBytes {
    static let microsecondMagic: UInt32 = 0xA1B2_C3D4
    static let nanosecondMagic: UInt32 = 0xA1B2_3C4D

    /// A 24-byte pcap file header.
    static func pcapHeader(
        magic: UInt32 = microsecondMagic, major: UInt16 = 2, minor: UInt16 = 4,
        snaplen: UInt32 = 65_535, linkType: UInt32 = 1, bigEndian: Bool = false
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.append(magic, bigEndian: bigEndian)
        out.append(major, bigEndian: bigEndian)
        out.append(minor, bigEndian: bigEndian)
        out.append(UInt32(0), bigEndian: bigEndian)  // thiszone
        out.append(UInt32(0), bigEndian: bigEndian)  // sigfigs
        out.append(snaplen, bigEndian: bigEndian)
        out.append(linkType, bigEndian: bigEndian)
        return out
    }

    /// A pcap record: 16-byte header, then `payload`. `captureLength`
    /// defaults to the payload size and `wireLength` to `captureLength`;
    /// overriding them builds inconsistent records.
    static func pcapRecord(
        seconds: UInt32, fraction: UInt32, payload: [UInt8],
        captureLength: UInt32? = nil, wireLength: UInt32? = nil, bigEndian: Bool = false
    ) -> [UInt8] {
        let caplen = captureLength ?? UInt32(payload.count)
        var out: [UInt8] = []
        out.append(seconds, bigEndian: bigEndian)
        out.append(fraction, bigEndian: bigEndian)
        out.append(caplen, bigEndian: bigEndian)
        out.append(wireLength ?? caplen, bigEndian: bigEndian)
        return out + payload
    }

    /// A pcapng block: type, total length, body padded to 32 bits, length.
    static func pcapngBlock(type: UInt32, body: [UInt8]) -> [UInt8] {
        let padded = body + [UInt8](repeating: 0, count: (4 - body.count % 4) % 4)
        let total = UInt32(12 + padded.count)
        var out: [UInt8] = []
        out.append(type, bigEndian: false)
        out.append(total, bigEndian: false)
        out += padded
        out.append(total, bigEndian: false)
        return out
    }

    /// Section Header Block, version 1.0, little-endian, unknown length.
    static func pcapngSectionHeader(major: UInt16 = 1, minor: UInt16 = 0) -> [UInt8] {
        var body: [UInt8] = []
        body.append(UInt32(0x1A2B_3C4D), bigEndian: false)
        body.append(major, bigEndian: false)
        body.append(minor, bigEndian: false)
        body.append(UInt64.max, bigEndian: false)  // section length: unspecified
        return pcapngBlock(type: 0x0A0D_0D0A, body: body)
    }

    /// Interface Description Block with an `if_tsresol` option (10^-tsresol s).
    static func pcapngInterface(linkType: UInt16 = 1, snaplen: UInt32 = 65_535, tsresol: UInt8) -> [UInt8] {
        var body: [UInt8] = []
        body.append(linkType, bigEndian: false)
        body.append(UInt16(0), bigEndian: false)  // reserved
        body.append(snaplen, bigEndian: false)
        body.append(UInt16(9), bigEndian: false)  // if_tsresol
        body.append(UInt16(1), bigEndian: false)
        body += [tsresol, 0, 0, 0]
        body.append(UInt32(0), bigEndian: false)  // opt_endofopt
        return pcapngBlock(type: 1, body: body)
    }

    /// Enhanced Packet Block on interface 0; `timestamp` in if_tsresol units.
    static func pcapngEnhancedPacket(timestamp: UInt64, payload: [UInt8], wireLength: UInt32? = nil) -> [UInt8] {
        var body: [UInt8] = []
        body.append(UInt32(0), bigEndian: false)  // interface id
        body.append(UInt32(truncatingIfNeeded: timestamp >> 32), bigEndian: false)
        body.append(UInt32(truncatingIfNeeded: timestamp), bigEndian: false)
        body.append(UInt32(payload.count), bigEndian: false)
        body.append(wireLength ?? UInt32(payload.count), bigEndian: false)
        return pcapngBlock(type: 6, body: body + payload)
    }

    /// `count` bytes counting up from `start`, so payloads are recognisable.
    static func pattern(_ count: Int, start: UInt8 = 0) -> [UInt8] {
        (0..<count).map { start &+ UInt8(truncatingIfNeeded: $0) }
    }
}

extension [UInt8] {
    mutating func append<T: FixedWidthInteger>(_ value: T, bigEndian: Bool) {
        let ordered = bigEndian ? value.bigEndian : value.littleEndian
        Swift.withUnsafeBytes(of: ordered) { append(contentsOf: $0) }
    }
}
