import Capture
import KernelMemory
import SkbModel
import TestSupport
import Testing
import Trace

/// Regressions found by the skb fault-injection tests and the `skbops`
/// fuzzer (`Fuzz/skbops`), each as the reduced operation sequence.
@Suite("skb model regressions")
struct SkbRegressionTests {
    /// A multi-buffer receive (build_skb, scatter-gather) whose second ring
    /// buffer cannot be allocated freed its partly built skb with
    /// NOT_SPECIFIED and then traced a second, detached NOMEM drop: two drops
    /// for one packet. Now the skb itself is dropped with NOMEM, once.
    @Test("a receive failing after its skb exists traces one NOMEM drop", arguments: [RxPath.buildSkb, .scatterGather])
    func partialReceiveDropsOnceWithNomem(path: RxPath) throws {
        var options = SkbOptions()
        options.rxBufferSize = 16384  // two buffers per order-3 page
        let recorder = EventRecorder()
        let sim = SkbSim(options: options, sink: recorder)
        let small = patternFrame(100)
        sim.beginPacket(index: 0, timestampNanoseconds: 0)
        let first = try #require(try small.withUnsafeBytes { b throws(SkbError) in try sim.receive(bytes: b, linkType: .ethernet, path: path) })
        // Every further page allocation fails: the next frame gets the page's
        // second buffer, then cannot have a third.
        sim.memory.failPageAlloc.probability = 1
        sim.memory.failPageAlloc.minOrder = 0
        let big = patternFrame(20000)
        sim.beginPacket(index: 1, timestampNanoseconds: 1000)
        let second = try big.withUnsafeBytes { b throws(SkbError) in try sim.receive(bytes: b, linkType: .ethernet, path: path) }
        #expect(second == nil)
        #expect(sim.rxNoMemDrops == 1)
        let drops = recorder.events.filter { $0.kind == .drop && $0.packet == 1 }
        #expect(drops.count == 1, "\(drops)")
        #expect(drops.allSatisfy { sim.dropReasonTable.displayName(of: $0.reason) == "NOMEM" }, "\(drops)")
        #expect(drops.first?.skb != UInt32.max, "the drop is traced on the partly built skb")
        try sim.consume_skb(first)
        sim.drainCaches()
        #expect(sim.memory.checker.reports.isEmpty)
        try sim.memory.expectNoLeaks()
    }
}
