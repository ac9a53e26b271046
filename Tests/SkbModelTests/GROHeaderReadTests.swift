import Capture
import Foundation
import KernelMemory
import Testing
@testable import SkbModel

/// GRO reads header bytes raw after one checker look when they are all
/// accessible (`GROHeaderReader`); every result must be the one of the
/// fully checked reads: same merges, flush causes, sizes and GSO fields.
@Suite struct GROHeaderReadTests {
    static let captures = ["tcp-bulk.pcap", "ipv6-tcp.pcap", "tcp-handshake.pcap", "vlan.pcap", "jumbo-9000.pcap", "udp-dns.pcap"]
    static let cases: [(String, RxPath)] = captures.flatMap { c in RxPath.allCases.map { (c, $0) } }

    struct Outcome: Equatable {
        var statistics: GROEngine.Statistics
        /// Per delivered skb: len, data_len, truesize, gso_size, gso_segs, gso_type, nr_frags, headers.
        var skbs: [[Int]]
        var reports: Int
    }

    static func run(_ name: String, _ path: RxPath, checkedOnly: Bool) throws -> Outcome {
        var o = SkbOptions()
        o.rxPath = path
        let sim = SkbSim(options: o)
        sim.gro.options.enabled = true
        sim.groCheckedReadsOnly = checkedOnly
        let reader = try CaptureReader(path: CaptureReceiveTests.samplesDirectory + "/" + name)
        var delivered: [SkbID] = []
        var skbs: [[Int]] = []
        func record(_ id: SkbID) throws(SkbError) {
            let s = try sim.skb(id)
            let sh = try sim.shinfo(id)
            skbs.append([Int(s.len), Int(s.dataLen), Int(s.truesize), Int(sh.gsoSize), Int(sh.gsoSegs), Int(sh.gsoType), sh.nrFrags,
                         Int(s.networkHeader), Int(s.transportHeader), Int(s.data)])
            delivered.append(id)
        }
        while let p = try reader.next() {
            guard let skb = try sim.receive(p, linkType: reader.linkType) else { continue }
            try sim.napiGroReceive(skb) { (id: SkbID) throws(SkbError) in try record(id) }
        }
        try sim.napiGroFlush { (id: SkbID) throws(SkbError) in try record(id) }
        for skb in delivered { try sim.consume_skb(skb) }
        return Outcome(statistics: sim.gro.statistics, skbs: skbs, reports: sim.memory.checker.reports.count)
    }

    @Test(arguments: cases.indices)
    func rawReadsMatchCheckedReads(_ k: Int) throws {
        let (name, path) = Self.cases[k]
        let fast = try Self.run(name, path, checkedOnly: false)
        let checked = try Self.run(name, path, checkedOnly: true)
        #expect(fast == checked)
        #expect(!fast.skbs.isEmpty)
        #expect(fast.reports == 0)
    }
}
