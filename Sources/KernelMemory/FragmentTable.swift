#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The checker's record of one page_frag fragment (64 bytes: one cache
/// line), in a block's slot or in the overflow pool.
///
/// A slot belongs to the current generation of its page when `allocEvent`
/// is newer than the page's generation (`FragmentTable.generations`): a
/// page's slots are never cleared, they go stale when the page is reused,
/// refilled or freed.
@usableFromInline
struct FragRecord {
    @usableFromInline var addr: UInt64 = 0
    @usableFromInline var allocEvent: UInt64 = 0
    @usableFromInline var freeEvent: UInt64 = 0
    @usableFromInline var allocPacket: Int64 = -1
    @usableFromInline var freePacket: Int64 = -1
    @usableFromInline var size: UInt32 = 0
    /// Fragment references: 1 from `page_frag_alloc`, +1 per `page_frag_ref`;
    /// 0 once freed.
    @usableFromInline var refs: UInt32 = 0
    /// Overflow records only: next record of the same page (or next free
    /// record in the pool).
    @usableFromInline var next: Int32 = -1
    /// Next overflow record starting in the same block, 0 if none.
    @usableFromInline var chain: Int32 = 0
    /// Head page of the fragment (`virt_to_head_page`).
    @usableFromInline var page: Int32 = 0
    @usableFromInline var cache: UInt16 = 0
    @inlinable init() {}
}

/// One fragment as the reports see it, wherever it is recorded.
struct FragInfo {
    var addr: UInt64
    var size: Int
    var refs: Int
    var cache: Int
    var allocEvent: UInt64
    var allocPacket: Int64
    var freeEvent: UInt64
    var freePacket: Int64
    var live: Bool { refs != 0 }
}

/// Allocation-free tracking of page_frag fragments.
///
/// - **Slots**: one `FragRecord` per 64-byte block of simulated RAM
///   (`blockShift`) for the first fragment starting in it. Alloc writes a
///   slot, free finds it with one index computation: no pool, no free list.
/// - **Generations**: per page, the event count when the page was last
///   (re)filled or reused by its cache. A slot with an older `allocEvent`
///   is stale, so starting a new generation forgets every fragment of the
///   page in O(1) instead of walking its records.
/// - **Overflow records**: a pool for the second and later fragments
///   starting in the same block, chained from the slot (`chain`) and listed
///   per page (`Page.fragList`) so a new generation returns them to the
///   pool. Only fragments under 64 bytes ever need one; past `capacity`
///   they are handed out untracked.
///
/// A fragment handle (`FragRef`) is `block + 1` for a slot, `-record` for an
/// overflow record, 0 for none.
///
/// Slots, generations and records are anonymous mappings (zero pages,
/// faulted in on first write): only what a simulation touches becomes
/// resident. Record 0 is the "none" sentinel; page and free lists (`next`)
/// end with -1, like `Page.fragList`.
@usableFromInline
struct FragmentTable {
    @usableFromInline typealias FragRef = Int
    @usableFromInline let slots: UnsafeMutablePointer<FragRecord>
    /// Per PFN: `ctx.event` when the page's current generation began.
    @usableFromInline let generations: UnsafeMutablePointer<UInt64>
    @usableFromInline let records: UnsafeMutablePointer<FragRecord>
    /// Free-list head (-1 if empty), overflow records in use, fragments
    /// handed out untracked (pool exhausted), records never used yet start
    /// at `fresh`.
    @usableFromInline let state: UnsafeMutablePointer<(freeHead: Int32, used: Int, untracked: Int, fresh: Int32)>
    @usableFromInline let capacity: Int
    @usableFromInline let blocks: Int
    @usableFromInline static let blockShift = 6
    let slotBytes: Int
    let generationBytes: Int
    let recordBytes: Int

    /// Zero-filled, lazily backed memory.
    static func mapZeroed(_ bytes: Int) -> UnsafeMutableRawPointer {
        guard let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED
        else {
            fatalError("FragmentTable: mmap of \(bytes) bytes failed")
        }
        return p
    }

