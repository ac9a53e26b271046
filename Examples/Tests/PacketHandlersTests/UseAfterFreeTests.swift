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

/// The same expectations for code that manages memory itself — a driver
/// model's ring buffers, a library's own objects — on the simulated
/// allocators the model uses.
@Suite struct MemoryBugTests {
    @Test func kfreeTwiceIsADoubleFree() throws {
        let memory = SkbFixture().sim.memory
        let object = try #require(memory.kmalloc(192, .GFP_ATOMIC))
        memory.kfree(object)
        let report = expectReport(.doubleFree, in: memory) { memory.kfree(object) }
        #expect(report?.text.contains("BUG: KASAN: double-free") == true)
    }

    @Test func putPageOnceTooOftenIsARefcountUnderflow() throws {
        let memory = SkbFixture().sim.memory
        let page = try #require(memory.alloc_pages(.GFP_ATOMIC, order: 0))
        memory.put_page(page)
        let report = expectReport(.refcountUnderflow, in: memory) { memory.put_page(page) }
        #expect(report?.text.contains("VM_BUG_ON_PAGE(page_ref_count(page) == 0)") == true)
    }

    @Test func anUnexpectedReportFailsWithItsText() throws {
        let memory = SkbFixture().sim.memory
        let object = try #require(memory.kmalloc(64, .GFP_ATOMIC))
        memory.kfree(object)
        // Expecting a use-after-free where the code double-frees: the
        // failure names what the checker reported instead, with its text.
        withKnownIssue {
            expectReport(.useAfterFree, in: memory) { memory.kfree(object) }
        } matching: { issue in
            issue.comments.contains {
                $0.rawValue.hasPrefix("expected a use-after-free report from the checker; it reported double-free")
                    && $0.rawValue.contains("BUG: KASAN: double-free")
            }
        }
    }
}
