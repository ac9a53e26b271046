/// The buddy allocator (`mm/page_alloc.c`): one zone, orders
/// 0...MAX_PAGE_ORDER, free blocks linked through the mem_map.
///
/// Invariants: a free block's head page has `PageFlag.buddy` and its order;
/// blocks are naturally aligned (`pfn % (1 << order) == 0`); the buddy of a
/// block is `pfn ^ (1 << order)`; `ctx.freePages` is the sum of free blocks.
extension MemorySystem {
    @usableFromInline func freeListAdd(_ pfn: Int, _ order: Int) {
        let head = freeLists[order]
        pages[pfn].flags = PageFlag.buddy
        pages[pfn].order = UInt8(order)
        pages[pfn].prev = -1
        pages[pfn].next = head
        if head >= 0 { pages[Int(head)].prev = Int32(pfn) }
        freeLists[order] = Int32(pfn)
        freeCounts[order] += 1
    }

    @usableFromInline func freeListDel(_ pfn: Int, _ order: Int) {
        let p = pages[pfn]
        if p.prev >= 0 { pages[Int(p.prev)].next = p.next } else { freeLists[order] = p.next }
        if p.next >= 0 { pages[Int(p.next)].prev = p.prev }
        pages[pfn].flags = 0
        pages[pfn].next = -1
        pages[pfn].prev = -1
        freeCounts[order] -= 1
    }

    /// `__rmqueue_smallest` + `expand`: take the smallest sufficient block,
    /// return the upper halves to the lower free lists.
    @usableFromInline func rmqueue(_ order: Int) -> Int? {
        var o = order
        while o <= KernelConfig.maxPageOrder && freeLists[o] < 0 { o += 1 }
        guard o <= KernelConfig.maxPageOrder else { return nil }
        let pfn = Int(freeLists[o])
        freeListDel(pfn, o)
        while o > order {
            o -= 1
            freeListAdd(pfn + (1 << o), o)
        }
        return pfn
    }

    /// `__free_one_page`: merge with free buddies as far as possible.
    @usableFromInline func freeOnePage(_ pfn: Int, _ order: Int) {
        var pfn = pfn
        var order = order
        while order < KernelConfig.maxPageOrder {
            let buddy = pfn ^ (1 << order)
            guard buddy < pageCount, pages[buddy].flags & PageFlag.buddy != 0, Int(pages[buddy].order) == order else {
                break
            }
            freeListDel(buddy, order)
            pfn = min(pfn, buddy)
            order += 1
        }
        freeListAdd(pfn, order)
    }

    /// Free blocks per order, like a row of `/proc/buddyinfo`.
    public var buddyInfo: [Int] { (0...KernelConfig.maxPageOrder).map { freeCounts[$0] } }

    /// `gfp_pfmemalloc_allowed()` for the gfp alone: `__GFP_MEMALLOC` without
    /// `__GFP_NOMEMALLOC` (the latter takes precedence).
    @inlinable public func gfp_pfmemalloc_allowed(_ gfp: GFP) -> Bool {
        gfp.contains(.__GFP_MEMALLOC) && !gfp.contains(.__GFP_NOMEMALLOC)
    }

    /// Watermark check, simplified from `__zone_watermark_ok` on `WMARK_MIN`:
    /// `__GFP_HIGH` (ALLOC_MIN_RESERVE) lowers min by half, and a caller that
    /// cannot block (ALLOC_NON_BLOCK, e.g. GFP_ATOMIC) by a further quarter.
    /// Returns nil if the allocation must fail, true if it only succeeds by
    /// ignoring watermarks (ALLOC_NO_WATERMARKS: the page becomes pfmemalloc).
    @usableFromInline func watermarkCheck(_ gfp: GFP, _ order: Int) -> Bool? {
        let need = 1 << order
        let free = ctx.pointee.freePages
        var minPages = minWatermarkPages
        if gfp.contains(.__GFP_HIGH) {
            minPages -= minPages / 2
            if !gfp.allowsBlocking { minPages -= minPages / 4 }
        }
        if !lowMemoryMode && free - need >= minPages { return false }
        if gfp_pfmemalloc_allowed(gfp) && free >= need { return true }
        return nil
    }

