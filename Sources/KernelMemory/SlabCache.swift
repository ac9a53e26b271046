/// Handle of a kmem_cache in a `MemorySystem`.
public struct KmemCacheID: Hashable, Sendable {
    public var raw: UInt16
    @inlinable public init(raw: UInt16) { self.raw = raw }
}

/// `/proc/slabinfo`-like statistics of one cache.
public struct SlabInfo: Hashable, Sendable {
    public var name: String
    /// `s->object_size` (what `ksize` reports for kmalloc caches).
    public var objectSize: Int
    /// `s->size`: object stride in the slab (the slabinfo `<objsize>`).
    public var size: Int
    public var objectsPerSlab: Int
    /// Slab order (`<pagesperslab>` = 1 << order).
    public var order: Int
    public var activeObjects: Int
    public var numObjects: Int
    public var numSlabs: Int
    public var pages: Int { numSlabs << order }
    public var allocations: Int
    public var frees: Int
    public var allocationFailures: Int
}

@usableFromInline
struct ObjectMeta {
    @usableFromInline var allocEvent: UInt64 = 0
    @usableFromInline var freeEvent: UInt64 = 0
    @usableFromInline var allocPacket: Int64 = -1
    @usableFromInline var freePacket: Int64 = -1
    /// Bytes requested (kmalloc) for the shadow redzone and leak report.
    @usableFromInline var requested: UInt32 = 0
    @usableFromInline var nextFree: Int32 = -1
    @usableFromInline var live = false
    /// Free path that released it, for reports.
    @usableFromInline var freedBy: StaticString = ""
    @usableFromInline var allocatedBy: StaticString = ""
    init() {}
}

/// `struct reciprocal_value` (`include/linux/reciprocal_div.h`): division
/// of a u32 by a constant as a multiply and two shifts, exact for every
/// dividend (`lib/reciprocal_div.c`).
@usableFromInline
struct ReciprocalValue {
    @usableFromInline var m: UInt32
    @usableFromInline var sh1: UInt8
    @usableFromInline var sh2: UInt8

    /// `reciprocal_value(d)`, d > 0.
    init(_ d: UInt32) {
        precondition(d > 0, "reciprocal_value(0)")
        let l = d == 1 ? 0 : 32 - (d - 1).leadingZeroBitCount  // fls(d - 1)
        let m = ((UInt64(1) << 32) * ((UInt64(1) << UInt64(l)) - UInt64(d))) / UInt64(d) + 1
        self.m = UInt32(truncatingIfNeeded: m)
        sh1 = UInt8(min(l, 1))
        sh2 = UInt8(max(l - 1, 0))
    }

    /// `reciprocal_divide(a, R)`: a / d.
    @inlinable func divide(_ a: UInt32) -> UInt32 {
        let t = UInt32(truncatingIfNeeded: (UInt64(a) &* UInt64(m)) &>> 32)
        return (t &+ ((a &- t) &>> UInt32(sh1))) &>> UInt32(sh2)
    }
}

@usableFromInline
struct SlabRecord {
    @usableFromInline var pfn: Int32 = -1
    @usableFromInline var freeHead: Int32 = -1
    @usableFromInline var inuse: Int32 = 0
    @usableFromInline var inPartial = false
    @usableFromInline var pfmemalloc = false
}

/// `struct kmem_cache` (SLUB, `mm/slub.c`), simplified to one node, no
/// per-CPU slabs: a stack of partial slabs, per-slab LIFO free lists of
/// object indexes (SLUB's freelist order without CONFIG_SLAB_FREELIST_RANDOM),
/// empty slabs kept up to `min_partial` (5, as `/sys/kernel/slab/*/min_partial`
/// shows on Linux 6.18) and freed beyond.
///
/// The metadata lives in `PointerPool`s (unmanaged, index-addressed), freed by
/// `MemorySystem.deinit` through `deallocate()`.
@usableFromInline
struct KmemCache {
    @usableFromInline var name: String
    @usableFromInline var objectSize: Int
    @usableFromInline var size: Int
    @usableFromInline var order: Int
    @usableFromInline var objectsPerSlab: Int
    @usableFromInline var slabs = PointerPool<SlabRecord>()
    /// Object records, slab slot `s` owning `[s * objectsPerSlab, (s + 1) * objectsPerSlab)`.
    @usableFromInline var objects = PointerPool<ObjectMeta>()
    /// Partial slab slots; the last one is allocated from.
    @usableFromInline var partial = PointerPool<Int32>()
    /// Slab slots whose slab was discarded, for reuse.
    @usableFromInline var freeSlots = PointerPool<Int32>()
    @usableFromInline var emptySlabs = 0
    @usableFromInline var activeObjects = 0
    @usableFromInline var numSlabs = 0
    @usableFromInline var allocations = 0
    @usableFromInline var frees = 0
    @usableFromInline var failures = 0
    /// `kmem_cache->reciprocal_size` (`reciprocal_value(size)`): object
    /// indexes are found by multiplication, as `obj_to_index` does.
    @usableFromInline var reciprocalSize: ReciprocalValue
    @usableFromInline static let minPartial = 5

