import KernelMemory
import KernelProbe
import KernelReference
import Testing

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
        #expect(
            small
                == SlabCacheInfo(
                    name: "skbuff_small_head", activeObjects: 28, totalObjects: 28,
                    objectSize: 576, objectsPerSlab: 14, pagesPerSlab: 2))
    }

    @Test func snapshotPicksSkbCachesAndPlainKmalloc() {
        let snap = KernelSnapshot(
            kernel: RunningKernel(release: "6.18.44", machine: "x86_64"),
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

/// A running kernel's profile takes its release's rules and recognises the
/// 14ad6ed30a10 backport of 6.12.y/6.13.y from the small-head size: 640 is
/// v6.12 as tagged (SKB_HEAD_ALIGN(MAX_TCP_HEADER), rx bound SKB_WITH_OVERHEAD(1024)),
/// 704 the backport (both rules of 14ad6ed30a10); 6.1 has no small-head cache.
@Test(arguments: [
    ("6.12.3", 640, false, 176), ("6.12.20", 704, true, 176), ("6.18.44-fc", 576, true, 32),
    ("6.1.100", nil, false, 176),
])
func runningProfileFollowsReleaseAndBackport(release: String, smallHead: Int?, newRule: Bool, maxHeader: Int) throws {
    func cache(_ name: String, _ size: Int) -> SlabCacheInfo {
        SlabCacheInfo(
            name: name, activeObjects: 1, totalObjects: 1, objectSize: size, objectsPerSlab: 1, pagesPerSlab: 1)
    }
    var slabs = [cache("skbuff_head_cache", 256)]
    if let smallHead { slabs.append(cache("skbuff_small_head", smallHead)) }
    let snapshot = KernelSnapshot(
        kernel: RunningKernel(release: release, machine: "x86_64"), pageSize: 4096,
        maxSkbFrags: 17, loopbackMTU: 65536, slabs: slabs)
    let p = try #require(KernelProfile(snapshot: snapshot))
    #expect(p.rxKmallocUsesSmallHeadBound == newRule)
    #expect(p.config.skbSmallHeadCacheSize == (smallHead ?? 0))
    #expect(p.config.maxHeader == maxHeader)
}
