/// `skb->pkt_type`: the `PACKET_*` class of a received frame
/// (`<linux/if_packet.h>`). A struct rather than an enum so cooked-capture
/// values the kernel may add later survive a round trip.
public struct PacketType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Addressed to this host (also used when the host's address is unknown).
    public static let host = PacketType(rawValue: 0)
    public static let broadcast = PacketType(rawValue: 1)
    public static let multicast = PacketType(rawValue: 2)
    /// Unicast to another host, seen in promiscuous mode.
    public static let otherHost = PacketType(rawValue: 3)
    /// Sent by this host (cooked captures only).
    public static let outgoing = PacketType(rawValue: 4)
    public static let loopback = PacketType(rawValue: 5)

    public var description: String {
        switch rawValue {
        case 0: "PACKET_HOST"
        case 1: "PACKET_BROADCAST"
        case 2: "PACKET_MULTICAST"
        case 3: "PACKET_OTHERHOST"
        case 4: "PACKET_OUTGOING"
        case 5: "PACKET_LOOPBACK"
        default: "PACKET_\(rawValue)"
        }
    }
}
