/// The simulated kernel memory of one simulation: RAM arena, mem_map,
/// buddy allocator, slab caches, page_frag caches and the checker.
///
/// One instance per simulation. Every allocation is made once in `init`
/// (arena, `struct page` array, KASAN shadow, fragment table, page_frag
/// cache slots) and released in `deinit`; operations never allocate on the
/// heap in steady state (slab metadata arrays grow only when a cache takes a
/// new slab slot for the first time). Hot state is reached through `let`
/// pointers so no exclusivity checks run on the page_frag fast path.
///
/// Not thread-safe: like a single CPU with interrupts off.
public final class MemorySystem {
    public let config: KernelConfig

    /// The simulated RAM: `pageCount * PAGE_SIZE` bytes.
    @usableFromInline let arena: UnsafeMutableRawPointer
    /// mem_map: one `Page` per PFN.
    @usableFromInline let pages: UnsafeMutablePointer<Page>
    /// KASAN shadow: one byte per 8-byte granule of the arena, plus
    /// `Shadow.slack` bytes past the end so `firstBadByte` may load a whole
    /// word of shadow for a range near the end of RAM (the extra bytes are
    /// masked off, never read as codes).
    @usableFromInline let shadow: UnsafeMutablePointer<UInt8>
    /// Second shadow level for page_frag pages: one code per 64-byte block,
    /// read where the byte shadow holds `Shadow.fragBlock` (see
    /// `FragShadow.swift`), with `Shadow.slack` bytes past the end.
    @usableFromInline let blockShadow: UnsafeMutablePointer<UInt8>
    /// One bit per 64-byte block: set while the block's state is kept per
    /// granule in the byte shadow (page_frag pages only).
    @usableFromInline let granularBlocks: UnsafeMutablePointer<UInt64>
    /// Scalar state touched on hot paths (event counter, packet index, ...).
    @usableFromInline let ctx: UnsafeMutablePointer<Context>
    /// Buddy free-list heads, one per order 0...MAX_PAGE_ORDER (-1 = empty).
    @usableFromInline let freeLists: UnsafeMutablePointer<Int32>
    /// Blocks on each free list.
    @usableFromInline let freeCounts: UnsafeMutablePointer<Int>
    /// page_frag cache slots (`PageFragCacheID` indexes them).
    @usableFromInline let fragCaches: UnsafeMutablePointer<PageFragCache>
    @usableFromInline static let maxPageFragCaches = 64
    /// Checker records for page_frag fragments.
    @usableFromInline let fragments: FragmentTable

    @usableFromInline let pageCount: Int
    @usableFromInline let pageShift: Int
    @usableFromInline let pageSize: Int
    @usableFromInline let memoryBytes: UInt64
    @usableFromInline let poisonOnFree: Bool
    @usableFromInline let legacyPageFrag: Bool
    @usableFromInline let fragMaxSize: Int
    @usableFromInline let fragMaxOrder: Int

    /// `WMARK_MIN` in pages.
    public let minWatermarkPages: Int

    /// Failure injection for the page allocator (`fail_page_alloc`).
    @exclusivity(unchecked) public var failPageAlloc = FaultInjection(minOrder: 1)
    /// Failure injection for slab allocations (`failslab`).
    @exclusivity(unchecked) public var failSlab = FaultInjection(minOrder: 0)
    /// Low-memory mode: the zone behaves as if free pages were at the min
    /// watermark, so only reserve (`__GFP_MEMALLOC`) allocations succeed and
    /// their pages are pfmemalloc. Lets tests create pressure without
    /// actually filling RAM.
    @exclusivity(unchecked) public var lowMemoryMode = false

    /// Allocation-failure warnings (`warn_alloc`, `slab_out_of_memory`, WARNs)
    /// in the kernel's wording; `__GFP_NOWARN` suppresses the allocator's.
    @exclusivity(unchecked) public internal(set) var warnings: [String] = []
    /// The checker's findings (KASAN / VM_BUG_ON style), in order.
    @exclusivity(unchecked) public internal(set) var checker = Checker()
    /// Providers of the slab objects a cache of the kernel's still holds
    /// (the NAPI skb cache's parked `sk_buff`s): kmemleak finds a pointer to
    /// them, so `leakReport` does not list them. Called on the leak scan only.
    public var kmemleakRoots: [() -> [KernelAddress]] = []

    /// Slab caches (`KmemCacheID` indexes them), in unmanaged storage so the
    /// slab fast paths update metadata without uniqueness checks.
    @exclusivity(unchecked) @usableFromInline var caches = PointerPool<KmemCache>()
    /// `kmalloc_caches[KMALLOC_NORMAL][index]` for index = `kmalloc_index`.
    @exclusivity(unchecked) @usableFromInline var kmallocCacheByIndex: [KmemCacheID?] = Array(repeating: nil, count: 18)
    @usableFromInline var fragCacheNames: [String] = []
    /// Read by inlinable getters in other modules: unchecked, so no
    /// dynamic exclusivity check (`swift_beginAccess`) per read.
    @exclusivity(unchecked) @usableFromInline var standardCaches = StandardCaches()

