/// One finding of the always-on checker, in the kernel's report style.
public struct KasanReport: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        /// Access to a freed page or page_frag fragment.
        case useAfterFree = "use-after-free"
        /// Access to a freed slab object (KASAN's name since v6.3).
        case slabUseAfterFree = "slab-use-after-free"
        /// Access to a slab redzone (beyond the kmalloc request).
        case slabOutOfBounds = "slab-out-of-bounds"
        /// Access to a page redzone or an unused part of a page_frag page.
        case outOfBounds = "out-of-bounds"
        case doubleFree = "double-free"
        case invalidFree = "invalid-free"
        /// Address outside the simulated direct map.
        case wildMemoryAccess = "wild-memory-access"
        /// `VM_BUG_ON_PAGE(page_ref_count(page) == 0)`: put on a page with refcount 0.
        case refcountUnderflow = "refcount-underflow"
    }
    public var kind: Kind
    /// The operation that triggered it (`copyOut`, `kfree`, `put_page`, ...).
    public var operation: String
    public var address: KernelAddress
    public var packet: Int
    public var event: UInt64
    /// The full multi-line report.
    public var text: String
    public var description: String { text }
}

/// The checker's state: reports so far. Leaks are computed on demand
/// (`MemorySystem.leakReport()`), like a kmemleak scan.
public struct Checker: Sendable {
    public internal(set) var reports: [KasanReport] = []
    public init() {}
    public func reports(of kind: KasanReport.Kind) -> [KasanReport] { reports.filter { $0.kind == kind } }
}

/// One object kmemleak would call unreferenced.
public struct LeakedObject: Hashable, Sendable {
    public var address: KernelAddress
    public var size: Int
    /// Cache name, `page_frag:<cache>`, `kmalloc_large` or `alloc_pages`.
    public var owner: String
    public var allocator: String
    public var allocEvent: UInt64
    public var allocPacket: Int
}

/// Result of a leak scan, with kmemleak's text.
public struct LeakReport: Sendable, CustomStringConvertible {
    public var objects: [LeakedObject]
    public var text: String
    public var isEmpty: Bool { objects.isEmpty }
    public var description: String { text }
}

/// Thrown by `expectNoLeaks()`; its description is the kmemleak report.
public struct MemoryLeakError: Error, CustomStringConvertible {
    public var report: LeakReport
    public var description: String { report.text }
}

// MARK: - Fragment tracking (hot path)

extension MemorySystem {
    /// Fill `n` shadow bytes at `p` with `code`. Fragments up to 256 bytes
    /// (n <= 32) get two to four overlapping inline stores instead of a
    /// memset call; larger runs go to memset.
    @inlinable @inline(__always)
    func fillShadow(_ p: UnsafeMutablePointer<UInt8>, count n: Int, _ code: UInt8) {
        let raw = UnsafeMutableRawPointer(p)
        let w = UInt64(code) &* 0x0101_0101_0101_0101
        // One compare per size class.
        if n > 32 {
            p.update(repeating: code, count: n)
        } else if UInt(bitPattern: n &- 8) <= 8 {  // 8...16
            raw.storeBytes(of: w, as: UInt64.self)
            raw.storeBytes(of: w, toByteOffset: n &- 8, as: UInt64.self)
        } else if UInt(bitPattern: n &- 17) <= 15 {  // 17...32
            raw.storeBytes(of: w, as: UInt64.self)
            raw.storeBytes(of: w, toByteOffset: 8, as: UInt64.self)
            raw.storeBytes(of: w, toByteOffset: n &- 16, as: UInt64.self)
            raw.storeBytes(of: w, toByteOffset: n &- 8, as: UInt64.self)
        } else if n >= 4 {
            let w = UInt32(code) &* 0x0101_0101
            raw.storeBytes(of: w, as: UInt32.self)
            raw.storeBytes(of: w, toByteOffset: n &- 4, as: UInt32.self)
        } else if n > 0 {
            p[0] = code
            p[n &>> 1] = code
            p[n &- 1] = code
        }
    }

    /// Record a fragment handed out and open its shadow.
    @inlinable @inline(__always)
    func trackFragAlloc(_ addr: KernelAddress, _ size: Int, _ cache: UInt16) {
        trackFragAlloc(addr, size, cache, page: Int(pages[virt_to_page(addr).index].head))
    }

