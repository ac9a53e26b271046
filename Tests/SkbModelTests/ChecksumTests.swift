import Capture
import KernelMemory
import SampleKit
import TestSupport
import Testing
import Trace

@testable import SkbModel

/// Received TCP/UDP checksums: the NIC's verdict (`--rx-csum`), GRO's
/// `skb_gro_checksum_validate`, TCP's and UDP's drops (v6.18). The
/// reference for which frames are right is SampleKit's byte-wise
/// `InternetChecksum` (`TransportChecksum`), not the model's `CsumPartial`.
@Suite struct ChecksumTests {
    static let on = GROOptions(enabled: true)

    /// The model's sum (64-bit accumulation of unaligned 32-bit words, load
    /// order) against RFC 1071 byte pairs, for every length 0…300 at every
    /// alignment 0…7.
    @Test func csumPartialMatchesTheReference() {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<320).map { _ in UInt8.random(in: 0...255, using: &rng) }
        bytes.withUnsafeBytes { b in
            for start in 0..<8 {
                for n in 0...300 {
                    let model = CsumPartial.fold(CsumPartial.sum(b.baseAddress! + start, n)).byteSwapped
                    var reference = InternetChecksum()
                    reference.add(bytes[start..<start + n])
                    #expect(model == ~reference.value, "length \(n) at +\(start)")
                }
            }
        }
        let ones = [UInt8](repeating: 0xFF, count: 64)
        ones.withUnsafeBytes { #expect(CsumPartial.fold(CsumPartial.sum($0.baseAddress!, 64)) == 0xFFFF) }
    }

