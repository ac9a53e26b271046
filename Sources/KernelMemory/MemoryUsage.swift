/// Memory in use, as the trace's counter tracks show it over a run:
/// per page_frag cache, per slab cache and for the whole simulated RAM.
///
/// Reading these is a few loads (no scan): the allocator keeps the numbers
/// as it goes (`PageFragStats.pagesHeld`/`freedBytes`, the slab caches'
/// object and slab counts, `NR_FREE_PAGES`).
extension MemorySystem {
    /// page_frag caches created so far (`PageFragCacheID(raw:)` 0..<count).
    @inlinable public var pageFragCacheCount: Int { ctx.pointee.fragCacheCount }

    /// A page_frag cache's pages held (its current page plus pages left to
    /// fragments still out) and the bytes it handed out that are not freed
    /// yet. Fragments handed out untracked (the checker's overflow pool
    /// full, `FragmentTable`) are never counted back.
    @inlinable public func pageFragUsage(_ nc: PageFragCacheID) -> (pages: Int, outstandingBytes: Int) {
        let s = fragCaches[Int(nc.raw)].stats
        return (s.pagesHeld, s.bytes &- s.freedBytes)
    }

    /// Slab caches created so far (`KmemCacheID(raw:)` 0..<count).
    @inlinable public var slabCacheCount: Int { caches.count }

    /// A slab cache's allocated objects (`active_objs` of /proc/slabinfo)
    /// and the bytes of its slabs (`num_slabs << order` pages).
    @inlinable public func slabUsage(_ id: KmemCacheID) -> (activeObjects: Int, bytes: Int) {
        let c = caches.pointer(Int(id.raw))
        return (c.pointee.activeObjects, (c.pointee.numSlabs &<< c.pointee.order) &* pageSize)
    }

    /// Pages of simulated RAM allocated (total minus `NR_FREE_PAGES`).
    @inlinable public var usedPages: Int { pageCount &- ctx.pointee.freePages }

    /// The slab cache's name as `/proc/slabinfo` prints it.
    public func slabCacheName(_ id: KmemCacheID) -> String { caches[Int(id.raw)].name }
}