    /// `trackFragAlloc` when the caller knows the head page.
    @inlinable @inline(__always)
    func trackFragAlloc(_ addr: KernelAddress, _ size: Int, _ cache: UInt16, page: Int) {
        let event = nextEvent()
        guard _fastPath(size > 0) else { return }
        let off = offsetInArena(addr)
        openFragShadow(off, size)
        // FragmentTable.insert, reading only the two table fields it needs.
        let slot = fragments.slots + (off &>> FragmentTable.blockShift)
        if _fastPath(slot.pointee.allocEvent <= fragments.generations[page]) {
            FragmentTable.fill(
                slot, addr: addr.raw, size: size, cache: cache, page: page, event: event, packet: ctx.pointee.packet)
            slot.pointee.chain = 0
        } else {
            fragments.insertShared(
                addr: addr.raw, offset: off, size: size, cache: cache, page: page,
                pages: pages, event: event, packet: ctx.pointee.packet)
        }
    }

    /// Retire the fragment `addr` points into. Returns false if the free
    /// must be skipped (double or invalid free, already reported).
    @usableFromInline func trackFragFree(_ addr: KernelAddress, _ head: Int) -> Bool {
        let f = fragments.find(addr.raw, offset: offsetInArena(addr), page: head)
        if f != 0 && fragments.isLive(f) {
            retireFragment(f)
            return true
        }
        if f != 0 {
            reportDoubleFree(addr, op: "page_frag_free")
            return false
        }
        guard pages[head].ownerKind == PageOwnerKind.pageFrag.rawValue else { return true }
        let r = fragmentContaining(addr, head: head)
        if r != 0 {
            if fragments.isLive(r) {
                retireFragment(r)
                return true
            }
            reportDoubleFree(addr, op: "page_frag_free")
            return false
        }
        // Untracked fragments (overflow pool full) cannot be judged.
        if fragments.state.pointee.untracked > 0 || pages[head].refcount <= 0 { return true }
        reportInvalidFree(addr, op: "page_frag_free", why: "not inside a fragment handed out by a page_frag cache")
        return false
    }

    /// Drop a reference of fragment `f`; on the last, record the free and
    /// poison its shadow.
    func retireFragment(_ f: FragmentTable.FragRef) {
        guard fragments.dropRef(f) else { return }
        let (off, size) = fragments.markFreed(f, event: nextEvent(), packet: ctx.pointee.packet)
        fragCaches[Int(fragments.record(f).pointee.cache)].stats.freedBytes &+= size
        poisonFragShadow(off, size)
    }

    /// The fragment whose range contains `addr` on page_frag head page `head`.
    func fragmentContaining(_ addr: KernelAddress, head: Int) -> FragmentTable.FragRef {
        fragments.containing(
            addr.raw, offset: offsetInArena(addr), page: head,
            firstBlock: (head << pageShift) >> FragmentTable.blockShift)
    }

    /// Each fragment of the current generation of page_frag head page `head`.
    func forEachFragment(head: Int, _ body: (FragmentTable.FragRef) -> Void) {
        fragments.forEach(
            page: head, firstBlock: (head << pageShift) >> FragmentTable.blockShift,
            blockCount: (pageSize << Int(pages[head].order)) >> FragmentTable.blockShift, body)
    }

    /// `skb_frag_ref`-style extra reference on a page_frag fragment:
    /// `get_page(virt_to_head_page(addr))`, and the fragment stays live until
    /// a matching number of `page_frag_free` calls.
    public func page_frag_ref(_ addr: KernelAddress) {
        guard isValid(addr) else {
            reportWild(addr, size: 0, op: "page_frag_ref", isWrite: false, isFree: false)
            return
        }
        let head = Int(pages[virt_to_page(addr).index].head)
        var f = fragments.find(addr.raw, offset: offsetInArena(addr), page: head)
        if f == 0 && pages[head].ownerKind == PageOwnerKind.pageFrag.rawValue {
            f = fragmentContaining(addr, head: head)
        }
        if f != 0 && fragments.isLive(f) { fragments.addRef(f) }
        get_page(PFN(head))
    }

    /// Fragments the checker tracks (live, and freed ones of each page's
    /// current generation) and fragments handed out untracked.
    public var trackedFragments: (used: Int, untracked: Int) {
        var used = 0
        var pfn = 0
        while pfn < pageCount {
            let p = pages[pfn]
            if p.flags & PageFlag.allocated != 0 && p.ownerKind == PageOwnerKind.pageFrag.rawValue {
                forEachFragment(head: pfn) { _ in used += 1 }
            }
            pfn += p.flags & PageFlag.allocated != 0 ? 1 << Int(p.order) : 1
        }
        return (used, fragments.state.pointee.untracked)
    }
}

