import Capture
import SampleKit
import TestSupport
import Testing

@Test func ethernetIPv4TCPSynOffsets() {
    var flow = Fixture.flow()
    let syn = flow.handshake()[0]
    let h = HeaderDecoder.decode(syn, linkType: .ethernet)
    #expect(h.stop == nil)
    #expect(h.macHeader == 0 && h.macLength == 14)
    #expect(h.networkHeader == 14 && h.transportHeader == 34)
    #expect(h.protocolType == 0x0800 && h.networkProtocol == 0x0800)
    #expect(h.pktType == .host)
    #expect(h.ipVersion == 4 && h.ipProtocol == 6 && h.networkLength == 20 && h.ipTotalLength == 60)
    let tcp = try! #require(h.tcp)
    #expect(tcp.flags == .syn)
    #expect(tcp.sequenceNumber == 1000 && tcp.acknowledgmentNumber == 0)
    #expect(tcp.window == 64240 && tcp.dataOffset == 40 && tcp.optionsLength == 20)
    #expect(tcp.payloadOffset == 74 && tcp.payloadLength == 0)
    #expect(
        h.flow
            == FlowKey(
                source: .init(ipv4: 0xC000_0201), destination: .init(ipv4: 0xC633_640A),
                sourcePort: 51000, destinationPort: 443, ipProtocol: 6))
}

@Test func ethernetFullSizedSegment() {
    var flow = Fixture.flow()
    _ = flow.handshake()
    let frame = flow.send(TCPFlow.pattern(count: 1448, seed: 3), from: .serverToClient, push: true)
    let h = HeaderDecoder.decode(frame, linkType: .ethernet)
    let tcp = try! #require(h.tcp)
    #expect(frame.count == 1514)
    #expect(tcp.flags == [.psh, .ack] && tcp.sequenceNumber == 5001 && tcp.acknowledgmentNumber == 1001)
    #expect(tcp.dataOffset == 32 && tcp.payloadOffset == 66 && tcp.payloadLength == 1448)
    #expect(h.flow?.sourcePort == 443 && h.flow?.reversed.sourcePort == 51000)
}

@Test func pktTypeFollowsDestinationAddress() {
    func decode(_ destination: MACAddress, host: EthernetAddress? = nil) -> PacketType {
        let frame = Fixture.udp4(link: .ethernet(EthernetHeader(destination: destination, source: TestHosts.clientMAC)))
        return HeaderDecoder.decode(frame, linkType: .ethernet, hostAddress: host).pktType
    }
    #expect(decode(.broadcast) == .broadcast)
    #expect(decode(MACAddress(0x01_00_5e_00_00_fb)) == .multicast)
    #expect(decode(MACAddress(0x33_33_00_00_00_01)) == .multicast)
    #expect(decode(TestHosts.serverMAC) == .host)  // no host address known
    #expect(decode(TestHosts.serverMAC, host: EthernetAddress(0x02_00_00_00_00_02)) == .host)
    #expect(decode(TestHosts.serverMAC, host: EthernetAddress(0x02_00_00_00_00_99)) == .otherHost)
}

@Test func lengthFieldFramesMapTo8023Or8022() {
    let header = EthernetHeader(destination: .broadcast, source: TestHosts.clientMAC)
    let llc = header.encode(etherType: 0x0026, payload: [0x42, 0x42, 0x03] + [UInt8](repeating: 0, count: 35))
    let llcHeaders = HeaderDecoder.decode(llc, linkType: .ethernet)
    #expect(llcHeaders.protocolType == 0x0004)  // ETH_P_802_2
    #expect(llcHeaders.networkHeader == 14)
    #expect(llcHeaders.stop == DecodeStop(offset: 14, reason: .unsupportedEtherType(0x0026)))
    let ipx = header.encode(etherType: 0x0040, payload: [0xFF, 0xFF] + [UInt8](repeating: 0, count: 62))
    #expect(HeaderDecoder.decode(ipx, linkType: .ethernet).protocolType == 0x0001)  // ETH_P_802_3
}

@Test func singleVLANTagStaysInBand() {
    var flow = Fixture.flow(vlanTags: [VLANTag(vid: 100, pcp: 5)])
    let h = HeaderDecoder.decode(flow.handshake()[0], linkType: .ethernet)
    #expect(h.stop == nil)
    #expect(h.protocolType == 0x8100 && h.networkProtocol == 0x0800)
    #expect(h.vlanDepth == 1 && h.outerVlanTCI == 0xA064 && h.innerVlanTCI == nil)
    #expect(h.macLength == 18 && h.networkHeader == 18 && h.transportHeader == 38)
    #expect(h.tcp?.flags == .syn)
}

@Test func qinqOuterServiceTagInnerCustomerTag() {
    let frame = Fixture.udp6(
        link: .ethernet(
            EthernetHeader(
                destination: TestHosts.serverMAC, source: TestHosts.clientMAC,
                vlanTags: [.serviceTag(vid: 10), VLANTag(vid: 100)])))
    let h = HeaderDecoder.decode(frame, linkType: .ethernet)
    #expect(h.stop == nil)
    #expect(h.protocolType == 0x88A8 && h.networkProtocol == 0x86DD)
    #expect(h.vlanDepth == 2 && h.outerVlanTCI == 10 && h.innerVlanTCI == 100)
    #expect(h.macLength == 22 && h.networkHeader == 22 && h.transportHeader == 62)
    #expect(h.udp?.payloadOffset == 70 && h.udp?.payloadLength == 4)
}

@Test func legacy9100TagIsWalked() {
    let frame = Fixture.udp4(
        link: .ethernet(
            EthernetHeader(
                destination: TestHosts.serverMAC, source: TestHosts.clientMAC,
                vlanTags: [VLANTag(tpid: 0x9100, vid: 7)])))
    let h = HeaderDecoder.decode(frame, linkType: .ethernet)
    #expect(h.protocolType == 0x9100 && h.vlanDepth == 1 && h.udp != nil)
}

@Test func arpRequestHasNetworkHeaderOnly() {
    var arp: [UInt8] = [0, 1, 8, 0, 6, 4, 0, 1] + TestHosts.clientMAC.bytes + TestHosts.client4.bytes
    arp += [0, 0, 0, 0, 0, 0] + IPv4Address(192, 0, 2, 2).bytes
    let frame = EthernetHeader(destination: .broadcast, source: TestHosts.clientMAC).encode(
        etherType: 0x0806, payload: arp)
    let h = HeaderDecoder.decode(frame, linkType: .ethernet)
    #expect(h.stop == nil && h.protocolType == 0x0806 && h.pktType == .broadcast)
    #expect(h.networkHeader == 14 && h.transportHeader == nil && h.ipVersion == nil)
    #expect(h.summary(frame) == "ARP, Request who-has 192.0.2.2 tell 192.0.2.1, length 28")
}
