#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The checker's record of one page_frag fragment (64 bytes: one cache line).
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
    /// Head page of the fragment (`virt_to_head_page`).
    @usableFromInline var page: Int32 = -1
    /// Next record of the same page (or next free record in the pool).
    @usableFromInline var next: Int32 = -1
    /// Next record starting in the same index block (fragments < 64 B), 0 if none.
    @usableFromInline var chain: Int32 = 0
    @usableFromInline var cache: UInt16 = 0
    @inlinable init() {}
    /// Handed out and not yet freed (by every reference).
    @inlinable var live: Bool { refs != 0 }
}

/// Fixed-capacity, allocation-free tracking of page_frag fragments.
///
/// A record pool with an intrusive free list; a direct-mapped index with one
/// `Int32` slot per 64-byte block of simulated RAM (`blockShift`) holding
/// the records whose fragment starts in that block, chained through
/// `FragRecord.chain` (only fragments under 64 bytes ever share a block);
/// and per-page singly linked lists (`Page.fragList`) so a page's records
/// can be dropped when the page is reused or freed. Lookup by start address
/// is one index load and, in the common case, one record compare.
///
/// Freed records stay until their page is purged, which is what lets a
/// double free or a use-after-free name the "Freed by" event. Every block of
/// a page belongs to that page, so a purge clears the index slots of the
/// page's records and splices the whole page list onto the free list.
///
/// Both arrays are anonymous mappings (zero pages, faulted in on first
/// write, whatever malloc's mmap threshold) and never initialised wholesale:
/// record 0 is a sentinel, so a zero index slot or `chain` means "none", and
/// records are handed out from a high-water mark once the free list is
/// empty. Only the parts a simulation touches become resident (the index is
/// 1/16 of simulated RAM). Page and free lists (`next`) end with -1, like
/// `Page.fragList`.
@usableFromInline
struct FragmentTable {
    @usableFromInline let records: UnsafeMutablePointer<FragRecord>
    /// Record chain head per 64-byte block of RAM, 0 if none.
    @usableFromInline let index: UnsafeMutablePointer<Int32>
    /// Free-list head (-1 if empty), records in use, fragments handed out
    /// untracked (pool exhausted), records never used yet start at `fresh`.
    @usableFromInline let state: UnsafeMutablePointer<(freeHead: Int32, used: Int, untracked: Int, fresh: Int32)>
    @usableFromInline let capacity: Int
    @usableFromInline let blocks: Int
    @usableFromInline static let blockShift = 6
    let recordBytes: Int
    let indexBytes: Int

    /// Zero-filled, lazily backed memory.
    static func mapZeroed(_ bytes: Int) -> UnsafeMutableRawPointer {
        guard let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED else {
            fatalError("FragmentTable: mmap of \(bytes) bytes failed")
        }
        return p
    }

    /// `capacity` records for `memoryBytes` of simulated RAM.
    init(capacity: Int, memoryBytes: Int) {
        self.capacity = min(max(capacity, 16), Int(Int32.max) - 1)
        // Record 0 is the "none" sentinel: capacity + 1 slots.
        blocks = max(memoryBytes >> FragmentTable.blockShift, 1)
        // FragRecord and Int32 are trivial types: zeroed memory is a valid
        // value of each, and every record is fully written before first use.
        recordBytes = (self.capacity + 1) * MemoryLayout<FragRecord>.stride
        indexBytes = blocks * MemoryLayout<Int32>.stride
        records = FragmentTable.mapZeroed(recordBytes).bindMemory(to: FragRecord.self, capacity: self.capacity + 1)
        index = FragmentTable.mapZeroed(indexBytes).bindMemory(to: Int32.self, capacity: blocks)
        state = .allocate(capacity: 1)
        state.initialize(to: (-1, 0, 0, 1))
    }

    func deallocate() {
        munmap(UnsafeMutableRawPointer(records), recordBytes)
        munmap(UnsafeMutableRawPointer(index), indexBytes)
        state.deallocate()
    }

    /// Record index for a fragment starting exactly at `addr` (arena offset
    /// `off`), or 0.
    @inlinable @inline(__always)
    func find(_ addr: UInt64, offset off: Int) -> Int32 {
        var r = index[off &>> FragmentTable.blockShift]
        while r != 0 && records[Int(r)].addr != addr { r = records[Int(r)].chain }
        return r
    }

