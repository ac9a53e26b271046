import SkbTesting
import Testing

/// The library used the way a user's own tests would use it.
@Suite struct SkbTestingTests {
    /// A 1500-byte Ethernet frame: zeros behind an IPv4 ethertype.
    static let frame: [UInt8] = {
        var f = [UInt8](repeating: 0, count: 1500)
        f[12] = 0x08
        f[14] = 0x45
        return f
    }()

    @Test func netdevAllocSkbFrameHasKernelGeometry() throws {
        let fixture = SkbFixture()
        let skb = try fixture.makeSkb(bytes: Self.frame, path: .netdevAllocSkb)
        // NET_SKB_PAD 64 + the 14-byte Ethernet header eth_type_trans pulled.
        #expect(expectLayout(fixture.sim, skb, headroom: 78, linear: 1486, tailroom: 36))
        #expect(expectTruesize(fixture.sim, skb, equals: 2176))
        try fixture.sim.consume_skb(skb)
        #expect(expectNoLeaks(fixture.sim))
        #expect(expectCheckerClean(fixture.sim))
    }

    @Test func samplesThroughEveryPathLeakNothing() throws {
        for path in RxPath.allCases {
            let fixture = SkbFixture()
            let skbs = try fixture.skbs(fromSample: "tcp-handshake.pcap", rxPath: path)
            #expect(skbs.count == 11)
            try fixture.consumeAll(skbs)
            try requireNoLeaks(fixture.sim)
            try requireCheckerClean(fixture.sim)
            #expect(fixture.events.events(of: .consume).count == 11)
        }
    }

    @Test func captureFileWithFilter() throws {
        let fixture = SkbFixture()
        let skbs = try fixture.skbs(fromSample: "udp-dns.pcap", filter: "udp and ip")
        #expect(!skbs.isEmpty)
        try fixture.consumeAll(skbs)
        #expect(expectNoLeaks(fixture.sim))
    }

    @Test func dropReasonIsRecorded() throws {
        let fixture = SkbFixture()
        let skb = try fixture.makeSkb(bytes: Self.frame)
        try fixture.sim.kfree_skb_reason(skb, .pktTooSmall)
        #expect(expectDropReason(fixture.events, .pktTooSmall, skb: skb))
        #expect(fixture.events.dropReasons == [.pktTooSmall])
        #expect(expectNoLeaks(fixture.sim))
    }

    @Test func failedExpectationsRecordIssues() throws {
        let fixture = SkbFixture()
        let skb = try fixture.makeSkb(bytes: Self.frame)
        withKnownIssue {
            expectTruesize(fixture.sim, skb, equals: 1)
        }
        withKnownIssue {
            expectLayout(fixture.sim, skb, headroom: 0)
        }
        withKnownIssue {
            expectDropReason(fixture.events, .nomem)
        }
        // The skb is still live: a leak, with the kmemleak text.
        withKnownIssue {
            expectNoLeaks(fixture.sim)
        }
        #expect(throws: (any Error).self) { try requireNoLeaks(fixture.sim) }
        try fixture.sim.kfree_skb(skb)
        #expect(expectNoLeaks(fixture.sim))
    }

    @Test func useAfterFreeIsCaughtByTheChecker() throws {
        let fixture = SkbFixture()
        let skb = try fixture.makeSkb(bytes: Self.frame)
        try fixture.sim.consume_skb(skb)
        #expect(throws: SkbError.self) { try fixture.sim.consume_skb(skb) }
        withKnownIssue {
            expectCheckerClean(fixture.sim)
        }
        #expect(throws: SkbTestingError.self) { try requireCheckerClean(fixture.sim) }
    }

    @Test func missingSampleThrows() {
        #expect(throws: SkbTestingError.noSuchSample("nope.pcap")) { try SkbFixture().skbs(fromSample: "nope.pcap") }
    }
}
