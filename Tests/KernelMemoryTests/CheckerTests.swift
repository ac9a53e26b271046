import Testing

@testable import KernelMemory

// KASAN (mm/kasan/report.c: bug types and report layout), kmemleak
// (mm/kmemleak.c: "unreferenced object"), VM_BUG_ON_PAGE in put_page_testzero
// (include/linux/mm.h), poison values from include/linux/poison.h.

@Test func slabUseAfterFreeReport() throws {
    let m = MemorySystem()
    m.currentPacket = 10
    let p = try #require(m.kmalloc(2000, .GFP_KERNEL))
    m.currentPacket = 11
    m.kfree(p)
    m.currentPacket = 12
    var out = [UInt8](repeating: 0, count: 4)
    #expect(!out.withUnsafeMutableBytes { m.copyOut(from: p + 64, into: $0) })
    #expect(out == [0x6b, 0x6b, 0x6b, 0x6b])  // POISON_FREE
    let r = try #require(m.checker.reports.first)
    #expect(r.kind == .slabUseAfterFree && r.address == p + 64 && r.packet == 12)
    #expect(r.text.contains("BUG: KASAN: slab-use-after-free in copyOut"))
    #expect(r.text.contains("Read of size 4 at addr \(p + 64) by packet 12 (event"))
    #expect(
        r.text.contains(
            "The buggy address belongs to the object at \(p)\n which belongs to the cache kmalloc-2k of size 2048"))
    #expect(r.text.contains("64 bytes inside of\n freed 2048-byte region"))
    #expect(r.text.contains("Allocated by packet 10 (event"))
    #expect(r.text.contains("): kmalloc\nFreed by packet 11 (event"))
    #expect(r.text.hasSuffix("): kfree\n=================================================================="))
}

@Test func writesToFreedMemoryAreSkipped() throws {
    let m = MemorySystem()
    let p = try #require(m.kmalloc(64, .GFP_KERNEL))
    m.kfree(p)
    #expect(!m.memset(p, 0, count: 8))
    #expect(m.rawBytes(at: p, count: 64) == Array(repeating: 0x6b, count: 63) + [0xa5])  // POISON_FREE, POISON_END
    #expect(m.checker.reports(of: .slabUseAfterFree).count == 1)
}

@Test func doubleAndInvalidKfree() throws {
    let m = MemorySystem()
    let p = try #require(m.kmalloc(100, .GFP_KERNEL))
    m.kfree(p + 8)
    #expect(m.checker.reports.last?.kind == .invalidFree)
    #expect(m.checker.reports.last!.text.contains("BUG: KASAN: invalid-free in kfree\nFree of addr \(p + 8)"))
    #expect(m.slabInfo(m.kmallocCache(forSize: 128)!).activeObjects == 1)  // skipped
    m.kfree(p)
    m.kfree(p)
    let r = try #require(m.checker.reports.last)
    #expect(
        r.kind == .doubleFree && r.text.contains("BUG: KASAN: double-free in kfree")
            && r.text.contains("Freed by packet"))
    #expect(m.slabInfo(m.kmallocCache(forSize: 128)!).frees == 1)
}

@Test func slabOutOfBoundsAfterRequest() throws {
    let m = MemorySystem()
    let p = try #require(m.kmalloc(13, .GFP_KERNEL))  // kmalloc-16: bytes 13...15 are redzone
    #expect(m.withUnsafeBytes(at: p, count: 13) { $0.count } == 13)
    #expect(m.checker.reports.isEmpty)
    var b = [UInt8](repeating: 0, count: 4)
    _ = b.withUnsafeMutableBytes { m.copyOut(from: p + 12, into: $0) }
    let r = try #require(m.checker.reports.first)
    #expect(r.kind == .slabOutOfBounds && r.address == p + 13)
    #expect(r.text.contains("allocated 13-byte region"))
}