// MARK: - Reports

extension MemorySystem {
    static let separator = "=================================================================="

    func who(_ packet: Int64, _ event: UInt64) -> String { "packet \(packet) (event \(event))" }

    func append(_ kind: KasanReport.Kind, _ op: String, _ addr: KernelAddress, _ body: String) {
        let packet = ctx.pointee.packet
        let event = ctx.pointee.event
        let text = MemorySystem.separator + "\n" + body + "\n" + MemorySystem.separator
        checker.reports.append(
            KasanReport(kind: kind, operation: op, address: addr, packet: Int(packet), event: event, text: text))
    }

    /// Describe the memory at `addr` the way KASAN's `print_address_description` does.
    func describe(_ addr: KernelAddress) -> (text: String, slab: Bool) {
        guard isValid(addr) else { return ("", false) }
        let pfn = virt_to_page(addr).index
        let head = Int(pages[pfn].head)
        let hp = pages[head]
        if hp.flags & PageFlag.slab != 0 {
            let ci = Int(hp.ownerID)
            let c = caches[ci]
            let slabOff = offsetInArena(addr) - (head << pageShift)
            let obj = slabOff / c.size
            guard obj < c.objectsPerSlab else {
                return ("The buggy address belongs to the slab padding of cache \(c.name)", true)
            }
            let start = KernelAddress(KernelAddress.directMapBase + UInt64((head << pageShift) + obj * c.size))
            let m = c.objects[Int(hp.next) * c.objectsPerSlab + obj]
            let region = m.live ? "allocated \(m.requested)-byte region" : "freed \(c.objectSize)-byte region"
            let len = m.live ? Int(m.requested) : c.objectSize
            var s =
                "The buggy address belongs to the object at \(start)\n which belongs to the cache \(c.name) of size \(c.objectSize)\n"
            s += "The buggy address is located \(addr - start) bytes inside of\n \(region) [\(start), \(start + len))\n"
            if m.allocEvent != 0 { s += "\nAllocated by \(who(m.allocPacket, m.allocEvent)): \(m.allocatedBy)" }
            if !m.live && m.freeEvent != 0 { s += "\nFreed by \(who(m.freePacket, m.freeEvent)): \(m.freedBy)" }
            return (s, true)
        }
        if hp.ownerKind == PageOwnerKind.pageFrag.rawValue {
            let r = fragmentContaining(addr, head: head)
            let name = fragCacheNames[Int(hp.ownerID)]
            guard r != 0 else {
                return (
                    "The buggy address belongs to page_frag cache \(name)'s page at \(page_address(PFN(head))) (order \(hp.order)), in no fragment handed out",
                    false
                )
            }
            let rec = fragments.info(r)
            let start = KernelAddress(rec.addr)
            var s =
                "The buggy address belongs to the page_frag fragment at \(start)\n which belongs to the page_frag cache \(name), fragment size \(rec.size)\n"
            s +=
                "The buggy address is located \(addr - start) bytes inside of\n \(rec.live ? "allocated" : "freed") \(rec.size)-byte region [\(start), \(start + Int(rec.size)))\n"
            s += "\nAllocated by \(who(rec.allocPacket, rec.allocEvent)): page_frag_alloc"
            if !rec.live { s += "\nFreed by \(who(rec.freePacket, rec.freeEvent)): page_frag_free" }
            return (s, false)
        }
        if hp.ownerKind == PageOwnerKind.kmallocLarge.rawValue {
            let start = page_address(PFN(head))
            return (
                "The buggy address belongs to the large kmalloc at \(start) of size \(hp.requested)\n located \(addr - start) bytes inside\n\nAllocated by \(who(hp.allocPacket, hp.allocEvent)): kmalloc",
                false
            )
        }
        var s =
            "The buggy address belongs to the physical page:\npage: refcount:\(pages[pfn].refcount) pfn:0x\(String(pfn, radix: 16)) order:\(hp.order)\n"
        if hp.flags & (PageFlag.buddy | PageFlag.allocated) == PageFlag.buddy || (hp.flags == 0 && hp.refcount == 0) {
            s += "page is free (in the buddy allocator)"
            if pages[pfn].freeEvent != 0 {
                s += "\n\nAllocated by \(who(pages[pfn].allocPacket, pages[pfn].allocEvent)): alloc_pages"
                s += "\nFreed by \(who(pages[pfn].freePacket, pages[pfn].freeEvent)): __free_pages"
            }
        } else if hp.allocEvent != 0 {
            s += "\nAllocated by \(who(hp.allocPacket, hp.allocEvent)): alloc_pages"
        }
        return (s, false)
    }