    /// Record a new live fragment; returns false if the pool is exhausted.
    @inlinable @inline(__always) @discardableResult
    func insert(addr: UInt64, offset off: Int, size: Int, cache: UInt16, page: Int, pages: UnsafeMutablePointer<Page>,
                event: UInt64, packet: Int64) -> Bool {
        let slot = index + (off &>> FragmentTable.blockShift)
        let head = slot.pointee
        if _slowPath(head != 0) {
            let r = find(addr, offset: off)
            if r != 0 {
                // Same start reused within the page: overwrite the old record.
                let p = records + Int(r)
                p.pointee.size = UInt32(truncatingIfNeeded: size)
                p.pointee.cache = cache
                p.pointee.refs = 1
                p.pointee.allocEvent = event
                p.pointee.allocPacket = packet
                p.pointee.freeEvent = 0
                p.pointee.freePacket = -1
                return true
            }
        }
        var idx = state.pointee.freeHead
        if _slowPath(idx < 0) {
            idx = FragmentTable.growFreeList(records, state, capacity)
            if idx < 0 { state.pointee.untracked += 1; return false }
        }
        let p = records + Int(idx)
        state.pointee.freeHead = p.pointee.next
        state.pointee.used &+= 1
        p.pointee.addr = addr
        // freeEvent/freePacket are read only once the record is no longer
        // live, and retiring sets them first: no need to clear them here.
        p.pointee.allocEvent = event
        p.pointee.allocPacket = packet
        p.pointee.size = UInt32(truncatingIfNeeded: size)
        p.pointee.refs = 1
        p.pointee.page = Int32(truncatingIfNeeded: page)
        p.pointee.next = pages[page].fragList
        p.pointee.chain = head
        p.pointee.cache = cache
        pages[page].fragList = idx
        slot.pointee = idx
        return true
    }

    /// Free list empty: link up to 256 never-used records into it (touching
    /// only those). Returns the new head, -1 if the pool is exhausted.
    /// Static, with only what it needs, so that inlined callers need not
    /// materialise the whole table.
    @usableFromInline @inline(never)
    static func growFreeList(_ records: UnsafeMutablePointer<FragRecord>,
                             _ state: UnsafeMutablePointer<(freeHead: Int32, used: Int, untracked: Int, fresh: Int32)>,
                             _ capacity: Int) -> Int32 {
        let first = Int(state.pointee.fresh)
        let end = min(first + 256, capacity + 1)
        guard first < end else { return -1 }
        for i in first..<end { records[i].next = i + 1 < end ? Int32(i + 1) : -1 }
        state.pointee.fresh = Int32(end)
        state.pointee.freeHead = Int32(first)
        return Int32(first)
    }

    /// Drop every record of a page (page reused by its cache, or freed).
    @usableFromInline func purgePage(_ page: Int, _ pages: UnsafeMutablePointer<Page>) {
        let first = pages[page].fragList
        guard first >= 0 else { return }
        var r = first, last = first, n = 0
        while r >= 0 {
            let p = records + Int(r)
            // Records on the free list are unreachable (no slot, no page list)
            // and fully rewritten by `insert`: only the slot needs clearing.
            index[Int(truncatingIfNeeded: p.pointee.addr &- KernelAddress.directMapBase) &>> FragmentTable.blockShift] = 0
            last = r
            n += 1
            r = p.pointee.next
        }
        records[Int(last)].next = state.pointee.freeHead
        state.pointee.freeHead = first
        state.pointee.used -= n
        pages[page].fragList = -1
    }

    /// The record (live preferred) whose range contains `addr` on `page`.
    @usableFromInline func containing(_ addr: UInt64, page: Int, _ pages: UnsafeMutablePointer<Page>) -> Int32 {
        var r = pages[page].fragList
        var freed: Int32 = -1
        while r >= 0 {
            let rec = records[Int(r)]
            if addr >= rec.addr && addr < rec.addr + UInt64(rec.size) {
                if rec.live { return r }
                if freed < 0 { freed = r }
            }
            r = rec.next
        }
        return freed
    }
}
