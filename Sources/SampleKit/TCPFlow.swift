/// A TCP conversation between two Ethernet-attached hosts that produces
/// frames with consistent sequence, acknowledgment and timestamp values.
///
/// Each call emits one or more complete frames and advances the flow's
/// state: the next sequence number per side (SYN and FIN each consume one),
/// the highest acknowledged byte, the IPv4 ID, and the TSval: Linux's
/// millisecond clock (`tcp_time_stamp_ms`), here `now` in milliseconds, so
/// segments sent within the same millisecond carry the same TSval — which
/// is what lets GRO merge them (`tcp_gro_receive` compares option bytes).
/// Segments carry the options Linux sends: MSS/SACK-permitted/timestamps/
/// window scale on the SYNs, NOP-NOP-timestamps afterwards (12 bytes), so a
/// 1500-byte MTU yields 1448-byte payloads in 1514-byte frames.
public struct TCPFlow: Sendable {
    public enum Direction: Sendable {
        case clientToServer
        case serverToClient

        public var reversed: Direction { self == .clientToServer ? .serverToClient : .clientToServer }
    }

    public struct Endpoint: Hashable, Sendable {
        public var mac: MACAddress
        public var address: IPAddress
        public var port: UInt16

        public init(mac: MACAddress, address: IPAddress, port: UInt16) {
            self.mac = mac
            self.address = address
            self.port = port
        }
    }

    public let client: Endpoint
    public let server: Endpoint
    /// Tags put on every frame, outermost first.
    public var vlanTags: [VLANTag]
    public let mtu: Int
    public let timestamps: Bool
    /// Receive window advertised after the handshake (already scaled down).
    public var window: UInt16 = 502

    /// Next sequence number each side will send.
    public private(set) var clientNext: UInt32
    public private(set) var serverNext: UInt32
    /// The sender's clock in nanoseconds (e.g. the capture timestamp of the
    /// next frame). Callers advance it; TSval = 1,000,000 + `now` in ms.
    public var now: UInt64 = 0
    private var clock: UInt32 { 1_000_000 &+ UInt32(truncatingIfNeeded: now / 1_000_000) }
    private var lastValue: (client: UInt32, server: UInt32) = (0, 0)
    private var ipID: (client: UInt16, server: UInt16) = (0x1c46, 0x0000)

    public init(
        client: Endpoint, server: Endpoint, mtu: Int = 1500, timestamps: Bool = true,
        clientISN: UInt32 = 0x1000_0000, serverISN: UInt32 = 0x2000_0000, vlanTags: [VLANTag] = []
    ) {
        self.client = client
        self.server = server
        self.mtu = mtu
        self.timestamps = timestamps
        self.clientNext = clientISN
        self.serverNext = serverISN
        self.vlanTags = vlanTags
    }

    private var ipHeaderLength: Int {
        if case .v6 = client.address { 40 } else { 20 }
    }

    /// MSS advertised on the SYN: MTU minus IP and bare TCP headers.
    public var advertisedMSS: Int { mtu - ipHeaderLength - 20 }

    /// Payload bytes in a full-sized segment (MSS less the timestamp option).
    public var segmentPayload: Int { advertisedMSS - (timestamps ? 12 : 0) }

    /// SYN, SYN-ACK, ACK.
    public mutating func handshake() -> [[UInt8]] {
        var frames: [[UInt8]] = []
        frames.append(segment(from: .clientToServer, flags: .syn, payload: [], synOptions: true))
        frames.append(segment(from: .serverToClient, flags: [.syn, .ack], payload: [], synOptions: true))
        frames.append(segment(from: .clientToServer, flags: .ack, payload: []))
        return frames
    }

    /// One data segment carrying `payload`, with ACK and optionally PSH set.
    public mutating func send(
        _ payload: [UInt8], from direction: Direction, push: Bool = false,
        extensionHeaders: [IPv6ExtensionHeader] = []
    ) -> [UInt8] {
        segment(
            from: direction, flags: push ? [.psh, .ack] : .ack, payload: payload,
            extensionHeaders: extensionHeaders)
    }

    /// A pure ACK of everything the other side has sent.
    public mutating func acknowledge(from direction: Direction) -> [UInt8] {
        segment(from: direction, flags: .ack, payload: [])
    }

    /// FIN/ACK from `initiator`, FIN/ACK back, final ACK.
    public mutating func close(from initiator: Direction) -> [[UInt8]] {
        [
            segment(from: initiator, flags: [.fin, .ack], payload: []),
            segment(from: initiator.reversed, flags: [.fin, .ack], payload: []),
            segment(from: initiator, flags: .ack, payload: []),
        ]
    }

    /// A deterministic, non-constant payload so that corruption is visible.
    public static func pattern(count: Int, seed: UInt32) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: (UInt32($0) &+ seed) &* 0x9E37_79B1 >> 24) }
    }

    private mutating func segment(
        from direction: Direction, flags: TCPFlags, payload: [UInt8],
        synOptions: Bool = false,
        extensionHeaders: [IPv6ExtensionHeader] = []
    ) -> [UInt8] {
        let fromClient = direction == .clientToServer
        let (source, destination) = fromClient ? (client, server) : (server, client)
        let echo = fromClient ? lastValue.server : lastValue.client
        if fromClient { lastValue.client = clock } else { lastValue.server = clock }

        var options: [TCPOption] = []
        if synOptions {
            options =
                timestamps
                ? TCPOption.linuxSYN(mss: UInt16(advertisedMSS), tsValue: clock, tsEcho: echo, windowScale: 7)
                : [.maximumSegmentSize(UInt16(advertisedMSS))]
        } else if timestamps {
            options = TCPOption.linuxTimestamps(value: clock, echoReply: echo)
        }
        let sequence = fromClient ? clientNext : serverNext
        let acknowledgment = flags.contains(.ack) ? (fromClient ? serverNext : clientNext) : 0
        let tcp = TCPHeader(
            sourcePort: source.port, destinationPort: destination.port,
            sequenceNumber: sequence, acknowledgmentNumber: acknowledgment, flags: flags,
            window: synOptions ? 64240 : window, options: options)
        let consumed = UInt32(payload.count) + (flags.contains(.syn) ? 1 : 0) + (flags.contains(.fin) ? 1 : 0)
        if fromClient { clientNext &+= consumed } else { serverNext &+= consumed }

        let network: NetworkHeader
        switch (source.address, destination.address) {
        case (.v4(let s), .v4(let d)):
            let id = fromClient ? ipID.client : ipID.server
            if fromClient { ipID.client &+= 1 } else { ipID.server &+= 1 }
            network = .ipv4(IPv4Header(source: s, destination: d, identification: id))
        case (.v6(let s), .v6(let d)):
            network = .ipv6(IPv6Header(source: s, destination: d, extensionHeaders: extensionHeaders))
        default:
            preconditionFailure("TCPFlow endpoints must share an address family")
        }
        let link = LinkHeader.ethernet(
            EthernetHeader(
                destination: destination.mac, source: source.mac,
                vlanTags: vlanTags))
        return Packet(link: link, network: network, transport: .tcp(tcp), payload: payload).encode()
    }
}