    @usableFromInline func reportDoubleFree(_ addr: KernelAddress, op: StaticString) {
        let op = "\(op)"
        append(
            .doubleFree, op, addr,
            "BUG: KASAN: double-free in \(op)\nFree of addr \(addr) by \(who(ctx.pointee.packet, ctx.pointee.event)) (skipped)\n\n"
                + describe(addr).text)
    }

    @usableFromInline func reportInvalidFree(_ addr: KernelAddress, op: StaticString, why: String) {
        let op = "\(op)"
        append(
            .invalidFree, op, addr,
            "BUG: KASAN: invalid-free in \(op)\nFree of addr \(addr) by \(who(ctx.pointee.packet, ctx.pointee.event)) (skipped): \(why)\n\n"
                + describe(addr).text)
    }

    @usableFromInline func reportWild(_ addr: KernelAddress, size: Int, op: StaticString, isWrite: Bool, isFree: Bool) {
        let op = "\(op)"
        let what = isFree ? "Free of addr \(addr)" : "\(isWrite ? "Write" : "Read") of size \(size) at addr \(addr)"
        append(
            .wildMemoryAccess, op, addr,
            "BUG: KASAN: wild-memory-access in \(op)\n\(what) by \(who(ctx.pointee.packet, ctx.pointee.event))")
    }

    @usableFromInline func reportRefcountUnderflow(_ head: Int, op: String, sub: Int32) {
        let p = pages[head]
        let addr = page_address(PFN(head))
        var s =
            "page: refcount:\(p.refcount) mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x\(String(head, radix: 16))\n"
        s += "page dumped because: VM_BUG_ON_PAGE(page_ref_count(page) == 0)\n"
        if sub > 1 { s += "(\(op) would subtract \(sub) from refcount \(p.refcount))\n" }
        s += "kernel BUG in \(op) by \(who(ctx.pointee.packet, ctx.pointee.event)) (skipped)\n\n" + describe(addr).text
        append(.refcountUnderflow, op, addr, s)
    }

    /// Report a bad access at the first poisoned byte `bad` of [addr, addr+size).
    @usableFromInline func reportBadAccess(
        _ addr: KernelAddress, size: Int, bad: KernelAddress, code: UInt8, op: StaticString, isWrite: Bool
    ) {
        let op = "\(op)"
        let (desc, slab) = describe(bad)
        let kind: KasanReport.Kind
        switch code {
        case Shadow.slabFree: kind = .slabUseAfterFree
        case Shadow.pageFree, Shadow.fragFree: kind = .useAfterFree
        case Shadow.slabRedzone, 1...7: kind = slab ? .slabOutOfBounds : .outOfBounds
        default: kind = .outOfBounds
        }
        append(
            kind, op, bad,
            "BUG: KASAN: \(kind.rawValue) in \(op)\n\(isWrite ? "Write" : "Read") of size \(size) at addr \(bad) by \(who(ctx.pointee.packet, ctx.pointee.event))\n\n"
                + desc)
    }
}

// MARK: - Leaks (kmemleak-style scan)

