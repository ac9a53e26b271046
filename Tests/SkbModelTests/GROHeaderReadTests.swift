import Capture
import Foundation
import KernelMemory
import TestSupport
import Testing

@testable import SkbModel

/// GRO reads header bytes raw after one checker look when they are all
/// accessible (`GROHeaderReader`); every result must be the one of the
/// fully checked reads: same merges, flush causes, sizes and GSO fields.
@Suite struct GROHeaderReadTests {
    static let captures = [
        "tcp-bulk.pcap", "ipv6-tcp.pcap", "tcp-handshake.pcap", "vlan.pcap", "jumbo-9000.pcap", "udp-dns.pcap",
    ]
    static let cases: [(String, RxPath)] = captures.flatMap { c in RxPath.allCases.map { (c, $0) } }

    struct Outcome: Equatable {
        var statistics: GROEngine.Statistics
        /// Per delivered skb: len, data_len, truesize, gso_size, gso_segs, gso_type, nr_frags, headers.
        var skbs: [[Int]]
        var reports: Int
    }

    static func run(_ name: String, _ path: RxPath, checkedOnly: Bool) throws -> Outcome {
        let sim = SkbSim()
        let driver = RxDriver(sim: sim, options: RxDriverOptions(path: path))
        let napi = Napi(sim: sim, gro: GROOptions(enabled: true))
        napi.checkedReadsOnly = checkedOnly
        let reader = try CaptureReader(path: Repository.sample(name))
        var delivered: [SkbID] = []
        var skbs: [[Int]] = []
        func record(_ id: SkbID) throws(SkbError) {
            let s = try sim.skb(id)
            let sh = try sim.shinfo(id)
            skbs.append([
                Int(s.len), Int(s.dataLen), Int(s.truesize), Int(sh.gsoSize), Int(sh.gsoSegs), Int(sh.gsoType),
                sh.nrFrags,
                Int(s.networkHeader), Int(s.transportHeader), Int(s.data),
            ])
            delivered.append(id)
        }
        while let p = try reader.next() {
            guard let skb = try driver.receive(p, linkType: reader.linkType) else { continue }
            try napi.napi_gro_receive(skb) { (id: SkbID) throws(SkbError) in try record(id) }
        }
        try napi.napi_gro_flush { (id: SkbID) throws(SkbError) in try record(id) }
        for skb in delivered { try sim.consume_skb(skb) }
        return Outcome(statistics: napi.gro.statistics, skbs: skbs, reports: sim.memory.checker.reports.count)
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

/// `GROHeaderWindow.ipv4HeaderChecksumOK` (32-bit chunks) against the
/// header checksum test as written, 16-bit big-endian words.
@Test func ipv4ChecksumChunksMatchWords() throws {
    let memory = MemorySystem()
    let addr = try #require(memory.kmalloc(64, .GFP_KERNEL))
    var rng = SystemRandomNumberGenerator()
    for round in 0..<4000 {
        var h = (0..<20).map { _ in UInt8.random(in: 0...255, using: &rng) }
        if round % 8 == 1 { h = [UInt8](repeating: 0, count: 20) }
        if round % 8 == 2 { h = [UInt8](repeating: 0xFF, count: 20) }
        if round % 2 == 0 {
            // A valid header: set the checksum field (bytes 10-11) from the rest.
            h[10] = 0
            h[11] = 0
            var s: UInt32 = 0
            for k in stride(from: 0, to: 20, by: 2) { s &+= UInt32(h[k]) << 8 | UInt32(h[k + 1]) }
            while s >> 16 != 0 { s = (s & 0xFFFF) &+ (s >> 16) }
            let c = ~UInt16(s)
            h[10] = UInt8(c >> 8)
            h[11] = UInt8(truncatingIfNeeded: c)
        }
        h.withUnsafeBytes { _ = memory.copyIn(to: addr, from: $0) }
        var sum: UInt32 = 0
        for k in stride(from: 0, to: 20, by: 2) { sum &+= UInt32(h[k]) << 8 | UInt32(h[k + 1]) }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) &+ (sum >> 16) }
        let w = GROHeaderWindow(reader: GRORawReader(memory: memory), base: addr, count: 20)
        #expect(w.ipv4HeaderChecksumOK() == (sum == 0xFFFF), "header \(h)")
    }
    memory.kfree(addr)
}