    /// `alloc_pages(gfp, order)`: a block of `1 << order` pages with
    /// refcount 1, compound if `__GFP_COMP`. `owner` is the page_owner tag
    /// (callers outside the memory system use `.caller(tag:)`).
    public func alloc_pages(_ gfp: GFP, order: Int, owner: PageOwner = .caller(tag: 0)) -> PFN? {
        precondition(order >= 0 && order <= KernelConfig.maxPageOrder, "order > MAX_PAGE_ORDER")
        let event = nextEvent()
        if failPageAlloc.isArmed && failPageAlloc.shouldFail(gfp: gfp, order: order) { return nil }
        guard let reserves = watermarkCheck(gfp, order), let pfn = rmqueue(order) else {
            if !lowMemoryMode { ctx.pointee.exhaustedFailures &+= 1 }
            if !gfp.contains(.__GFP_NOWARN) {
                warnings.append("skbsim: page allocation failure: order:\(order), mode:\(gfp), nodemask=(null)")
            }
            return nil
        }
        ctx.pointee.freePages -= 1 << order
        let compound = gfp.contains(.__GFP_COMP) && order > 0
        if order > 0 {
            for i in 1..<(1 << order) {
                pages[pfn + i].flags = compound ? PageFlag.tail : 0
                pages[pfn + i].head = compound ? Int32(pfn) : Int32(pfn + i)
                pages[pfn + i].refcount = 0
            }
        }
        var p = Page()
        p.refcount = 1
        p.order = UInt8(order)
        p.head = Int32(pfn)
        p.flags = PageFlag.allocated | (compound ? PageFlag.head : 0) | (reserves ? PageFlag.pfmemalloc : 0)
        switch owner {
        case .none: p.ownerKind = PageOwnerKind.none.rawValue
        case .caller(let tag):
            p.ownerKind = PageOwnerKind.caller.rawValue
            p.ownerID = tag
        case .pageFrag(let id):
            p.ownerKind = PageOwnerKind.pageFrag.rawValue
            p.ownerID = id.raw
            fragCaches[Int(id.raw)].stats.pagesHeld += 1
        case .slab(let id):
            p.ownerKind = PageOwnerKind.slab.rawValue
            p.ownerID = id.raw
        case .kmallocLarge(let size):
            p.ownerKind = PageOwnerKind.kmallocLarge.rawValue
            p.requested = UInt32(size)
        }
        p.allocEvent = event
        p.allocPacket = ctx.pointee.packet
        pages[pfn] = p
        let granules = (pageSize << order) / Shadow.granule
        (shadow + (pfn << pageShift) / Shadow.granule).update(repeating: Shadow.accessible, count: granules)
        if gfp.contains(.__GFP_ZERO) {
            (arena + (pfn << pageShift)).initializeMemory(as: UInt8.self, repeating: 0, count: pageSize << order)
        }
        return PFN(pfn)
    }

    /// Return a block to the buddy allocator (`free_frozen_pages`, formerly
    /// `free_unref_page`): poison, mark the shadow free, drop checker records.
    @usableFromInline func freeBlock(_ pfn: Int, _ order: Int) {
        let event = nextEvent()
        if pages[pfn].ownerKind == PageOwnerKind.pageFrag.rawValue {
            fragCaches[Int(pages[pfn].ownerID)].stats.pagesHeld -= 1
        }
        fragments.pagesFreed(pfn, count: 1 << order, event: event, pages)
        let bytes = pageSize << order
        if poisonOnFree {
            (arena + (pfn << pageShift)).initializeMemory(as: UInt8.self, repeating: Poison.page, count: bytes)
        }
        (shadow + (pfn << pageShift) / Shadow.granule).update(repeating: Shadow.pageFree, count: bytes / Shadow.granule)
        let allocEvent = pages[pfn].allocEvent
        let allocPacket = pages[pfn].allocPacket
        for i in 0..<(1 << order) {
            pages[pfn + i] = Page()
            pages[pfn + i].head = Int32(pfn + i)
        }
        // Keep the last owner's history on the head for use-after-free reports.
        pages[pfn].allocEvent = allocEvent
        pages[pfn].allocPacket = allocPacket
        pages[pfn].freeEvent = event
        pages[pfn].freePacket = ctx.pointee.packet
        ctx.pointee.freePages += 1 << order
        freeOnePage(pfn, order)
    }