@Test func pageFragDoubleFreeAndUseAfterFree() throws {
    let m = MemorySystem()
    let nc = m.pageFragCacheCreate(name: "netdev_alloc_cache")
    m.currentPacket = 3
    let a = try #require(m.page_frag_alloc(nc, 1920, .GFP_ATOMIC))
    let b = try #require(m.page_frag_alloc(nc, 1920, .GFP_ATOMIC))
    m.currentPacket = 4
    m.page_frag_free(a)
    let page = m.virt_to_head_page(a)
    let refs = m.page_ref_count(page)
    m.page_frag_free(a)
    #expect(m.page_ref_count(page) == refs)  // skipped
    let df = try #require(m.checker.reports.last)
    #expect(df.kind == .doubleFree && df.text.contains("BUG: KASAN: double-free in page_frag_free"))
    #expect(
        df.text.contains(
            "page_frag fragment at \(a)\n which belongs to the page_frag cache netdev_alloc_cache, fragment size 1920"))
    #expect(df.text.contains("Allocated by packet 3") && df.text.contains("Freed by packet 4"))
    _ = m.withUnsafeBytes(at: a + 64, count: 8) { $0.count }
    let uaf = try #require(m.checker.reports.last)
    #expect(uaf.kind == .useAfterFree && uaf.text.contains("BUG: KASAN: use-after-free in withUnsafeBytes"))
    // The unused rest of the page was never handed out.
    _ = m.withUnsafeBytes(at: b + 1920, count: 1) { $0.count }
    #expect(m.checker.reports.last?.kind == .outOfBounds)
    m.page_frag_free(b)
}

@Test func pageFragInvalidFree() throws {
    let m = MemorySystem()
    let nc = m.pageFragCacheCreate(name: "t")
    let a = try #require(m.page_frag_alloc(nc, 100, .GFP_ATOMIC))
    m.page_frag_free(a + 5000)  // on the page, outside every fragment
    #expect(m.checker.reports.last?.kind == .invalidFree)
    m.page_frag_free(a)
    #expect(m.checker.reports.count == 1)
}

@Test func pageFragRefCountsExtraReferences() throws {
    let m = MemorySystem()
    let nc = m.pageFragCacheCreate(name: "t")
    let a = try #require(m.page_frag_alloc(nc, 100, .GFP_ATOMIC))
    m.page_frag_ref(a)  // e.g. skb_frag_ref on a cloned frag
    m.page_frag_free(a)
    m.page_frag_free(a)
    #expect(m.checker.reports.isEmpty)
    m.page_frag_cache_drain(nc)
    #expect(m.freePages == m.totalPages)
}

@Test func putPageOnZeroRefcount() throws {
    let m = MemorySystem()
    let p = try #require(m.alloc_pages(.GFP_KERNEL, order: 0))
    m.put_page(p)
    #expect(m.rawBytes(at: m.page_address(p), count: 16) == Array(repeating: 0xaa, count: 16))  // PAGE_POISON
    m.put_page(p)
    let r = try #require(m.checker.reports.last)
    #expect(r.kind == .refcountUnderflow)
    #expect(
        r.text.contains(
            "page: refcount:0 mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x\(String(p.index, radix: 16))"))
    #expect(r.text.contains("page dumped because: VM_BUG_ON_PAGE(page_ref_count(page) == 0)"))
    #expect(m.freePages == m.totalPages)
    _ = m.withUnsafeBytes(at: m.page_address(p), count: 4) { $0.count }
    #expect(m.checker.reports.last?.kind == .useAfterFree)
}

@Test func wildAccess() {
    let m = MemorySystem()
    #expect(!m.memset(KernelAddress(0xdead_0000), 0, count: 4))
    #expect(m.checker.reports.last?.kind == .wildMemoryAccess)
    m.kfree(KernelAddress(0xffff_0000_0000_0000))
    #expect(m.checker.reports.last!.text.contains("BUG: KASAN: wild-memory-access in kfree"))
}

