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
                        #expect(c.skbSmallHeadCacheSize == c.computeSkbSmallHeadCacheSize())
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
