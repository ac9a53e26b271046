// The first tests of the "Getting started" article (SkbTesting's DocC
// catalog), which quotes them from here.
import SkbTesting
import Testing

@Test func aFrameOnNetdevAllocSkb() throws {
    let fixture = SkbFixture()
    // 14 Ethernet + 20 IPv4 + 8 UDP + 1458 payload: a 1500-byte frame.
    let frame = Frames.udp(payload: Array(repeating: 0, count: 1458))
    let skb = try fixture.makeSkb(bytes: frame, path: .netdevAllocSkb)
    // NET_SKB_PAD (64) + the 14-byte Ethernet header eth_type_trans pulled.
    expectLayout(fixture.sim, skb, headroom: 78, linear: 1486, tailroom: 36)
    expectTruesize(fixture.sim, skb, equals: 2176)
    try fixture.sim.consume_skb(skb)
    expectClean(fixture.sim)
}

@Test func aUDPFlowThroughAWholeRun() throws {
    let run = try RunFixture(rxPath: .napiAllocSkb)
    run.feed((0..<4).map { _ in Frames.udp(payload: Array(repeating: 7, count: 100)) })
    let stats = run.finish()
    expectClean(stats)
    #expect(stats.packets == 4)
    #expect(stats.delivered == 4)
    // Each datagram's struct sk_buff is freed once, after the socket's reader read it.
    #expect(run.events.events(of: .skbFree).count == 4)
}