    /// Slots for `memoryBytes` of simulated RAM in pages of `pageSize`, and
    /// `capacity` overflow records.
    init(capacity: Int, memoryBytes: Int, pageSize: Int = 4096) {
        self.capacity = min(max(capacity, 16), Int(Int32.max) - 1)
        blocks = max(memoryBytes >> FragmentTable.blockShift, 1)
        // All three are trivial types: zeroed memory is a valid value of
        // each (a zero slot has allocEvent 0, older than any generation).
        slotBytes = blocks * MemoryLayout<FragRecord>.stride
        generationBytes = max(memoryBytes / pageSize, 1) * MemoryLayout<UInt64>.stride
        recordBytes = (self.capacity + 1) * MemoryLayout<FragRecord>.stride
        slots = FragmentTable.mapZeroed(slotBytes).bindMemory(to: FragRecord.self, capacity: blocks)
        generations = FragmentTable.mapZeroed(generationBytes).bindMemory(
            to: UInt64.self, capacity: max(memoryBytes / pageSize, 1))
        records = FragmentTable.mapZeroed(recordBytes).bindMemory(to: FragRecord.self, capacity: self.capacity + 1)
        state = .allocate(capacity: 1)
        state.initialize(to: (-1, 0, 0, 1))
    }

    func deallocate() {
        munmap(UnsafeMutableRawPointer(slots), slotBytes)
        munmap(UnsafeMutableRawPointer(generations), generationBytes)
        munmap(UnsafeMutableRawPointer(records), recordBytes)
        state.deallocate()
    }

    // MARK: Hot path

    /// The fragment starting exactly at `addr` (arena offset `off`) in the
    /// current generation of its head page `page`, or 0.
    @inlinable @inline(__always)
    func find(_ addr: UInt64, offset off: Int, page: Int) -> FragRef {
        let b = off &>> FragmentTable.blockShift
        let s = slots + b
        guard s.pointee.allocEvent > generations[page] else { return 0 }
        if _fastPath(s.pointee.addr == addr) { return b &+ 1 }
        var r = s.pointee.chain
        while r != 0 && records[Int(r)].addr != addr { r = records[Int(r)].chain }
        return -Int(r)
    }

    /// Record a new live fragment; returns false if it needed an overflow
    /// record and the pool is exhausted.
    @inlinable @inline(__always) @discardableResult
    func insert(
        addr: UInt64, offset off: Int, size: Int, cache: UInt16, page: Int, pages: UnsafeMutablePointer<Page>,
        event: UInt64, packet: Int64
    ) -> Bool {
        let s = slots + (off &>> FragmentTable.blockShift)
        guard _fastPath(s.pointee.allocEvent <= generations[page]) else {
            return insertShared(
                addr: addr, offset: off, size: size, cache: cache, page: page, pages: pages, event: event,
                packet: packet)
        }
        FragmentTable.fill(s, addr: addr, size: size, cache: cache, page: page, event: event, packet: packet)
        s.pointee.chain = 0
        return true
    }

    /// A fresh record. freeEvent/freePacket are read only once refs is 0,
    /// and retiring sets them first: no need to clear them here.
    @inlinable @inline(__always)
    static func fill(
        _ p: UnsafeMutablePointer<FragRecord>, addr: UInt64, size: Int, cache: UInt16, page: Int, event: UInt64,
        packet: Int64
    ) {
        p.pointee.addr = addr
        p.pointee.page = Int32(truncatingIfNeeded: page)
        p.pointee.allocEvent = event
        p.pointee.allocPacket = packet
        p.pointee.size = UInt32(truncatingIfNeeded: size)
        p.pointee.refs = 1
        p.pointee.cache = cache
    }

    /// `insert` when the block's slot already holds a fragment of this
    /// generation: overwrite a record with the same start (defensive: a
    /// cache never hands out one start twice in a generation), else take an
    /// overflow record.
    @usableFromInline @inline(never) @discardableResult
    func insertShared(
        addr: UInt64, offset off: Int, size: Int, cache: UInt16, page: Int, pages: UnsafeMutablePointer<Page>,
        event: UInt64, packet: Int64
    ) -> Bool {
        let s = slots + (off &>> FragmentTable.blockShift)
        let existing = find(addr, offset: off, page: page)
        if existing != 0 {
            FragmentTable.fill(
                existing > 0 ? slots + (existing - 1) : records + (-existing),
                addr: addr, size: size, cache: cache, page: page, event: event, packet: packet)
            return true
        }
        var idx = state.pointee.freeHead
        if idx < 0 {
            idx = growFreeList()
            if idx < 0 {
                state.pointee.untracked += 1
                return false
            }
        }
        let p = records + Int(idx)
        state.pointee.freeHead = p.pointee.next
        state.pointee.used += 1
        FragmentTable.fill(p, addr: addr, size: size, cache: cache, page: page, event: event, packet: packet)
        p.pointee.next = pages[page].fragList
        p.pointee.chain = s.pointee.chain
        pages[page].fragList = idx
        s.pointee.chain = idx
        return true
    }