    init(name: String, objectSize: Int, size: Int, order: Int, objectsPerSlab: Int) {
        self.name = name
        self.objectSize = objectSize
        self.size = size
        self.order = order
        self.objectsPerSlab = objectsPerSlab
        reciprocalSize = ReciprocalValue(UInt32(size))
    }

    mutating func deallocate() {
        slabs.deallocate()
        objects.deallocate()
        partial.deallocate()
        freeSlots.deallocate()
    }
}

extension MemorySystem {
    /// SLUB's `calc_slab_order` with `slub_min_objects`: the smallest order
    /// holding at least `min_objects` objects, capped at
    /// `PAGE_ALLOC_COSTLY_ORDER` but never below `get_order(size)`.
    public func slabOrder(forSize size: Int) -> Int {
        let minOrder = config.get_order(size)
        var order = minOrder
        while order < KernelConfig.pageAllocCostlyOrder && (pageSize << order) / size < config.slubMinObjects {
            order += 1
        }
        return max(order, minOrder)
    }

    /// `kmem_cache_create(name, size, align, flags)`; `align` is the
    /// effective alignment (SLAB_HWCACHE_ALIGN = cache line), `size`
    /// becomes `ALIGN(size, max(align, 8))`.
    public func kmem_cache_create(name: String, size objectSize: Int, align: Int = 8) -> KmemCacheID {
        let a = max(align, 8)
        let size = (objectSize + a - 1) & ~(a - 1)
        let order = slabOrder(forSize: size)
        caches.append(
            KmemCache(
                name: name, objectSize: objectSize, size: size, order: order,
                objectsPerSlab: (pageSize << order) / size))
        return KmemCacheID(raw: UInt16(caches.count - 1))
    }

    /// Find a cache by name (`skbuff_head_cache` resolves to `skbuff_cache`).
    public func kmemCache(named name: String) -> KmemCacheID? {
        let wanted = name == "skbuff_head_cache" ? "skbuff_cache" : name
        return caches.firstIndex { $0.name == wanted }.map { KmemCacheID(raw: UInt16($0)) }
    }

    public func slabInfo(_ id: KmemCacheID) -> SlabInfo {
        let c = caches[Int(id.raw)]
        return SlabInfo(
            name: c.name, objectSize: c.objectSize, size: c.size, objectsPerSlab: c.objectsPerSlab,
            order: c.order, activeObjects: c.activeObjects, numObjects: c.numSlabs * c.objectsPerSlab,
            numSlabs: c.numSlabs, allocations: c.allocations, frees: c.frees, allocationFailures: c.failures)
    }

    /// All caches, like `/proc/slabinfo`.
    public var slabInfos: [SlabInfo] { (0..<caches.count).map { slabInfo(KmemCacheID(raw: UInt16($0))) } }

    /// `kmem_cache_alloc(s, gfp)`.
    @inlinable
    public func kmem_cache_alloc(_ id: KmemCacheID, _ gfp: GFP) -> KernelAddress? {
        slabAlloc(Int(id.raw), gfp, requested: caches[Int(id.raw)].objectSize, caller: "kmem_cache_alloc")
    }

    /// `kmem_cache_free(s, obj)`. Freeing into the wrong cache warns like
    /// `cache_from_obj` ("Wrong slab cache") and frees into the object's cache.
    @inlinable
    public func kmem_cache_free(_ id: KmemCacheID, _ addr: KernelAddress?) {
        guard let addr else { return }
        guard _fastPath(isValid(addr)) else {
            reportWild(addr, size: 0, op: "kmem_cache_free", isWrite: true, isFree: true)
            return
        }
        let head = Int(pages[virt_to_page(addr).index].head)
        guard _fastPath(pages[head].flags & PageFlag.slab != 0) else {
            reportInvalidFree(addr, op: "kmem_cache_free", why: "not a slab object")
            return
        }
        let real = Int(pages[head].ownerID)
        if _slowPath(real != Int(id.raw)) { warnWrongCache(Int(id.raw), real) }
        slabFree(real, head, addr, op: "kmem_cache_free")
    }

