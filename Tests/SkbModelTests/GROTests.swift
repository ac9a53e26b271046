import Capture
import Foundation
import KernelMemory
import SampleKit
import TestSupport
import Testing

@testable import SkbModel

/// GRO: net/core/gro.c (dev_gro_receive, skb_gro_receive, napi_gro_complete,
/// gro_flush_oldest), net/ipv4/tcp_offload.c (tcp_gro_receive,
/// tcp4_gro_complete), net/ipv4/af_inet.c (inet_gro_receive/complete).
@Suite struct GROTests {
    static let on = GROOptions(enabled: true)

    /// (path, header split, strategy skb_gro_receive picks, truesize given back per merge).
    /// head steal: skb->truesize becomes SKB_DATA_ALIGN(sizeof(sk_buff)) = 256;
    /// frags: SKB_TRUESIZE(skb_end_offset) = SKB_TRUESIZE(384) = 960; frag_list: 0.
    static let paths: [(RxPath, Bool, GROMergeStrategy, Int)] = [
        (.netdevAllocSkb, false, .headSteal, 256), (.napiAllocSkb, false, .headSteal, 256),
        (.buildSkb, false, .headSteal, 256), (.scatterGather, true, .frags, 960),
        (.scatterGather, false, .fragList, 0),
    ]

