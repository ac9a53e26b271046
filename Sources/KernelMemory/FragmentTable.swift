/// The checker's record of one page_frag fragment.
@usableFromInline
struct FragRecord {
    @usableFromInline var addr: UInt64 = 0
    @usableFromInline var size: UInt32 = 0
    @usableFromInline var cache: UInt16 = 0
    @usableFromInline var live: Bool = false
    /// Fragment references: 1 from `page_frag_alloc`, +1 per `page_frag_ref`.
    @usableFromInline var refs: UInt32 = 0
    /// Next record of the same page (or next free record in the pool).
    @usableFromInline var next: Int32 = -1
    @usableFromInline var allocEvent: UInt64 = 0
    @usableFromInline var freeEvent: UInt64 = 0
    @usableFromInline var allocPacket: Int64 = -1
    @usableFromInline var freePacket: Int64 = -1
    @inlinable init() {}
}

/// Fixed-capacity, allocation-free tracking of page_frag fragments.
///
/// A record pool with an intrusive free list, an open-addressing table
/// (linear probing, backward-shift deletion, so no tombstones) from start
/// address to record, and per-page singly linked lists (`Page.fragList`) so
/// a page's records can be dropped when the page is reused or freed.
/// Freed records stay until then, which is what lets a double free or a
/// use-after-free name the "Freed by" event.
@usableFromInline
struct FragmentTable {
    @usableFromInline let records: UnsafeMutablePointer<FragRecord>
    @usableFromInline let slots: UnsafeMutablePointer<Int32>
    @usableFromInline let mask: Int
    @usableFromInline let state: UnsafeMutablePointer<(freeHead: Int32, used: Int, untracked: Int)>
    @usableFromInline let capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        records = .allocate(capacity: self.capacity)
        records.initialize(repeating: FragRecord(), count: self.capacity)
        for i in 0..<self.capacity { records[i].next = i + 1 < self.capacity ? Int32(i + 1) : -1 }
        var tableSize = 1
        while tableSize < self.capacity * 2 { tableSize <<= 1 }
        slots = .allocate(capacity: tableSize)
        slots.initialize(repeating: -1, count: tableSize)
        mask = tableSize - 1
        state = .allocate(capacity: 1)
        state.initialize(to: (0, 0, 0))
    }

    func deallocate() {
        records.deallocate()
        slots.deallocate()
        state.deallocate()
    }

    @inlinable @inline(__always)
    func hash(_ addr: UInt64) -> Int { Int(truncatingIfNeeded: ((addr >> 3) &* 0x9E37_79B9_7F4A_7C15) >> 20) & mask }

    /// Record index for a fragment starting exactly at `addr`, or -1.
    @inlinable func find(_ addr: UInt64) -> Int32 {
        var i = hash(addr)
        while true {
            let r = slots[i]
            if r < 0 || records[Int(r)].addr == addr { return r }
            i = (i + 1) & mask
        }
    }

    /// Record a new live fragment; returns false if the pool is exhausted.
    @inlinable @discardableResult
    func insert(addr: UInt64, size: Int, cache: UInt16, page: Int, pages: UnsafeMutablePointer<Page>, event: UInt64, packet: Int64) -> Bool {
        var i = hash(addr)
        while true {
            let r = slots[i]
            if r < 0 { break }
            if records[Int(r)].addr == addr {
                // Same start reused within the page: overwrite the old record.
                records[Int(r)].size = UInt32(truncatingIfNeeded: size)
                records[Int(r)].cache = cache
                records[Int(r)].live = true
                records[Int(r)].refs = 1
                records[Int(r)].allocEvent = event
                records[Int(r)].allocPacket = packet
                records[Int(r)].freeEvent = 0
                records[Int(r)].freePacket = -1
                return true
            }
            i = (i + 1) & mask
        }
        let idx = state.pointee.freeHead
        if _slowPath(idx < 0) { state.pointee.untracked += 1; return false }
        state.pointee.freeHead = records[Int(idx)].next
        state.pointee.used += 1
        var rec = FragRecord()
        rec.addr = addr
        rec.size = UInt32(truncatingIfNeeded: size)
        rec.cache = cache
        rec.live = true
        rec.refs = 1
        rec.allocEvent = event
        rec.allocPacket = packet
        rec.next = pages[page].fragList
        pages[page].fragList = idx
        records[Int(idx)] = rec
        slots[i] = idx
        return true
    }

    /// Remove `addr` from the hash table (backward-shift deletion).
    @usableFromInline func removeKey(_ addr: UInt64) {
        var i = hash(addr)
        while true {
            let r = slots[i]
            if r < 0 { return }
            if records[Int(r)].addr == addr { break }
            i = (i + 1) & mask
        }
        var hole = i
        var j = i
        while true {
            j = (j + 1) & mask
            let r = slots[j]
            if r < 0 { break }
            let home = hash(records[Int(r)].addr)
            // Move r into the hole if its home is not cyclically in (hole, j].
            let distHole = (hole - home) & mask, distJ = (j - home) & mask
            if distHole < distJ {
                slots[hole] = r
                hole = j
            }
        }
        slots[hole] = -1
    }

    /// Drop every record of a page (page reused by its cache, or freed).
    @usableFromInline func purgePage(_ page: Int, _ pages: UnsafeMutablePointer<Page>) {
        var r = pages[page].fragList
        while r >= 0 {
            let next = records[Int(r)].next
            removeKey(records[Int(r)].addr)
            records[Int(r)].next = state.pointee.freeHead
            records[Int(r)].live = false
            state.pointee.freeHead = r
            state.pointee.used -= 1
            r = next
        }
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
