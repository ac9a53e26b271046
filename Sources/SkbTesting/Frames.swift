import SampleKit

/// Ready-made frames for tests, built with SampleKit's header builders
/// (`Packet`, `EthernetHeader`, `IPv4Header`, `IPv6Header`,
/// `TCPHeader`, `UDPHeader`, `VLANTag`, `TCPFlow`), which compute
/// every length and checksum. Addresses are from the documentation ranges
/// (RFC 5737, RFC 3849) with locally administered MACs.
///
/// ```swift
/// let query = Frames.udp(payload: Array(repeating: 0xAB, count: 100))
/// let tagged = Frames.udp(payload: [1, 2, 3], vlanTags: [VLANTag(vid: 100)])
/// let v6 = Frames.udp(payload: [1, 2, 3], ipv6: true)
/// var flow = Frames.tcpFlow()
/// let handshake = flow.handshake()
/// let segment = flow.send(TCPFlow.pattern(count: flow.segmentPayload, seed: 1), from: .clientToServer)
/// ```
///
/// For anything else compose a `Packet` yourself:
///
/// ```swift
/// let frame = Packet(
///     link: .ethernet(EthernetHeader(destination: .broadcast, source: Frames.clientMAC)),
///     network: .ipv4(
///         IPv4Header(
///             source: Frames.client4, destination: IPv4Address(224, 0, 0, 22), timeToLive: 1,
///             options: IPv4Header.routerAlertOption)),
///     transport: .opaque(protocolNumber: 2),
///     payload: [0x22, 0, 0, 0, 0, 0, 0, 0]
/// ).encode()
/// ```
public enum Frames {
    public static let clientMAC = MACAddress(0x02_00_00_00_00_01)
    public static let serverMAC = MACAddress(0x02_00_00_00_00_02)
    /// 192.0.2.1
    public static let client4 = IPv4Address(192, 0, 2, 1)
    /// 198.51.100.10
    public static let server4 = IPv4Address(198, 51, 100, 10)
    /// 2001:db8::1
    public static let client6 = IPv6Address(high: 0x2001_0db8_0000_0000, low: 1)
    /// 2001:db8::2
    public static let server6 = IPv6Address(high: 0x2001_0db8_0000_0000, low: 2)

    /// An Ethernet frame carrying one UDP datagram client → server, over
    /// IPv4 (or IPv6), optionally behind VLAN tags (outermost first).
    /// Its length: 14 + 4 per tag + 20 (IPv4) or 40 (IPv6) + 8 + payload.
    public static func udp(
        payload: [UInt8], sourcePort: UInt16 = 40000, destinationPort: UInt16 = 53, ipv6: Bool = false,
        vlanTags: [VLANTag] = []
    ) -> [UInt8] {
        Packet(
            link: .ethernet(EthernetHeader(destination: serverMAC, source: clientMAC, vlanTags: vlanTags)),
            network: ipv6
                ? .ipv6(IPv6Header(source: client6, destination: server6))
                : .ipv4(IPv4Header(source: client4, destination: server4)),
            transport: .udp(UDPHeader(sourcePort: sourcePort, destinationPort: destinationPort)),
            payload: payload
        ).encode()
    }

    /// An Ethernet frame carrying one TCP segment client → server (no
    /// options, ACK unless `flags` says otherwise).
    public static func tcp(
        payload: [UInt8], sourcePort: UInt16 = 51000, destinationPort: UInt16 = 443, sequenceNumber: UInt32 = 1,
        flags: TCPFlags = .ack, ipv6: Bool = false, vlanTags: [VLANTag] = []
    ) -> [UInt8] {
        Packet(
            link: .ethernet(EthernetHeader(destination: serverMAC, source: clientMAC, vlanTags: vlanTags)),
            network: ipv6
                ? .ipv6(IPv6Header(source: client6, destination: server6))
                : .ipv4(IPv4Header(source: client4, destination: server4)),
            transport: .tcp(
                TCPHeader(
                    sourcePort: sourcePort, destinationPort: destinationPort, sequenceNumber: sequenceNumber,
                    flags: flags)),
            payload: payload
        ).encode()
    }

    /// A TCP conversation client:51000 → server:443 that yields consistent
    /// frames (sequence numbers, ACKs, Linux's options; with `timestamps`
    /// a 1500-byte MTU gives 1448-byte segments). Segments sent at the same
    /// `now` carry the same TSval, so GRO can merge them.
    public static func tcpFlow(mtu: Int = 1500, timestamps: Bool = true, ipv6: Bool = false) -> TCPFlow {
        TCPFlow(
            client: .init(mac: clientMAC, address: ipv6 ? .v6(client6) : .v4(client4), port: 51000),
            server: .init(mac: serverMAC, address: ipv6 ? .v6(server6) : .v4(server4), port: 443),
            mtu: mtu, timestamps: timestamps)
    }
}