    /// Free list empty: link up to 256 never-used records into it (touching
    /// only those). Returns the new head, -1 if the pool is exhausted.
    func growFreeList() -> Int32 {
        let first = Int(state.pointee.fresh)
        let end = min(first + 256, capacity + 1)
        guard first < end else { return -1 }
        for i in first..<end { records[i].next = i + 1 < end ? Int32(i + 1) : -1 }
        state.pointee.fresh = Int32(end)
        state.pointee.freeHead = Int32(first)
        return Int32(first)
    }

    // MARK: Generations

    /// Forget every fragment of `page` (reused by its cache, refilled, or
    /// freed): its slots go stale at once, its overflow records return to
    /// the pool. `event` is the current event count.
    @inlinable @inline(__always)
    func beginGeneration(_ page: Int, event: UInt64, _ pages: UnsafeMutablePointer<Page>) {
        generations[page] = event
        if _slowPath(pages[page].fragList >= 0) { releaseRecords(page, pages) }
    }

    /// A block of `count` pages from `pfn` went back to the buddy allocator:
    /// whatever head its pages get next, their slots are stale.
    func pagesFreed(_ pfn: Int, count: Int, event: UInt64, _ pages: UnsafeMutablePointer<Page>) {
        if pages[pfn].fragList >= 0 { releaseRecords(pfn, pages) }
        for i in pfn..<(pfn + count) { generations[i] = event }
    }

    /// Return a page's overflow records to the pool.
    @usableFromInline func releaseRecords(_ page: Int, _ pages: UnsafeMutablePointer<Page>) {
        let first = pages[page].fragList
        guard first >= 0 else { return }
        var r = first
        var last = first
        var n = 0
        while r >= 0 {
            last = r
            n += 1
            r = records[Int(r)].next
        }
        records[Int(last)].next = state.pointee.freeHead
        state.pointee.freeHead = first
        state.pointee.used -= n
        pages[page].fragList = -1
    }

    // MARK: Records by handle (reports, slow paths)

    func record(_ f: FragRef) -> UnsafeMutablePointer<FragRecord> { f > 0 ? slots + (f - 1) : records + (-f) }

    func info(_ f: FragRef) -> FragInfo {
        let r = record(f).pointee
        return FragInfo(
            addr: r.addr, size: Int(r.size), refs: Int(r.refs), cache: Int(r.cache), allocEvent: r.allocEvent,
            allocPacket: r.allocPacket, freeEvent: r.freeEvent, freePacket: r.freePacket)
    }

    @usableFromInline func isLive(_ f: FragRef) -> Bool { record(f).pointee.refs != 0 }

    /// `page_frag_ref`: one more reference on a live fragment.
    func addRef(_ f: FragRef) { record(f).pointee.refs += 1 }

    /// Drop one reference; true if that was the last.
    @usableFromInline func dropRef(_ f: FragRef) -> Bool {
        let p = record(f)
        p.pointee.refs -= 1
        return p.pointee.refs == 0
    }

    /// Record the free of a fragment whose last reference is gone; returns
    /// its arena offset and size.
    @usableFromInline func markFreed(_ f: FragRef, event: UInt64, packet: Int64) -> (offset: Int, size: Int) {
        let p = record(f)
        p.pointee.freeEvent = event
        p.pointee.freePacket = packet
        return (Int(truncatingIfNeeded: p.pointee.addr &- KernelAddress.directMapBase), Int(p.pointee.size))
    }

    /// Every fragment of the current generation of head page `page`
    /// (`blocksPerPage` blocks from `firstBlock`), slots then their chains.
    func forEach(page: Int, firstBlock: Int, blockCount: Int, _ body: (FragRef) -> Void) {
        let gen = generations[page]
        for b in firstBlock..<(firstBlock + blockCount) where slots[b].allocEvent > gen {
            body(b + 1)
            var r = slots[b].chain
            while r != 0 {
                body(-Int(r))
                r = records[Int(r)].chain
            }
        }
    }

    /// The fragment (live preferred) whose range contains `addr` (arena
    /// offset `off`) on head page `page` starting at block `firstBlock`.
    func containing(_ addr: UInt64, offset off: Int, page: Int, firstBlock: Int) -> FragRef {
        let gen = generations[page]
        var freed: FragRef = 0
        var b = off >> FragmentTable.blockShift
        while b >= firstBlock {
            if slots[b].allocEvent > gen {
                var f: FragRef = b + 1
                var r = slots[b].chain
                while f != 0 {
                    let i = info(f)
                    if addr >= i.addr && addr < i.addr + UInt64(i.size) {
                        if i.live { return f }
                        if freed == 0 { freed = f }
                    }
                    f = -Int(r)
                    if r != 0 { r = records[Int(r)].chain }
                }
            }
            b -= 1
        }
        return freed
    }
}