    @usableFromInline @inline(never) func warnWrongCache(_ wanted: Int, _ real: Int) {
        warnings.append(
            "cache_from_obj: Wrong slab cache. \(caches[wanted].name) but object is from \(caches[real].name)")
    }

    /// `slab_alloc_node` fast path: the object at the head of the last
    /// partial slab's free list. A new slab, failure injection and the
    /// out-of-memory warning are out of line.
    @inlinable
    func slabAlloc(_ ci: Int, _ gfp: GFP, requested: Int, caller: StaticString) -> KernelAddress? {
        let event = nextEvent()
        if _slowPath(failSlab.isArmed) && failSlab.shouldFail(gfp: gfp, order: 0) {
            caches[ci].failures += 1
            return nil
        }
        let c = caches.pointer(ci)
        let np = c.pointee.partial.count
        var slot: Int32 = np > 0 ? c.pointee.partial[np - 1] : -1
        if _slowPath(slot < 0 || (c.pointee.slabs[Int(slot)].pfmemalloc && !gfp_pfmemalloc_allowed(gfp))) {
            slot = slabAllocNewSlab(ci, gfp)
            if slot < 0 { return nil }
        }
        let s = Int(slot)
        let size = c.pointee.size
        let slab = c.pointee.slabs.pointer(s)
        let obj = Int(slab.pointee.freeHead)
        let meta = c.pointee.objects.pointer(s * c.pointee.objectsPerSlab + obj)
        slab.pointee.freeHead = meta.pointee.nextFree
        if slab.pointee.inuse == 0 { c.pointee.emptySlabs -= 1 }
        slab.pointee.inuse += 1
        meta.pointee.live = true
        meta.pointee.allocEvent = event
        meta.pointee.allocPacket = ctx.pointee.packet
        meta.pointee.requested = UInt32(truncatingIfNeeded: requested)
        meta.pointee.allocatedBy = caller
        c.pointee.activeObjects += 1
        c.pointee.allocations += 1
        if slab.pointee.freeHead < 0 {
            // Full: off the partial list (it is the last entry).
            slab.pointee.inPartial = false
            partialRemove(ci, slot)
        }
        let off = (Int(slab.pointee.pfn) &<< pageShift) &+ obj &* size
        unpoisonObject(off, requested: requested, size: size)
        if gfp.contains(.__GFP_ZERO) {
            (arena + off).initializeMemory(as: UInt8.self, repeating: 0, count: c.pointee.objectSize)
        }
        return KernelAddress(KernelAddress.directMapBase + UInt64(off))
    }

    /// Removes slab slot `slot` from cache `ci`'s partial list.
    @inlinable func partialRemove(_ ci: Int, _ slot: Int32) {
        let c = caches.pointer(ci)
        let n = c.pointee.partial.count
        if n > 0 && c.pointee.partial[n - 1] == slot {
            c.pointee.partial.count = n - 1  // Int32 elements: nothing to deinitialise
        } else if let i = c.pointee.partial.lastIndex(of: slot) {
            c.pointee.partial.remove(at: i)
        }
    }

    /// Slow path of `slabAlloc`: no usable partial slab, take a new one.
    /// Returns its slot, or -1 after counting (and reporting) the failure.
    @usableFromInline @inline(never) func slabAllocNewSlab(_ ci: Int, _ gfp: GFP) -> Int32 {
        let slot = newSlab(ci, gfp)
        if slot < 0 {
            caches[ci].failures += 1
            if !gfp.contains(.__GFP_NOWARN) {
                let c = caches[ci]
                warnings.append(
                    "SLUB: Unable to allocate memory on node -1, gfp=\(gfp)\n  cache: \(c.name), object size: \(c.objectSize), buffer size: \(c.size), default order: \(c.order), min order: \(config.get_order(c.size))"
                )
            }
        }
        return slot
    }

