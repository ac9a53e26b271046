import Capture
import SampleKit
import TestSupport
import Testing

let allLinkTypes: [LinkType] = [.ethernet, .linuxSLL, .linuxSLL2, .raw, .ipv4, .ipv6, .null, .loop]

/// Offsets a decode set must lie inside the packet, in order.
func expectConsistent(_ h: PacketHeaders, count: Int, _ comment: Comment? = nil) {
    let offsets = [h.macHeader, h.networkHeader, h.transportHeader].compactMap { $0 }
    #expect(offsets == offsets.sorted(), comment)
    #expect(offsets.allSatisfy { $0 <= count }, comment)
    if let tcp = h.tcp { #expect(tcp.payloadOffset <= count && tcp.payloadLength >= 0, comment) }
    if let stop = h.stop { #expect(stop.offset >= 0 && stop.offset <= count, comment) }
}

@Test(arguments: allLinkTypes)
func emptyAndOneByteInputsStop(linkType: LinkType) {
    for bytes in [[], [0x45], [0x60], [0x02]] as [[UInt8]] {
        let h = HeaderDecoder.decode(bytes, linkType: linkType)
        #expect(h.stop != nil, "\(linkType) \(bytes)")
        #expect(h.transportHeader == nil)
    }
}

@Test func everyPrefixOfValidPacketsDecodesSafely() {
    var flow = Fixture.flow(v6: true)
    let frames: [(LinkType, [UInt8])] = [
        (.ethernet, Fixture.tcp4(ipOptions: IPv4Header.routerAlertOption)),
        (.ethernet, flow.handshake()[0]),
        (
            .ethernet,
            Fixture.udp6(
                link: .ethernet(
                    EthernetHeader(
                        destination: .broadcast, source: TestHosts.clientMAC,
                        vlanTags: [.serviceTag(vid: 1), VLANTag(vid: 2)])),
                extensionHeaders: [
                    .hopByHop(options: []), .fragment(offset: 0, moreFragments: true, identification: 3),
                ])
        ),
        (.linuxSLL2, Fixture.udp4(link: .linuxSLL2(LinuxSLL2Header(interfaceIndex: 1, address: [])))),
        (.null, Fixture.udp6(link: .loopback(LoopbackHeader(family: 30)))),
    ]
    for (linkType, frame) in frames {
        let full = HeaderDecoder.decode(frame, linkType: linkType)
        #expect(full.stop == nil)
        for length in 0..<frame.count {
            let h = HeaderDecoder.decode(Array(frame.prefix(length)), linkType: linkType)
            expectConsistent(h, count: length, "\(linkType) prefix \(length)")
            // A cut packet never decodes further than the whole one.
            #expect((h.transportHeader ?? 0) <= (full.transportHeader ?? 0))
        }
    }
}

@Test func ipv4HeaderLengthErrors() {
    var frame = Fixture.tcp4()
    frame[14] = 0x44  // IHL 4
    #expect(
        HeaderDecoder.decode(frame, linkType: .ethernet).stop
            == DecodeStop(offset: 14, reason: .ipv4HeaderLengthTooSmall(16)))
    let short = Array(Fixture.tcp4().prefix(14 + 40))
    var pastEnd = short
    pastEnd[14] = 0x4F  // IHL 15 = 60 bytes, only 40 captured
    let h = HeaderDecoder.decode(pastEnd, linkType: .ethernet)
    #expect(h.stop == DecodeStop(offset: 14, reason: .ipv4HeaderPastEnd(60)))
    #expect(h.networkHeader == 14 && h.transportHeader == nil && h.ipVersion == nil)
    var badTotal = Fixture.tcp4()
    badTotal[16] = 0
    badTotal[17] = 10
    #expect(
        HeaderDecoder.decode(badTotal, linkType: .ethernet).stop
            == DecodeStop(offset: 14, reason: .ipv4TotalLengthTooSmall(10)))
    #expect(
        HeaderDecoder.decode(Array(Fixture.tcp4().prefix(30)), linkType: .ethernet).stop
            == DecodeStop(offset: 14, reason: .truncatedIPv4Header))
}

@Test func tcpDataOffsetErrors() {
    var tooSmall = Fixture.tcp4()
    tooSmall[14 + 20 + 12] = 0x40
    #expect(
        HeaderDecoder.decode(tooSmall, linkType: .ethernet).stop
            == DecodeStop(offset: 34, reason: .tcpDataOffsetTooSmall(16)))
    var pastEnd = Fixture.tcp4(payload: 0)  // 14 + 20 + 32 bytes
    pastEnd[14 + 20 + 12] = 0xF0  // 60-byte header, 32 present
    let h = HeaderDecoder.decode(pastEnd, linkType: .ethernet)
    #expect(h.stop == DecodeStop(offset: 34, reason: .tcpHeaderPastEnd(60)))
    #expect(h.transportHeader == 34 && h.tcp == nil && h.networkHeader == 14)
}

