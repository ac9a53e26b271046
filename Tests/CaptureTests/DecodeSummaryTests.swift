import Capture
import SampleKit
import TestSupport
import Testing

@Test func tcpSummaryLooksLikeTcpdump() {
    let frame = Packet(
        link: .ethernet(EthernetHeader(destination: TestHosts.serverMAC, source: TestHosts.clientMAC)),
        network: .ipv4(IPv4Header(source: IPv4Address(192, 0, 2, 1), destination: IPv4Address(192, 0, 2, 2))),
        transport: .tcp(
            TCPHeader(
                sourcePort: 443, destinationPort: 51000, sequenceNumber: 1,
                acknowledgmentNumber: 1, flags: [.psh, .ack], window: 502,
                options: TCPOption.linuxTimestamps(value: 1, echoReply: 1))),
        payload: [UInt8](repeating: 0x61, count: 1448)
    ).encode()
    #expect(
        HeaderDecoder.decode(frame, linkType: .ethernet).summary(frame)
            == "IP 192.0.2.1.443 > 192.0.2.2.51000: Flags [P.], seq 1:1449, ack 1, win 502, length 1448")
}

@Test func synAndFinSummaries() {
    var flow = Fixture.flow()
    let syn = flow.handshake()[0]
    #expect(
        HeaderDecoder.decode(syn, linkType: .ethernet).summary(syn)
            == "IP 192.0.2.1.51000 > 198.51.100.10.443: Flags [S], seq 1000, win 64240, length 0")
    let fin = flow.close(from: .serverToClient)[0]
    #expect(
        HeaderDecoder.decode(fin, linkType: .ethernet).summary(fin)
            == "IP 198.51.100.10.443 > 192.0.2.1.51000: Flags [F.], seq 5001, ack 1001, win 502, length 0")
}

@Test func ipv6AndVLANSummaries() {
    let udp = Fixture.udp6()
    #expect(
        HeaderDecoder.decode(udp, linkType: .ethernet).summary(udp)
            == "IP6 2001:db8::1.40000 > 2001:db8:1::10.53: UDP, length 4")
    let tagged = Fixture.udp4(
        link: .ethernet(
            EthernetHeader(
                destination: TestHosts.serverMAC, source: TestHosts.clientMAC,
                vlanTags: [.serviceTag(vid: 10), VLANTag(vid: 100, pcp: 5)])))
    #expect(
        HeaderDecoder.decode(tagged, linkType: .ethernet).summary(tagged)
            == "vlan 10, p 0, ethertype 802.1Q, vlan 100, p 5, ethertype IPv4, IP 192.0.2.1.40000 > 198.51.100.10.53: UDP, length 4"
    )
}

@Test func icmpSummaries() {
    let request = Packet(
        link: .none, network: .ipv4(IPv4Header(source: TestHosts.client4, destination: TestHosts.server4)),
        transport: .echo(ICMPEcho(identifier: 1234, sequence: 1)), payload: [UInt8](repeating: 0, count: 56)
    ).encode()
    #expect(
        HeaderDecoder.decode(request, linkType: .raw).summary(request)
            == "IP 192.0.2.1 > 198.51.100.10: ICMP echo request, id 1234, seq 1, length 64")
    let reply = Packet(
        link: .none, network: .ipv6(IPv6Header(source: Fixture.server6, destination: TestHosts.client6)),
        transport: .echo(ICMPEcho(isReply: true, identifier: 7, sequence: 2)), payload: [1, 2]
    ).encode()
    #expect(
        HeaderDecoder.decode(reply, linkType: .raw).summary(reply)
            == "IP6 2001:db8:1::10 > 2001:db8::1: ICMP6, echo reply, id 7, seq 2, length 10")
}

@Test func stoppedDecodeIsMarked() {
    let cut = Array(Fixture.tcp4().prefix(40))
    #expect(
        HeaderDecoder.decode(cut, linkType: .ethernet).summary(cut)
            == "IP 192.0.2.1 > 198.51.100.10: ip-proto-6 132 [|truncatedTCPHeader]")
}