    public init(config: KernelConfig = KernelConfig()) {
        precondition(
            config.pageSize.nonzeroBitCount == 1 && config.pageSize >= 4096, "PAGE_SIZE must be a power of two >= 4096")
        precondition(config.memorySize % config.pageSize == 0 && config.pageCount >= 64, "memory must be >= 64 pages")
        self.config = config
        pageCount = config.pageCount
        pageShift = config.pageShift
        pageSize = config.pageSize
        memoryBytes = UInt64(config.memorySize)
        poisonOnFree = config.poisonOnFree
        legacyPageFrag = config.pageFragAlgorithm == .legacyCountDown
        fragMaxSize = config.pageFragCacheMaxSize
        fragMaxOrder = config.pageFragCacheMaxOrder
        minWatermarkPages = config.minWatermarkPages

        arena = UnsafeMutableRawPointer.allocate(byteCount: config.memorySize, alignment: 4096)
        pages = .allocate(capacity: pageCount)
        pages.initialize(repeating: Page(), count: pageCount)
        let shadowBytes = config.memorySize / Shadow.granule
        shadow = .allocate(capacity: shadowBytes + Shadow.slack)
        shadow.initialize(repeating: Shadow.pageFree, count: shadowBytes + Shadow.slack)
        let blockCount = config.memorySize >> FragShadow.blockShift
        blockShadow = .allocate(capacity: blockCount + Shadow.slack)
        blockShadow.initialize(repeating: Shadow.pageFree, count: blockCount + Shadow.slack)
        granularBlocks = .allocate(capacity: blockCount / 64 + 1)
        granularBlocks.initialize(repeating: 0, count: blockCount / 64 + 1)
        ctx = .allocate(capacity: 1)
        ctx.initialize(to: Context())
        freeLists = .allocate(capacity: KernelConfig.maxPageOrder + 1)
        freeLists.initialize(repeating: -1, count: KernelConfig.maxPageOrder + 1)
        freeCounts = .allocate(capacity: KernelConfig.maxPageOrder + 1)
        freeCounts.initialize(repeating: 0, count: KernelConfig.maxPageOrder + 1)
        fragCaches = .allocate(capacity: MemorySystem.maxPageFragCaches)
        fragCaches.initialize(repeating: PageFragCache(), count: MemorySystem.maxPageFragCaches)
        fragments = FragmentTable(
            capacity: config.maxTrackedFragments, memoryBytes: config.memorySize, pageSize: config.pageSize)

        if poisonOnFree {
            arena.initializeMemory(as: UInt8.self, repeating: Poison.page, count: config.memorySize)
        } else {
            arena.initializeMemory(as: UInt8.self, repeating: 0, count: config.memorySize)
        }
        for pfn in 0..<pageCount { pages[pfn].head = Int32(pfn) }
        // Hand all RAM to the buddy allocator in maximal aligned blocks,
        // like memblock_free_all() does at boot.
        // Boot frees go to the tail of the free lists (FPI_TO_TAIL), so the
        // lowest PFN is handed out first: add the blocks in reverse.
        var blocks: [(Int, Int)] = []
        var pfn = 0
        while pfn < pageCount {
            var order = KernelConfig.maxPageOrder
            while order > 0 && (pfn & ((1 << order) - 1) != 0 || pfn + (1 << order) > pageCount) { order -= 1 }
            blocks.append((pfn, order))
            pfn += 1 << order
        }
        for (pfn, order) in blocks.reversed() { freeListAdd(pfn, order) }
        ctx.pointee.freePages = pageCount
        createStandardCaches()
    }

    deinit {
        arena.deallocate()
        pages.deinitialize(count: pageCount)
        pages.deallocate()
        shadow.deallocate()
        blockShadow.deallocate()
        granularBlocks.deallocate()
        ctx.deallocate()
        freeLists.deallocate()
        freeCounts.deallocate()
        fragCaches.deallocate()
        fragments.deallocate()
        for i in 0..<caches.count { caches[i].deallocate() }
        caches.deallocate()
    }
}