@Test func twentyStackedVLANTagsStopAtTheLimit() {
    let tags = (0..<20).map { VLANTag(vid: UInt16($0)) }
    let frame = Fixture.udp4(
        link: .ethernet(EthernetHeader(destination: TestHosts.serverMAC, source: TestHosts.clientMAC, vlanTags: tags)))
    let h = HeaderDecoder.decode(frame, linkType: .ethernet)
    #expect(h.stop == DecodeStop(offset: 14 + 4 * HeaderDecoder.maxVLANDepth, reason: .vlanStackTooDeep))
    #expect(h.vlanDepth == HeaderDecoder.maxVLANDepth && h.networkHeader == nil)
    #expect(h.outerVlanTCI == 0 && h.innerVlanTCI == 7)
}

@Test func truncatedVLANTag() {
    let frame = Array(
        Fixture.udp4(
            link: .ethernet(
                EthernetHeader(
                    destination: TestHosts.serverMAC, source: TestHosts.clientMAC,
                    vlanTags: [VLANTag(vid: 5)]))
        ).prefix(16))
    #expect(HeaderDecoder.decode(frame, linkType: .ethernet).stop == DecodeStop(offset: 14, reason: .truncatedVLANTag))
}

@Test func ipv6ExtensionChainRunningToTheEnd() {
    // Hop-by-hop says destination options follow, but the packet ends there.
    let frame = Packet(
        link: Fixture.ethernet,
        network: .ipv6(
            IPv6Header(
                source: TestHosts.client6, destination: Fixture.server6,
                extensionHeaders: [.hopByHop(options: [])])),
        transport: .opaque(protocolNumber: 60)
    ).encode()
    let h = HeaderDecoder.decode(frame, linkType: .ethernet)
    #expect(h.stop == DecodeStop(offset: 14 + 48, reason: .truncatedExtensionHeader(60)))
    #expect(h.ipVersion == 6 && h.ipProtocol == nil && h.transportHeader == nil)

    // A length byte claiming more than the payload holds.
    var long = Fixture.udp6(extensionHeaders: [.destinationOptions(options: [])])
    long[14 + 41] = 200
    #expect(
        HeaderDecoder.decode(long, linkType: .ethernet).stop
            == DecodeStop(offset: 54, reason: .truncatedExtensionHeader(60)))
}

@Test func ipv6ChainTooLongAndMisplacedHopByHop() {
    let many = Fixture.udp6(extensionHeaders: Array(repeating: .destinationOptions(options: []), count: 12))
    #expect(
        HeaderDecoder.decode(many, linkType: .ethernet).stop
            == DecodeStop(offset: 54 + 8 * HeaderDecoder.maxExtensionHeaders, reason: .extensionHeaderChainTooLong))
    let misplaced = Fixture.udp6(extensionHeaders: [.destinationOptions(options: []), .hopByHop(options: [])])
    #expect(
        HeaderDecoder.decode(misplaced, linkType: .ethernet).stop == DecodeStop(offset: 62, reason: .misplacedHopByHop))
}

@Test func udpLengthErrors() {
    var frame = Fixture.udp4()
    frame[14 + 20 + 4] = 0
    frame[14 + 20 + 5] = 4
    #expect(
        HeaderDecoder.decode(frame, linkType: .ethernet).stop == DecodeStop(offset: 34, reason: .udpLengthInvalid(4)))
}

@Test func randomBytesNeverTrap() {
    // Deterministic xorshift so a failure reproduces.
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
    let seeds = [Fixture.tcp4(), Fixture.udp6(extensionHeaders: [.hopByHop(options: [])])]
    for round in 0..<3000 {
        var bytes: [UInt8]
        if round % 2 == 0 {
            bytes = (0..<Int(next() % 120)).map { _ in UInt8(truncatingIfNeeded: next()) }
        } else {
            bytes = seeds[round / 2 % 2]
            for _ in 0..<4 { bytes[Int(next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: next()) }
            bytes = Array(bytes.prefix(Int(next() % UInt64(bytes.count + 1))))
        }
        for linkType in allLinkTypes {
            let h = HeaderDecoder.decode(bytes, linkType: linkType)
            expectConsistent(h, count: bytes.count)
            _ = h.summary(bytes)
        }
    }
}
