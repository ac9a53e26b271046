import Capture
import SampleKit
import Testing

/// Every packet of every well-formed sample decodes completely, and the
/// samples' distinctive features come out as generated.
@Test func everySamplePacketDecodesCompletely() {
    for sample in SampleCatalog.samples() where sample.name.hasSuffix(".pcap") && !sample.name.hasPrefix("broken-") {
        let linkType = Fixture.linkType(ofPcap: sample.bytes)
        let records = Fixture.records(sample.bytes)
        #expect(records.count == sample.packetCount, "\(sample.name)")
        for (index, record) in records.enumerated() {
            let h = HeaderDecoder.decode(record, linkType: linkType)
            #expect(h.stop == nil, "\(sample.name) #\(index + 1): \(h.stop.map(String.init(describing:)) ?? "")")
            #expect(h.tcp != nil || h.udp != nil || h.icmp != nil, "\(sample.name) #\(index + 1)")
        }
    }
}

@Test func bulkSampleHasFullSegmentsAndPushes() {
    let sample = SampleCatalog.samples().first { $0.name == "tcp-bulk.pcap" }!
    let tcp = Fixture.records(sample.bytes).compactMap { HeaderDecoder.decode($0, linkType: .ethernet).tcp }
    let full = tcp.filter { $0.payloadLength == 1448 }
    #expect(full.count == 256)
    #expect(full.filter { $0.flags.contains(.psh) }.count == 16)
    // Sequence numbers advance by exactly one segment.
    #expect(zip(full, full.dropFirst()).allSatisfy { $1.sequenceNumber &- $0.sequenceNumber == 1448 })
}

@Test func ipv6SampleCarriesTheExtensionChain() {
    let sample = SampleCatalog.samples().first { $0.name == "ipv6-tcp.pcap" }!
    let chained = Fixture.records(sample.bytes).map { HeaderDecoder.decode($0, linkType: .ethernet) }
        .filter { $0.networkLength > 40 }
    #expect(chained.count == 1)
    #expect(chained.first?.transportHeader == 14 + 40 + 8 + 8 && chained.first?.ipProtocol == 6)
}
