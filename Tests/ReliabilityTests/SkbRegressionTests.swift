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
    /// A multi-buffer receive (build_skb, scatter-gather) whose frame needs
    /// a `frag_list` skb that cannot be allocated: the driver frees the
    /// partly built skb once, with `dev_kfree_skb_any` (a consume, as
    /// igb/ixgbe do), counts `rx_dropped`, no drop tracepoint fires, and
    /// every ring buffer of the frame goes back to the ring or its page.
    @Test(
        "a receive failing after its skb exists is freed once by the driver",
        arguments: [RxPath.buildSkb, .scatterGather])
    func partialReceiveDropsOnceWithNomem(path: RxPath) throws {
        let recorder = EventRecorder()
        let sim = SkbSim(sink: recorder)
        let driver = RxDriver(sim: sim, options: RxDriverOptions())
        let small = patternFrame(100)
        sim.beginPacket(index: 0, timestampNanoseconds: 0)
        let first = try #require(
            try small.withUnsafeBytes { b throws(SkbError) in
                try driver.receive(bytes: b, linkType: .ethernet, path: path)
            })
        // The frag_list skb's struct is the next frame's first slab
        // allocation on build_skb (its struct comes from the NAPI skb cache,
        // its head is the ring buffer) and its second on the copybreak path
        // (after napi_alloc_skb's small head).
        sim.memory.failSlab.failNth = path == .buildSkb ? 1 : 2
        let big = patternFrame(48000)  // more buffers than MAX_SKB_FRAGS
        sim.beginPacket(index: 1, timestampNanoseconds: 1000)
        let second = try big.withUnsafeBytes { b throws(SkbError) in
            try driver.receive(bytes: b, linkType: .ethernet, path: path)
        }
        #expect(second == nil)
        #expect(driver.statistics.rxDropped == 1 && driver.statistics.allocFailed == 1)
        #expect(recorder.events.filter { $0.kind == .drop && $0.packet == 1 }.isEmpty)
        let frees = recorder.events.filter { $0.kind == .consume && $0.packet == 1 }
        #expect(frees.count == 1 && "\(frees[0].function)" == "dev_kfree_skb_any", "\(frees)")
        try sim.consume_skb(first)
        sim.drainCaches()
        driver.drainRing()
        #expect(sim.memory.checker.reports.isEmpty)
        try sim.memory.expectNoLeaks()
    }
}
