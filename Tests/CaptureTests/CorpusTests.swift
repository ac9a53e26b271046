import TestSupport
import Testing

@testable import Capture

/// Link type, snapshot length and packet count of every capture in the
/// corpus's `filter/` folder, as libpcap 1.10.3 reports them when called
/// directly from C (pcap_open_offline_with_tstamp_precision, pcap_datalink,
/// pcap_datalink_val_to_name, pcap_snapshot, a pcap_next_ex loop).
private struct Expected {
    var dlt: Int32
    var name: String
    var snaplen: Int
    var packets: Int
}

private let expectedFilterFiles: [String: Expected] = [
    "AH-IPcomp-IPv4.pcap": .init(dlt: 1, name: "EN10MB", snaplen: 65535, packets: 10),
    "AH-IPcomp-IPv6.pcap": .init(dlt: 1, name: "EN10MB", snaplen: 65535, packets: 15),
    "ISIS_external_lsp.pcap": .init(dlt: 1, name: "EN10MB", snaplen: 8192, packets: 10),
    "ISIS_p2p_adjacency.pcap": .init(dlt: 104, name: "C_HDLC", snaplen: 8192, packets: 14),
    "Network_Join_Nokia_Mobile.pcap": .init(dlt: 105, name: "IEEE802_11", snaplen: 2344, packets: 10),
    "ah-ipip-ping.pcap": .init(dlt: 1, name: "EN10MB", snaplen: 65535, packets: 4),
    "arcnet-rfc1051-arp-icmp-http.pcap": .init(dlt: 129, name: "ARCNET_LINUX", snaplen: 65535, packets: 15),
    "arcnet-rfc1201-arp-icmp-http.pcap": .init(dlt: 129, name: "ARCNET_LINUX", snaplen: 65535, packets: 15),
    "bacnet-arcnet-linux.pcap": .init(dlt: 129, name: "ARCNET_LINUX", snaplen: 65535, packets: 10),
    "brcm-tag-stp.pcap": .init(dlt: 281, name: "DSA_TAG_BRCM", snaplen: 64, packets: 4),
    "brcm-tag.pcap": .init(dlt: 281, name: "DSA_TAG_BRCM", snaplen: 262144, packets: 15),
    "carp.pcap": .init(dlt: 1, name: "EN10MB", snaplen: 65535, packets: 5),
    "decnet.pcap": .init(dlt: 1, name: "EN10MB", snaplen: 65535, packets: 8),
    "dhcp-rfc3004.pcap": .init(dlt: 1, name: "EN10MB", snaplen: 262144, packets: 4),
    "dsa.pcap": .init(dlt: 284, name: "DSA_TAG_DSA", snaplen: 262144, packets: 8),
    "gateway_or_not.pcap": .init(dlt: 1, name: "EN10MB", snaplen: 262144, packets: 14),
    "geneve.pcap": .init(dlt: 1, name: "EN10MB", snaplen: 262144, packets: 10),
    "http_PPI.pcap": .init(dlt: 192, name: "PPI", snaplen: 65535, packets: 5),
    "ieee802.11_exthdr.pcap": .init(dlt: 127, name: "IEEE802_11_RADIO", snaplen: 65535, packets: 10),
    "ipv6_ah_modes.pcap": .init(dlt: 1, name: "EN10MB", snaplen: 65535, packets: 2),
    "ipv6_ext_headers.pcap": .init(dlt: 1, name: "EN10MB", snaplen: 65535, packets: 1),
    "isakmp4500.pcap": .init(dlt: 1, name: "EN10MB", snaplen: 1536, packets: 10),
    "isup_load_generator.pcap": .init(dlt: 140, name: "MTP2", snaplen: 279, packets: 10),
    "llc.pcap": .init(dlt: 1, name: "EN10MB", snaplen: 262144, packets: 10),
    "loopback.pcap": .init(dlt: 1, name: "EN10MB", snaplen: 1500, packets: 6),
    "mstp_20140225214217.pcap": .init(dlt: 165, name: "BACNET_MS_TP", snaplen: 65535, packets: 10),
    "pim-packet-assortment.pcap": .init(dlt: 1, name: "EN10MB", snaplen: 65535, packets: 10),
    "pppoe.pcap": .init(dlt: 1, name: "EN10MB", snaplen: 1508, packets: 1),
    "pppoes.pcap": .init(dlt: 1, name: "EN10MB", snaplen: 2000, packets: 2),
    "rarp_req_reply.pcapng": .init(dlt: 1, name: "EN10MB", snaplen: 65535, packets: 2),
    "slip-bad-direction.pcap": .init(dlt: 8, name: "SLIP", snaplen: 262144, packets: 1),
    "slip-compressed_sl_print-oobr.pcap": .init(dlt: 8, name: "SLIP", snaplen: 46, packets: 1),
    "slip-sliplink_print-oobr.pcap": .init(dlt: 8, name: "SLIP", snaplen: 46, packets: 1),
    "vrrp.pcap": .init(dlt: 1, name: "EN10MB", snaplen: 65535, packets: 15),
    "vxlan.pcap": .init(dlt: 1, name: "EN10MB", snaplen: 1500, packets: 10),
    "wpa-Induction.pcap": .init(dlt: 127, name: "IEEE802_11_RADIO", snaplen: 65535, packets: 10),
    "wpa2linkuppassphraseiswireshark.pcap": .init(dlt: 127, name: "IEEE802_11_RADIO", snaplen: 65536, packets: 16),
]