/// Scalar state reached through a pointer (see `MemorySystem.ctx`).
@usableFromInline
struct Context {
    /// Monotonic operation counter: every alloc/free is one event.
    @usableFromInline var event: UInt64 = 0
    /// Current packet index set by the driver (-1 = outside any packet).
    @usableFromInline var packet: Int64 = -1
    @usableFromInline var freePages: Int = 0
    @usableFromInline var fragCacheCount: Int = 0
    /// Page allocations refused because simulated RAM ran out (below the
    /// watermark or no free block of the order), not injected failures.
    @usableFromInline var exhaustedFailures: Int = 0
    @usableFromInline init() {}
}

// MARK: - Context and addresses

extension MemorySystem {
    /// Index of the packet being processed; recorded with every event.
    @inlinable public var currentPacket: Int {
        get { Int(ctx.pointee.packet) }
        set { ctx.pointee.packet = Int64(newValue) }
    }

    /// Number of alloc/free events so far.
    @inlinable public var eventCount: UInt64 { ctx.pointee.event }

    /// Page allocations that failed because the simulated RAM
    /// (`KernelConfig.memorySize`) was exhausted: no free block of the order
    /// or free pages below the min watermark. Not counted: injected failures
    /// (`failPageAlloc`) and `lowMemoryMode`. A machine with more RAM would
    /// not have failed them; callers report them apart from the kernel's
    /// own drops.
    @inlinable public var exhaustedAllocationFailures: Int { ctx.pointee.exhaustedFailures }

    /// Free pages in the zone (`NR_FREE_PAGES`).
    @inlinable public var freePages: Int { ctx.pointee.freePages }

    /// Total pages of simulated RAM.
    public var totalPages: Int { pageCount }

    @inlinable @inline(__always)
    func nextEvent() -> UInt64 {
        ctx.pointee.event &+= 1
        return ctx.pointee.event
    }

    /// `page_address()` / `__va(PFN_PHYS(pfn))`.
    @inlinable public func page_address(_ pfn: PFN) -> KernelAddress {
        KernelAddress(
            KernelAddress.directMapBase
                &+ (UInt64(truncatingIfNeeded: pfn.raw) &<< UInt64(truncatingIfNeeded: pageShift)))
    }

    /// Whether `addr` lies inside the simulated direct map.
    @inlinable public func isValid(_ addr: KernelAddress) -> Bool {
        addr.raw &- KernelAddress.directMapBase < memoryBytes
    }

    /// `virt_to_page()`: the page holding `addr` (precondition: valid address).
    @inlinable @inline(__always) public func virt_to_page(_ addr: KernelAddress) -> PFN {
        PFN(
            Int32(
                truncatingIfNeeded: (addr.raw &- KernelAddress.directMapBase) &>> UInt64(truncatingIfNeeded: pageShift))
        )
    }

    /// `virt_to_head_page()`: `compound_head(virt_to_page(addr))`.
    @inlinable public func virt_to_head_page(_ addr: KernelAddress) -> PFN {
        PFN(pages[virt_to_page(addr).index].head)
    }

    @inlinable @inline(__always)
    func offsetInArena(_ addr: KernelAddress) -> Int {
        Int(truncatingIfNeeded: addr.raw &- KernelAddress.directMapBase)
    }

    /// Snapshot of one `struct page`.
    public func page(_ pfn: PFN) -> PageInfo {
        let p = pages[pfn.index]
        let owner: PageOwner
        switch PageOwnerKind(rawValue: pages[Int(p.head)].ownerKind) ?? .none {
        case .none: owner = .none
        case .caller: owner = .caller(tag: pages[Int(p.head)].ownerID)
        case .pageFrag: owner = .pageFrag(PageFragCacheID(raw: pages[Int(p.head)].ownerID))
        case .slab: owner = .slab(KmemCacheID(raw: pages[Int(p.head)].ownerID))
        case .kmallocLarge: owner = .kmallocLarge(size: Int(pages[Int(p.head)].requested))
        }
        return PageInfo(
            pfn: pfn, refcount: Int(p.refcount), order: Int(p.order),
            isFree: p.flags & PageFlag.buddy != 0
                || (p.flags & (PageFlag.allocated | PageFlag.tail) == 0 && p.refcount == 0
                    && pages[Int(p.head)].flags & PageFlag.allocated == 0),
            isHead: p.flags & PageFlag.head != 0, isTail: p.flags & PageFlag.tail != 0, head: PFN(p.head),
            pfmemalloc: pages[Int(p.head)].flags & PageFlag.pfmemalloc != 0,
            isSlab: pages[Int(p.head)].flags & PageFlag.slab != 0,
            owner: owner, allocEvent: pages[Int(p.head)].allocEvent, allocPacket: Int(pages[Int(p.head)].allocPacket))
    }

    /// `page_is_pfmemalloc(page)`.
    @inlinable public func page_is_pfmemalloc(_ pfn: PFN) -> Bool {
        pages[Int(pages[pfn.index].head)].flags & PageFlag.pfmemalloc != 0
    }
}
