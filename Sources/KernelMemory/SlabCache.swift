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
@usableFromInline
struct KmemCache {
    @usableFromInline var name: String
    @usableFromInline var objectSize: Int
    @usableFromInline var size: Int
    @usableFromInline var order: Int
    @usableFromInline var objectsPerSlab: Int
    @usableFromInline var slabs: ContiguousArray<SlabRecord> = []
    @usableFromInline var objects: ContiguousArray<ObjectMeta> = []
    @usableFromInline var partial: ContiguousArray<Int32> = []
    @usableFromInline var freeSlots: ContiguousArray<Int32> = []
    @usableFromInline var emptySlabs = 0
    @usableFromInline var activeObjects = 0
    @usableFromInline var numSlabs = 0
    @usableFromInline var allocations = 0
    @usableFromInline var frees = 0
    @usableFromInline var failures = 0
    @usableFromInline static let minPartial = 5
}

extension MemorySystem {
    /// SLUB's `calc_slab_order` with `slub_min_objects`: the smallest order
    /// holding at least `min_objects` objects, capped at
    /// `PAGE_ALLOC_COSTLY_ORDER` but never below `get_order(size)`.
    public func slabOrder(forSize size: Int) -> Int {
        let minOrder = config.getOrder(size)
        var order = minOrder
        while order < KernelConfig.pageAllocCostlyOrder && (pageSize << order) / size < config.slubMinObjects { order += 1 }
        return max(order, minOrder)
    }