    /// skb_gro_receive on tcp-bulk's shape (no TCP options, so segments merge):
    /// super-packets end on PSH and at each 64-packet NAPI poll end; gso_size =
    /// mss, gso_segs = count (napi_gro_complete → tcp_gro_complete), truesize =
    /// sum of the segments' truesizes less what each merged skb kept, payload
    /// = the segments' payloads in order.
    @Test(arguments: paths.indices)
    func bulkFlowEveryPath(_ k: Int) throws {
        let (path, split, strategy, kept) = Self.paths[k]
        let flow = GROFlows.bulk()
        var run = GRORun(path: path, gro: Self.on, headerSplit: split)
        try run.run(flow.frames)
        let batches = GROFlows.batches(flow.frames, data: flow.data, budget: 64)
        let nonData = flow.frames.count - flow.data.count
        #expect(run.delivered.count == nonData + batches.count)
        let merges = batches.reduce(0) { $0 + $1.count - 1 }
        var expectMerged = [0, 0, 0]
        expectMerged[Int(strategy.rawValue)] = merges
        #expect(run.napi.gro.statistics.merged == expectMerged)
        #expect(run.napi.gro.heldCount == 0)
        // Data skbs checked against their batch (a super-packet goes up when
        // flushed, after the ACKs that arrived while it was held).
        let firsts = Dictionary(uniqueKeysWithValues: batches.map { ($0[0], $0) })
        #expect(
            try run.delivered.map { Int(try run.sim.skb($0).packet) }.filter { firsts[$0] != nil }
                == batches.map { $0[0] })
        var seen = 0
        for skb in run.delivered {
            let s = try run.sim.skb(skb)
            guard let batch = firsts[Int(s.packet)] else { continue }
            seen += 1
            let sh = try run.sim.shinfo(skb)
            if batch.count > 1 {
                #expect(sh.gsoSize == 1460 && Int(sh.gsoSegs) == batch.count && sh.gsoType & 1 == 1)
            } else {
                #expect(sh.gsoSize == 0 && sh.gsoSegs == 0)
            }
            let truesize = batch.reduce(0) { $0 + run.truesize[$1]! } - (batch.count - 1) * kept
            #expect(Int(s.truesize) == truesize, "batch at \(batch[0])")
            #expect(Int(s.len) == 40 + batch.count * 1460)
            let bytes = try run.sim.bytes(skb)
            #expect(Array(bytes[40...]) == batch.flatMap { flow.payloads[$0]! })
            // inet_gro_complete: tot_len = skb->len, header checksum still valid.
            #expect(Int(bytes[2]) << 8 | Int(bytes[3]) == Int(s.len))
            var sum = 0
            for w in stride(from: 0, to: 20, by: 2) { sum += Int(bytes[w]) << 8 | Int(bytes[w + 1]) }
            while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
            #expect(sum == 0xFFFF)
        }
        #expect(seen == batches.count)
        let st = run.napi.gro.statistics
        #expect(st.flushed[Int(GROFlushCause.tcpFlags.rawValue)] > 0)
        #expect(st.flushed[Int(GROFlushCause.pollEnd.rawValue)] > 0)
        #expect(st.polls == flow.frames.count / 64)
        try run.finish()
    }

    /// tcp-bulk.pcap as committed: the sender's TSval is a millisecond clock,
    /// so segments 12 µs apart share it until the millisecond turns.
    /// tcp_gro_receive compares the option bytes (`*(u32 *)(th + i) ^ *(u32 *)(th2 + i)`),
    /// so a new TSval flushes the held skb (cause tcpOptions); within a
    /// millisecond segments merge, by head steal on page_frag heads and by
    /// frag_list on the kmalloc'd copybreak head. Every segment is delivered
    /// exactly once, merged or not.
    @Test(arguments: [
        (RxPath.netdevAllocSkb, GROMergeStrategy.headSteal), (.napiAllocSkb, .headSteal),
        (.buildSkb, .headSteal), (.scatterGather, .fragList),
    ])
    func tcpBulkSampleMergesWithinAMillisecond(_ path: RxPath, _ strategy: GROMergeStrategy) throws {
        let reader = try CaptureReader(path: Repository.sample("tcp-bulk.pcap"))
        var frames: [[UInt8]] = []
        _ = try reader.forEachPacket { frames.append(Array($0.bytes)) }
        var run = GRORun(path: path, gro: Self.on)
        try run.run(frames)
        #expect(frames.count == 391)
        let st = run.napi.gro.statistics
        for other in GROMergeStrategy.allCases where other != strategy { #expect(st.merged[Int(other.rawValue)] == 0) }
        #expect(st.merged[Int(strategy.rawValue)] > 0)
        #expect(st.flushed[Int(GROFlushCause.tcpOptions.rawValue)] > 0)
        var segments = 0
        for skb in run.delivered {
            let shinfo = try run.sim.shinfo(skb)
            if shinfo.gsoSegs > 1 { #expect(shinfo.gsoSize == 1448) }
            segments += max(Int(shinfo.gsoSegs), 1)
        }
        // Every merge removes one delivery; nothing is lost or delivered twice.
        #expect(segments == 391)
        #expect(run.delivered.count == 391 - st.merged.reduce(0, +))
        try run.finish()
    }

    /// GRO off (netif_elide_gro): every packet delivered as received, in order.
    @Test func groOffDeliversEveryPacket() throws {
        let flow = GROFlows.bulk(segments: 64)
        var run = GRORun(path: .netdevAllocSkb, gro: GROOptions(enabled: false))
        try run.run(flow.frames)
        #expect(run.delivered.count == flow.frames.count)
        for (n, skb) in run.delivered.enumerated() { #expect(try run.sim.skb(skb).packet == Int32(n)) }
        #expect(run.napi.gro.statistics.merged == [0, 0, 0])
        try run.finish()
    }

    /// tcp_gro_receive: `(ntohl(th2->seq) + skb_gro_len(p)) ^ ntohl(th->seq)`
    /// flushes p on a gap; the new segment starts the next super-packet.
    @Test func seqGapFlushes() throws {
        let flow = GROFlows.bulk(segments: 10, pshEvery: 0, acks: false, drop: [5])
        var run = GRORun(path: .netdevAllocSkb, gro: Self.on)
        try run.run(flow.frames)
        let segs = try run.delivered.map { Int(try run.sim.shinfo($0).gsoSegs) }.filter { $0 > 0 }
        #expect(segs == [4, 5])
        #expect(run.napi.gro.statistics.flushed[Int(GROFlushCause.seqGap.rawValue)] == 1)
        try run.finish()
    }

    /// tcp_gro_receive compares TCP option words: a different TSval flushes.
    @Test func optionChangeFlushes() throws {
        var frames = GROFlows.bulk(segments: 6, pshEvery: 0, acks: false, timestamps: true).frames
        // Make TSval/TSecr of data segments 1-3 and 4-6 equal within each half.
        let data = Array(4..<10)
        for (n, i) in data.enumerated() {
            let tsOff = 14 + 20 + 20 + 4
            frames[i][tsOff..<tsOff + 4] = [0, 0, 0, n < 3 ? 1 : 2][...]
            frames[i][tsOff + 4..<tsOff + 8] = [0, 0, 0, 9][...]
            TransportChecksum.fix(&frames[i])  // a right checksum: only the options differ
        }
        var run = GRORun(path: .netdevAllocSkb, gro: Self.on)
        try run.run(frames)
        let segs = try run.delivered.map { Int(try run.sim.shinfo($0).gsoSegs) }.filter { $0 > 0 }
        #expect(segs == [3, 3])
        // Super-packets keep gso_size = mss; single segments get 0 (napi_gro_complete).
        #expect(
            try run.delivered.filter { try run.sim.shinfo($0).gsoSegs == 3 }.allSatisfy {
                try run.sim.shinfo($0).gsoSize == 1448
            })
        // Segment 4's TSval flushes 1-3; the FIN's (different TSval) flushes 4-6.
        #expect(run.napi.gro.statistics.flushed[Int(GROFlushCause.tcpOptions.rawValue)] == 2)
        try run.finish()
    }
}

@Suite struct GROLimitTests {
    /// Jumbo (9014-byte frames, kmalloc heads: not head_frag) → frag_list merges
    /// (skb_gro_receive `merge:`), delta = whole truesize; -E2BIG once
    /// p->len + len >= gro_max_size (65536): 7 × 8960 per super-packet.
    @Test func jumboFragListAndE2BIG() throws {
        let flow = GROFlows.bulk(segments: 20, pshEvery: 0, acks: false, mtu: 9000)
        var run = GRORun(path: .netdevAllocSkb, gro: GROOptions(enabled: true), budget: nil)
        try run.run(flow.frames)
        let st = run.napi.gro.statistics
        #expect(st.merged == [0, 0, 17])
        #expect(st.flushed[Int(GROFlushCause.groMaxSize.rawValue)] == 2)
        let supers = try run.delivered.filter { try run.sim.shinfo($0).gsoSegs > 0 }
        #expect(try supers.map { Int(try run.sim.shinfo($0).gsoSegs) } == [7, 7, 6])
        for (n, skb) in supers.enumerated() {
            let s = try run.sim.skb(skb)
            let members = Array(flow.data[(n * 7)..<min(n * 7 + 7, 20)])
            let hasList = try run.sim.shinfo(skb).hasFragList
            #expect(s.len < 65536 && hasList)
            #expect(Int(s.truesize) == members.reduce(0) { $0 + run.truesize[$1]! })
            #expect(Array(try run.sim.bytes(skb)[40...]) == members.flatMap { flow.payloads[$0]! })
        }
        try run.finish()
    }

    /// IPv4 BIG TCP (v6.3+, b1a78b9b9886): with `gro_ipv4_max_size` raised,
    /// IPv4/TCP grows past 64 KiB (20 × 8960 = 179200 bytes in one
    /// super-packet) and `inet_gro_complete` writes tot_len 0 (`iph_set_totlen`).
    /// With the ≤ v6.2 rule (`ipv4BigTCP` false) the same device limit lets
    /// only IPv6 grow: IPv4 stops below 64 KiB as before.
    @Test func ipv4BigTCPFollowsTheRelease() throws {
        let flow = GROFlows.bulk(segments: 20, pshEvery: 0, acks: false, mtu: 9000)
        var big = GRORun(
            path: .netdevAllocSkb,
            gro: GROOptions(
                enabled: true, groMaxSize: 262_144,
                groIPv4MaxSize: 262_144, ipv4BigTCP: true), budget: nil)
        try big.run(flow.frames)
        let bigSupers = try big.delivered.filter { try big.sim.shinfo($0).gsoSegs > 0 }
        #expect(try bigSupers.map { Int(try big.sim.shinfo($0).gsoSegs) } == [20])
        let skb = try #require(bigSupers.first)
        #expect(Int(try big.sim.skb(skb).len) == 40 + 20 * 8960)
        let bytes = try big.sim.bytes(skb)
        #expect(bytes[2] == 0 && bytes[3] == 0)
        #expect(Array(bytes[40...]) == flow.data.flatMap { flow.payloads[$0]! })
        try big.finish()

        var old = GRORun(
            path: .netdevAllocSkb,
            gro: GROOptions(
                enabled: true, groMaxSize: 262_144,
                groIPv4MaxSize: 262_144, ipv4BigTCP: false), budget: nil)
        try old.run(flow.frames)
        let oldSupers = try old.delivered.filter { try old.sim.shinfo($0).gsoSegs > 0 }
        #expect(try oldSupers.map { Int(try old.sim.shinfo($0).gsoSegs) } == [7, 7, 6])
        try old.finish()
        // The profile sets the rule: 6.1 has no IPv4 BIG TCP, 6.6+ has.
        #expect(!GROOptions(profile: .distroX86_64_v6_1, enabled: true).ipv4BigTCP)
        #expect(GROOptions(profile: .distroX86_64_v6_6, enabled: true).ipv4BigTCP)
    }

    /// Header-split sg skbs merge by moving frags until the held skb has
    /// MAX_SKB_FRAGS (17); the next goes on frag_list and later frags merge into
    /// that `last` skb (lp), whose len/data_len/truesize grow too.
    @Test func fragsThenFragList() throws {
        let flow = GROFlows.bulk(segments: 40, pshEvery: 0, acks: false)
        var run = GRORun(path: .scatterGather, gro: GROOptions(enabled: true), budget: nil, headerSplit: true)
        try run.run(flow.frames)
        #expect(run.napi.gro.statistics.merged == [37, 0, 2])
        let skb = try #require(try run.delivered.first { try run.sim.shinfo($0).gsoSegs > 0 })
        let sh = try run.sim.shinfo(skb)
        #expect(sh.gsoSegs == 40 && sh.nrFrags == 17)
        let first = try #require(sh.fragList)
        #expect(try run.sim.shinfo(first).nrFrags == 17)
        let s = try run.sim.skb(skb)
        #expect(Int(s.truesize) == flow.data.reduce(0) { $0 + run.truesize[$1]! } - 37 * 960)
        #expect(Array(try run.sim.bytes(skb)[40...]) == flow.data.flatMap { flow.payloads[$0]! })
        try run.finish()
    }
}
