import KernelMemory
import Testing

@testable import SkbModel

/// `SkbSizes` (KernelMemory) is the one place of the derived sizes; the model
/// reads `config.sizes`. Every field against the macros written out, for the
/// default config and for odd ones.
@Suite struct SkbSizesTests {
    static let configs: [KernelConfig] = {
        var configs = [KernelConfig()]
        var c = KernelConfig()
        c.cacheLineSize = 128
        configs.append(c)
        c = KernelConfig()
        c.maxSkbFrags = 45
        c.netIpAlign = 2
        configs.append(c)
        c = KernelConfig()
        c.pageSize = 16384
        c.maxHeader = 304
        c.sizeofSkBuff = 240
        configs.append(c)
        // A power-of-two SKB_SMALL_HEAD_CACHE_SIZE gets + L1_CACHE_BYTES.
        c = KernelConfig()
        c.maxSkbFrags = 8
        configs.append(c)
        return configs
    }()

    @Test(arguments: configs.indices)
    func sizesAreTheMacros(_ k: Int) {
        let c = Self.configs[k]
        let s = c.sizes
        // Written out here, apart from SkbSizes: SKB_DATA_ALIGN, the shinfo of
        // MAX_SKB_FRAGS frags, NET_SKB_PAD, SKB_SMALL_HEAD_CACHE_SIZE (14ad6ed30a10 form).
        let line = c.cacheLineSize
        func up(_ x: Int) -> Int { (x + line - 1) / line * line }
        let shinfo = up(48 + 16 * c.maxSkbFrags)
        let pad = max(32, line)
        var small = up(max(up(128 + c.maxHeader), c.maxHeader + 128 + pad + c.netIpAlign)) + shinfo
        if small & (small - 1) == 0 { small += line }
        #expect(s == SkbSizes(c))  // recomputed after every field set
        #expect(s.sharedInfoAligned == shinfo)
        #expect(s.skBuffAligned == up(c.sizeofSkBuff))
        #expect(s.smallHeadCacheSize == small)
        #expect(s.smallHeadHeadroom == small - shinfo)
        #expect(s.rxKmallocBoundSmallHead == small - shinfo)
        #expect(s.rxKmallocBound1024 == 1024 - shinfo)
        #expect(s.withOverheadPage == c.pageSize - shinfo)
        #expect(s.netSkbPad == pad)
        #expect(s.napiPad == pad + c.netIpAlign)
        for x in [0, 1, 63, 64, 65, 127, 200, 1500, 1514 + 64, 4096, 9000, 65535] {
            #expect(s.dataAlign(x) == up(x))
            #expect(s.headAlign(x) == up(x) + shinfo)
            #expect(s.withOverhead(x) == x - shinfo)
            #expect(s.truesize(x) == x + up(c.sizeofSkBuff) + shinfo)
        }
    }

    /// The simulation uses its memory's config.
    @Test func simulationUsesItsConfig() {
        var c = KernelConfig()
        c.cacheLineSize = 128
        let sim = SkbSim(memory: MemorySystem(config: c))
        #expect(sim.sizes.smallHeadCacheSize == c.skbSmallHeadCacheSize)
        #expect(sim.sizes.sharedInfoAligned == c.skbDataAlign(c.sizeofSharedInfo))
    }
}