    /// Order of the block a head page heads: `compound_order` for compound
    /// pages; for a non-compound block the order it was allocated with.
    @inlinable func blockOrder(_ head: Int) -> Int { Int(pages[head].order) }

    /// `__free_pages(page, order)`: drop one reference; free the block at 0.
    /// (For a non-compound block the whole block is freed at 0; the kernel's
    /// partial-free of tails when someone else holds the head is not modelled.)
    public func freePages(_ pfn: PFN, order: Int) {
        guard checkRefcount(pfn.index, op: "__free_pages") else { return }
        pages[pfn.index].refcount -= 1
        if pages[pfn.index].refcount == 0 { freeBlock(pfn.index, order) }
    }

    /// Guard against `VM_BUG_ON_PAGE(page_ref_count(page) == 0, page)`.
    @usableFromInline func checkRefcount(_ head: Int, op: String, sub: Int32 = 1) -> Bool {
        let p = pages[head]
        if p.refcount >= sub && p.refcount > 0 { return true }
        reportRefcountUnderflow(head, op: op, sub: sub)
        return false
    }

    // MARK: refcount API (include/linux/page_ref.h, include/linux/mm.h)

    /// `page_ref_count(page)`.
    @inlinable public func page_ref_count(_ pfn: PFN) -> Int { Int(pages[pfn.index].refcount) }

    /// `get_page(page)`: +1 on the compound head.
    public func get_page(_ pfn: PFN) {
        let head = Int(pages[pfn.index].head)
        if pages[head].refcount <= 0 {
            reportRefcountUnderflow(head, op: "get_page", sub: 0)
            return
        }
        pages[head].refcount += 1
    }

    /// `put_page(page)`: -1 on the compound head; frees the block at 0.
    @inlinable public func put_page(_ pfn: PFN) {
        let head = Int(pages[pfn.index].head)
        if _slowPath(pages[head].refcount <= 0) {
            reportRefcountUnderflow(head, op: "put_page", sub: 1)
            return
        }
        pages[head].refcount -= 1
        if pages[head].refcount == 0 { releaseHead(head) }
    }

    /// The last reference went away: free by owner (slab pages are never put).
    @usableFromInline func releaseHead(_ head: Int) {
        freeBlock(head, blockOrder(head))
    }

    /// `page_ref_add(page, nr)`.
    @inlinable public func page_ref_add(_ pfn: PFN, _ nr: Int) {
        pages[pfn.index].refcount += Int32(nr)
    }

    /// `page_ref_sub_and_test(page, nr)`: true when the count reaches 0.
    /// Does not free (callers free explicitly, as in the kernel).
    @inlinable public func page_ref_sub_and_test(_ pfn: PFN, _ nr: Int) -> Bool {
        let idx = pfn.index
        if _slowPath(pages[idx].refcount < Int32(nr)) {
            reportRefcountUnderflow(idx, op: "page_ref_sub_and_test", sub: Int32(nr))
            return false
        }
        pages[idx].refcount -= Int32(nr)
        return pages[idx].refcount == 0
    }

    /// `set_page_count(page, v)`.
    @inlinable public func set_page_count(_ pfn: PFN, _ v: Int) { pages[pfn.index].refcount = Int32(v) }

    /// `free_unref_page(page, order)` / `free_frozen_pages`: free a block
    /// whose refcount is already 0.
    public func free_unref_page(_ pfn: PFN, order: Int) { freeBlock(pfn.index, order) }
}
