import Capture
import SampleKit
import TestSupport
import Testing

@Test func linuxSLLCarriesPktTypeAndProtocol() {
    let link = LinkHeader.linuxSLL(
        LinuxSLLHeader(packetType: CookedPacketType.outgoing, address: TestHosts.clientMAC.bytes))
    let frame = Fixture.tcp4(link: link)
    let h = HeaderDecoder.decode(frame, linkType: .linuxSLL)
    #expect(h.stop == nil)
    #expect(h.macHeader == 0 && h.macLength == 16 && h.networkHeader == 16 && h.transportHeader == 36)
    #expect(h.pktType == .outgoing && h.protocolType == 0x0800)
    #expect(h.tcp?.payloadOffset == 68 && h.tcp?.payloadLength == 100)
}

@Test func linuxSLL2CarriesPktTypeAndProtocol() {
    let link = LinkHeader.linuxSLL2(
        LinuxSLL2Header(
            packetType: CookedPacketType.multicast, interfaceIndex: 3,
            address: TestHosts.serverMAC.bytes))
    let frame = Fixture.udp6(link: link)
    let h = HeaderDecoder.decode(frame, linkType: .linuxSLL2)
    #expect(h.stop == nil)
    #expect(h.macLength == 20 && h.networkHeader == 20 && h.transportHeader == 60)
    #expect(h.pktType == .multicast && h.protocolType == 0x86DD && h.ipVersion == 6 && h.ipProtocol == 17)
}

@Test func cookedVLANProtocolIsFollowedByTag() {
    // libpcap re-inserts a stripped tag after the cooked header: TCI, then the inner type.
    let inner = Fixture.udp4(link: .none)
    let frame = LinuxSLLHeader(address: TestHosts.serverMAC.bytes).encode(
        protocolType: 0x8100, payload: [0x00, 0x64, 0x08, 0x00] + inner)
    let h = HeaderDecoder.decode(frame, linkType: .linuxSLL)
    #expect(h.stop == nil && h.vlanDepth == 1 && h.outerVlanTCI == 100)
    #expect(h.protocolType == 0x8100 && h.networkProtocol == 0x0800 && h.macLength == 20 && h.networkHeader == 20)
}

@Test func rawIPUsesTheVersionNibble() {
    for linkType in [LinkType.raw, .ipv4, .ipv6, LinkType(dlt: 101)] {
        let v4 = HeaderDecoder.decode(Fixture.tcp4(link: .none), linkType: linkType)
        #expect(v4.stop == nil && v4.protocolType == 0x0800 && v4.macHeader == 0 && v4.macLength == 0)
        #expect(v4.networkHeader == 0 && v4.transportHeader == 20)
        let v6 = HeaderDecoder.decode(Fixture.udp6(link: .none), linkType: linkType)
        #expect(v6.stop == nil && v6.protocolType == 0x86DD && v6.transportHeader == 40)
    }
    let bogus: [UInt8] = [0x50] + [UInt8](repeating: 0, count: 39)
    #expect(HeaderDecoder.decode(bogus, linkType: .raw).stop == DecodeStop(offset: 0, reason: .ipVersionMismatch(5)))
}

@Test func loopbackFamiliesInEitherByteOrder() {
    let cases: [(LoopbackHeader, LinkType, UInt16)] = [
        (LoopbackHeader(family: 2), .null, 0x0800),
        (LoopbackHeader(family: 2, littleEndian: false), .loop, 0x0800),
        (LoopbackHeader(family: 30), .null, 0x86DD),
        (LoopbackHeader(family: 24, littleEndian: false), .loop, 0x86DD),
        (LoopbackHeader(family: 28), .null, 0x86DD),
        (LoopbackHeader(family: 10), .null, 0x86DD),
    ]
    for (header, linkType, proto) in cases {
        let frame = proto == 0x0800 ? Fixture.udp4(link: .loopback(header)) : Fixture.udp6(link: .loopback(header))
        let h = HeaderDecoder.decode(frame, linkType: linkType)
        #expect(h.stop == nil && h.protocolType == proto && h.macLength == 4 && h.networkHeader == 4, "\(header)")
        #expect(h.udp?.destinationPort == 53)
    }
    let unknown = Fixture.udp4(link: .loopback(LoopbackHeader(family: 7)))
    #expect(
        HeaderDecoder.decode(unknown, linkType: .null).stop == DecodeStop(offset: 0, reason: .unknownAddressFamily(7)))
}

@Test func unsupportedLinkTypeStopsAtZero() {
    let h = HeaderDecoder.decode([1, 2, 3], linkType: LinkType(dlt: 147))
    #expect(h.stop == DecodeStop(offset: 0, reason: .unsupportedLinkType(147)))
    #expect(h.macHeader == nil && h.networkHeader == nil)
}
