import KernelMemory
import Testing
@testable import SkbModel

/// `SkbSizes` caches `KernelConfig`'s derived sizes: every field must equal
/// the recomputation, for the default config and for odd ones.
@Suite struct SkbSizesTests {
    static let configs: [KernelConfig] = {
        var configs = [KernelConfig()]
        var c = KernelConfig(); c.cacheLineSize = 128; configs.append(c)
        c = KernelConfig(); c.maxSkbFrags = 45; c.netIpAlign = 2; configs.append(c)
        c = KernelConfig(); c.pageSize = 16384; c.maxHeader = 304; c.sizeofSkBuff = 240; configs.append(c)
        // A power-of-two SKB_SMALL_HEAD_CACHE_SIZE gets + L1_CACHE_BYTES.
        c = KernelConfig(); c.maxSkbFrags = 8; configs.append(c)
        return configs
    }()

    @Test(arguments: configs.indices)
    func cacheMatchesRecomputation(_ k: Int) {
        let c = Self.configs[k]
        let s = SkbSizes(c)
        #expect(s.sharedInfoAligned == c.skbDataAlign(c.sizeofSharedInfo))
        #expect(s.smallHeadCacheSize == c.skbSmallHeadCacheSize)
        #expect(s.smallHeadHeadroom == c.skbSmallHeadHeadroom)
        #expect(s.rxKmallocBoundSmallHead == c.skbWithOverhead(c.skbSmallHeadCacheSize))
        #expect(s.rxKmallocBound1024 == c.skbWithOverhead(1024))
        #expect(s.withOverheadPage == c.skbWithOverhead(c.pageSize))
        #expect(s.netSkbPad == c.netSkbPad)
        #expect(s.napiPad == c.netSkbPad + c.netIpAlign)
        for x in [0, 1, 63, 64, 65, 127, 200, 1500, 1514 + 64, 4096, 9000, 65535] {
            #expect(s.dataAlign(x) == c.skbDataAlign(x))
            #expect(s.headAlign(x) == c.skbHeadAlign(x))
            #expect(s.withOverhead(x) == c.skbWithOverhead(x))
            #expect(s.truesize(x) == c.skbTruesize(x))
        }
    }

    /// The simulation uses its memory's config.
    @Test func simulationUsesItsConfig() {
        var c = KernelConfig(); c.cacheLineSize = 128
        let sim = SkbSim(memory: MemorySystem(config: c))
        #expect(sim.sizes.smallHeadCacheSize == c.skbSmallHeadCacheSize)
        #expect(sim.sizes.sharedInfoAligned == c.skbDataAlign(c.sizeofSharedInfo))
    }
}
