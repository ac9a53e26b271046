#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The sample captures committed under `samples/`, generated deterministically:
/// fixed timestamps from 2026-01-01T00:00:00Z, addresses from the
/// documentation ranges (192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32) and
/// locally administered MACs. Regenerating must reproduce the committed
/// bytes exactly; `SampleKitTests` checks that.
public enum SampleCatalog {
    /// 2026-01-01T00:00:00Z in nanoseconds since the Unix epoch.
    public static let baseTimestamp: UInt64 = 1_767_225_600 * 1_000_000_000

    // LINKTYPE_* values written in file headers.
    static let linktypeNull: UInt32 = 0
    static let linktypeEthernet: UInt32 = 1
    static let linktypeRaw: UInt32 = 101  // libpcap reports DLT_RAW (12 on Linux)
    static let linktypeLinuxSLL: UInt32 = 113
    static let linktypeLinuxSLL2: UInt32 = 276

    static let clientMAC = MACAddress(0x02_00_00_00_00_01)
    static let serverMAC = MACAddress(0x02_00_00_00_00_02)
    static let client4 = IPv4Address(192, 0, 2, 1)
    static let server4 = IPv4Address(198, 51, 100, 10)
    static let resolver4 = IPv4Address(192, 0, 2, 53)
    static let client6 = IPv6Address(high: 0x2001_0db8_0000_0000, low: 1)
    static let server6 = IPv6Address(high: 0x2001_0db8_0001_0000, low: 0x10)

    static func tcpFlow(mtu: Int = 1500, vlanTags: [VLANTag] = [], v6: Bool = false) -> TCPFlow {
        TCPFlow(
            client: .init(mac: clientMAC, address: v6 ? .v6(client6) : .v4(client4), port: 51000),
            server: .init(mac: serverMAC, address: v6 ? .v6(server6) : .v4(server4), port: 443),
            mtu: mtu, vlanTags: vlanTags)
    }

    /// Every sample, in README order.
    public static func samples() -> [Sample] {
        [
            tcpHandshake(), tcpBulk(), udpDNS(), icmpEcho(), ipv6TCP(), vlan(), jumbo(),
            cooked(sll2: true), cooked(sll2: false), rawIP(), nullLoopback(), nsTimestamps(),
            brokenTruncated(), brokenBadMagic(),
        ]
    }

    /// Writes every sample and `README.md` into `directory`, creating it
    /// (and its parents). POSIX calls, not Foundation: SampleKit is linked
    /// into the CLI, whose start-up Foundation would slow down.
    public static func writeAll(to directory: String) throws {
        try makeDirectories(directory)
        let all = samples()
        for sample in all { try writeFile(sample.bytes, to: directory + "/" + sample.name) }
        try writeFile(Array(readme(all).utf8), to: directory + "/README.md")
    }

    /// A file that could not be written: its path and `errno`.
    public struct WriteError: Error, CustomStringConvertible {
        public var path: String
        public var code: Int32
        public var description: String { "\(path): \(String(cString: strerror(code)))" }
    }