    /// `kmem_cache_create(name, size, align, flags)`; `align` is the
    /// effective alignment (SLAB_HWCACHE_ALIGN = cache line), `size`
    /// becomes `ALIGN(size, max(align, 8))`.
    public func kmemCacheCreate(name: String, size objectSize: Int, align: Int = 8) -> KmemCacheID {
        let a = max(align, 8)
        let size = (objectSize + a - 1) & ~(a - 1)
        let order = slabOrder(forSize: size)
        caches.append(KmemCache(name: name, objectSize: objectSize, size: size, order: order,
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
        return SlabInfo(name: c.name, objectSize: c.objectSize, size: c.size, objectsPerSlab: c.objectsPerSlab,
                        order: c.order, activeObjects: c.activeObjects, numObjects: c.numSlabs * c.objectsPerSlab,
                        numSlabs: c.numSlabs, allocations: c.allocations, frees: c.frees, allocationFailures: c.failures)
    }

    /// All caches, like `/proc/slabinfo`.
    public var slabInfos: [SlabInfo] { (0..<caches.count).map { slabInfo(KmemCacheID(raw: UInt16($0))) } }

    /// `kmem_cache_alloc(s, gfp)`.
    public func kmemCacheAlloc(_ id: KmemCacheID, _ gfp: GFP) -> KernelAddress? {
        slabAlloc(Int(id.raw), gfp, requested: caches[Int(id.raw)].objectSize, caller: "kmem_cache_alloc")
    }

    /// `kmem_cache_free(s, obj)`. Freeing into the wrong cache warns like
    /// `cache_from_obj` ("Wrong slab cache") and frees into the object's cache.
    public func kmemCacheFree(_ id: KmemCacheID, _ addr: KernelAddress?) {
        guard let addr else { return }
        guard isValid(addr) else { reportWild(addr, size: 0, op: "kmem_cache_free", isWrite: true, isFree: true); return }
        let head = Int(pages[virtToPage(addr).index].head)
        guard pages[head].flags & PageFlag.slab != 0 else {
            reportInvalidFree(addr, op: "kmem_cache_free", why: "not a slab object")
            return
        }
        let real = Int(pages[head].ownerID)
        if real != Int(id.raw) {
            warnings.append("cache_from_obj: Wrong slab cache. \(caches[Int(id.raw)].name) but object is from \(caches[real].name)")
        }
        slabFree(real, head, addr, op: "kmem_cache_free")
    }

    @usableFromInline func slabAlloc(_ ci: Int, _ gfp: GFP, requested: Int, caller: StaticString) -> KernelAddress? {
        let event = nextEvent()
        if failSlab.isArmed && failSlab.shouldFail(gfp: gfp, order: 0) {
            caches[ci].failures += 1
            return nil
        }
        let allowReserves = gfpPfmemallocAllowed(gfp)
        var slot: Int32 = -1
        if let top = caches[ci].partial.last, !caches[ci].slabs[Int(top)].pfmemalloc || allowReserves {
            slot = top
        } else {
            slot = newSlab(ci, gfp)
            if slot < 0 {
                caches[ci].failures += 1
                if !gfp.contains(.__GFP_NOWARN) {
                    let c = caches[ci]
                    warnings.append("SLUB: Unable to allocate memory on node -1, gfp=\(gfp)\n  cache: \(c.name), object size: \(c.objectSize), buffer size: \(c.size), default order: \(c.order), min order: \(config.getOrder(c.size))")
                }
                return nil
            }
        }
        let s = Int(slot)
        let packet = ctx.pointee.packet
        // One uniqueness check per array for the whole update (nested
        // `caches[ci].objects[meta].x = ...` checks both arrays per store).
        let (off, full) = caches.withUnsafeMutableBufferPointer { cs -> (Int, Bool) in
            let c = cs.baseAddress.unsafelyUnwrapped + ci
            let per = c.pointee.objectsPerSlab, size = c.pointee.size
            return c.pointee.slabs.withUnsafeMutableBufferPointer { slabs -> (Int, Bool) in
                c.pointee.objects.withUnsafeMutableBufferPointer { objects -> (Int, Bool) in
                    let obj = Int(slabs[s].freeHead)
                    let meta = s * per + obj
                    slabs[s].freeHead = objects[meta].nextFree
                    if slabs[s].inuse == 0 { c.pointee.emptySlabs -= 1 }
                    slabs[s].inuse += 1
                    let full = slabs[s].freeHead < 0
                    if full { slabs[s].inPartial = false }
                    objects[meta].live = true
                    objects[meta].allocEvent = event
                    objects[meta].allocPacket = packet
                    objects[meta].requested = UInt32(requested)
                    objects[meta].allocatedBy = caller
                    c.pointee.activeObjects += 1
                    c.pointee.allocations += 1
                    return ((Int(slabs[s].pfn) << pageShift) + obj * size, full)
                }
            }
        }
        if full, let i = caches[ci].partial.lastIndex(of: slot) { caches[ci].partial.remove(at: i) }
        unpoisonObject(off, requested: requested, size: caches[ci].size)
        if gfp.contains(.__GFP_ZERO) { (arena + off).initializeMemory(as: UInt8.self, repeating: 0, count: caches[ci].objectSize) }
        return KernelAddress(KernelAddress.directMapBase + UInt64(off))
    }

    /// KASAN-style unpoison: `requested` bytes accessible (a partial last
    /// granule records how many), the rest of the object a slab redzone.
    @usableFromInline func unpoisonObject(_ off: Int, requested: Int, size: Int) {
        let g = off / Shadow.granule
        let full = requested / Shadow.granule
        (shadow + g).update(repeating: Shadow.accessible, count: full)
        var done = full
        if requested % Shadow.granule != 0 { shadow[g + full] = UInt8(requested % Shadow.granule); done += 1 }
        (shadow + g + done).update(repeating: Shadow.slabRedzone, count: size / Shadow.granule - done)
    }

    /// `allocate_slab`: pages from the buddy allocator (compound), objects
    /// chained in address order, the whole slab a redzone in the shadow.
    @usableFromInline func newSlab(_ ci: Int, _ gfp: GFP) -> Int32 {
        let order = caches[ci].order
        var pageGfp = gfp
        pageGfp.formUnion(order > 0 ? [.__GFP_COMP, .__GFP_NOWARN] : [.__GFP_NOWARN])
        guard let pfn = allocPages(pageGfp, order: order, owner: .slab(KmemCacheID(raw: UInt16(ci)))) else { return -1 }
        pages[pfn.index].flags |= PageFlag.slab
        let per = caches[ci].objectsPerSlab
        let slot: Int32
        if let reuse = caches[ci].freeSlots.popLast() {
            slot = reuse
        } else {
            slot = Int32(caches[ci].slabs.count)
            caches[ci].slabs.append(SlabRecord())
            caches[ci].objects.append(contentsOf: repeatElement(ObjectMeta(), count: per))
        }
        pages[pfn.index].next = slot
        let base = Int(slot) * per
        for i in 0..<per {
            caches[ci].objects[base + i] = ObjectMeta()
            caches[ci].objects[base + i].nextFree = i + 1 < per ? Int32(i + 1) : -1
        }
        caches[ci].slabs[Int(slot)] = SlabRecord(pfn: pfn.raw, freeHead: 0, inuse: 0, inPartial: true,
                                                 pfmemalloc: pageIsPfmemalloc(pfn))
        caches[ci].partial.append(slot)
        caches[ci].emptySlabs += 1
        caches[ci].numSlabs += 1
        let bytes = pageSize << order
        (shadow + (pfn.index << pageShift) / Shadow.granule).update(repeating: Shadow.slabRedzone, count: bytes / Shadow.granule)
        if poisonOnFree {
            let size = caches[ci].size, objSize = caches[ci].objectSize
            for i in 0..<per { poisonObject((pfn.index << pageShift) + i * size, objSize) }
        }
        return slot
    }

    /// SLUB's free poison: `object_size - 1` bytes of `POISON_FREE`, then `POISON_END`.
    @usableFromInline func poisonObject(_ off: Int, _ objectSize: Int) {
        (arena + off).initializeMemory(as: UInt8.self, repeating: Poison.free, count: objectSize - 1)
        (arena + off + objectSize - 1).storeBytes(of: Poison.end, as: UInt8.self)
    }

    /// Free an object of cache `ci` on slab head page `head`.
    @usableFromInline func slabFree(_ ci: Int, _ head: Int, _ addr: KernelAddress, op: StaticString) {
        let slabOff = offsetInArena(addr) - (head << pageShift)
        let size = caches[ci].size
        guard slabOff % size == 0, slabOff / size < caches[ci].objectsPerSlab else {
            reportInvalidFree(addr, op: op, why: "not at the start of an object")
            return
        }
        let s = Int(pages[head].next), per = caches[ci].objectsPerSlab, obj = slabOff / size
        let meta = s * per + obj
        guard caches[ci].objects[meta].live else {
            reportDoubleFree(addr, op: op)
            return
        }
        let event = nextEvent()
        let packet = ctx.pointee.packet
        // One uniqueness check per array (see slabAlloc).
        let (inPartial, inuse) = caches.withUnsafeMutableBufferPointer { cs -> (Bool, Int32) in
            let c = cs.baseAddress.unsafelyUnwrapped + ci
            return c.pointee.slabs.withUnsafeMutableBufferPointer { slabs -> (Bool, Int32) in
                c.pointee.objects.withUnsafeMutableBufferPointer { objects -> (Bool, Int32) in
                    objects[meta].live = false
                    objects[meta].freeEvent = event
                    objects[meta].freePacket = packet
                    objects[meta].freedBy = op
                    objects[meta].nextFree = slabs[s].freeHead
                    slabs[s].freeHead = Int32(obj)
                    slabs[s].inuse -= 1
                    c.pointee.activeObjects -= 1
                    c.pointee.frees += 1
                    let wasPartial = slabs[s].inPartial
                    slabs[s].inPartial = true
                    return (wasPartial, slabs[s].inuse)
                }
            }
        }
        let off = offsetInArena(addr)
        if poisonOnFree { poisonObject(off, caches[ci].objectSize) }
        (shadow + off / Shadow.granule).update(repeating: Shadow.slabFree, count: size / Shadow.granule)
        if !inPartial { caches[ci].partial.append(Int32(s)) }
        if inuse == 0 {
            caches[ci].emptySlabs += 1
            if caches[ci].emptySlabs > KmemCache.minPartial { discardSlab(ci, s) }
        }
    }

    /// `discard_slab`: give an empty slab's pages back.
    @usableFromInline func discardSlab(_ ci: Int, _ s: Int) {
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
