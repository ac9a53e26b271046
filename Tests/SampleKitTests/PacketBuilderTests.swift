import SampleKit
import Testing

@Test func ethernetWithStackedVLANTags() {
    let header = EthernetHeader(
        destination: .broadcast, source: MACAddress(0x02_00_00_00_00_01),
        vlanTags: [.serviceTag(vid: 10, pcp: 3), VLANTag(vid: 100, dei: true)])
    let frame = header.encode(etherType: EtherType.ipv4, payload: [0xAA])
    #expect(
        frame == [
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1,
            0x88, 0xa8, 0x60, 0x0a, 0x81, 0x00, 0x10, 0x64, 0x08, 0x00, 0xAA,
        ])
    #expect(header.length == 22)
}

@Test func ipv6ExtensionChainLinksNextHeaders() {
    let header = IPv6Header(
        source: IPv6Address(high: 1, low: 2), destination: IPv6Address(high: 3, low: 4),
        extensionHeaders: [
            .hopByHop(options: IPv6ExtensionHeader.routerAlertOption),
            .routing(type: 0, segmentsLeft: 0, data: [0, 0, 0, 0]),
            .fragment(offset: 0, moreFragments: true, identification: 7),
            .destinationOptions(options: []),
        ])
    let packet = header.encode(upperLayer: 17, payload: [1, 2])
    #expect(packet[6] == 0)  // IPv6 → hop-by-hop
    #expect(packet[40] == 43 && packet[41] == 0)  // hop-by-hop → routing, 8 bytes
    #expect(packet[48] == 44 && packet[49] == 0)  // routing → fragment
    #expect(packet[56] == 60)  // fragment → dest opts
    #expect(packet[58] == 0 && packet[59] == 1)  // offset 0, M flag
    #expect(packet[64] == 17 && packet[65] == 0)  // dest opts → UDP, 8 bytes (PadN)
    #expect(packet[66] == 1 && packet[67] == 4)  // PadN covering the 6 remaining bytes
    #expect(packet.count == 40 + 32 + 2)
    #expect(Int(packet[4]) << 8 | Int(packet[5]) == 34)
}

@Test func tcpOptionsArePaddedToWords() {
    let header = TCPHeader(sourcePort: 1, destinationPort: 2, options: [.maximumSegmentSize(1460), .windowScale(7)])
    #expect(header.headerLength == 28)  // 4 + 3 → 8 option bytes
    let bytes = header.encode(payload: [], source: .v4(IPv4Address(1)), destination: .v4(IPv4Address(2)))
    #expect(bytes.count == 28)
    #expect(Array(bytes[20...]) == [2, 4, 0x05, 0xb4, 3, 3, 7, 0])
    #expect(
        TCPHeader(sourcePort: 1, destinationPort: 2, options: TCPOption.linuxTimestamps(value: 1, echoReply: 0))
            .headerLength == 32)
}

@Test func cookedAndLoopbackHeaderLayouts() {
    let mac = MACAddress(0x02_00_00_00_00_01).bytes
    let sll = LinuxSLLHeader(packetType: CookedPacketType.outgoing, address: mac).encode(
        protocolType: 0x86DD, payload: [])
    #expect(sll == [0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x86, 0xdd])
    let sll2 = LinuxSLL2Header(packetType: CookedPacketType.multicast, interfaceIndex: 2, address: mac)
        .encode(protocolType: 0x0800, payload: [])
    #expect(sll2 == [0x08, 0, 0, 0, 0, 0, 0, 2, 0, 1, 2, 6, 2, 0, 0, 0, 0, 1, 0, 0])
    #expect(LoopbackHeader(family: LoopbackHeader.afInet6Darwin).encode(payload: []) == [30, 0, 0, 0])
    #expect(LoopbackHeader(family: 2, littleEndian: false).encode(payload: []) == [0, 0, 0, 2])
}

@Test func tcpFlowSequenceProgression() {
    var flow = TCPFlow(
        client: .init(mac: MACAddress(1), address: .v4(IPv4Address(192, 0, 2, 1)), port: 1000),
        server: .init(mac: MACAddress(2), address: .v4(IPv4Address(192, 0, 2, 2)), port: 80),
        clientISN: 100, serverISN: 5000)
    let handshake = flow.handshake()
    #expect(handshake.map(\.count) == [74, 74, 66])
    #expect(flow.clientNext == 101 && flow.serverNext == 5001)
    #expect(flow.segmentPayload == 1448)
    let data = flow.send(TCPFlow.pattern(count: 1448, seed: 0), from: .serverToClient, push: true)
    #expect(data.count == 1514)
    #expect(flow.serverNext == 5001 + 1448)
    _ = flow.close(from: .clientToServer)
    #expect(flow.clientNext == 102 && flow.serverNext == 5001 + 1448 + 1)
}
