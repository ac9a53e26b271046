import KernelMemory
import TestSupport
import Testing

@testable import SkbModel

/// The igb/ixgbe descriptor ring (`RxRing.swift`): buffers in the driver's
/// own pages, half-page flipping, reuse while no skb holds the other half,
/// the page let go when one does, and frames missed when the ring is empty.
/// Expected numbers are worked out from the drivers' source by hand in the
/// comments, not from the model's geometry.
@Suite struct RxRingTests {
    func driver(_ path: RxPath, mtu: Int = 1500, ring: Int? = nil) -> RxDriver {
        var o = RxDriverOptions(path: path)
        o.mtu = mtu
        o.ringSize = ring
        return RxDriver(sim: SkbSim(profile: .firecracker6_18), options: o)
    }

    func receive(_ d: RxDriver, _ length: Int) throws -> SkbID? {
        let frame = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        return try frame.withUnsafeBytes { b throws(SkbError) in try d.driverReceive(b, d.options.path) }
    }

    func finish(_ d: RxDriver) throws {
        d.drainRing()
        d.sim.drainCaches()
        #expect(d.sim.memory.checker.reports.isEmpty)
        try d.sim.memory.expectNoLeaks()
    }

    /// ixgbe at MTU 1500: 1536-byte buffers (IXGBE_MAX_2K_FRAME_BUILD_SKB)
    /// with IXGBE_SKB_PAD = SKB_WITH_OVERHEAD(2048) − 1536 = 1728 − 1536 = 192
    /// bytes of headroom in half of an order-0 page; truesize 2048 + 256
    /// (SKB_DATA_ALIGN(sizeof(struct sk_buff))). The ring (512 descriptors)
    /// is filled with 511 pages when the interface comes up.
    @Test func ixgbeAt1500() throws {
        let d = driver(.buildSkb)
        let free0 = d.sim.memory.freePages
        let skb = try #require(try receive(d, 1514))
        let s = try d.sim.skb(skb)
        #expect(Int(s.headroom) == 192 && Int(s.truesize) == 2304 && Int(s.len) == 1514)
        #expect(try d.sim.shinfo(skb).nrFrags == 0)
        #expect(d.ringStatistics.pagesAllocated == 511)
        #expect(free0 - d.sim.memory.freePages >= 511)
        // A 2048-byte frame spans two descriptors: 1536 + 512 bytes, the
        // second charging its half page.
        let two = try #require(try receive(d, 2048))
        #expect(try Int(d.sim.skb(two).truesize) == 2304 + 2048)
        #expect(try d.sim.shinfo(two).nrFrags == 1 && d.sim.shinfo(two).frags[0].size == 512)
        try d.sim.kfree_skb(skb)
        try d.sim.kfree_skb(two)
        try finish(d)
    }

    /// ixgbe above MTU 1500 (`__IXGBE_RX_3K_BUFFER`): 3072-byte buffers in
    /// halves of order-1 pages. A 9014-byte frame takes three descriptors
    /// (3072 + 3072 + 2870): head truesize 4096 + 256, two frags of 4096.
    @Test func ixgbeJumbo() throws {
        let d = driver(.buildSkb, mtu: 9000)
        let skb = try #require(try receive(d, 9014))
        let s = try d.sim.skb(skb)
        #expect(Int(s.truesize) == 4352 + 2 * 4096)
        #expect(Int(s.headroom) == 192 && Int(s.len) == 9014 && Int(s.dataLen) == 9014 - 3072)
        let sh = try d.sim.shinfo(skb)
        #expect(sh.nrFrags == 2 && sh.frags.map(\.size) == [3072, 2870])
        let page = d.sim.memory.page(d.sim.memory.virt_to_head_page(s.head))
        #expect(page.order == 1 && page.isHead)
        // The next frame's head is on another page's first half; this
        // page's second half waits for the ring to come round.
        #expect(s.head == d.sim.memory.page_address(page.pfn))
        try d.sim.kfree_skb(skb)
        try finish(d)
    }

    /// igb legacy-rx keeps 2048-byte buffers at any MTU: a 9014-byte frame
    /// is 2048 × 4 + 822 bytes in five descriptors; the head copies the
    /// first 256 bytes (no headers to split in this frame), the rest are
    /// five frags of 2048 truesize each.
    @Test func igbLegacyJumbo() throws {
        let d = driver(.scatterGather, mtu: 9000)
        d.options.copybreakHeaderSplit = false
        let skb = try #require(try receive(d, 9014))
        let sh = try d.sim.shinfo(skb)
        #expect(sh.nrFrags == 5 && sh.frags.map(\.size) == [2048 - 256, 2048, 2048, 2048, 822])
        let headTruesize = try Int(d.sim.skb(skb).truesize) - 5 * 2048
        #expect(headTruesize < 2048, "head \(headTruesize)")
        #expect(d.ringStatistics.pagesAllocated == 255)
        try d.sim.kfree_skb(skb)
        try finish(d)
    }

