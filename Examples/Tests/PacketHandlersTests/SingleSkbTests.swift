import SkbTesting
import Testing

/// Single skbs from SkbFixture, checked with the geometry, drop and memory
/// expectations (SkbTesting's documentation comments quote these tests).
@Suite struct SingleSkbTests {
    @Test func aDroppedFrame() throws {
        let fixture = SkbFixture()
        let skb = try fixture.makeSkb(bytes: Frames.udp(payload: Array(repeating: 0, count: 1458)))
        expectTruesize(fixture.sim, skb, equals: 2176)  // 1500-byte frame, netdev_alloc_skb
        expectLayout(fixture.sim, skb, headroom: 78, linear: 1486, tailroom: 36)
        try fixture.sim.kfree_skb_reason(skb, .pktTooSmall)
        expectDropReason(fixture.events, .pktTooSmall, skb: skb)
        expectNoLeaks(fixture.sim)
        expectCheckerClean(fixture.sim)
    }

    @Test func readyMadeFrames() {
        let query = Frames.udp(payload: Array(repeating: 0xAB, count: 100))
        let tagged = Frames.udp(payload: [1, 2, 3], vlanTags: [VLANTag(vid: 100)])
        let v6 = Frames.udp(payload: [1, 2, 3], ipv6: true)
        var flow = Frames.tcpFlow()
        let handshake = flow.handshake()
        let segment = flow.send(TCPFlow.pattern(count: flow.segmentPayload, seed: 1), from: .clientToServer)
        // Ethernet 14, a tag 4, IPv4 20 or IPv6 40, UDP 8, then the payload.
        #expect(query.count == 14 + 20 + 8 + 100)
        #expect(tagged.count == 14 + 4 + 20 + 8 + 3)
        #expect(v6.count == 14 + 40 + 8 + 3)
        #expect(handshake.count == 3)
        // A full segment at MTU 1500: IPv4 20 + TCP 20 + timestamps 12 + 1448.
        #expect(flow.segmentPayload == 1448)
        #expect(segment.count == 1514)
    }
}
