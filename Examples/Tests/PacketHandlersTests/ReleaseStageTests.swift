import SkbTesting
import Testing

/// Custom release stages and destructors on the release pipeline.
@Suite struct ReleaseStageTests {
    static let frame = Frames.udp(payload: Array(repeating: 0x11, count: 1000))

    /// A stage inserted before `head_free` sees every skb freed through the
    /// pipeline, once, with the reason it is freed with; `skb->destructor`
    /// runs once in `skb_release_head_state` (the `destructor` stage).
    @Test func customStageAndDestructorRunOncePerFree() throws {
        let fixture = SkbFixture()
        let pipeline = ReleasePipeline(sim: fixture.sim)
        var seen: [(SkbID, SkbDropReason)] = []
        pipeline.insert(
            .custom(
                CustomReleaseStage(name: "audit") { context in
                    seen.append((context.skb, context.reason))
                    return .continue
                }), before: "head_free")
        #expect(pipeline.stageNames.contains("audit"))

        let consumed = try fixture.makeSkb(bytes: Self.frame)
        try fixture.sim.modify(consumed) { $0.destructor = .custom(tag: 7) }
        try pipeline.consume_skb(consumed)
        let dropped = try fixture.makeSkb(bytes: Self.frame)
        try pipeline.kfree_skb_reason(dropped, .pktTooSmall)

        #expect(seen.map(\.0) == [consumed, dropped])
        #expect(seen.map(\.1) == [.consumed, .pktTooSmall])
        // One destructor event, the custom one (code 5, SkbDestructor.code).
        #expect(fixture.events.events(of: .destructor).map(\.arg0) == [SkbDestructor.custom(tag: 7).code])
        expectClean(fixture.sim)
    }

    /// A stage that stops the release of an skb nobody else holds leaks it:
    /// the leak check fails with kmemleak's report.
    @Test func aStageThatStopsTooEarlyLeaks() throws {
        let fixture = SkbFixture()
        let pipeline = ReleasePipeline(sim: fixture.sim)
        pipeline.insert(.custom(CustomReleaseStage(name: "swallow") { _ in .stop }), before: "head_free")
        try pipeline.consume_skb(try fixture.makeSkb(bytes: Self.frame))
        withKnownIssue {
            expectNoLeaks(fixture.sim)
        } matching: { issue in
            issue.comments.contains { $0.rawValue.contains("unreferenced object") }
        }
    }

    /// In a whole run with the seed's release order every free goes through
    /// the pipeline's stages, so a custom stage counts every packet.
    @Test func wholeRunThroughACustomStage() throws {
        let run = try RunFixture(rxPath: .napiAllocSkb, releaseOrder: .seed)
        var frees = 0
        run.pipeline.insert(
            .custom(
                CustomReleaseStage(name: "count") { _ in
                    frees += 1
                    return .continue
                }), before: "skb_free")
        run.feed((0..<10).map { _ in Self.frame })
        let stats = run.finish()
        expectClean(stats)
        #expect(stats.delivered == 10)
        #expect(frees == 10)
    }
}
