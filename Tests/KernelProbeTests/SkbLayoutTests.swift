import KernelProbe
import KernelReference
import Testing

@Suite struct SkbLayoutTests {
    let layout = SkbLayout.firecracker6_18

    @Test func smallHeadCacheSizeFromMaxHeader() {
        // This machine: MAX_HEADER 32 → max(192, 224) → 256 + 320 = 576.
        #expect(SkbLayout.smallHeadCacheSize(maxHeader: 32, sharedInfoAligned: 320) == 576)
        // Distro kernels (LL_MAX_HEADER 128 + 48 for tunnels): 368 → 384 + 320 = 704.
        #expect(SkbLayout.smallHeadCacheSize(maxHeader: 176, sharedInfoAligned: 320) == 704)
    }

    @Test func headSizing() {
        #expect(layout.skbMaxAlloc == 16064)
        #expect(layout.headObjectSize(request: 59) == 576)  // small head
        #expect(layout.headObjectSize(request: 256) == 576)  // 256 + 320 = 576 still fits
        #expect(layout.headObjectSize(request: 257) == 1024)  // 320 + 320 = 640 → kmalloc-1k
        #expect(layout.headObjectSize(request: 8059) == 16384)  // past kmalloc-8k: order-2 pages
        #expect(layout.allocTruesize(request: 59) == 832)
    }

    @Test func udpModelPlans() throws {
        // IPv4 16000: 16028 + 31 < 16064 → linear; 16005 would go paged.
        #expect(expectedUDPTruesize(payload: 16000, family: .ipv4, config: layout) == 16640)
        #expect(expectedUDPTruesize(payload: 16005, family: .ipv4, config: layout) == 832 + 16005)
        // IPv6 65489+: two fragments (65480 paged + small head, then a small linear skb).
        let plans = UDPTruesizeModel.skbs(payload: 65527, family: .ipv6, layout: layout)
        #expect(plans.count == 2)
        #expect(plans.map(\.truesize) == [832 + 65480, 832])
        #expect(UDPTruesizeModel.skbs(payload: 65488, family: .ipv6, layout: layout).count == 1)
        #expect(UDPTruesizeModel.skbs(payload: 65507, family: .ipv4, layout: layout).count == 1)
    }
}
