import KernelMemory
import Testing

@testable import SkbModel

/// Head geometry of every allocation path against the kernel's formulas.
@Suite struct AllocationPathTests {
    static let lengths = [1, 60, 64, 128, 256, 1024, 1500, 1514, 2048, 4000, 9000, 65535]

    struct Geometry: Equatable, CustomStringConvertible {
        var headFrag: Bool, headSize: Int, end: Int, headroom: Int, tailroom: Int, truesize: Int
        var description: String {
            "frag:\(headFrag) size:\(headSize) end:\(end) headroom:\(headroom) tailroom:\(tailroom) truesize:\(truesize)"
        }
    }

    func geometry(_ sim: SkbSim, _ id: SkbID, fragSize: Int? = nil) throws -> Geometry {
        let s = try sim.skb(id)
        let size = s.headFrag ? (fragSize ?? (Int(s.end) + K.shinfo)) : sim.memory.ksize(s.head)
        return Geometry(
            headFrag: s.headFrag, headSize: size, end: Int(s.end), headroom: Int(s.headroom),
            tailroom: Int(s.tailroom), truesize: Int(s.truesize))
    }

    // net/core/skbuff.c __alloc_skb + kmalloc_reserve: no headroom, head from
    // skbuff_small_head when SKB_HEAD_ALIGN(size) <= 704, else kmalloc_size_roundup.
    @Test(arguments: [0] + lengths)
    func allocSkb(_ len: Int) throws {
        let sim = SkbSim()
        let skb = try #require(sim.alloc_skb(len))
        let size = K.kmallocReserve(len)  // e.g. 0 → 320 ≤ 704 → 704; 1500 → 1536+320=1856 → 2048
        let end = K.withOverhead(size)  // 704 → 384
        let expected = Geometry(
            headFrag: false, headSize: size, end: end, headroom: 0, tailroom: end, truesize: K.truesize(end))
        #expect(try geometry(sim, skb) == expected)
        if len == 0 {
            #expect(
                expected
                    == Geometry(headFrag: false, headSize: 704, end: 384, headroom: 0, tailroom: 384, truesize: 960))
        }
        try sim.kfree_skb(skb)
        try sim.memory.expectNoLeaks()
    }

    // __netdev_alloc_skb (v6.14+): len += NET_SKB_PAD; kmalloc when
    // len <= SKB_WITH_OVERHEAD(704) = 384 or len > SKB_WITH_OVERHEAD(4096) = 3776,
    // else page_frag of SKB_HEAD_ALIGN(len); skb_reserve(NET_SKB_PAD).
    @Test(arguments: lengths)
    func netdevAllocSkb(_ len: Int) throws {
        try rxPath(len) { $0.netdev_alloc_skb(len) }
    }

    // napi_alloc_skb: same rule with NET_SKB_PAD + NET_IP_ALIGN (0 on x86_64).
    @Test(arguments: lengths)
    func napiAllocSkb(_ len: Int) throws {
        try rxPath(len) { $0.napi_alloc_skb(len) }
    }

    func rxPath(_ len: Int, _ alloc: (SkbSim) -> SkbID?) throws {
        let sim = SkbSim()
        let skb = try #require(alloc(sim))
        let padded = len + K.netSkbPad
        let expected: Geometry
        if padded <= K.withOverhead(K.smallHead) || padded > K.withOverhead(4096) {
            let size = K.kmallocReserve(padded)  // 9000+64=9064 → 9088+320=9408 → 16384
            let end = K.withOverhead(size)
            expected = Geometry(
                headFrag: false, headSize: size, end: end, headroom: 64, tailroom: end - 64, truesize: K.truesize(end))
        } else {
            let frag = K.headAlign(padded)  // 1500+64=1564 → 1600+320 = 1920
            let end = frag - K.shinfo  // 1600
            expected = Geometry(
                headFrag: true, headSize: frag, end: end, headroom: 64, tailroom: end - 64, truesize: K.truesize(end))
        }
        #expect(try geometry(sim, skb) == expected)
        if len == 1500 {
            #expect(
                expected
                    == Geometry(headFrag: true, headSize: 1920, end: 1600, headroom: 64, tailroom: 1536, truesize: 2176)
            )
        }
        try sim.skb_put(skb, len)
        #expect(try sim.skb_tailroom(skb) == expected.tailroom - len)
        try sim.kfree_skb(skb)
        try sim.memory.expectNoLeaks()
    }

    // Older kernels: kmalloc below SKB_WITH_OVERHEAD(1024) = 704.
    @Test func legacyThreshold() throws {
        var opts = SkbOptions()
        opts.rxKmallocThreshold = .withOverhead1024
        let sim = SkbSim(options: opts)
        let a = try #require(sim.napi_alloc_skb(600))  // 664 <= 704 → kmalloc: HEAD_ALIGN(664) = 704+320 = 1024
        #expect(try sim.skb(a).headFrag == false)
        #expect(try sim.skb(a).end == 1024 - 320)
        let b = try #require(sim.napi_alloc_skb(700))  // 764 > 704 → page_frag of 768+320 = 1088
        #expect(try sim.skb(b).headFrag == true)
        #expect(try sim.skb(b).end == 768)
        try sim.kfree_skb(a)
        try sim.kfree_skb(b)
        try sim.memory.expectNoLeaks()
    }

    // build_skb (ixgbe at MTU 1500): half an order-0 page as the head
    // (frag_size 2048 includes the aligned shinfo): end = 2048 - 320 = 1728,
    // truesize = SKB_TRUESIZE(1728) = 2304, headroom IXGBE_SKB_PAD = 1728 -
    // 1536 = 192; the NIC writes at most 1536 bytes into a buffer, the rest
    // of the frame into further buffers, each a frag charging 2048.
    @Test(arguments: lengths)
    func buildSkbPath(_ len: Int) throws {
        let sim = SkbSim()
        let frame = (0..<len).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let skb = try #require(
            try frame.withUnsafeBytes { b throws(SkbError) in try RxDriver(sim: sim).driverReceive(b, .buildSkb) })
        let s = try sim.skb(skb)
        let linear = min(len, 1536)
        let extra = len - linear
        let buffers = (extra + 1535) / 1536
        #expect(s.headFrag && s.end == 1728 && s.headroom == 192 && s.headlen == UInt32(linear))
        var truesize = 2304 + buffers * 2048
        // Each frag_list skb (17 more buffers): alloc_skb(0) = 960.
        let members = buffers > 17 ? (buffers - 17 + 16) / 17 : 0
        truesize += members * K.truesize(K.withOverhead(K.kmallocReserve(0)))
        #expect(Int(s.truesize) == truesize)
        #expect(Int(s.len) == len)
        #expect(try sim.bytes(skb) == frame)
        try sim.kfree_skb(skb)
        try sim.memory.expectNoLeaks()
    }

    // Scatter-gather (igb_construct_skb-like): napi_alloc_skb(256): 256+64 = 320 <= 384 →
    // small head (end 384, truesize 960); min(len, 256) copied; the rest in
    // 2048-byte buffers with truesize 2048 each (frag_list past MAX_SKB_FRAGS 17).
    @Test(arguments: lengths)
    func scatterGatherPath(_ len: Int) throws {
        let sim = SkbSim()
        let frame = (0..<len).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 1) }
        let skb = try #require(
            try frame.withUnsafeBytes { b throws(SkbError) in try RxDriver(sim: sim).driverReceive(b, .scatterGather) })
        let s = try sim.skb(skb)
        // Up to IGB_RX_HDR_LEN the whole frame is copied; above, the headers
        // eth_get_headlen finds: this frame's type (0x9DAA) is none the flow
        // dissector knows, so only the Ethernet header (ETH_HLEN).
        if len > 256 { #expect(frame[12] == 0x9D && frame[13] == 0xAA) }
        let headlen = len <= 256 ? len : 14
        // buffer 0 carries min(len, 2048) bytes; it is a frag only if more than headlen.
        let buffers = (len > 256 ? 1 : 0) + max(0, (len - 2048 + 2047) / 2048)
        var truesize = 960 + buffers * 2048
        if buffers > 17 { truesize += 960 }
        #expect(!s.headFrag && s.end == 384 && s.headroom == 64 && Int(s.headlen) == headlen)
        #expect(sim.memory.ksize(s.head) == 704)
        #expect(Int(s.truesize) == truesize)
        #expect(try sim.shinfo(skb).nrFrags == min(buffers, 17))
        #expect(try sim.bytes(skb) == frame)
        try sim.kfree_skb(skb)
        try sim.memory.expectNoLeaks()
    }

    // Allocation failures come back as nil, never a crash or a leak.
    @Test func failuresAreClean() throws {
        let sim = SkbSim()
        sim.memory.failSlab.failNth = 1
        #expect(sim.alloc_skb(100, .GFP_ATOMIC) == nil)  // the struct
        sim.memory.failSlab.failNth = 3  // eligible calls count on: #2 struct ok, #3 head
        #expect(sim.alloc_skb(100, .GFP_ATOMIC) == nil)  // the head (kmalloc_reserve)
        try sim.memory.expectNoLeaks()
    }
}
