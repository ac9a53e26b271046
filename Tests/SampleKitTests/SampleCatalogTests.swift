import CPcap
import Foundation
import SampleKit
import TestSupport
import Testing

@Test func regeneratedSamplesAreByteIdenticalToCommitted() throws {
    let scratch = try TemporaryDirectory()
    let directory = scratch.url
    try SampleCatalog.writeAll(to: directory.path)

    let generated = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    let committedDirectory = Repository.root.appendingPathComponent("samples")
    let committed = try FileManager.default.contentsOfDirectory(atPath: committedDirectory.path).sorted()
    #expect(generated == committed, "samples/ and the catalog list different files")
    for name in generated {
        let fresh = try Data(contentsOf: directory.appendingPathComponent(name))
        let stored = try Data(contentsOf: committedDirectory.appendingPathComponent(name))
        #expect(fresh == stored, "\(name) differs; run `swift run skbsim-samples samples`")
    }
}

@Test func samplesMatchTheNamesOtherModulesUse() {
    let names = Set(SampleCatalog.samples().map(\.name))
    #expect(
        names == [
            "tcp-handshake.pcap", "tcp-bulk.pcap", "udp-dns.pcap", "icmp-echo.pcap", "ipv6-tcp.pcap",
            "vlan.pcap", "jumbo-9000.pcap", "linux-sll2.pcap", "linux-sll.pcap", "raw-ip.pcap",
            "null-loopback.pcap", "ns-timestamps.pcapng", "broken-truncated.pcap", "broken-bad-magic.pcap",
        ])
    #expect(SampleCatalog.samples().reduce(0) { $0 + $1.bytes.count } < 1_000_000)
}

/// Reads a file with libpcap, returning (DLT, precision, per-record
/// (caplen, len, ts_sec, ts_usec)), or the error text.
func readWithLibpcap(
    _ path: String, nanoseconds: Bool = false
)
    -> Result<(dlt: Int32, records: [(caplen: Int, len: Int, sec: Int, frac: Int)]), PcapFailure>
{
    var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
    let precision = UInt32(nanoseconds ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO)
    guard let handle = pcap_open_offline_with_tstamp_precision(path, precision, &errbuf) else {
        return .failure(
            PcapFailure(
                message: String(decoding: errbuf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)))
    }
    defer { pcap_close(handle) }
    var records: [(Int, Int, Int, Int)] = []
    var header: UnsafeMutablePointer<pcap_pkthdr>?
    var data: UnsafePointer<UInt8>?
    while true {
        let status = pcap_next_ex(handle, &header, &data)
        if status == 1, let h = header?.pointee {
            records.append((Int(h.caplen), Int(h.len), Int(h.ts.tv_sec), Int(h.ts.tv_usec)))
        } else if status == PCAP_ERROR_BREAK {
            return .success((pcap_datalink(handle), records))
        } else {
            return .failure(PcapFailure(message: String(cString: pcap_geterr(handle))))
        }
    }
}

struct PcapFailure: Error { var message: String }

@Test func everyValidSampleReadsBackThroughLibpcap() throws {
    let expectedDLT: [String: Int32] = [
        "linux-sll2.pcap": 276, "linux-sll.pcap": 113, "raw-ip.pcap": 12, "null-loopback.pcap": 0,
    ]
    for sample in SampleCatalog.samples() where !sample.name.hasPrefix("broken-") {
        let path = Repository.root.appendingPathComponent("samples").appendingPathComponent(sample.name).path
        let result = readWithLibpcap(path)
        guard case .success(let read) = result else {
            Issue.record("\(sample.name): \(result)")
            continue
        }
        #expect(read.dlt == expectedDLT[sample.name, default: 1], "\(sample.name)")
        #expect(read.records.count == sample.packetCount, "\(sample.name)")
        #expect(read.records.allSatisfy { $0.caplen == $0.len }, "\(sample.name)")
        #expect(read.records.first?.sec == 1_767_225_600, "\(sample.name)")
    }
}

@Test func bulkAndJumboFrameSizes() throws {
    let root = Repository.root.appendingPathComponent("samples")
    guard case .success(let bulk) = readWithLibpcap(root.appendingPathComponent("tcp-bulk.pcap").path),
        case .success(let jumbo) = readWithLibpcap(root.appendingPathComponent("jumbo-9000.pcap").path)
    else {
        Issue.record("cannot read samples")
        return
    }
    #expect(bulk.records.filter { $0.len == 1514 }.count == 256)
    #expect(jumbo.records.filter { $0.len == 9014 }.count == 20)
}

@Test func nanosecondPcapngKeepsEveryDigit() throws {
    let path = Repository.root.appendingPathComponent("samples/ns-timestamps.pcapng").path
    guard case .success(let read) = readWithLibpcap(path, nanoseconds: true) else {
        Issue.record("cannot read ns-timestamps.pcapng")
        return
    }
    #expect(read.records.map(\.frac).prefix(3) == [123_456_789, 234_567_900, 345_679_011])
}

@Test func brokenSamplesFailTheWayTheirNamesSay() {
    let root = Repository.root.appendingPathComponent("samples")
    guard case .failure(let magic) = readWithLibpcap(root.appendingPathComponent("broken-bad-magic.pcap").path) else {
        Issue.record("bad magic was accepted")
        return
    }
    #expect(magic.message.contains("unknown file format"))
    guard case .failure(let truncated) = readWithLibpcap(root.appendingPathComponent("broken-truncated.pcap").path)
    else {
        Issue.record("truncated file read cleanly")
        return
    }
    #expect(truncated.message.contains("truncated"))
}