    static func makeDirectories(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { throw WriteError(path: prefix, code: errno) }
            prefix += "/"
        }
    }

    static func writeFile(_ bytes: [UInt8], to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw WriteError(path: path, code: errno) }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            guard n > 0 else { throw WriteError(path: path, code: errno) }
            offset += n
        }
    }

    /// Collects frames with timestamps `gap` nanoseconds apart into a pcap.
    struct Recorder {
        var writer: PcapWriter
        var now: UInt64 = SampleCatalog.baseTimestamp

        init(linkType: UInt32, snapLength: Int = 262_144) {
            writer = PcapWriter(linkType: linkType, snapLength: snapLength)
        }

        mutating func record(_ frames: [[UInt8]], gap: UInt64 = 100_000) {
            for frame in frames {
                writer.append(frame, timestamp: now)
                now += gap
            }
        }

        mutating func record(_ frame: [UInt8], gap: UInt64 = 100_000) { record([frame], gap: gap) }

        /// Records the frames `make` builds from `flow` with the flow's TSval
        /// clock set to the recording time, as a Linux sender's would be.
        mutating func record(_ flow: inout TCPFlow, gap: UInt64 = 100_000, _ make: (inout TCPFlow) -> [[UInt8]]) {
            flow.now = now
            record(make(&flow), gap: gap)
        }

        mutating func record(_ flow: inout TCPFlow, gap: UInt64 = 100_000, _ make: (inout TCPFlow) -> [UInt8]) {
            flow.now = now
            record([make(&flow)], gap: gap)
        }

        var count: Int { writer.recordCount }
    }

    static func tcpHandshake() -> Sample {
        var flow = tcpFlow()
        var r = Recorder(linkType: linktypeEthernet)
        r.record(&flow, gap: 250_000) { $0.handshake() }
        r.record(&flow) {
            $0.send(Array("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n".utf8), from: .clientToServer, push: true)
        }
        r.record(&flow) { $0.send(TCPFlow.pattern(count: 600, seed: 1), from: .serverToClient, push: true) }
        r.record(&flow) {
            $0.send(
                Array("GET /favicon.ico HTTP/1.1\r\nHost: example.com\r\n\r\n".utf8),
                from: .clientToServer, push: true)
        }
        r.record(&flow) { $0.send(TCPFlow.pattern(count: 200, seed: 2), from: .serverToClient, push: true) }
        r.record(&flow) { $0.acknowledge(from: .clientToServer) }
        r.record(&flow) { $0.close(from: .clientToServer) }
        return Sample(
            name: "tcp-handshake.pcap", bytes: r.writer.bytes, packetCount: r.count,
            linkType: "EN10MB (1)",
            purpose: "IPv4 TCP: SYN, SYN-ACK, ACK with Linux SYN options, PSH data both ways, FIN/ACK close.")
    }

    static func tcpBulk() -> Sample {
        var flow = tcpFlow()
        var r = Recorder(linkType: linktypeEthernet)
        r.record(&flow, gap: 250_000) { $0.handshake() }
        r.record(&flow) {
            $0.send(
                Array("GET /large HTTP/1.1\r\nHost: example.com\r\n\r\n".utf8),
                from: .clientToServer, push: true)
        }
        // 256 full segments at ~1 Gb/s (12 µs per 1514-byte frame); PSH on
        // every 16th ends a GRO batch; the client ACKs every 2nd segment.
        for index in 1...256 {
            let payload = TCPFlow.pattern(count: flow.segmentPayload, seed: UInt32(index))
            r.record(&flow, gap: 12_000) { $0.send(payload, from: .serverToClient, push: index % 16 == 0) }
            if index % 2 == 0 { r.record(&flow, gap: 12_000) { $0.acknowledge(from: .clientToServer) } }
        }
        r.record(&flow) { $0.close(from: .serverToClient) }
        return Sample(
            name: "tcp-bulk.pcap", bytes: r.writer.bytes, packetCount: r.count,
            linkType: "EN10MB (1)",
            purpose:
                "One IPv4 bulk flow: handshake, 256 × 1448-byte segments (1514-byte frames, timestamps option), PSH every 16th, ACK every 2nd, FIN close."
        )
    }

    static func udpDNS() -> Sample {
        var r = Recorder(linkType: linktypeEthernet)
        let toResolver = EthernetHeader(destination: serverMAC, source: clientMAC)
        let fromResolver = EthernetHeader(destination: clientMAC, source: serverMAC)
        let lookups: [(id: UInt16, name: String, port: UInt16, address: [UInt8])] = [
            (0x1a2b, "www.example.com", 40001, [192, 0, 2, 80]),
            (0x3c4d, "mail.example.org", 40002, [198, 51, 100, 25]),
        ]
        for lookup in lookups {
            r.record(
                Packet(
                    link: .ethernet(toResolver),
                    network: .ipv4(
                        IPv4Header(
                            source: client4, destination: resolver4, identification: lookup.id, dontFragment: false)),
                    transport: .udp(UDPHeader(sourcePort: lookup.port, destinationPort: 53)),
                    payload: DNSMessage.query(id: lookup.id, name: lookup.name, type: DNSMessage.typeA)
                ).encode())
            r.record(
                Packet(
                    link: .ethernet(fromResolver),
                    network: .ipv4(
                        IPv4Header(
                            source: resolver4, destination: client4, identification: lookup.id &+ 1, dontFragment: false
                        )),
                    transport: .udp(UDPHeader(sourcePort: 53, destinationPort: lookup.port)),
                    payload: DNSMessage.response(
                        id: lookup.id, name: lookup.name, type: DNSMessage.typeA,
                        address: lookup.address)
                ).encode(), gap: 2_000_000)
        }
        let resolver6 = IPv6Address(high: 0x2001_0db8_0000_0000, low: 0x53)
        r.record(
            Packet(
                link: .ethernet(toResolver),
                network: .ipv6(IPv6Header(source: client6, destination: resolver6)),
                transport: .udp(UDPHeader(sourcePort: 40003, destinationPort: 53)),
                payload: DNSMessage.query(id: 0x5e6f, name: "www.example.net", type: DNSMessage.typeAAAA)
            ).encode())
        r.record(
            Packet(
                link: .ethernet(fromResolver),
                network: .ipv6(IPv6Header(source: resolver6, destination: client6)),
                transport: .udp(UDPHeader(sourcePort: 53, destinationPort: 40003)),
                payload: DNSMessage.response(
                    id: 0x5e6f, name: "www.example.net", type: DNSMessage.typeAAAA,
                    address: IPv6Address(high: 0x2001_0db8_0000_0000, low: 0x80).bytes)
            ).encode())
        return Sample(
            name: "udp-dns.pcap", bytes: r.writer.bytes, packetCount: r.count, linkType: "EN10MB (1)",
            purpose:
                "DNS over UDP port 53: two IPv4 A query/answer pairs and one IPv6 AAAA pair; valid DNS messages and UDP checksums."
        )
    }

    static func echoPair(v6: Bool, sequence: UInt16) -> [[UInt8]] {
        let data = TCPFlow.pattern(count: 56, seed: UInt32(sequence))  // ping's default 56 data bytes
        let request = ICMPEcho(identifier: 0x4d2, sequence: sequence)
        var reply = request
        reply.isReply = true
        let there: NetworkHeader =
            v6
            ? .ipv6(IPv6Header(source: client6, destination: server6))
            : .ipv4(IPv4Header(source: client4, destination: server4, identification: 0x100 + sequence))
        let back: NetworkHeader =
            v6
            ? .ipv6(IPv6Header(source: server6, destination: client6))
            : .ipv4(
                IPv4Header(source: server4, destination: client4, identification: 0x200 + sequence, dontFragment: false)
            )
        return [
            Packet(
                link: .ethernet(EthernetHeader(destination: serverMAC, source: clientMAC)), network: there,
                transport: .echo(request), payload: data
            ).encode(),
            Packet(
                link: .ethernet(EthernetHeader(destination: clientMAC, source: serverMAC)), network: back,
                transport: .echo(reply), payload: data
            ).encode(),
        ]
    }

    static func icmpEcho() -> Sample {
        var r = Recorder(linkType: linktypeEthernet)
        for sequence in UInt16(1)...3 {
            let pair = echoPair(v6: false, sequence: sequence)
            r.record(pair[0], gap: 450_000)
            r.record(pair[1], gap: 999_550_000)  // one request per second, like ping
        }
        r.record(echoPair(v6: true, sequence: 1))
        return Sample(
            name: "icmp-echo.pcap", bytes: r.writer.bytes, packetCount: r.count, linkType: "EN10MB (1)",
            purpose: "Three ICMP echo request/reply pairs (64-byte messages) and one ICMPv6 echo pair.")
    }

    static func ipv6TCP() -> Sample {
        var flow = tcpFlow(v6: true)
        var r = Recorder(linkType: linktypeEthernet)
        r.record(&flow, gap: 250_000) { $0.handshake() }
        // Hop-by-hop (router alert) then destination options (an unknown
        // option whose type's top bits 00 say "skip it") before TCP.
        let chain: [IPv6ExtensionHeader] = [
            .hopByHop(options: IPv6ExtensionHeader.routerAlertOption),
            .destinationOptions(options: [0x1E, 0x02, 0xAB, 0xCD]),
        ]
        r.record(&flow) {
            $0.send(
                Array("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n".utf8), from: .clientToServer,
                push: true, extensionHeaders: chain)
        }
        r.record(&flow) { $0.send(TCPFlow.pattern(count: $0.segmentPayload, seed: 7), from: .serverToClient) }
        r.record(&flow) { $0.send(TCPFlow.pattern(count: 500, seed: 8), from: .serverToClient, push: true) }
        r.record(&flow) { $0.acknowledge(from: .clientToServer) }
        r.record(&flow) { $0.close(from: .clientToServer) }
        return Sample(
            name: "ipv6-tcp.pcap", bytes: r.writer.bytes, packetCount: r.count, linkType: "EN10MB (1)",
            purpose:
                "IPv6 TCP handshake and data (1428-byte full segments); the first data segment carries a hop-by-hop + destination-options chain before TCP."
        )
    }

    static func vlan() -> Sample {
        var r = Recorder(linkType: linktypeEthernet)
        var flow = tcpFlow(vlanTags: [VLANTag(vid: 100)])
        r.record(&flow) { $0.handshake() }
        r.record(&flow) { $0.send(TCPFlow.pattern(count: 100, seed: 3), from: .clientToServer, push: true) }
        r.record(&flow) { $0.send(TCPFlow.pattern(count: 300, seed: 4), from: .serverToClient, push: true) }
        r.record(&flow) { $0.close(from: .clientToServer) }
        func dns(_ tags: [VLANTag], id: UInt16) -> [UInt8] {
            Packet(
                link: .ethernet(EthernetHeader(destination: serverMAC, source: clientMAC, vlanTags: tags)),
                network: .ipv4(
                    IPv4Header(source: client4, destination: resolver4, identification: id, dontFragment: false)),
                transport: .udp(UDPHeader(sourcePort: 40010, destinationPort: 53)),
                payload: DNSMessage.query(id: id, name: "www.example.com", type: DNSMessage.typeA)
            ).encode()
        }
        r.record(dns([VLANTag(vid: 200, pcp: 5)], id: 0x0200))
        r.record(dns([.serviceTag(vid: 10), VLANTag(vid: 100)], id: 0x0201))
        return Sample(
            name: "vlan.pcap", bytes: r.writer.bytes, packetCount: r.count, linkType: "EN10MB (1)",
            purpose:
                "802.1Q VLAN 100 TCP flow (handshake, data, close), a UDP query on VLAN 200 with PCP 5, and one QinQ frame (802.1ad S-tag 10 over 802.1Q C-tag 100)."
        )
    }

    static func jumbo() -> Sample {
        var flow = tcpFlow(mtu: 9000)
        var r = Recorder(linkType: linktypeEthernet, snapLength: 65535)
        r.record(&flow, gap: 250_000) { $0.handshake() }
        r.record(&flow) { $0.send(Array("GET /jumbo HTTP/1.1\r\n\r\n".utf8), from: .clientToServer, push: true) }
        for index in 1...20 {
            let payload = TCPFlow.pattern(count: flow.segmentPayload, seed: UInt32(1000 + index))
            r.record(&flow, gap: 72_000) { $0.send(payload, from: .serverToClient, push: index == 20) }
            if index % 2 == 0 { r.record(&flow, gap: 12_000) { $0.acknowledge(from: .clientToServer) } }
        }
        r.record(&flow) { $0.close(from: .serverToClient) }
        return Sample(
            name: "jumbo-9000.pcap", bytes: r.writer.bytes, packetCount: r.count, linkType: "EN10MB (1)",
            purpose: "IPv4 TCP over a 9000-byte MTU: 20 segments of 8948 bytes (9014-byte frames), snaplen 65535.")
    }

    /// The IP packets shared by the cooked, raw and loopback samples, with the
    /// `PACKET_*` type a cooked header records for each.
    static func mixedIP() -> [(packetType: UInt8, network: NetworkHeader, transport: TransportHeader, payload: [UInt8])]
    {
        let syn = TCPHeader(
            sourcePort: 51000, destinationPort: 443, sequenceNumber: 0x1000_0000, flags: .syn,
            window: 64240, options: TCPOption.linuxSYN(mss: 1460, tsValue: 1, tsEcho: 0, windowScale: 7))
        let synAck = TCPHeader(
            sourcePort: 443, destinationPort: 51000, sequenceNumber: 0x2000_0000,
            acknowledgmentNumber: 0x1000_0001, flags: [.syn, .ack], window: 65160,
            options: TCPOption.linuxSYN(mss: 1460, tsValue: 2, tsEcho: 1, windowScale: 7))
        let mdns = IPv4Address(224, 0, 0, 251)
        return [
            (
                CookedPacketType.outgoing, .ipv4(IPv4Header(source: client4, destination: server4, identification: 1)),
                .tcp(syn), []
            ),
            (CookedPacketType.host, .ipv4(IPv4Header(source: server4, destination: client4)), .tcp(synAck), []),
            (
                CookedPacketType.outgoing, .ipv6(IPv6Header(source: client6, destination: server6)),
                .echo(ICMPEcho(identifier: 7, sequence: 1)), TCPFlow.pattern(count: 56, seed: 9)
            ),
            (
                CookedPacketType.host, .ipv6(IPv6Header(source: server6, destination: client6)),
                .echo(ICMPEcho(isReply: true, identifier: 7, sequence: 1)), TCPFlow.pattern(count: 56, seed: 9)
            ),
            (
                CookedPacketType.multicast,
                .ipv4(IPv4Header(source: server4, destination: mdns, timeToLive: 255, dontFragment: false)),
                .udp(UDPHeader(sourcePort: 5353, destinationPort: 5353)),
                DNSMessage.query(id: 0, name: "printer.local", type: DNSMessage.typeA)
            ),
        ]
    }

    static func cooked(sll2: Bool) -> Sample {
        var r = Recorder(linkType: sll2 ? linktypeLinuxSLL2 : linktypeLinuxSLL)
        for item in mixedIP() {
            // The address is the sender's: ours for outgoing packets.
            let mac = item.packetType == CookedPacketType.outgoing ? clientMAC : serverMAC
            let link: LinkHeader =
                sll2
                ? .linuxSLL2(LinuxSLL2Header(packetType: item.packetType, interfaceIndex: 2, address: mac.bytes))
                : .linuxSLL(LinuxSLLHeader(packetType: item.packetType, address: mac.bytes))
            r.record(
                Packet(link: link, network: item.network, transport: item.transport, payload: item.payload).encode())
        }
        return Sample(
            name: sll2 ? "linux-sll2.pcap" : "linux-sll.pcap", bytes: r.writer.bytes, packetCount: r.count,
            linkType: sll2 ? "LINUX_SLL2 (276)" : "LINUX_SLL (113)",
            purpose:
                "Linux cooked \(sll2 ? "v2 (20-byte)" : "v1 (16-byte)") headers: IPv4 TCP SYN (outgoing) and SYN-ACK (host), an ICMPv6 echo pair, an IPv4 mDNS datagram (multicast)."
        )
    }

    static func rawIP() -> Sample {
        var r = Recorder(linkType: linktypeRaw)
        for item in mixedIP() {
            r.record(
                Packet(link: .none, network: item.network, transport: item.transport, payload: item.payload).encode())
        }
        return Sample(
            name: "raw-ip.pcap", bytes: r.writer.bytes, packetCount: r.count,
            linkType: "RAW (LINKTYPE 101 in the file, DLT_RAW 12 from libpcap on Linux)",
            purpose:
                "Bare IPv4 and IPv6 packets (the cooked samples' packets without a link header); the version nibble picks the protocol."
        )
    }

    static func nullLoopback() -> Sample {
        var r = Recorder(linkType: linktypeNull)
        for item in mixedIP() {
            let family = if case .ipv6 = item.network { LoopbackHeader.afInet6Darwin } else { LoopbackHeader.afInet }
            r.record(
                Packet(
                    link: .loopback(LoopbackHeader(family: family)), network: item.network,
                    transport: item.transport, payload: item.payload
                ).encode())
        }
        return Sample(
            name: "null-loopback.pcap", bytes: r.writer.bytes, packetCount: r.count, linkType: "NULL (0)",
            purpose:
                "BSD loopback: 4-byte address family, little-endian as a macOS host writes it: AF_INET 2, AF_INET6 30 (macOS's value)."
        )
    }

    static func nsTimestamps() -> Sample {
        var writer = PcapNGWriter(linkType: UInt16(linktypeEthernet), timestampResolution: 9)
        var frames = echoPair(v6: false, sequence: 1) + echoPair(v6: true, sequence: 2)
        var flow = tcpFlow()
        frames += flow.handshake()
        // Every digit of the fraction matters: .123456789, .234567900, …
        for (index, frame) in frames.enumerated() {
            let timestamp = baseTimestamp + 123_456_789 + UInt64(index) * 111_111_111
            writer.append(
                frame, timestamp: timestamp,
                comment: index == 0 ? "skbsim sample: nanosecond timestamps" : nil)
        }
        return Sample(
            name: "ns-timestamps.pcapng", bytes: writer.bytes, packetCount: writer.packetCount,
            linkType: "EN10MB (1), pcapng",
            purpose:
                "pcapng (SHB, IDB with if_tsresol=9, EPBs; the first EPB has an opt_comment): ICMP, ICMPv6 and a TCP handshake at .123456789 s + n × .111111111 s."
        )
    }

    static func brokenTruncated() -> Sample {
        var flow = tcpFlow()
        var r = Recorder(linkType: linktypeEthernet)
        r.record(&flow) { $0.handshake() }
        r.record(&flow) { $0.send(TCPFlow.pattern(count: 400, seed: 5), from: .clientToServer, push: true) }
        // The last record header promises 466 bytes; only 200 follow.
        let bytes = Array(r.writer.bytes.dropLast(266))
        return Sample(
            name: "broken-truncated.pcap", bytes: bytes, packetCount: r.count, linkType: "EN10MB (1)",
            purpose:
                "Valid header and three records; the fourth record's body is cut short (200 of 466 bytes). Readers must report truncation, not crash."
        )
    }

    static func brokenBadMagic() -> Sample {
        var r = Recorder(linkType: linktypeEthernet)
        r.record(echoPair(v6: false, sequence: 1))
        var bytes = r.writer.bytes
        // 0xa1b2c3d5: one off from the microsecond magic, matching no known
        // pcap, pcapng or byte-swapped variant.
        bytes[0] = 0xD5
        return Sample(
            name: "broken-bad-magic.pcap", bytes: bytes, packetCount: r.count, linkType: "EN10MB (1)",
            purpose: "Two ICMP records behind a wrong magic number (0xa1b2c3d5); libpcap must refuse to open it.")
    }

    /// samples/README.md, generated so the counts and sizes stay true.
    public static func readme(_ samples: [Sample]) -> String {
        var text = """
            # skbsim sample captures

            Generated by `SampleKit.SampleCatalog`; do not edit by hand. Regenerate with:

                swift run skbsim-samples samples

            Output is deterministic (timestamps from 2026-01-01T00:00:00Z, addresses in
            192.0.2.0/24, 198.51.100.0/24 and 2001:db8::/32, MACs 02:00:00:00:00:0x), and
            `SampleKitTests` fails if the committed files differ from a fresh run.
            Classic pcap files are little-endian with microsecond timestamps.

            | File | Packets | Bytes | Link type | Exercises |
            | --- | ---: | ---: | --- | --- |

            """
        for sample in samples {
            text +=
                "| `\(sample.name)` | \(sample.packetCount) | \(sample.bytes.count) | \(sample.linkType) | \(sample.purpose) |\n"
        }
        text += "\nTotal: \(samples.reduce(0) { $0 + $1.bytes.count }) bytes.\n"
        return text
    }
}