    /// Frames freed before the ring comes round: every buffer is reused and
    /// the second lap writes into the pages' other halves.
    @Test func freedFramesFlipHalves() throws {
        let d = driver(.buildSkb, ring: 64)
        var heads: [KernelAddress] = []
        for _ in 0..<(63 * 2) {
            let skb = try #require(try receive(d, 600))
            heads.append(try d.sim.skb(skb).head)
            try d.sim.kfree_skb(skb)
        }
        #expect(d.ringStatistics.pagesAllocated == 63)
        #expect(d.ringStatistics.buffersReused == 126 && d.ringStatistics.pagesReleased == 0)
        for k in 0..<63 { #expect(heads[k + 63] == heads[k] + 2048, "descriptor \(k)") }
        try finish(d)
    }

    /// Frames still held when the ring comes round: the page's other half
    /// is in use, so the driver lets the page go (it is freed with the
    /// last skb on it) and refills the descriptor with a new page.
    @Test func heldFramesReleasePages() throws {
        let d = driver(.buildSkb, ring: 64)
        var held: [SkbID] = []
        for _ in 0..<(63 * 2) { held.append(try #require(try receive(d, 600))) }
        #expect(d.ringStatistics.buffersReused == 63 && d.ringStatistics.pagesReleased == 63)
        #expect(d.ringStatistics.pagesAllocated > 63)
        // Each released page holds two skbs' heads: its refcount is 2.
        let page = d.sim.memory.virt_to_head_page(try d.sim.skb(held[0]).head)
        #expect(d.sim.memory.page_ref_count(page) == 2)
        try d.sim.kfree_skb(held[0])
        try d.sim.kfree_skb(held[63])
        #expect(d.sim.memory.page(page).isFree)
        for s in held[1..<63] + held[64...] { try d.sim.kfree_skb(s) }
        try finish(d)
    }

    /// A frame igb copies whole gives its buffer back (`pagecnt_bias++`):
    /// the half is not consumed, so a later frame in the same descriptor
    /// lands at offset 0 of its page.
    @Test func copiedFramesKeepTheirHalf() throws {
        let d = driver(.scatterGather, ring: 64)
        for _ in 0..<200 {
            let skb = try #require(try receive(d, 100))
            try d.sim.kfree_skb(skb)
        }
        d.options.copybreakHeaderSplit = false
        let big = try #require(try receive(d, 1000))
        let frag = try d.sim.shinfo(big).frags[0]
        #expect(frag.offset == 256, "offset \(frag.offset)")
        #expect(d.ringStatistics.pagesReleased == 0 && d.ringStatistics.pagesAllocated == 63)
        try d.sim.kfree_skb(big)
        try finish(d)
    }

    /// No pages to refill with and every page held: the ring runs dry and
    /// the NIC misses frames (`rx_no_buffer_count`), which are not driver
    /// drops (those are the frames whose skb could not be allocated).
    @Test func emptyRingMissesFrames() throws {
        // Order-1 ring pages (MTU 9000) fail; the order-0 slab pages of
        // skbuff_cache do not.
        let d = driver(.buildSkb, mtu: 9000, ring: 64)
        var held: [SkbID] = []
        held.append(try #require(try receive(d, 600)))
        d.sim.memory.failPageAlloc.probability = 1
        d.sim.memory.failPageAlloc.minOrder = 1
        var refused = 0
        let frame = patternFrame(600)
        for n in 0..<200 {
            d.sim.beginPacket(index: n + 1, timestampNanoseconds: 0)
            let s = try frame.withUnsafeBytes { b throws(SkbError) in try d.receive(bytes: b, linkType: .ethernet) }
            if let s { held.append(s) } else { refused += 1 }
        }
        #expect(d.ringStatistics.noBuffer > 0 && d.ringStatistics.allocFailed > 0)
        #expect(d.ringStatistics.noBuffer + d.statistics.rxDropped == refused)
        d.sim.memory.failPageAlloc.probability = 0
        for s in held { try d.sim.kfree_skb(s) }
        try finish(d)
    }

    /// The geometry the CLI reports, for the profiles' layouts.
    @Test func geometry() throws {
        let c = KernelProfile.firecracker6_18.config
        let ixgbe = try #require(RxRingGeometry(path: .buildSkb, mtu: 1500, config: c))
        #expect(ixgbe.count == 512 && ixgbe.bufferLength == 1536 && ixgbe.pageOrder == 0 && ixgbe.rxOffset == 192)
        let jumbo = try #require(RxRingGeometry(path: .buildSkb, mtu: 1501, config: c))
        #expect(jumbo.bufferLength == 3072 && jumbo.pageOrder == 1 && jumbo.halfPage == 4096)
        let igb = try #require(RxRingGeometry(path: .scatterGather, mtu: 9000, config: c))
        #expect(igb.count == 256 && igb.bufferLength == 2048 && igb.pageOrder == 0 && igb.rxOffset == 0)
        #expect(RxRingGeometry(path: .napiAllocSkb, mtu: 1500, config: c) == nil)
    }
}
