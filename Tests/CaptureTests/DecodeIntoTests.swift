import Capture
import SampleKit
import Testing

/// `decode(_:linkType:into:)` fills caller-owned storage; whatever the
/// storage held before (the previous packet's headers), the result equals
/// the returning `decode`.
@Test func decodeIntoEqualsDecodeOnEverySampleAndEveryTruncation() {
    var reused = PacketHeaders()
    var packets = 0
    for sample in SampleCatalog.samples() where sample.name.hasSuffix(".pcap") {
        let linkType = Fixture.linkType(ofPcap: sample.bytes)
        let records = Fixture.records(sample.bytes)
        for (index, record) in records.enumerated() {
            // Every prefix of the first records (each stop reason on the
            // way), then the whole of every record.
            let lengths = index < 4 ? Array(0...record.count) : [record.count]
            for length in lengths {
                let bytes = Array(record.prefix(length))
                let expected = HeaderDecoder.decode(bytes, linkType: linkType)
                bytes.withUnsafeBytes { HeaderDecoder.decode($0, linkType: linkType, into: &reused) }
                #expect(reused == expected, "\(sample.name) #\(index + 1) prefix \(length)")
                packets += 1
            }
        }
    }
    #expect(packets > 1000)
}

/// Every link type the decoder knows, and one it does not, over frames
/// built for each; `into:` storage is dirtied by a full TCP decode first.
@Test func decodeIntoEqualsDecodeForEveryLinkType() {
    let frames: [[UInt8]] = [
        Fixture.tcp4(), Fixture.udp4(), Fixture.udp6(), Fixture.tcp4(payload: 0, ipOptions: [1, 1, 1, 0]),
    ]
    let linkTypes: [LinkType] = [
        .ethernet, .linuxSLL, .linuxSLL2, .raw, .ipv4, .ipv6, .null, .loop,
        LinkType(dlt: 14), LinkType(dlt: 101), LinkType(dlt: 147),
    ]
    for linkType in linkTypes {
        for frame in frames {
            for start in [0, 14, 10] where start <= frame.count {
                let bytes = Array(frame[start...])
                var h = HeaderDecoder.decode(Fixture.tcp4(), linkType: .ethernet)
                #expect(h.tcp != nil)
                bytes.withUnsafeBytes { HeaderDecoder.decode($0, linkType: linkType, into: &h) }
                #expect(h == HeaderDecoder.decode(bytes, linkType: linkType), "\(linkType) from \(start)")
            }
        }
    }
}

/// The word loads agree with the byte-wise big-endian definition: the MAC
/// addresses, ports, sequence numbers and IPv6 addresses come out as built.
@Test func decodedMultiByteFieldsAreBigEndian() {
    let h = HeaderDecoder.decode(Fixture.tcp4(), linkType: .ethernet)
    #expect(h.tcp?.sourcePort == 51000 && h.tcp?.destinationPort == 443)
    #expect(h.tcp?.sequenceNumber == 7 && h.tcp?.acknowledgmentNumber == 9 && h.tcp?.window == 502)
    #expect(
        h.flow?.source == FlowKey.Address(ipv4: 0xC000_0201)
            && h.flow?.destination == FlowKey.Address(ipv4: 0xC633_640A))
    let h6 = HeaderDecoder.decode(Fixture.udp6(), linkType: .ethernet)
    #expect(h6.flow?.source == FlowKey.Address(high: 0x2001_0db8_0000_0000, low: 1))
    #expect(h6.flow?.destination == FlowKey.Address(high: 0x2001_0db8_0001_0000, low: 0x10))
    // Destination 02:00:00:00:00:02 is unicast; ff:ff:ff:ff:ff:ff broadcast; 01:... multicast.
    var frame = Fixture.udp4()
    #expect(HeaderDecoder.decode(frame, linkType: .ethernet).pktType == .host)
    #expect(
        HeaderDecoder.decode(frame, linkType: .ethernet, hostAddress: EthernetAddress(0x02_00_00_00_00_03)).pktType
            == .otherHost)
    #expect(
        HeaderDecoder.decode(frame, linkType: .ethernet, hostAddress: EthernetAddress(0x02_00_00_00_00_02)).pktType
            == .host)
    for i in 0..<6 { frame[i] = 0xFF }
    #expect(HeaderDecoder.decode(frame, linkType: .ethernet).pktType == .broadcast)
    frame[5] = 0xFE
    #expect(HeaderDecoder.decode(frame, linkType: .ethernet).pktType == .multicast)
}