    /// KASAN-style unpoison: `requested` bytes accessible (a partial last
    /// granule records how many), the rest of the object a slab redzone.
    @inlinable func unpoisonObject(_ off: Int, requested: Int, size: Int) {
        let g = off &>> Shadow.granuleShift
        let full = requested &>> Shadow.granuleShift
        fillShadow(g, Shadow.accessible, count: full)
        var done = full
        let partial = requested & (Shadow.granule - 1)
        if partial != 0 {
            shadow[g &+ full] = UInt8(truncatingIfNeeded: partial)
            done &+= 1
        }
        fillShadow(g &+ done, Shadow.slabRedzone, count: (size &>> Shadow.granuleShift) &- done)
    }

    /// Sets `count` shadow bytes from granule `g` to `code`. Up to 32 bytes
    /// (256 bytes of memory, an sk_buff) with a few overlapping word stores
    /// instead of a `memset` call; more with `memset`.
    @inlinable @inline(__always) func fillShadow(_ g: Int, _ code: UInt8, count n: Int) {
        let p = UnsafeMutableRawPointer(shadow + g)
        let word = UInt64(code) &* 0x0101_0101_0101_0101
        if n >= 8 {
            if n > 32 {
                p.initializeMemory(as: UInt8.self, repeating: code, count: n)
                return
            }
            p.storeBytes(of: word, as: UInt64.self)
            if n > 16 {
                p.storeBytes(of: word, toByteOffset: 8, as: UInt64.self)
                p.storeBytes(of: word, toByteOffset: n - 16, as: UInt64.self)
            }
            p.storeBytes(of: word, toByteOffset: n - 8, as: UInt64.self)
        } else if n >= 4 {
            p.storeBytes(of: UInt32(truncatingIfNeeded: word), as: UInt32.self)
            p.storeBytes(of: UInt32(truncatingIfNeeded: word), toByteOffset: n - 4, as: UInt32.self)
        } else if n > 0 {
            p.storeBytes(of: code, as: UInt8.self)
            p.storeBytes(of: code, toByteOffset: n - 1, as: UInt8.self)
            if n == 3 { p.storeBytes(of: code, toByteOffset: 1, as: UInt8.self) }
        }
    }

    /// `allocate_slab`: pages from the buddy allocator (compound), objects
    /// chained in address order, the whole slab a redzone in the shadow.
    @usableFromInline func newSlab(_ ci: Int, _ gfp: GFP) -> Int32 {
        let order = caches[ci].order
        var pageGfp = gfp
        pageGfp.formUnion(order > 0 ? [.__GFP_COMP, .__GFP_NOWARN] : [.__GFP_NOWARN])
        guard let pfn = alloc_pages(pageGfp, order: order, owner: .slab(KmemCacheID(raw: UInt16(ci)))) else {
            return -1
        }
        pages[pfn.index].flags |= PageFlag.slab
        let per = caches[ci].objectsPerSlab
        let slot: Int32
        if let reuse = caches[ci].freeSlots.popLast() {
            slot = reuse
        } else {
            slot = Int32(caches[ci].slabs.count)
            caches[ci].slabs.append(SlabRecord())
            caches[ci].objects.append(repeating: ObjectMeta(), count: per)
        }
        pages[pfn.index].next = slot
        let base = Int(slot) * per
        for i in 0..<per {
            caches[ci].objects[base + i] = ObjectMeta()
            caches[ci].objects[base + i].nextFree = i + 1 < per ? Int32(i + 1) : -1
        }
        caches[ci].slabs[Int(slot)] = SlabRecord(
            pfn: pfn.raw, freeHead: 0, inuse: 0, inPartial: true,
            pfmemalloc: page_is_pfmemalloc(pfn))
        caches[ci].partial.append(slot)
        caches[ci].emptySlabs += 1
        caches[ci].numSlabs += 1
        let bytes = pageSize << order
        (shadow + (pfn.index << pageShift) / Shadow.granule).update(
            repeating: Shadow.slabRedzone, count: bytes / Shadow.granule)
        if poisonOnFree {
            let size = caches[ci].size
            let objSize = caches[ci].objectSize
            for i in 0..<per { poisonObject((pfn.index << pageShift) + i * size, objSize) }
        }
        return slot
    }

    /// SLUB's free poison: `object_size - 1` bytes of `POISON_FREE`, then `POISON_END`.
    @inlinable func poisonObject(_ off: Int, _ objectSize: Int) {
        (arena + off).initializeMemory(as: UInt8.self, repeating: Poison.free, count: objectSize - 1)
        (arena + off + objectSize - 1).storeBytes(of: Poison.end, as: UInt8.self)
    }

