import KernelMemory
import Testing
import Trace

@testable import SkbModel

/// include/linux/skbuff.h skb_put/skb_push/skb_pull/skb_reserve, net/core/skbuff.c
/// skb_panic, __pskb_pull_tail, pskb_expand_head, skb_linearize.
@Suite struct OperationTests {
    static func hex(_ v: Int) -> String { v == 0 ? "0" : "0x" + String(v, radix: 16) }

    // alloc_skb(128): SKB_HEAD_ALIGN(128) = 448 <= 704 → small head, end 384.
    @Test func putPushPullReserve() throws {
        let sim = SkbSim()
        let skb = try #require(sim.alloc_skb(128))
        try sim.skb_reserve(skb, 32)
        #expect(try sim.skb_headroom(skb) == 32 && sim.skb_tailroom(skb) == 384 - 32)
        let oldTail = try sim.skb_put(skb, 100)
        #expect(oldTail == (try sim.skb(skb)).head + 32)
        #expect(try sim.skb(skb).len == 100 && sim.skb(skb).tail == 132)
        try sim.skb_push(skb, 14)
        #expect(try sim.skb_headroom(skb) == 18 && sim.skb(skb).len == 114)
        #expect(try sim.skb_pull(skb, 14) != nil)
        #expect(try sim.skb_headroom(skb) == 32 && sim.skb(skb).len == 100)
        #expect(try sim.skb_pull(skb, 101) == nil)  // len > skb->len → NULL
        try sim.skb_trim(skb, 40)
        #expect(try sim.skb(skb).len == 40 && sim.skb(skb).tail == 72)
        try sim.kfree_skb(skb)
        try sim.memory.expectNoLeaks()
    }

