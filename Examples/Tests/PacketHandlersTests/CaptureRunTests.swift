import SkbTesting
import Testing

/// A capture file from the repository, end to end through a whole run.
@Suite struct CaptureRunTests {
    /// `samples/` of the skbsim checkout this package sits in.
    static func sample(_ name: String) -> String {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(4)  // PacketHandlersTests/<file>, Tests, Examples
        return (parts + ["samples", Substring(name)]).joined(separator: "/")
    }

    /// samples/tcp-bulk.pcap: 391 records (samples/README.md). Its frames'
    /// bytes are the file's size less the 24-byte file header and a 16-byte
    /// header per record: 402832 − 24 − 391 × 16 = 396552.
    @Test func bulkCaptureWithoutGRO() throws {
        let run = try RunFixture(rxPath: .netdevAllocSkb)
        try run.feed(capture: Self.sample("tcp-bulk.pcap"))
        let stats = run.finish()
        expectClean(stats)
        #expect(stats.packets == 391)
        #expect(stats.bytes == 396_552)
        // One skb per packet, each delivered to the socket and read.
        #expect(stats.skbsAllocated == 391)
        #expect(stats.delivered == 391)
        #expect(stats.consumed == 391)
        #expect(stats.totalDrops == 0)
        #expect(run.delivered.count == 391)
        #expect(run.delivered.allSatisfy { $0.gsoSegs <= 1 && $0.protocolType == 0x0800 })
    }

    @Test func bulkCaptureWithGRO() throws {
        let run = try RunFixture(rxPath: .napiAllocSkb, gro: true)
        try run.feed(capture: Self.sample("tcp-bulk.pcap"))
        let stats = run.finish()
        expectClean(stats)
        #expect(stats.packets == 391)
        // Every packet is either delivered (alone or as the first segment of
        // a super-packet) or merged into one: nothing is lost or counted twice.
        #expect(stats.delivered + stats.groMerges == stats.packets)
        #expect(stats.groMerges > 0)
        // A super-packet's gso_segs counts itself and what merged into it.
        #expect(run.delivered.reduce(0) { $0 + max($1.gsoSegs, 1) } == 391)
        // Events: one skb_alloc... per skb the rx path built.
        #expect(run.events.events(of: .skbAlloc).count == 391)
    }

    @Test func filteredCaptureAndDropReasonsFromHooks() throws {
        // Every IPv6 packet dropped at PRE_ROUTING by a netfilter hook.
        let run = try RunFixture(hooks: [.dropAll(family: .ipv6)])
        try run.feed(capture: Self.sample("udp-dns.pcap"), filter: "udp")
        let stats = run.finish()
        expectClean(stats)
        // samples/README.md: two IPv4 query/answer pairs and one IPv6 pair.
        #expect(stats.packets == 6)
        #expect(stats.hookDrops == 2)
        #expect(stats.dropCount("NETFILTER_DROP") == 2)
        #expect(stats.delivered == 4)
        #expect(run.events.dropReasons == [.netfilterDrop, .netfilterDrop])
    }
}