@Test func leakReportNamesObjectAndEvent() throws {
    let m = MemorySystem()
    try m.expectNoLeaks()
    m.currentPacket = 7
    let p = try #require(m.kmalloc(100, .GFP_KERNEL))
    let nc = m.pageFragCacheCreate(name: "napi_alloc_cache")
    let f = try #require(m.page_frag_alloc(nc, 256, .GFP_ATOMIC))
    let q = try #require(m.alloc_pages(.GFP_KERNEL, order: 0, owner: .caller(tag: 9)))
    let report = m.leakReport()
    #expect(report.objects.count == 3)
    #expect(report.text.hasPrefix("kmemleak: 3 new suspected memory leaks (see /sys/kernel/debug/kmemleak)"))
    #expect(
        report.text.contains(
            "unreferenced object 0x\(p) (size 100):\n  comm \"skbsim\", packet 7, event \(report.objects[0].allocEvent), owner kmalloc-128"
        ))
    #expect(report.text.contains("unreferenced object 0x\(f) (size 256):"))
    #expect(report.text.contains("owner page_frag:napi_alloc_cache"))
    #expect(report.text.contains("owner alloc_pages(tag 9)"))
    #expect(throws: MemoryLeakError.self) { try m.expectNoLeaks() }
    m.kfree(p)
    m.page_frag_free(f)
    m.put_page(q)
    // The cache still holds its page: that is not a leak.
    try m.expectNoLeaks()
    m.page_frag_cache_drain(nc)
    // Only the now-empty kmalloc-128 slab stays (SLUB keeps min_partial empty slabs).
    #expect(m.freePages == m.totalPages - 1)
}

@Test func cleanPacketLoopHasNoReports() throws {
    let m = MemorySystem()
    let nc = m.pageFragCacheCreate(name: "netdev_alloc_cache")
    let packet = [UInt8](repeating: 0x45, count: 1500)
    for i in 0..<2000 {
        m.currentPacket = i
        let head = try #require(i % 3 == 0 ? m.kmalloc(1500, .GFP_ATOMIC) : m.page_frag_alloc(nc, 1920, .GFP_ATOMIC))
        #expect(
            packet.withUnsafeBytes {
                m.copyIn(to: head + 64, from: UnsafeRawBufferPointer(rebasing: $0.prefix(i % 3 == 0 ? 1436 : 1500)))
            })
        if i % 3 == 0 { m.kfree(head) } else { m.page_frag_free(head) }
    }
    m.page_frag_cache_drain(nc)
    #expect(m.checker.reports.isEmpty)
    try m.expectNoLeaks()
}

// mm/kasan/generic.c check_region_inline: partial granules at both ends are
// checked byte by byte, whole granules by shadow. The first bad byte is named.
@Test(arguments: [(0, 14, 13), (3, 11, 13), (5, 200, 13), (8, 5, nil as Int?), (0, 13, nil as Int?)])
func firstBadByteIsExact(start: Int, count: Int, expectedBad: Int?) throws {
    let m = MemorySystem()
    // kmalloc(13) lands in kmalloc-16: bytes 13..15 are the redzone (shadow 5 on granule 1).
    let a = try #require(m.kmalloc(13, .GFP_KERNEL))
    let bytes = [UInt8](repeating: 0x42, count: count)
    let ok = bytes.withUnsafeBytes { m.copyIn(to: a + start, from: $0) }
    if let expectedBad {
        #expect(!ok)
        let report = try #require(m.checker.reports.last)
        #expect(report.kind == .slabOutOfBounds)
        #expect(report.address == a + expectedBad)
    } else {
        #expect(ok)
        #expect(m.checker.reports.isEmpty)
    }
}

@Test func useAfterFreeInsideAWideRangeIsFoundPastTheFastPath() throws {
    let m = MemorySystem()
    let nc = m.pageFragCacheCreate(name: "t")
    let a = try #require(m.page_frag_alloc(nc, 1920, .GFP_ATOMIC))
    let b = try #require(m.page_frag_alloc(nc, 1920, .GFP_ATOMIC))
    m.page_frag_free(b)
    // A 3000-byte read from a+1 runs through a (live) into b (freed): the first
    // fully freed granule of b is the first bad byte (b is 1920-aligned, so 8-aligned).
    var buffer = [UInt8](repeating: 0, count: 3000)
    let ok = buffer.withUnsafeMutableBytes { m.copyOut(from: a + 1, into: $0) }
    #expect(!ok)
    let report = try #require(m.checker.reports.last)
    #expect(report.kind == .useAfterFree)
    #expect(report.address == b)
}