extension MemorySystem {
    /// Everything still allocated that no cache holds: slab objects,
    /// large kmallocs, page_frag fragments, `alloc_pages` by callers
    /// (except pages a `kmemleakRoots` provider names).
    public func leakReport() -> LeakReport {
        var leaks: [LeakedObject] = []
        // Objects a per-CPU cache of the kernel's still references.
        let referenced = Set(kmemleakRoots.flatMap { $0() }.map(\.raw))
        for c in caches {
            for (s, slab) in c.slabs.enumerated() where slab.pfn >= 0 && slab.inuse > 0 {
                for i in 0..<c.objectsPerSlab {
                    let m = c.objects[s * c.objectsPerSlab + i]
                    guard m.live else { continue }
                    let a = KernelAddress(
                        KernelAddress.directMapBase + UInt64((Int(slab.pfn) << pageShift) + i * c.size))
                    if referenced.contains(a.raw) { continue }
                    leaks.append(
                        LeakedObject(
                            address: a, size: Int(m.requested), owner: c.name, allocator: "\(m.allocatedBy)",
                            allocEvent: m.allocEvent, allocPacket: Int(m.allocPacket)))
                }
            }
        }
        var pfn = 0
        while pfn < pageCount {
            let p = pages[pfn]
            if p.flags & PageFlag.allocated != 0 {
                switch PageOwnerKind(rawValue: p.ownerKind) {
                case .kmallocLarge:
                    leaks.append(
                        LeakedObject(
                            address: page_address(PFN(pfn)), size: Int(p.requested), owner: "kmalloc_large",
                            allocator: "kmalloc", allocEvent: p.allocEvent, allocPacket: Int(p.allocPacket)))
                case .caller:
                    // A page a kernel structure still points to (a task's page_frag).
                    if referenced.contains(page_address(PFN(pfn)).raw) { break }
                    leaks.append(
                        LeakedObject(
                            address: page_address(PFN(pfn)), size: pageSize << Int(p.order),
                            owner: "alloc_pages(tag \(p.ownerID))",
                            allocator: "alloc_pages", allocEvent: p.allocEvent, allocPacket: Int(p.allocPacket)))
                case .pageFrag:
                    forEachFragment(head: pfn) { f in
                        let rec = fragments.info(f)
                        if rec.live {
                            leaks.append(
                                LeakedObject(
                                    address: KernelAddress(rec.addr), size: rec.size,
                                    owner: "page_frag:\(fragCacheNames[rec.cache])",
                                    allocator: "page_frag_alloc", allocEvent: rec.allocEvent,
                                    allocPacket: Int(rec.allocPacket)))
                        }
                    }
                default: break
                }
                pfn += 1 << Int(p.order)
            } else {
                pfn += 1
            }
        }
        leaks.sort { $0.allocEvent < $1.allocEvent }
        guard !leaks.isEmpty else { return LeakReport(objects: [], text: "kmemleak: no suspected memory leaks") }
        var text = "kmemleak: \(leaks.count) new suspected memory leaks (see /sys/kernel/debug/kmemleak)"
        for l in leaks {
            text += "\nunreferenced object 0x\(l.address) (size \(l.size)):"
            text += "\n  comm \"skbsim\", packet \(l.allocPacket), event \(l.allocEvent), owner \(l.owner)"
            let n = min(l.size, 32)
            if n > 0 {
                text += "\n  hex dump (first \(n) bytes):"
                let bytes = rawBytes(at: l.address, count: n)
                var i = 0
                while i < n {
                    let row = bytes[i..<min(i + 16, n)]
                    let hex = row.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
                    let ascii = String(row.map { $0 >= 0x20 && $0 < 0x7f ? Character(UnicodeScalar($0)) : "." })
                    text += "\n    " + hex + String(repeating: " ", count: 49 - hex.count) + " " + ascii
                    i += 16
                }
            }
            text += "\n  backtrace:\n    \(l.allocator)"
        }
        return LeakReport(objects: leaks, text: text)
    }

    /// Throw the kmemleak report if anything leaked.
    public func expectNoLeaks() throws(MemoryLeakError) {
        let r = leakReport()
        if !r.isEmpty { throw MemoryLeakError(report: r) }
    }
}

// MARK: - Reports from layers above the allocator

extension MemorySystem {
    /// Record a use-after-free found by a layer above the allocator (e.g.
    /// the sk_buff model touching an skb it already freed), described like
    /// KASAN describes the memory at `addr` now: a freed slab object gives
    /// `slab-use-after-free`, anything else `use-after-free`.
    public func reportUseAfterFree(at addr: KernelAddress, size: Int, operation: StaticString, isWrite: Bool) {
        let op = "\(operation)"
        let (desc, slab) = describe(addr)
        let kind: KasanReport.Kind = slab ? .slabUseAfterFree : .useAfterFree
        append(
            kind, op, addr,
            "BUG: KASAN: \(kind.rawValue) in \(op)\n\(isWrite ? "Write" : "Read") of size \(size) at addr \(addr) by \(who(ctx.pointee.packet, ctx.pointee.event))\n\n"
                + desc)
    }

    /// Record a kernel warning that is not an access report, e.g.
    /// `refcount_t: underflow; use-after-free.` (lib/refcount.c), with the
    /// object it concerns described as KASAN would.
    public func reportWarning(
        _ kind: KasanReport.Kind, operation: StaticString, address: KernelAddress, message: String
    ) {
        let op = "\(operation)"
        append(
            kind, op, address,
            "WARNING: \(message)\nin \(op) by \(who(ctx.pointee.packet, ctx.pointee.event))\n\n"
                + describe(address).text)
    }
}
