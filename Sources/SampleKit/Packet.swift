/// The link-layer framing of a built packet.
public enum LinkHeader: Hashable, Sendable {
    case ethernet(EthernetHeader)
    case linuxSLL(LinuxSLLHeader)
    case linuxSLL2(LinuxSLL2Header)
    case loopback(LoopbackHeader)
    /// No link header: the packet starts at the IP header (LINKTYPE_RAW).
    case none

    public func encode(etherType: UInt16, payload: [UInt8]) -> [UInt8] {
        switch self {
        case .ethernet(let header): header.encode(etherType: etherType, payload: payload)
        case .linuxSLL(let header): header.encode(protocolType: etherType, payload: payload)
        case .linuxSLL2(let header): header.encode(protocolType: etherType, payload: payload)
        case .loopback(let header): header.encode(payload: payload)
        case .none: payload
        }
    }
}

/// The network layer of a built packet.
public enum NetworkHeader: Hashable, Sendable {
    case ipv4(IPv4Header)
    case ipv6(IPv6Header)

    public var source: IPAddress {
        switch self {
        case .ipv4(let header): .v4(header.source)
        case .ipv6(let header): .v6(header.source)
        }
    }

    public var destination: IPAddress {
        switch self {
        case .ipv4(let header): .v4(header.destination)
        case .ipv6(let header): .v6(header.destination)
        }
    }

    public var etherType: UInt16 { EtherType.of(source) }

    public func encode(protocolNumber: UInt8, payload: [UInt8]) -> [UInt8] {
        switch self {
        case .ipv4(let header): header.encode(protocolNumber: protocolNumber, payload: payload)
        case .ipv6(let header): header.encode(upperLayer: protocolNumber, payload: payload)
        }
    }
}

/// The transport layer of a built packet; `.echo` becomes ICMP or ICMPv6 to
/// match the network header.
public enum TransportHeader: Hashable, Sendable {
    case tcp(TCPHeader)
    case udp(UDPHeader)
    case echo(ICMPEcho)
    /// Payload bytes carried as-is under the given protocol number.
    case opaque(protocolNumber: UInt8)

    public func protocolNumber(over network: NetworkHeader) -> UInt8 {
        switch self {
        case .tcp: TCPHeader.protocolNumber
        case .udp: UDPHeader.protocolNumber
        case .echo:
            if case .ipv6 = network { ICMPEcho.icmpv6ProtocolNumber } else { ICMPEcho.icmpProtocolNumber }
        case .opaque(let number): number
        }
    }

    public func encode(payload: [UInt8], source: IPAddress, destination: IPAddress) -> [UInt8] {
        switch self {
        case .tcp(let header): header.encode(payload: payload, source: source, destination: destination)
        case .udp(let header): header.encode(payload: payload, source: source, destination: destination)
        case .echo(let header): header.encode(payload: payload, source: source, destination: destination)
        case .opaque: payload
        }
    }
}

/// A whole packet, link header to payload, built inside out so each layer's
/// lengths and checksums cover what it carries.
///
/// ```swift
/// let frame = Packet(
///     link: .ethernet(EthernetHeader(destination: serverMAC, source: clientMAC)),
///     network: .ipv4(IPv4Header(source: client, destination: server)),
///     transport: .udp(UDPHeader(sourcePort: 40000, destinationPort: 53)),
///     payload: query).encode()
/// ```
public struct Packet: Hashable, Sendable {
    public var link: LinkHeader
    public var network: NetworkHeader
    public var transport: TransportHeader
    public var payload: [UInt8]

    public init(link: LinkHeader, network: NetworkHeader, transport: TransportHeader, payload: [UInt8] = []) {
        self.link = link
        self.network = network
        self.transport = transport
        self.payload = payload
    }

    public func encode() -> [UInt8] {
        let segment = transport.encode(payload: payload, source: network.source, destination: network.destination)
        let datagram = network.encode(protocolNumber: transport.protocolNumber(over: network), payload: segment)
        return link.encode(etherType: network.etherType, payload: datagram)
    }
}
