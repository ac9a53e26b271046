/// A connection 5-tuple for flow matching (GRO, later). Addresses are kept
/// inline as 128-bit values; IPv4 addresses are stored IPv4-mapped
/// (`::ffff:a.b.c.d`) so one representation serves both families.
///
/// Ports are 0 when the protocol has none or the packet is a non-first
/// fragment (the transport header is not in it), as the kernel's flow
/// dissector does.
public struct FlowKey: Hashable, Sendable {
    public struct Address: Hashable, Sendable {
        public var high: UInt64
        public var low: UInt64

        public init(high: UInt64, low: UInt64) {
            self.high = high
            self.low = low
        }

        /// The IPv4-mapped form of a host-order IPv4 address.
        public init(ipv4: UInt32) {
            high = 0
            low = 0x0000_FFFF_0000_0000 | UInt64(ipv4)
        }

        public var isIPv4Mapped: Bool { high == 0 && low >> 32 == 0x0000_FFFF }
        public var ipv4: UInt32 { UInt32(truncatingIfNeeded: low) }
    }

    public var source: Address
    public var destination: Address
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var ipProtocol: UInt8

    public init(source: Address, destination: Address, sourcePort: UInt16, destinationPort: UInt16, ipProtocol: UInt8) {
        self.source = source
        self.destination = destination
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.ipProtocol = ipProtocol
    }

    /// The key of the opposite direction of the same conversation.
    public var reversed: FlowKey {
        FlowKey(
            source: destination, destination: source, sourcePort: destinationPort,
            destinationPort: sourcePort, ipProtocol: ipProtocol)
    }
}
