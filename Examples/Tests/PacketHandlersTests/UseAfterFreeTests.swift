import SkbTesting
import Testing

/// Bugs the model's checker must catch, as KASAN would.
@Suite struct UseAfterFreeTests {
    static let frame = Frames.udp(payload: Array(repeating: 0xC3, count: 600))

    @Test func pullAfterConsumeIsASlabUseAfterFree() throws {
        let fixture = SkbFixture()
        let skb = try fixture.makeSkb(bytes: Self.frame)
        try fixture.sim.consume_skb(skb)
        // The stale handle still names the freed struct sk_buff.
        let report = expectReport(.slabUseAfterFree, in: fixture.sim) {
            _ = try fixture.sim.skb_pull(skb, 20)
        }
        #expect(report?.text.contains("BUG: KASAN: slab-use-after-free") == true)
        // Nothing else is wrong: the skb itself was freed once.
        expectNoLeaks(fixture.sim)
    }

    @Test func secondConsumeIsReported() throws {
        let fixture = SkbFixture()
        let skb = try fixture.makeSkb(bytes: Self.frame)
        try fixture.sim.consume_skb(skb)
        let report = expectReport(.slabUseAfterFree, in: fixture.sim) { try fixture.sim.consume_skb(skb) }
        #expect(report != nil)
        // A test that did this by mistake fails with KASAN's text as its message.
        withKnownIssue {
            expectCheckerClean(fixture.sim)
        } matching: { issue in
            issue.comments.contains { $0.rawValue.contains("BUG: KASAN: slab-use-after-free") }
        }
    }

    @Test func cloneKeepsTheDataAliveUntilTheLastUser() throws {
        let fixture = SkbFixture()
        let skb = try fixture.makeSkb(bytes: Self.frame)
        let clone = try #require(try fixture.sim.skb_clone(skb))
        try fixture.sim.consume_skb(skb)
        // The clone still reads the shared data: no report.
        _ = try fixture.sim.skb_pull(clone, 20)
        try fixture.sim.consume_skb(clone)
        expectClean(fixture.sim)
    }
}
