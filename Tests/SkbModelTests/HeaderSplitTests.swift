import KernelMemory
import SampleKit
import TestSupport
import Testing

@testable import SkbModel

/// sg-copybreak is `igb_construct_skb`: a frame longer than IGB_RX_HDR_LEN
/// (256) gets `eth_get_headlen` bytes in the head and the rest as a frag of
/// its rx buffer. The expected header lengths are the frames' own, by
/// construction (SampleKit builds each layer at a known size).
@Suite struct HeaderSplitTests {
    static let mac = EthernetHeader(destination: TestHosts.serverMAC, source: TestHosts.clientMAC)
    static let v4 = IPv4Header(source: TestHosts.client4, destination: TestHosts.server4)
    static let v6 = IPv6Header(source: TestHosts.client6, destination: IPv6Address(high: 0x2001_0db8, low: 2))
    static let tcp = TCPHeader(sourcePort: 443, destinationPort: 51000)
    static let tcpTimestamps = TCPHeader(
        sourcePort: 443, destinationPort: 51000, options: TCPOption.linuxTimestamps(value: 1, echoReply: 1))

    static func frame(
        link: EthernetHeader = mac, _ network: NetworkHeader, _ transport: TransportHeader, total: Int = 1514
    ) -> [UInt8] {
        let empty = Packet(link: .ethernet(link), network: network, transport: transport).encode()
        return Packet(
            link: .ethernet(link), network: network, transport: transport,
            payload: TCPFlow.pattern(count: total - empty.count, seed: 3)
        ).encode()
    }

    /// (name, frame, header bytes the head must hold)
    static var cases: [(String, [UInt8], Int)] {
        var fragment = frame(.ipv4(v4), .udp(UDPHeader(sourcePort: 40000, destinationPort: 53)))
        fragment[20] = 0x00  // clear DF
        fragment[21] = 0xB9  // offset 185 × 8: not the first fragment
        var arp = [UInt8](repeating: 0, count: 400)
        arp.replaceSubrange(0..<14, with: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 2, 0, 0, 0, 0, 1, 0x08, 0x06])
        var unknown = frame(.ipv4(v4), .tcp(tcp))
        unknown[12] = 0x88
        unknown[13] = 0xB5  // IEEE local experimental
        let tagged = EthernetHeader(
            destination: TestHosts.serverMAC, source: TestHosts.clientMAC, vlanTags: [VLANTag(vid: 7)])
        let longOptions = IPv6Header(
            source: TestHosts.client6, destination: IPv6Address(high: 0x2001_0db8, low: 2),
            extensionHeaders: [.destinationOptions(options: [UInt8](repeating: 0, count: 230))])
        return [
            ("IPv4 TCP", frame(.ipv4(v4), .tcp(tcp)), 14 + 20 + 20),
            ("IPv4 TCP with timestamps", frame(.ipv4(v4), .tcp(tcpTimestamps)), 14 + 20 + 32),
            (
                "IPv4 with options, UDP",
                frame(
                    .ipv4(
                        IPv4Header(
                            source: TestHosts.client4, destination: TestHosts.server4,
                            options: IPv4Header.routerAlertOption)),
                    .udp(UDPHeader(sourcePort: 40000, destinationPort: 53))), 14 + 24 + 8
            ),
            ("IPv4 ICMP echo", frame(.ipv4(v4), .echo(ICMPEcho(identifier: 1, sequence: 1))), 14 + 20 + 8),
            ("IPv6 TCP", frame(.ipv6(v6), .tcp(tcp)), 14 + 40 + 20),
            (
                "IPv6 destination options, TCP",
                frame(
                    .ipv6(
                        IPv6Header(
                            source: TestHosts.client6, destination: IPv6Address(high: 0x2001_0db8, low: 2),
                            extensionHeaders: [.destinationOptions(options: [1, 2, 0, 0])])),
                    .tcp(tcp)), 14 + 40 + 8 + 20
            ),
            ("802.1Q tag in the frame, IPv4 TCP", frame(link: tagged, .ipv4(v4), .tcp(tcp)), 14 + 4 + 20 + 20),
            ("IPv4 fragment after the first", fragment, 14 + 20),
            ("ARP", arp, 14),
            ("unknown ethertype", unknown, 14),
            // 14 + 40 + 232: the TCP header starts past the 256 bytes dissected.
            ("headers longer than IGB_RX_HDR_LEN", frame(.ipv6(longOptions), .tcp(tcp)), 256),
        ]
    }

    @Test func eachFrameGetsItsHeadersInTheHead() throws {
        for (name, frame, headers) in Self.cases {
            let sim = SkbSim()
            let skb = try #require(
                try frame.withUnsafeBytes { b throws(SkbError) in
                    try RxDriver(sim: sim).driverReceive(b, .scatterGather)
                }, "\(name)")
            let s = try sim.skb(skb)
            #expect(Int(s.headlen) == headers, "\(name)")
            #expect(try sim.shinfo(skb).frag(0).size == UInt32(min(frame.count, 2048) - headers), "\(name)")
            #expect(try sim.bytes(skb) == frame, "\(name)")
            try sim.kfree_skb(skb)
            try sim.memory.expectNoLeaks()
        }
    }

    /// Up to 256 bytes the frame is copied whole and the buffer goes back;
    /// with `copybreakHeaderSplit` off the first 256 bytes are copied.
    @Test func shortFramesAndTheOldCopy() throws {
        let short = Self.frame(.ipv4(Self.v4), .tcp(Self.tcp), total: 200)
        let long = Self.frame(.ipv4(Self.v4), .tcp(Self.tcp))
        for (frame, split, headlen, frags) in [(short, true, 200, 0), (long, false, 256, 1)] {
            let sim = SkbSim()
            var o = RxDriverOptions(path: .scatterGather)
            o.copybreakHeaderSplit = split
            let skb = try #require(
                try frame.withUnsafeBytes { b throws(SkbError) in
                    try RxDriver(sim: sim, options: o).driverReceive(b, .scatterGather)
                })
            #expect(Int(try sim.skb(skb).headlen) == headlen)
            #expect(try sim.shinfo(skb).nrFrags == frags)
            try sim.kfree_skb(skb)
            try sim.memory.expectNoLeaks()
        }
    }
}