    // skb_over_panic: "%s: text:%px len:%d put:%d head:%px data:%px tail:%#lx end:%#lx dev:%s"
    @Test func overAndUnderPanic() throws {
        let sim = SkbSim()
        let skb = try #require(sim.alloc_skb(128))
        try sim.skb_reserve(skb, 32)
        try sim.skb_put(skb, 100)
        let s = try sim.skb(skb)
        let over = #expect(throws: SkbError.self) { try sim.skb_put(skb, 400) }
        #expect(over?.kind == .overPanic)
        // after the put: len 500, tail 132 + 400 = 532, end 384
        #expect(
            over?.message
                == "skb_over_panic: text:skb_put len:500 put:400 head:\(s.head) data:\(s.head + 32) tail:\(Self.hex(532)) end:\(Self.hex(384)) dev:<NULL>"
        )
        #expect(try sim.skb(skb).len == 100)  // left usable
        let under = #expect(throws: SkbError.self) { try sim.skb_push(skb, 40) }
        #expect(under?.kind == .underPanic)
        // data = head + 32 - 40 = head - 8, len 140, tail 132
        #expect(
            under?.message
                == "skb_under_panic: text:skb_push len:140 put:40 head:\(s.head) data:\(s.head - 8) tail:\(Self.hex(132)) end:\(Self.hex(384)) dev:<NULL>"
        )
        try sim.kfree_skb(skb)
        try sim.memory.expectNoLeaks()
    }

    func sgSkb(_ sim: SkbSim, _ len: Int) throws -> (SkbID, [UInt8]) {
        let frame = (0..<len).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 5) }
        // Without header split the head holds the first 256 bytes: a fixed
        // geometry for the data-op tests, whatever the frame's headers.
        var o = RxDriverOptions(path: .scatterGather)
        o.copybreakHeaderSplit = false
        let skb = try #require(
            try frame.withUnsafeBytes { b throws(SkbError) in
                try RxDriver(sim: sim, options: o).driverReceive(b, .scatterGather)
            })
        return (skb, frame)
    }

    @Test func linearAssertAndPullIntoPagedData() throws {
        let sim = SkbSim()
        let (skb, _) = try sgSkb(sim, 1500)  // headlen 256, data_len 1244
        let put = #expect(throws: SkbError.self) { try sim.skb_put(skb, 1) }
        #expect(put?.kind == .bug && put?.message.contains("SKB_LINEAR_ASSERT") == true)
        let pull = #expect(throws: SkbError.self) { try sim.skb_pull(skb, 300) }
        #expect(pull?.kind == .bug && pull?.message.hasPrefix("__skb_pull(len=300)") == true)
        #expect(try sim.skb_tailroom(skb) == 0)  // non-linear
        try sim.kfree_skb(skb)
        try sim.memory.expectNoLeaks()
    }

    // pskb_may_pull → __pskb_pull_tail on the SG skb (head end 384, headroom 64, headlen 256).
    @Test func pskbMayPullExpandsHead() throws {
        let sim = SkbSim()
        let (skb, frame) = try sgSkb(sim, 1500)
        #expect(try sim.pskb_may_pull(skb, 200))  // already linear: nothing
        #expect(try sim.pskb_may_pull(skb, 1501) == false)  // beyond len
        #expect(try sim.pskb_may_pull(skb, 600))
        // delta 344: eat = (320 + 344) - 384 = 280 > 0 → pskb_expand_head(0, 280 + 128):
        // size = SKB_DATA_ALIGN(384 + 408) = 832 → SKB_HEAD_ALIGN 1152 → kmalloc-2k → end 1728;
        // no socket → truesize += 1728 - 384. truesize was 960 + 2048.
        let s = try sim.skb(skb)
        #expect(s.end == 1728 && !s.headFrag && s.headlen == 600 && s.dataLen == 900)
        #expect(Int(s.truesize) == 960 + 2048 + (1728 - 384))
        let f = try sim.shinfo(skb).frag(0)
        #expect(f.size == 900)
        #expect(try sim.bytes(skb) == frame)
        try sim.kfree_skb(skb)
        try sim.memory.expectNoLeaks()
    }

    @Test func linearize() throws {
        let sim = SkbSim()
        let (skb, frame) = try sgSkb(sim, 9000)
        #expect(try sim.shinfo(skb).nrFrags == 5)  // 1792 + 3 × 2048 + 808
        #expect(try sim.skb_linearize(skb))
        let s = try sim.skb(skb)
        #expect(s.dataLen == 0 && s.len == 9000)
        #expect(try sim.shinfo(skb).nrFrags == 0)
        #expect(try sim.bytes(skb) == frame)
        try sim.kfree_skb(skb)
        try sim.memory.expectNoLeaks()
    }

    // pskb_expand_head: new kmalloc head, truesize grows by the size difference.
    @Test func expandHeadPlainAndCloned() throws {
        let sim = SkbSim()
        let skb = try #require(sim.netdev_alloc_skb(1500))  // page_frag head, end 1600, truesize 2176
        try sim.skb_put(skb, 1500)
        let clone = try #require(try sim.skb_clone(skb))
        #expect(try sim.shinfo(skb).dataref == 2)
        #expect(try sim.pskb_expand_head(skb, nhead: 32, ntail: 0))
        // SKB_DATA_ALIGN(1600 + 32) = 1664 → SKB_HEAD_ALIGN 1984 → kmalloc-2k → end 1728: truesize 2176 + 128
        let s = try sim.skb(skb)
        #expect(s.end == 1728 && s.headroom == 96 && !s.headFrag && !s.cloned && s.truesize == 2304)
        #expect(try sim.shinfo(skb).dataref == 1)
        #expect(try sim.shinfo(clone).dataref == 1)  // the clone now owns the old head alone
        #expect(try sim.skb_cloned(clone) == false)
        #expect(try sim.bytes(skb) == sim.bytes(clone))
        // shared skb: BUG_ON(skb_shared(skb))
        try sim.skb_get(skb)
        let e = #expect(throws: SkbError.self) { _ = try sim.pskb_expand_head(skb, nhead: 0, ntail: 0) }
        #expect(e?.kind == .bug)
        try sim.kfree_skb(skb)
        try sim.kfree_skb(skb)
        try sim.kfree_skb(clone)
        try sim.memory.expectNoLeaks()
    }

    @Test func pskbTrimNonLinear() throws {
        let sim = SkbSim()
        let (skb, frame) = try sgSkb(sim, 5000)  // frags 1792, 2048, 904
        #expect(try sim.pskb_trim(skb, 3000))
        #expect(try sim.skb(skb).len == 3000 && sim.shinfo(skb).nrFrags == 2)
        #expect(try sim.bytes(skb) == Array(frame[0..<3000]))
        #expect(try sim.pskb_trim(skb, 100))  // into the head
        #expect(try sim.skb(skb).dataLen == 0 && sim.shinfo(skb).nrFrags == 0)
        try sim.kfree_skb(skb)
        try sim.memory.expectNoLeaks()
    }

    @Test func eventsCarryFields() throws {
        let rec = EventRecorder()
        let sim = SkbSim(sink: rec)
        sim.beginPacket(index: 7, timestampNanoseconds: 42)
        let skb = try #require(sim.netdev_alloc_skb(1000))
        try sim.skb_put(skb, 1000)
        try sim.kfree_skb(skb)
        let kinds = rec.events.map(\.kind)
        #expect(kinds == [.skbAlloc, .headAlloc, .reserve, .put, .drop, .headFree, .skbFree])
        #expect(rec.events.allSatisfy { $0.packet == 7 && $0.timestampNanoseconds == 42 })
        #expect(rec.events[3].len == 1000 && rec.events[3].headroom == 64 && rec.events[3].truesize == 1664)
        #expect(rec.events[4].reason == 2)
        #expect(rec.events.map(\.sequence) == Array(0..<7))
    }
}
