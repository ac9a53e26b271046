/// Fields of a decoded UDP header. Invariant: `payloadLength == length - 8`.
public struct UDPHeaderInfo: Hashable, Sendable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    /// The UDP length field: header plus payload.
    public var length: Int
    /// Absolute offset of the first payload byte.
    public var payloadOffset: Int
    public var payloadLength: Int { length - 8 }

    public init(sourcePort: UInt16, destinationPort: UInt16, length: Int, payloadOffset: Int) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.length = length
        self.payloadOffset = payloadOffset
    }
}
