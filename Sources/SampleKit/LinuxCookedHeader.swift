/// `sll_pkttype` / `PACKET_*` values from `<linux/if_packet.h>`, as they appear
/// in Linux cooked capture headers.
public enum CookedPacketType {
    public static let host: UInt8 = 0  // PACKET_HOST
    public static let broadcast: UInt8 = 1  // PACKET_BROADCAST
    public static let multicast: UInt8 = 2  // PACKET_MULTICAST
    public static let otherHost: UInt8 = 3  // PACKET_OTHERHOST
    public static let outgoing: UInt8 = 4  // PACKET_OUTGOING
}

/// The 16-byte `LINKTYPE_LINUX_SLL` (113) pseudo-header libpcap builds for
/// "any"-device captures:
/// `pkttype(2) hatype(2) halen(2) addr(8) protocol(2)`, all big-endian.
public struct LinuxSLLHeader: Hashable, Sendable {
    public var packetType: UInt8
    /// `ARPHRD_*` of the device; 1 is ARPHRD_ETHER.
    public var hardwareType: UInt16
    /// The link-layer source address; only the first 8 bytes are kept.
    public var address: [UInt8]

    public init(packetType: UInt8 = CookedPacketType.host, hardwareType: UInt16 = 1, address: [UInt8]) {
        self.packetType = packetType
        self.hardwareType = hardwareType
        self.address = address
    }

    public static let length = 16

    public func encode(protocolType: UInt16, payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.appendBigEndian(UInt16(packetType))
        out.appendBigEndian(hardwareType)
        out.appendBigEndian(UInt16(min(address.count, 8)))
        out += (address + [UInt8](repeating: 0, count: 8)).prefix(8)
        out.appendBigEndian(protocolType)
        return out + payload
    }
}

/// The 20-byte `LINKTYPE_LINUX_SLL2` (276) pseudo-header:
/// `protocol(2) reserved(2) ifindex(4) hatype(2) pkttype(1) halen(1) addr(8)`.
public struct LinuxSLL2Header: Hashable, Sendable {
    public var packetType: UInt8
    public var hardwareType: UInt16
    public var interfaceIndex: UInt32
    public var address: [UInt8]

    public init(
        packetType: UInt8 = CookedPacketType.host, hardwareType: UInt16 = 1,
        interfaceIndex: UInt32, address: [UInt8]
    ) {
        self.packetType = packetType
        self.hardwareType = hardwareType
        self.interfaceIndex = interfaceIndex
        self.address = address
    }

    public static let length = 20

    public func encode(protocolType: UInt16, payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.appendBigEndian(protocolType)
        out.appendBigEndian(UInt16(0))
        out.appendBigEndian(interfaceIndex)
        out.appendBigEndian(hardwareType)
        out.append(packetType)
        out.append(UInt8(min(address.count, 8)))
        out += (address + [UInt8](repeating: 0, count: 8)).prefix(8)
        return out + payload
    }
}