    /// The driver's verdict on right and corrupted TCP/UDP frames, IPv4 and
    /// IPv6, against the reference; `trust` marks everything UNNECESSARY.
    @Test(arguments: [false, true])
    func driverVerdictFollowsTheBytes(v6: Bool) throws {
        var frames = ChecksumFrames.tcpFlow(v6: v6, segments: 6, corrupt: 3).frames
        frames += [20, 68, 69, 600].map { ChecksumFrames.udp(v6: v6, payload: $0) }
        var bad = ChecksumFrames.udp(v6: v6, payload: 333)
        TransportChecksum.corrupt(&bad)
        frames.append(bad)
        for mode in RxChecksumMode.allCases {
            var o = RxDriverOptions()
            o.checksum = mode
            let sim = SkbSim()
            let driver = RxDriver(sim: sim, options: o)
            var wrong = 0
            for frame in frames {
                let right = try #require(TransportChecksum.isRight(frame))
                if !right { wrong += 1 }
                let skb = try #require(
                    try frame.withUnsafeBytes { b throws(SkbError) in try driver.receive(bytes: b, linkType: .ethernet)
                    })
                let expected: SkbIPSummed = mode == .trust || right ? .unnecessary : .none
                #expect(try sim.skb(skb).ipSummed == expected)
                try sim.kfree_skb(skb)
            }
            #expect(wrong == 2)
            #expect(driver.statistics.checksumBad == (mode == .verify ? wrong : 0))
            #expect(driver.statistics.checksumVerified == (mode == .verify ? frames.count - wrong : 0))
        }
    }

    /// Data segments delivered by GRO, as (packet index of the first
    /// segment, segments) in delivery order; pure ACKs and handshake left out.
    static func superPackets(_ run: GRORun, data: [Int]) throws -> [(Int, Int)] {
        let dataSet = Set(data)
        return try run.delivered.compactMap { id in
            let s = try run.sim.skb(id)
            guard dataSet.contains(Int(s.packet)) else { return nil }
            return (Int(s.packet), max(1, Int(try run.sim.shinfo(id).gsoSegs)))
        }
    }

    /// A flow of 10 full segments whose 5th has a wrong checksum, IPv4 and
    /// IPv6. `verify`: `tcp4/6_gro_receive`'s `skb_gro_checksum_validate`
    /// fails → flush: the 5th goes up alone at once (`goto normal`), the
    /// held 1-4 stay held (`pp` NULL) until the 6th, whose seq then does not
    /// follow theirs, flushes them (seq_gap); 6-10 merge. `trust`: all 10 merge.
    @Test(arguments: [false, true])
    func corruptSegmentIsNotMerged(v6: Bool) throws {
        let flow = ChecksumFrames.tcpFlow(v6: v6, segments: 10, corrupt: 5)
        let d = flow.data
        var verify = GRORun(path: .napiAllocSkb, gro: Self.on, checksum: .verify)
        try verify.run(flow.frames)
        let got = try Self.superPackets(verify, data: d)
        #expect(got.map(\.0) == [d[4], d[0], d[5]])
        #expect(got.map(\.1) == [1, 4, 5])
        let g = verify.napi.gro.statistics
        #expect(g.checksumBad == 1)
        #expect(g.flushed[Int(GROFlushCause.seqGap.rawValue)] == 1)
        #expect(g.merged.reduce(0, +) == 3 + 4)
        // The bad segment is still CHECKSUM_NONE; the super-packets CHECKSUM_PARTIAL.
        for id in verify.delivered {
            let s = try verify.sim.skb(id)
            if Int(s.packet) == d[4] { #expect(s.ipSummed == .none) }
            if try verify.sim.shinfo(id).gsoSegs > 1 { #expect(s.ipSummed == .partial) }
        }
        try verify.finish()

        var trust = GRORun(path: .napiAllocSkb, gro: Self.on, checksum: .trust)
        try trust.run(flow.frames)
        let all = try Self.superPackets(trust, data: d)
        #expect(all.map(\.0) == [d[0]])
        #expect(all.map(\.1) == [10])
        #expect(trust.napi.gro.statistics.checksumBad == 0)
        try trust.finish()
    }

    /// The corrupted segment is the first of its poll: nothing is held, it
    /// goes up alone and the next one starts the super-packet.
    @Test func corruptFirstSegmentOfAPoll() throws {
        let flow = ChecksumFrames.tcpFlow(v6: false, segments: 6, corrupt: 1)
        let d = flow.data
        var run = GRORun(path: .buildSkb, gro: Self.on)
        try run.run(flow.frames)
        let got = try Self.superPackets(run, data: d)
        #expect(got.map(\.0) == [d[0], d[1]])
        #expect(got.map(\.1) == [1, 5])
        #expect(run.napi.gro.statistics.flushed[Int(GROFlushCause.seqGap.rawValue)] == 0)
        try run.finish()
    }

    /// `tcp_v4_rcv` / `tcp_v6_rcv` + `tcp_rcv_established`: the segment GRO
    /// sent up alone fails (TCP_CSUM); the super-packets (CHECKSUM_PARTIAL)
    /// and, without GRO, every right segment pass.
    @Test(arguments: [false, true], [false, true])
    func tcpDropsTheCorruptSegment(v6: Bool, gro: Bool) throws {
        let flow = ChecksumFrames.tcpFlow(v6: v6, segments: 10, corrupt: 5)
        var run = GRORun(path: .napiAllocSkb, gro: GROOptions(enabled: gro))
        try run.run(flow.frames)
        var failed: [Int] = []
        for id in run.delivered where try run.sim.l4Checksum(id, proto: 6) != .notComputable {
            if try run.sim.tcpChecksumError(id) { failed.append(Int(try run.sim.skb(id).packet)) }
        }
        #expect(failed == [flow.data[4]])
        try run.finish()
    }

    /// A short segment (a pure ACK, ≤ CHECKSUM_BREAK) with a wrong checksum
    /// fails at `skb_checksum_init`, a right one turns CHECKSUM_NONE with
    /// csum_valid when the NIC had said UNNECESSARY (the level is used up).
    @Test func tcpChecksumInitState() throws {
        var f = TestHosts.bulkFlow()
        _ = f.handshake()
        var ack = f.acknowledge(from: .clientToServer)
        let sim = SkbSim()
        let driver = RxDriver(sim: sim)
        let good = try #require(
            try ack.withUnsafeBytes { b throws(SkbError) in try driver.receive(bytes: b, linkType: .ethernet) })
        #expect(try sim.skb(good).ipSummed == .unnecessary)
        #expect(try !sim.tcpChecksumError(good))
        #expect(try sim.skb(good).ipSummed == .none && sim.skb(good).csumValid)
        TransportChecksum.corrupt(&ack)
        let bad = try #require(
            try ack.withUnsafeBytes { b throws(SkbError) in try driver.receive(bytes: b, linkType: .ethernet) })
        #expect(try sim.tcpChecksumError(bad))
        // __skb_checksum_complete kept its software sum.
        #expect(try sim.skb(bad).ipSummed == .complete && !sim.skb(bad).csumValid)
        try sim.kfree_skb(good)
        try sim.kfree_skb(bad)
    }

    /// UDP: a wrong datagram of at most CHECKSUM_BREAK bytes (UDP header
    /// included) fails in `__udp4/6_lib_rcv` — before the socket; a longer
    /// one passes there, is queued and charged, and `udp_recvmsg` drops it
    /// (UDP_CSUM) after uncharging it.
    @Test(arguments: [false, true])
    func udpDropsWhereTheKernelDoes(v6: Bool) throws {
        let sim = SkbSim()
        let driver = RxDriver(sim: sim)
        let sk = sim.sockets.makeSocket()
        func receive(_ payload: Int, corrupt: Bool) throws -> SkbID {
            var frame = ChecksumFrames.udp(v6: v6, payload: payload)
            if corrupt { TransportChecksum.corrupt(&frame) }
            return try #require(
                try frame.withUnsafeBytes { b throws(SkbError) in try driver.receive(bytes: b, linkType: .ethernet) })
        }
        // 68 payload bytes: uh->len 76 = CHECKSUM_BREAK.
        let short = try receive(68, corrupt: true)
        #expect(try sim.udpChecksumError(short))
        try sim.kfree_skb_reason(short, sim.reasons.udpCsum)

        let long = try receive(69, corrupt: true)
        #expect(try !sim.udpChecksumError(long))
        let truesize = Int(try sim.skb(long).truesize)
        #expect(try sim.__udp_enqueue_schedule_skb(long, socket: sk))
        #expect(sim.sockets.socket(sk).rmemAlloc == truesize)
        #expect(sim.dropCounts.count(of: sim.reasons.udpCsum) == 1)
        #expect(try sim.udpRecvmsg(socket: sk))
        #expect(sim.udpRecvChecksumErrors == 1)
        #expect(sim.dropCounts.count(of: sim.reasons.udpCsum) == 2)
        #expect(sim.sockets.socket(sk).rmemAlloc == 0)
        #expect(!sim.isLive(long))

        // A right datagram is read and consumed.
        let good = try receive(600, corrupt: false)
        #expect(try !sim.udpChecksumError(good))
        #expect(try sim.__udp_enqueue_schedule_skb(good, socket: sk))
        #expect(try sim.udpRecvmsg(socket: sk))
        #expect(sim.udpRecvChecksumErrors == 1)
        #expect(sim.dropCounts.count(of: sim.reasons.udpCsum) == 2)
        #expect(sim.liveCount == 0)
    }

    /// `__udp6_lib_rcv`: a zero UDP checksum over IPv6 is an error
    /// (`report_csum_error`) whatever the NIC said; over IPv4 it means "no
    /// checksum" and passes.
    @Test(arguments: [false, true])
    func zeroUDPChecksum(v6: Bool) throws {
        for mode in RxChecksumMode.allCases {
            var o = RxDriverOptions()
            o.checksum = mode
            let sim = SkbSim()
            let driver = RxDriver(sim: sim, options: o)
            var frame = ChecksumFrames.udp(v6: v6, payload: 200)
            let field = (v6 ? 54 : 34) + 6
            frame[field] = 0
            frame[field + 1] = 0
            let skb = try #require(
                try frame.withUnsafeBytes { b throws(SkbError) in try driver.receive(bytes: b, linkType: .ethernet) })
            #expect(try sim.udpChecksumError(skb) == v6, "\(mode)")
            try sim.kfree_skb(skb)
        }
    }

    /// Every profile's drop-reason table names TCP_CSUM and UDP_CSUM (both
    /// since v5.17), so the model never falls back to NOT_SPECIFIED.
    @Test func everyTableHasTheChecksumReasons() {
        let tables = SkbDropReasonTable.all + KernelProfile.all.map(\.dropReasonTable)
        for table in tables {
            #expect(table.reason(named: "TCP_CSUM") != nil, "\(table.kernel)")
            #expect(table.reason(named: "UDP_CSUM") != nil, "\(table.kernel)")
            let reasons = SkbModelDropReasons(table: table)
            #expect(reasons.tcpCsum != reasons.notSpecified && reasons.udpCsum != reasons.notSpecified)
        }
    }
}
