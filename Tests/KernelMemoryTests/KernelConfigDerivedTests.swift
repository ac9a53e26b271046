import Testing

@testable import KernelMemory

// KernelConfig caches SKB_SMALL_HEAD_CACHE_SIZE and SKB_TRUESIZE's overhead;
// the cache must follow every field they depend on (include/linux/skbuff.h,
// net/core/skbuff.c).

@Test func derivedValuesFollowEveryField() {
    for line in [32, 64, 128] {
        for frags in [17, 45] {
            for header in [32, 176] {
                for align in [0, 2] {
                    for skb in [232, 240] {
                        var c = KernelConfig()
                        c.cacheLineSize = line
                        c.maxSkbFrags = frags
                        c.maxHeader = header
                        c.netIpAlign = align
                        c.sizeofSkBuff = skb
                        #expect(c.sizes == SkbSizes(c))
                        for x in [0, 100, 1500] {
                            #expect(c.skbTruesize(x) == x + c.skbDataAlign(skb) + c.skbDataAlign(48 + 16 * frags))
                        }
                        // Set in the other order: the same configuration, equal.
                        var d = KernelConfig()
                        d.sizeofSkBuff = skb
                        d.netIpAlign = align
                        d.maxHeader = header
                        d.maxSkbFrags = frags
                        d.cacheLineSize = line
                        #expect(c == d && c.hashValue == d.hashValue)
                    }
                }
            }
        }
    }
    let c = KernelConfig()
    #expect(c.skbSmallHeadCacheSize == 704 && c.skbSmallHeadHeadroom == 384)
    #expect(c.skbTruesize(0) == 256 + 320)
}

/// The small-head cache of each release family, on the distro build (MAX_HEADER
/// 176) and the minimal one (32): none ≤ v6.2; SKB_HEAD_ALIGN(MAX_TCP_HEADER) =
/// 320 + 320 = 640 (192 + 320 = 512, a power of two, + 64 = 576) in v6.3–v6.13;
/// SKB_HEAD_ALIGN(max(MAX_TCP_HEADER, GRO_MAX_HEAD_PAD)) = 384 + 320 = 704 (576)
/// from 14ad6ed30a10. The v6.12 profile used to get 704.
@Test func smallHeadCacheFollowsTheRelease() {
    for (layout, distro, minimal) in [
        (SmallHeadCache.none, 0, 0), (.maxTcpHeader, 640, 576), (.maxTcpHeaderOrGroMaxHeadPad, 704, 576),
    ] {
        var c = KernelConfig()
        c.smallHeadCache = layout
        #expect(c.skbSmallHeadCacheSize == distro)
        c.maxHeader = 32
        #expect(c.skbSmallHeadCacheSize == minimal)
    }
    #expect(KernelProfile.distroX86_64_v6_12.config.skbSmallHeadCacheSize == 640)
    #expect(KernelProfile.distroX86_64_v6_6.config.skbSmallHeadCacheSize == 640)
    #expect(KernelProfile.distroX86_64_v6_1.config.skbSmallHeadCacheSize == 0)
    #expect(KernelProfile.distroX86_64.config.skbSmallHeadCacheSize == 704)
    #expect(KernelProfile.firecracker6_18.config.skbSmallHeadCacheSize == 576)
    // No cache: no SKB_SMALL_HEAD_HEADROOM an skb_end_offset could equal, and
    // MemorySystem creates no skbuff_small_head.
    let m = MemorySystem(config: KernelProfile.distroX86_64_v6_1.config)
    #expect(KernelProfile.distroX86_64_v6_1.config.skbSmallHeadHeadroom == -1)
    #expect(m.kmemCache(named: "skbuff_small_head") == nil)
}

/// MAX_SKB_FRAGS before v6.4 follows PAGE_SIZE (65536/PAGE_SIZE + 1, at least 16);
/// from v6.4 it is CONFIG_MAX_SKB_FRAGS whatever the page size.
@Test func maxSkbFragsFollowsReleaseAndPageSize() {
    #expect(KernelProfile.distroX86_64_v6_1.config.maxSkbFrags == 17)
    #expect(KernelProfile.distroX86_64_v6_1.withPageSize(16384).config.maxSkbFrags == 16)
    #expect(KernelProfile.distroX86_64_v6_1.withPageSize(65536).config.maxSkbFrags == 16)
    #expect(KernelProfile.distroX86_64.withPageSize(65536).config.maxSkbFrags == 17)
    let p = KernelProfile.distroX86_64.withPageSize(16384)
    #expect(p.config.pageFragCacheMaxSize == 32768 && p.config.pageFragCacheMaxOrder == 1)
    #expect(p.config.sizes.withOverheadPage == 16384 - 320)
    #expect(KernelProfile.distroX86_64.withPageSize(65536).config.pageFragCacheMaxOrder == 0)
    #expect(!KernelProfile.distroX86_64_v6_12.withPageSize(16384).napiUsesSmallPageFrag1k)
    #expect(KernelProfile.distroX86_64_v6_12.napiUsesSmallPageFrag1k)
}
