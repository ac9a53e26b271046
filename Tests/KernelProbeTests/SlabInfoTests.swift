import Testing
import KernelProbe

@Suite struct SlabInfoTests {
    static let text = """
        slabinfo - version: 2.1
        # name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>
        skbuff_small_head     28     28    576   14    2 : tunables    0    0    0 : slabdata      2      2      0
        skbuff_head_cache    400    400    256   16    1 : tunables    0    0    0 : slabdata     25     25      0
        kmalloc-cg-1k        128    128   1024   16    4 : tunables    0    0    0 : slabdata      8      8      0
        kmalloc-8k            32     32   8192    4    8 : tunables    0    0    0 : slabdata      8      8      0
        kmalloc-1k           559    624   1024   16    4 : tunables    0    0    0 : slabdata     39     39      0
        kmalloc-192         4030   4095    192   21    1 : tunables    0    0    0 : slabdata    195    195      0
        dma-kmalloc-64         0      0     64   64    1 : tunables    0    0    0 : slabdata      0      0      0
        """

    @Test func parsesCacheLines() throws {
        let caches = SlabInfo.parse(Self.text)
        #expect(caches.count == 7)
        let small = try #require(caches.first { $0.name == "skbuff_small_head" })
        #expect(small == SlabCacheInfo(name: "skbuff_small_head", activeObjects: 28, totalObjects: 28,
                                       objectSize: 576, objectsPerSlab: 14, pagesPerSlab: 2))
    }

    @Test func snapshotPicksSkbCachesAndPlainKmalloc() {
        let snap = KernelSnapshot(kernel: RunningKernel(release: "6.18.44", machine: "x86_64"),
                                  pageSize: 4096, maxSkbFrags: 17, loopbackMTU: 65536,
                                  slabs: SlabInfo.parse(Self.text))
        #expect(snap.skbuffSmallHead?.objectSize == 576)
        #expect(snap.skbuffHeadCache?.objectSize == 256)
        #expect(snap.skbuffFcloneCache == nil)  // merged away by SLUB here
        #expect(snap.kmallocSizes == [192, 1024, 8192])
        #expect(snap.inferredSkBuffAligned == 256)
        // 576 = SKB_HEAD_ALIGN(GRO_MAX_HEAD_PAD = 32 + 128 + 64) only for MAX_HEADER 32.
        #expect(snap.inferredMaxHeaderCandidates(sharedInfoAligned: 320) == [32])
    }
}

/// CONFIG_HZ measured from /proc/timer_list is one Kconfig allows; skipped
/// (with a message) where the file is unreadable (not root).
@Test func measuredConfigHZIsAKconfigValue() {
    guard let hz = KernelSnapshot.measuredConfigHZ() else {
        print("skipped: /proc/timer_list unreadable (needs root) or jiffies rate not a Kconfig HZ")
        return
    }
    #expect([100, 250, 300, 1000].contains(hz))
}
