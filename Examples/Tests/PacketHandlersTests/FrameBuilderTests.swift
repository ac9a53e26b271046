import SkbTesting
import Testing

/// SampleKit's header builders, composed by hand (SampleKit's DocC catalog
/// quotes this test).
@Suite struct FrameBuilderTests {
    @Test func aQinQIPv6SynFrame() throws {
        let frame = Packet(
            link: .ethernet(
                EthernetHeader(
                    destination: Frames.serverMAC, source: Frames.clientMAC,
                    vlanTags: [.serviceTag(vid: 10), VLANTag(vid: 100, pcp: 5)])),
            network: .ipv6(IPv6Header(source: Frames.client6, destination: Frames.server6, hopLimit: 255)),
            transport: .tcp(
                TCPHeader(
                    sourcePort: 51000, destinationPort: 443, flags: [.syn],
                    options: TCPOption.linuxSYN(mss: 1440, tsValue: 1, tsEcho: 0, windowScale: 7))),
            payload: []
        ).encode()
        // 14 Ethernet + 2 × 4 tags + 40 IPv6 + 20 TCP + 20 bytes of SYN options.
        #expect(frame.count == 102)

        let fixture = SkbFixture()
        let skb = try fixture.makeSkb(bytes: frame)
        // eth_type_trans returns the outer TPID: the tags stay in the packet
        // for the VLAN receive path to take off.
        #expect(try fixture.sim.skb(skb).protocolType == EtherType.qinq)
        #expect(try fixture.sim.skb(skb).len == 102 - 14)
        try fixture.sim.consume_skb(skb)
        expectClean(fixture.sim)
    }

    @Test func anIPv4DatagramWithRouterAlert() {
        let frame = Packet(
            link: .ethernet(EthernetHeader(destination: .broadcast, source: Frames.clientMAC)),
            network: .ipv4(
                IPv4Header(
                    source: Frames.client4, destination: IPv4Address(224, 0, 0, 22), timeToLive: 1,
                    options: IPv4Header.routerAlertOption)),
            transport: .opaque(protocolNumber: 2),
            payload: [0x22, 0, 0, 0, 0, 0, 0, 0]
        ).encode()
        // IHL 6: 24-byte header.
        #expect(frame[14] == 0x46)
        #expect(frame.count == 14 + 24 + 8)
    }
}
