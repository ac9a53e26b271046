/// Builds a classic libpcap file in memory, little-endian.
///
/// Layout: a 24-byte file header (magic, version 2.4, thiszone 0, sigfigs 0,
/// snaplen, linktype) then per record a 16-byte header (ts_sec, ts_usec or
/// ts_nsec, incl_len, orig_len) and `incl_len` bytes. Records longer than
/// the snaplen are cut to it, as a capturing kernel would, and keep their
/// original length.
public struct PcapWriter: Sendable {
    public enum Precision: Sendable {
        /// Magic 0xa1b2c3d4, sub-second field in microseconds.
        case microseconds
        /// Magic 0xa1b23c4d, sub-second field in nanoseconds.
        case nanoseconds

        public var magic: UInt32 { self == .microseconds ? 0xA1B2_C3D4 : 0xA1B2_3C4D }
    }

    public let precision: Precision
    public let snapLength: Int
    /// The `LINKTYPE_*` value written in the header (note LINKTYPE_RAW is
    /// 101 in files; libpcap reports it as DLT_RAW).
    public let linkType: UInt32
    public private(set) var bytes: [UInt8] = []
    public private(set) var recordCount = 0

    public init(linkType: UInt32, snapLength: Int = 262_144, precision: Precision = .microseconds) {
        self.linkType = linkType
        self.snapLength = snapLength
        self.precision = precision
        bytes.appendLittleEndian(precision.magic)
        bytes.appendLittleEndian(UInt16(2))
        bytes.appendLittleEndian(UInt16(4))
        bytes.appendLittleEndian(UInt32(0))  // thiszone: timestamps are UTC
        bytes.appendLittleEndian(UInt32(0))  // sigfigs
        bytes.appendLittleEndian(UInt32(snapLength))
        bytes.appendLittleEndian(linkType)
    }

    /// Appends one record. `timestamp` is nanoseconds since the Unix epoch;
    /// microsecond files truncate it. `originalLength` defaults to the packet's.
    public mutating func append(_ packet: [UInt8], timestamp: UInt64, originalLength: Int? = nil) {
        let captured = min(packet.count, snapLength)
        let fraction = timestamp % 1_000_000_000
        bytes.appendLittleEndian(UInt32(truncatingIfNeeded: timestamp / 1_000_000_000))
        bytes.appendLittleEndian(UInt32(precision == .microseconds ? fraction / 1000 : fraction))
        bytes.appendLittleEndian(UInt32(captured))
        bytes.appendLittleEndian(UInt32(originalLength ?? packet.count))
        bytes += packet.prefix(captured)
        recordCount += 1
    }
}