/// Files whose single record stores 255 bytes with a snapshot length of 46;
/// libpcap (and tcpdump) truncate it to 46.
private let recordsLongerThanSnaplen: Set = [
    "slip-compressed_sl_print-oobr.pcap", "slip-sliplink_print-oobr.pcap",
]

@Suite("libpcap corpus", .enabled(if: Corpus.available, Corpus.skipReason))
struct CorpusTests {
    @Test func everyCorpusFileIsListed() {
        #expect(Set(Corpus.filterFiles) == Set(expectedFilterFiles.keys))
    }

    @Test(arguments: Corpus.filterFiles)
    func readsEveryPacket(name: String) throws {
        let expected = try #require(expectedFilterFiles[name])
        let reader = try CaptureReader(path: Corpus.path("filter/" + name))
        #expect(reader.linkType == LinkType(dlt: expected.dlt))
        #expect(reader.linkTypeName == expected.name)
        #expect(reader.snaplen == expected.snaplen)
        #expect(reader.format == (name.hasSuffix(".pcapng") ? .pcapng : .pcap))
        var count = 0
        var previousOffset: Int64 = -1
        try reader.forEachPacket { packet in
            #expect(packet.index == count)
            #expect(packet.deliveredIndex == count)
            #expect(packet.captureLength == packet.bytes.count)
            #expect(packet.captureLength <= packet.wireLength)
            #expect(packet.captureLength <= reader.snaplen)
            let offset = try #require(packet.byteOffset)
            #expect(offset > previousOffset)
            previousOffset = offset
            count += 1
        }
        #expect(count == expected.packets)
        #expect(reader.packetsRead == expected.packets)
        #expect(reader.recordsTruncatedToSnaplen == (recordsLongerThanSnaplen.contains(name) ? 1 : 0))
        #expect(try reader.next() == nil)
    }

