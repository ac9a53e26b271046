import KernelMemory
import Release
import SkbModel
import TestSupport
import Testing
import Trace

@Suite struct PipelineTests {
    /// A build_skb skb with 2 frags and a frag_list member (MAX_SKB_FRAGS = 2):
    /// ixgbe's 1536-byte buffers, one in the head, then two as frags, 240
    /// bytes on the frag_list member.
    func setup(_ order: ReleaseOrder) throws -> (SkbSim, ReleasePipeline, EventRecorder, SkbID) {
        var config = KernelConfig()
        config.maxSkbFrags = 2
        let rec = EventRecorder()
        let sim = SkbSim(memory: MemorySystem(config: config), sink: rec)
        let p = ReleasePipeline(sim: sim, order: order)
        let skb = try sim.receiveFrame(3 * 1536 + 240, path: .buildSkb)
        #expect(try sim.shinfo(skb).fragList != nil)
        return (sim, p, rec, skb)
    }

    @Test func kernelOrderStageSequence() throws {
        let (sim, p, rec, skb) = try setup(.kernel)
        #expect(
            p.stageNames == [
                "unref", "trace", "destructor", "data_unref", "frag_unref", "list_free", "head_free", "skb_free",
            ])
        let s = sim.sockets.makeSocket()
        try sim.skb_set_owner_r(skb, socket: s)
        let n = rec.events.count
        try p.consume_skb(skb)
        #expect(
            kinds(rec, from: n) == [
                "consume", "destructor", "frag_unref", "frag_unref", "list_free",
                "drop", "frag_unref", "head_free", "skb_free",
                "head_free", "skb_free",
            ])
        // The frag_list member is traced with NOT_SPECIFIED (kernel quirk).
        let member = rec.events[n...].first { $0.kind == .drop }!
        #expect(member.reason == SkbDropReason.notSpecified.rawValue && "\(member.function)" == "kfree_skb_list_reason")
        #expect(sim.sockets.socket(s).rmemAlloc == 0)
        sim.drainCaches()
        try sim.memory.expectNoLeaks()
        #expect(sim.memory.checker.reports.isEmpty)
    }

    /// A frag_list holding the skb itself: freeing the list releases the
    /// skb from inside its own release, so the outer release finds it freed
    /// when it comes back for the head (the kernel would recurse until its
    /// stack overflows). The pipeline re-resolves the handle after the list
    /// and reports a use-after-free instead of touching the freed slot.
    @Test func fragListHoldingTheSkbItselfIsAUseAfterFree() throws {
        let sim = SkbSim()
        let p = ReleasePipeline(sim: sim, order: .kernel)
        let skb = try #require(sim.alloc_skb(64))
        try sim.skb_put(skb, 10)
        try sim.shinfo(skb).fragList = skb
        let error = #expect(throws: SkbError.self) { try p.consume_skb(skb) }
        #expect(error?.kind == .useAfterFree)
        #expect(error?.message.contains("skb_free_head") == true)
        #expect(!sim.isLive(skb))
    }

    @Test func seedOrderStageSequence() throws {
        let (sim, p, rec, skb) = try setup(.seed)
        #expect(
            p.stageNames == [
                "unref", "trace", "hook", "frag_destructors", "destructor", "data_unref", "frag_unref",
                "list_free", "head_free", "skb_free",
            ])
        p.hooks.register(NetfilterHook(name: "seed_ipv4", family: .ipv4, point: .preRouting) { _ in .accept })
        p.hooks.register(NetfilterHook(name: "seed_ipv6", family: .ipv6, point: .preRouting) { _ in .accept })
        var fragCalls: [Int] = []
        p.seedFragDestructor = { _, k in fragCalls.append(k) }
        let s = sim.sockets.makeSocket()
        try sim.skb_set_owner_r(skb, socket: s)
        let n = rec.events.count
        try p.consume_skb(skb)
        #expect(
            kinds(rec, from: n) == [
                "consume", "hook_verdict", "hook_verdict", "destructor", "destructor", "destructor",
                "frag_unref", "frag_unref", "list_free",
                "drop", "hook_verdict", "hook_verdict", "destructor", "frag_unref", "head_free", "skb_free",
                "head_free", "skb_free",
            ])
        #expect(fragCalls == [0, 1, 0])
        sim.drainCaches()
        try sim.memory.expectNoLeaks()  // head free kept although the seed omits it
        #expect(sim.memory.checker.reports.isEmpty)
    }

    @Test func customStageAndReorder() throws {
        let (sim, p, rec, skb) = try setup(.kernel)
        var seen: [String] = []
        p.insert(
            .custom(
                CustomReleaseStage(name: "audit") { ctx in
                    seen.append("\(ctx.skb.index):\(ctx.reason.rawValue)")
                    return .continue
                }), before: "skb_free")
        #expect(p.stageNames.suffix(2) == ["audit", "skb_free"])
        try p.kfree_skb_reason(skb, sim.reasons.netfilterDrop)
        #expect(seen.count == 2)  // member then head
        #expect(rec.events.last?.kind == .skbFree)
        p.remove(named: "audit")
        #expect(!p.stageNames.contains("audit"))
    }

    @Test func usersAndClonesReleaseSharedMemoryLast() throws {
        let rec = EventRecorder()
        let sim = SkbSim(sink: rec)
        let p = ReleasePipeline(sim: sim)
        let skb = try sim.receiveFrame(1000, path: .netdevAllocSkb)
        try p.skb_get(skb)
        try p.kfree_skb(skb)  // users 2 → 1: nothing freed
        #expect(sim.isLive(skb) && rec.events.last?.kind == .unref)
        let clone = try #require(try sim.skb_clone(skb))
        try p.consume_skb(skb)  // dataref 2 → 1: struct freed, data kept
        #expect(!sim.isLive(skb))
        #expect(kinds(rec).suffix(3) == ["consume", "data_unref", "skb_free"])
        #expect(try sim.bytes(clone).count == 986)  // data still readable via the clone
        try p.consume_skb(clone)
        #expect(kinds(rec).suffix(3) == ["consume", "head_free", "skb_free"])
        sim.drainCaches()
        try sim.memory.expectNoLeaks()
        #expect(sim.memory.checker.reports.isEmpty)
    }

    @Test func devKfreeSkbAnyAndListEntryPoints() throws {
        let rec = EventRecorder()
        let sim = SkbSim(sink: rec)
        let p = ReleasePipeline(sim: sim)
        let a = try sim.receiveFrame(600, path: .napiAllocSkb)
        try p.dev_kfree_skb_any(a)
        #expect(rec.events.contains { $0.kind == .consume && "\($0.function)" == "dev_kfree_skb_any" })
        let b = try sim.receiveFrame(600, path: .napiAllocSkb, index: 1)
        let c = try sim.receiveFrame(600, path: .napiAllocSkb, index: 2)
        _ = try sim.modify(b) { $0.next = c }
        try p.kfree_skb_list(b)
        #expect(!sim.isLive(b) && !sim.isLive(c))
        #expect(sim.dropCounts.byReason[2] == 2 && sim.dropCounts.byReason[1] == 1)
        sim.drainCaches()
        try sim.memory.expectNoLeaks()
    }

    @Test func dropReasonsComeFromTheKernelProfile() throws {
        let rec = EventRecorder()
        let sim = SkbSim(sink: rec, dropReasons: .linux6_8)
        #expect(sim.reasons.nomem.rawValue == 63)
        #expect(SkbSim(dropReasons: .linux6_18).reasons.nomem.rawValue == 81)
        let p = ReleasePipeline(sim: sim)
        let skb = try sim.receiveFrame(100, path: .netdevAllocSkb)
        try p.kfree_skb_reason(skb, sim.reasons.nomem)
        let out = TraceOutput.memory()
        let text = TextEventSink(output: out, reasons: sim.dropReasonTable)
        text.receive(rec.events.first { $0.kind == .drop }!)
        text.finish()
        #expect(out.text.contains("reason: NOMEM"))
    }

    @Test func preconditionsAreErrorsNotTraps() throws {
        let sim = SkbSim()
        let skb = try #require(sim.alloc_skb(100))
        #expect(throws: SkbError.self) { try sim.skb_reserve(skb, 10_000) }
        let bytes = [UInt8](repeating: 1, count: 50)
        #expect(throws: SkbError.self) { try bytes.withUnsafeBytes { try sim.skb_copy_to_linear_data(skb, $0) } }
        #expect(sim.build_skb(KernelAddress(0), fragSize: 0) == nil)
        try sim.kfree_skb(skb)
    }
}
