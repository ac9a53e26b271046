import SkbTesting
import Testing

/// A bulk TCP flow through GRO: the super-packet `netif_receive_skb` gets.
///
/// The expected geometry is derived from the kernel's rules, not read off
/// the model: `skb_gro_receive` (net/core/gro.c, v6.18) appends each merged
/// segment's payload to the first skb — as a page frag taken from the
/// segment's page-fragment head when its head is a page fragment
/// (`head_frag`) and holds the payload (`headlen > offset`), by moving the
/// segment's frags when the head holds only headers — to the frags of
/// `NAPI_GRO_CB(p)->last`: the first skb until its frags are full
/// (`nr_frags + 1 + skbinfo->nr_frags > MAX_SKB_FRAGS`, 17 here), then the
/// segment is chained whole on `frag_list` and becomes `last`, and the next
/// segments' payloads go to *its* frags. `gso_size` is the MSS, `gso_segs`
/// the count of merged segments (`NAPI_GRO_CB(p)->count`).
@Suite struct GROTests {
    /// `count` full-sized segments of one flow, sent within one millisecond
    /// (same TSval, so `tcp_gro_receive` may merge them), no PSH.
    static func segments(_ count: Int) -> [[UInt8]] {
        var flow = Frames.tcpFlow()
        return (0..<count).map { i in
            flow.send(TCPFlow.pattern(count: flow.segmentPayload, seed: UInt32(i)), from: .clientToServer)
        }
    }

    /// 1448-byte payloads (MTU 1500 less 20 IPv4, 20 TCP and the 12-byte timestamp option).
    static let mss = 1448
    /// IPv4 + TCP with timestamps; eth_type_trans already pulled the 14-byte Ethernet header.
    static let headers = 20 + 32

    @Test func eightSegmentsBecomeOneSuperPacketWithPageFrags() throws {
        let run = try RunFixture(rxPath: .netdevAllocSkb, gro: true)
        run.feed(Self.segments(8))
        let stats = run.finish()
        expectClean(stats)
        #expect(stats.packets == 8)
        #expect(run.delivered.count == 1)
        let skb = try #require(run.delivered.first)
        #expect(skb.len == Self.headers + 8 * Self.mss)
        #expect(skb.gsoSize == Self.mss)
        #expect(skb.gsoSegs == 8)
        // The first segment keeps its linear head (headers + its payload);
        // the other seven heads' payloads become frags.
        #expect(skb.headlen == Self.headers + Self.mss)
        #expect(skb.nrFrags == 7)
        #expect(skb.dataLen == 7 * Self.mss)
        #expect(skb.fragListCount == 0)
    }

    @Test func pastMaxSkbFragsSegmentsGoOnTheFragList() throws {
        let run = try RunFixture(rxPath: .netdevAllocSkb, gro: true)
        run.feed(Self.segments(24))
        let stats = run.finish()
        expectClean(stats)
        let skb = try #require(run.delivered.first)
        #expect(run.delivered.count == 1)
        #expect(skb.gsoSegs == 24)
        #expect(skb.len == Self.headers + 24 * Self.mss)
        // 17 frags from segments 2…18; segment 19 chained on frag_list, and
        // segments 20…24 are frags of that member (it is `last`).
        #expect(skb.nrFrags == 17)
        #expect(skb.fragListCount == 1)
        #expect(skb.headlen == Self.headers + Self.mss)
        #expect(skb.dataLen == 23 * Self.mss)
    }

    @Test func headersOnlyHeadsMergeByMovingFrags() throws {
        // sg-copybreak with header split: the driver copies the headers
        // (eth_get_headlen) into the head and leaves the payload in one page
        // frag per segment, as igb_construct_skb does.
        let run = try RunFixture(rxPath: .scatterGather, gro: true) { $0.driver.copybreakHeaderSplit = true }
        run.feed(Self.segments(8))
        expectClean(run.finish())
        let skb = try #require(run.delivered.first)
        #expect(skb.gsoSegs == 8)
        #expect(skb.headlen == Self.headers)
        #expect(skb.nrFrags == 8)
        #expect(skb.dataLen == 8 * Self.mss)
    }
}