    /// Free an object of cache `ci` on slab head page `head`.
    @inlinable
    func slabFree(_ ci: Int, _ head: Int, _ addr: KernelAddress, op: StaticString) {
        let off = offsetInArena(addr)
        let slabOff = off &- (head &<< pageShift)
        let c = caches.pointer(ci)
        let size = c.pointee.size
        let per = c.pointee.objectsPerSlab
        // __obj_to_index: reciprocal_divide(offset, cache->reciprocal_size).
        // A slab is at most PAGE_SIZE << PAGE_ALLOC_COSTLY_ORDER bytes, so a
        // valid offset fits the u32 the kernel divides.
        let obj =
            slabOff >= 0 && slabOff <= Int(UInt32.max)
            ? Int(c.pointee.reciprocalSize.divide(UInt32(truncatingIfNeeded: slabOff))) : per
        guard _fastPath(slabOff &- obj &* size == 0 && obj < per) else {
            reportInvalidFree(addr, op: op, why: "not at the start of an object")
            return
        }
        let s = Int(pages[head].next)
        let meta = c.pointee.objects.pointer(s * per + obj)
        guard _fastPath(meta.pointee.live) else {
            reportDoubleFree(addr, op: op)
            return
        }
        let event = nextEvent()
        let slab = c.pointee.slabs.pointer(s)
        meta.pointee.live = false
        meta.pointee.freeEvent = event
        meta.pointee.freePacket = ctx.pointee.packet
        meta.pointee.freedBy = op
        meta.pointee.nextFree = slab.pointee.freeHead
        slab.pointee.freeHead = Int32(truncatingIfNeeded: obj)
        slab.pointee.inuse -= 1
        c.pointee.activeObjects -= 1
        c.pointee.frees += 1
        let wasPartial = slab.pointee.inPartial
        slab.pointee.inPartial = true
        if poisonOnFree { poisonObject(off, c.pointee.objectSize) }
        fillShadow(off &>> Shadow.granuleShift, Shadow.slabFree, count: size &>> Shadow.granuleShift)
        if !wasPartial { c.pointee.partial.append(Int32(truncatingIfNeeded: s)) }
        if slab.pointee.inuse == 0 {
            c.pointee.emptySlabs += 1
            if c.pointee.emptySlabs > KmemCache.minPartial { discardSlab(ci, s) }
        }
    }

    /// `discard_slab`: give an empty slab's pages back.
    @usableFromInline @inline(never) func discardSlab(_ ci: Int, _ s: Int) {
        if let i = caches[ci].partial.firstIndex(of: Int32(s)) { caches[ci].partial.remove(at: i) }
        let pfn = Int(caches[ci].slabs[s].pfn)
        caches[ci].slabs[s] = SlabRecord()
        caches[ci].freeSlots.append(Int32(s))
        caches[ci].emptySlabs -= 1
        caches[ci].numSlabs -= 1
        pages[pfn].flags &= ~PageFlag.slab
        pages[pfn].refcount = 0
        freeBlock(pfn, caches[ci].order)
    }
}

extension MemorySystem {
    /// `kasan_mempool_poison_object(obj)`: an object of cache `id` parked in
    /// a cache of its owner's (the NAPI skb cache) stays allocated to the
    /// slab, but touching it is reported like a use-after-free (KASAN's free
    /// shadow) until `kasan_mempool_unpoison_object`. Its owner lists it in
    /// a `kmemleakRoots` provider, so kmemleak does not report it.
    public func kasan_mempool_poison_object(_ id: KmemCacheID, _ addr: KernelAddress) {
        let size = caches.pointer(Int(id.raw)).pointee.size
        fillShadow(offsetInArena(addr) &>> Shadow.granuleShift, Shadow.slabFree, count: size &>> Shadow.granuleShift)
    }

    /// `kasan_mempool_unpoison_object(obj, kmem_cache_size(s))`: the object
    /// is accessible again (handed out of the owner's cache).
    public func kasan_mempool_unpoison_object(_ id: KmemCacheID, _ addr: KernelAddress) {
        let c = caches.pointer(Int(id.raw))
        unpoisonObject(offsetInArena(addr), requested: c.pointee.objectSize, size: c.pointee.size)
    }
}
