import Capture
import SampleKit
import TestSupport
import Testing

@Test func ipv4OptionsMoveTheTransportHeader() {
    let frame = Fixture.tcp4(ipOptions: IPv4Header.routerAlertOption + [1, 1, 1])  // 7 bytes → padded to 8
    let h = HeaderDecoder.decode(frame, linkType: .ethernet)
    #expect(h.stop == nil && h.networkLength == 28 && h.transportHeader == 42)
    #expect(h.tcp?.payloadOffset == 74 && h.tcp?.payloadLength == 100)
}

@Test func ipv4FirstAndLaterFragments() {
    func fragment(offset: UInt16, more: Bool) -> [UInt8] {
        Packet(
            link: Fixture.ethernet,
            network: .ipv4(
                IPv4Header(
                    source: TestHosts.client4, destination: TestHosts.server4, identification: 77,
                    dontFragment: false, moreFragments: more, fragmentOffset: offset)),
            transport: offset == 0
                ? .udp(UDPHeader(sourcePort: 4000, destinationPort: 4001)) : .opaque(protocolNumber: 17),
            payload: [UInt8](repeating: 0xAB, count: 64)
        ).encode()
    }
    let first = HeaderDecoder.decode(fragment(offset: 0, more: true), linkType: .ethernet)
    #expect(first.isFragment && first.fragmentOffset == 0 && first.transportHeader == 34)
    #expect(first.udp?.destinationPort == 4001 && first.stop == nil)

    let later = HeaderDecoder.decode(fragment(offset: 185, more: false), linkType: .ethernet)
    #expect(later.isFragment && later.fragmentOffset == 1480)
    #expect(later.transportHeader == nil && later.udp == nil && later.stop == nil)
    #expect(later.ipProtocol == 17 && later.flow?.sourcePort == 0 && later.flow?.destinationPort == 0)
}

@Test func ethernetPaddingIsNotPayload() {
    var frame = Fixture.tcp4(flags: .ack, payload: 0)
    frame += [UInt8](repeating: 0, count: 6)  // to the 60-byte minimum... plus some
    let h = HeaderDecoder.decode(frame, linkType: .ethernet)
    #expect(h.tcp?.payloadLength == 0 && h.ipTotalLength == 52)
}

@Test func ipv6HopByHopAndDestinationOptionsBeforeTCP() {
    var flow = Fixture.flow(v6: true)
    _ = flow.handshake()
    let frame = flow.send(
        [1, 2, 3], from: .clientToServer, push: true,
        extensionHeaders: [
            .hopByHop(options: IPv6ExtensionHeader.routerAlertOption),
            .destinationOptions(options: [0x1E, 0x02, 0xAB, 0xCD]),
        ])
    let h = HeaderDecoder.decode(frame, linkType: .ethernet)
    #expect(h.stop == nil)
    #expect(h.networkHeader == 14 && h.networkLength == 56 && h.transportHeader == 70)
    #expect(h.ipProtocol == 6 && h.ipTotalLength == 56 + 32 + 3)
    #expect(h.tcp?.payloadLength == 3 && h.tcp?.flags == [.psh, .ack])
}

@Test func ipv6RoutingAndFragmentHeaders() {
    let routing = IPv6ExtensionHeader.routing(type: 2, segmentsLeft: 1, data: [0, 0, 0, 0] + Fixture.server6.bytes)
    let first = HeaderDecoder.decode(
        Fixture.udp6(extensionHeaders: [routing, .fragment(offset: 0, moreFragments: true, identification: 1)]),
        linkType: .ethernet)
    #expect(first.stop == nil && first.networkLength == 40 + 24 + 8 && first.isFragment && first.udp != nil)

    let later = HeaderDecoder.decode(
        Fixture.udp6(extensionHeaders: [.fragment(offset: 100, moreFragments: false, identification: 1)]),
        linkType: .ethernet)
    #expect(later.stop == nil && later.fragmentOffset == 800 && later.transportHeader == nil && later.ipProtocol == 17)
}

@Test func ipv6AuthenticationHeaderUsesFourByteUnits() {
    // AH: next header 17, payload length 4 → (4 + 2) × 4 = 24 bytes.
    var ah: [UInt8] = [17, 4, 0, 0, 0, 0, 0x10, 0x00, 0, 0, 0, 1]
    ah += [UInt8](repeating: 0xEE, count: 12)
    let udp = UDPHeader(sourcePort: 1, destinationPort: 2).encode(
        payload: [], source: .v6(TestHosts.client6), destination: .v6(Fixture.server6))
    let frame = Packet(
        link: Fixture.ethernet, network: .ipv6(IPv6Header(source: TestHosts.client6, destination: Fixture.server6)),
        transport: .opaque(protocolNumber: 51), payload: ah + udp
    ).encode()
    let h = HeaderDecoder.decode(frame, linkType: .ethernet)
    #expect(h.stop == nil && h.networkLength == 64 && h.transportHeader == 78 && h.udp?.destinationPort == 2)
}

@Test func ipv6NoNextHeaderEndsTheChain() {
    let frame = Packet(
        link: Fixture.ethernet,
        network: .ipv6(
            IPv6Header(
                source: TestHosts.client6, destination: Fixture.server6,
                extensionHeaders: [.destinationOptions(options: [])])),
        transport: .opaque(protocolNumber: 59)
    ).encode()
    let h = HeaderDecoder.decode(frame, linkType: .ethernet)
    #expect(h.stop == nil && h.ipProtocol == 59 && h.networkLength == 48 && h.transportHeader == nil)
}

@Test func icmpAndICMPv6Echo() {
    let v4 = Packet(
        link: Fixture.ethernet, network: .ipv4(IPv4Header(source: TestHosts.client4, destination: TestHosts.server4)),
        transport: .echo(ICMPEcho(identifier: 1234, sequence: 3)), payload: [UInt8](repeating: 0, count: 56)
    ).encode()
    let h4 = HeaderDecoder.decode(v4, linkType: .ethernet)
    #expect(h4.ipProtocol == 1 && h4.transportHeader == 34)
    #expect(h4.icmp == ICMPHeaderInfo(type: 8, code: 0, echoIdentifier: 1234, echoSequence: 3))
    let v6 = Packet(
        link: Fixture.ethernet, network: .ipv6(IPv6Header(source: Fixture.server6, destination: TestHosts.client6)),
        transport: .echo(ICMPEcho(isReply: true, identifier: 9, sequence: 1))
    ).encode()
    let h6 = HeaderDecoder.decode(v6, linkType: .ethernet)
    #expect(h6.ipProtocol == 58 && h6.transportHeader == 54)
    #expect(h6.icmp == ICMPHeaderInfo(type: 129, code: 0, echoIdentifier: 9, echoSequence: 1))
}
