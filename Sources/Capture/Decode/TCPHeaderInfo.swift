/// Fields of a decoded TCP header, with the offsets the receive path derives
/// from it. Invariant: `payloadOffset == transport header + dataOffset`.
public struct TCPHeaderInfo: Hashable, Sendable {
    /// The flag byte (`tcp_flag_byte`), FIN in bit 0 through CWR in bit 7.
    public struct Flags: OptionSet, Hashable, Sendable {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        public static let fin = Flags(rawValue: 0x01)
        public static let syn = Flags(rawValue: 0x02)
        public static let rst = Flags(rawValue: 0x04)
        public static let psh = Flags(rawValue: 0x08)
        public static let ack = Flags(rawValue: 0x10)
        public static let urg = Flags(rawValue: 0x20)
        public static let ece = Flags(rawValue: 0x40)
        public static let cwr = Flags(rawValue: 0x80)
    }

    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var sequenceNumber: UInt32
    public var acknowledgmentNumber: UInt32
    public var flags: Flags
    /// The raw window field, before any window-scale shift.
    public var window: UInt16
    public var urgentPointer: UInt16
    /// Header length in bytes (`th->doff * 4`), 20…60.
    public var dataOffset: Int
    /// Option bytes, `dataOffset - 20`.
    public var optionsLength: Int { dataOffset - 20 }
    /// Absolute offset of the first payload byte.
    public var payloadOffset: Int
    /// Payload bytes as the IP length fields give them (not the captured
    /// count: a snaplen-cut capture still reports the full length, as tcpdump
    /// does). Link-layer padding is excluded.
    public var payloadLength: Int

    public init(
        sourcePort: UInt16, destinationPort: UInt16, sequenceNumber: UInt32, acknowledgmentNumber: UInt32,
        flags: Flags, window: UInt16, urgentPointer: UInt16, dataOffset: Int, payloadOffset: Int,
        payloadLength: Int
    ) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.sequenceNumber = sequenceNumber
        self.acknowledgmentNumber = acknowledgmentNumber
        self.flags = flags
        self.window = window
        self.urgentPointer = urgentPointer
        self.dataOffset = dataOffset
        self.payloadOffset = payloadOffset
        self.payloadLength = payloadLength
    }
}
