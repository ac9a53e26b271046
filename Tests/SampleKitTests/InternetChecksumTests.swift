import SampleKit
import Testing

// RFC 1071 section 3 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2.
@Test func rfc1071Example() {
    var sum = InternetChecksum()
    sum.add([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7])
    #expect(sum.value == ~UInt16(0xddf2))
}

// The vectors below were cross-checked with tcpdump 4.99 (`-vv` reports
// "cksum … (correct)" / "udp sum ok") on the generated samples.

@Test func ipv4HeaderChecksumVerifiesToZero() {
    let packet = IPv4Header(
        source: IPv4Address(192, 0, 2, 1), destination: IPv4Address(192, 0, 2, 53),
        identification: 0x1a2b, dontFragment: false, options: IPv4Header.routerAlertOption
    )
    .encode(protocolNumber: 17, payload: [1, 2, 3])
    #expect(packet[0] == 0x46)  // IHL 6: 4 option bytes
    #expect(InternetChecksum.of(packet.prefix(24)) == 0)
}

@Test func ipv4HeaderChecksumKnownVector() {
    let packet = IPv4Header(
        source: IPv4Address(192, 0, 2, 1), destination: IPv4Address(192, 0, 2, 53),
        identification: 0x1a2b, dontFragment: false
    )
    .encode(protocolNumber: 17, payload: [UInt8](repeating: 0, count: 41))
    #expect(packet[10] == 0xdc && packet[11] == 0x4e)
}

@Test func udpPseudoHeaderChecksumKnownVector() {
    let query: [UInt8] = [
        0x1a, 0x2b, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
        3, 0x77, 0x77, 0x77, 7, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 3, 0x63, 0x6f, 0x6d, 0,
        0, 1, 0, 1,
    ]
    let udp = UDPHeader(sourcePort: 40001, destinationPort: 53)
        .encode(payload: query, source: .v4(IPv4Address(192, 0, 2, 1)), destination: .v4(IPv4Address(192, 0, 2, 53)))
    #expect(udp.count == 41)
    #expect(udp[6] == 0x7a && udp[7] == 0x67)
}

@Test func tcpPseudoHeaderChecksumKnownVector() {
    // The SYN of samples/tcp-handshake.pcap.
    let syn = TCPHeader(
        sourcePort: 51000, destinationPort: 443, sequenceNumber: 0x1000_0000, flags: .syn,
        window: 64240, options: TCPOption.linuxSYN(mss: 1460, tsValue: 1_000_001, tsEcho: 0, windowScale: 7)
    )
    .encode(payload: [], source: .v4(IPv4Address(192, 0, 2, 1)), destination: .v4(IPv4Address(198, 51, 100, 10)))
    #expect(syn.count == 40)
    #expect(syn[12] == 0xA0)  // data offset 10 words
    #expect(syn[16] == 0x45 && syn[17] == 0x8c)
}

@Test func transportChecksumsVerifyOverPseudoHeader() {
    let source = IPAddress.v6(IPv6Address(high: 0x2001_0db8_0000_0000, low: 1))
    let destination = IPAddress.v6(IPv6Address(high: 0x2001_0db8_0001_0000, low: 0x10))
    let segments: [(UInt8, [UInt8])] = [
        (
            6,
            TCPHeader(sourcePort: 1, destinationPort: 2, options: [.sackPermitted])
                .encode(payload: [9, 8, 7], source: source, destination: destination)
        ),
        (
            17,
            UDPHeader(sourcePort: 1, destinationPort: 2).encode(payload: [1], source: source, destination: destination)
        ),
        (58, ICMPEcho(identifier: 1, sequence: 2).encode(payload: [5, 5], source: source, destination: destination)),
    ]
    for (proto, segment) in segments {
        var sum = InternetChecksum()
        sum.addPseudoHeader(
            source: source, destination: destination, protocolNumber: proto, upperLayerLength: segment.count)
        sum.add(segment)
        #expect(sum.value == 0, "protocol \(proto)")
    }
}