    @Test func recordLongerThanSnaplenIsRejectedOnRequest() throws {
        let path = Corpus.path("filter/slip-sliplink_print-oobr.pcap")
        let reader = try CaptureReader(path: path, oversizedRecords: .reject)
        let error = try #require(throws: CaptureError.self) { try reader.next() }
        #expect(error.kind == .invalidCaptureLength)
        #expect(error.packetIndex == 0)
        #expect(error.byteOffset == 24)
        #expect(
            error.description
                == "\(path): packet 1 at byte offset 24: captured length 255 is larger than the snapshot length 46")
        // The failure is sticky: libpcap's position is no longer meaningful.
        #expect(throws: error) { try reader.next() }
    }

    @Test func pcapRecordOffsetsFollowTheFileLayout() throws {
        // loopback.pcap: 24-byte header, then records of 16 + caplen bytes.
        let reader = try CaptureReader(path: Corpus.path("filter/loopback.pcap"))
        var expectedOffset: Int64 = 24
        var lengths: [Int] = []
        try reader.forEachPacket { packet in
            #expect(packet.byteOffset == expectedOffset)
            expectedOffset += 16 + Int64(packet.captureLength)
            lengths.append(packet.captureLength)
        }
        #expect(lengths == [68, 68, 84, 84, 84, 84])
    }

    @Test func microsecondTimestampsAreScaledToNanoseconds() throws {
        let reader = try CaptureReader(path: Corpus.path("filter/loopback.pcap"))
        let first = try #require(try reader.next())
        #expect(first.timestampNanoseconds == 1_142_906_564_201_747_000)
        #expect(first.timestamp.epochSeconds == "1142906564.201747000")
    }

    @Test func readsPcapng() throws {
        let reader = try CaptureReader(path: Corpus.path("filter/rarp_req_reply.pcapng"))
        #expect(reader.format == .pcapng)
        #expect(reader.linkType == .ethernet)
        var stamps: [Int64] = []
        try reader.forEachPacket { stamps.append($0.timestampNanoseconds) }
        #expect(stamps == [1_386_259_199_430_926_000, 1_386_259_199_432_926_000])
    }

    @Test func limitCountsDeliveredPackets() throws {
        let reader = try CaptureReader(path: Corpus.path("filter/gateway_or_not.pcap"), filter: "icmp")
        var indices: [Int] = []
        let delivered = try reader.forEachPacket(limit: 5) { indices.append($0.index) }
        #expect(delivered == 5)
        #expect(indices == [0, 1, 2, 3, 9])
        #expect(reader.packetsRead == 10)
    }

    // Counts from libpcap called directly (pcap_compile + pcap_offline_filter).
    @Test(arguments: [
        ("gateway_or_not.pcap", "icmp", 6),
        ("gateway_or_not.pcap", "arp", 2),
        ("gateway_or_not.pcap", "vlan", 0),
        ("arcnet-rfc1201-arp-icmp-http.pcap", "tcp", 3),
        ("arcnet-rfc1201-arp-icmp-http.pcap", "udp port 53", 4),
        ("http_PPI.pcap", "udp port 53", 2),
        ("vxlan.pcap", "udp", 10),
        ("rarp_req_reply.pcapng", "rarp", 2),
        ("AH-IPcomp-IPv6.pcap", "ip6", 15),
    ])
    func filterSelectsPackets(name: String, filter: String, expected: Int) throws {
        let reader = try CaptureReader(path: Corpus.path("filter/" + name), filter: filter)
        #expect(reader.filterExpression == filter)
        var delivered: [Int] = []
        try reader.forEachPacket { delivered.append($0.deliveredIndex) }
        #expect(delivered == Array(0..<expected))
        #expect(reader.packetsRead == expectedFilterFiles[name]?.packets)
    }

    @Test func filteredPacketsKeepTheirFileIndex() throws {
        let reader = try CaptureReader(
            path: Corpus.path("filter/arcnet-rfc1201-arp-icmp-http.pcap"), filter: "tcp")
        var indices: [Int] = []
        try reader.forEachPacket { indices.append($0.index) }
        #expect(indices == [12, 13, 14])
    }

    @Test func badFilterSyntaxCarriesLibpcapsMessage() throws {
        let path = Corpus.path("filter/gateway_or_not.pcap")
        let error = #expect(throws: CaptureError.self) {
            try CaptureReader(path: path, filter: "tcp and and")
        }
        #expect(error?.kind == .invalidFilter)
        #expect(error?.filterExpression == "tcp and and")
        #expect(error?.message == "can't parse filter expression: syntax error")
        #expect(
            error?.description
                == "\(path): invalid filter \"tcp and and\": can't parse filter expression: syntax error")
    }

    @Test func filterUnsupportedByTheLinkTypeIsRejected() throws {
        let path = Corpus.path("filter/http_PPI.pcap")
        let error = #expect(throws: CaptureError.self) {
            try CaptureReader(path: path, filter: "vlan")
        }
        #expect(error?.kind == .invalidFilter)
        #expect(error?.description == "\(path): invalid filter \"vlan\": no VLAN support for Per-Packet Information")
    }

    @Test(arguments: [
        ("pcap-invalid-version-1.pcap", CaptureError.Kind.unsupportedVersion, "archaic pcap savefile format"),
        ("pcap-invalid-version-2.pcap", .unsupportedVersion, "unsupported pcap savefile version 2.5"),
        ("pcapng-invalid-vers-1.pcapng", .unsupportedVersion, "unsupported pcapng savefile version 0.1"),
        ("pcapng-invalid-vers-2.pcapng", .unsupportedVersion, "unsupported pcapng savefile version 1.1"),
        ("shb-option-too-long.pcapng", .malformedFileHeader, "block total length in header and trailer don't match"),
        (
            "linktype-reserved-field-not-zero.pcap", .malformedFileHeader,
            "link-layer type field 0x00300000 has reserved bits set (mask 0x03ff0000)"
        ),
    ])
    func invalidFilesFailToOpen(name: String, kind: CaptureError.Kind, message: String) throws {
        let path = Corpus.path(name)
        let error = #expect(throws: CaptureError.self) { try CaptureReader(path: path) }
        #expect(error?.kind == kind)
        #expect(error?.file == path)
        #expect(error?.packetIndex == nil)
        #expect(error?.description == "\(path): \(message)")
    }
}
