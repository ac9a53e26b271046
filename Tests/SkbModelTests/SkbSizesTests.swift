import KernelMemory
import Testing
@testable import SkbModel

@Suite struct SkbSizesTests {
    /// The simulation uses its memory's config.
    @Test func simulationUsesItsConfig() {
        var c = KernelConfig(); c.cacheLineSize = 128
        let sim = SkbSim(memory: MemorySystem(config: c))
        #expect(sim.sizes.smallHeadCacheSize == c.skbSmallHeadCacheSize)
        #expect(sim.sizes.sharedInfoAligned == c.skbDataAlign(c.sizeofSharedInfo))
    }
}
