/// Per-page state: the model's `struct page` (`include/linux/mm_types.h`).
///
/// Lives in one contiguous array indexed by PFN (the "mem_map"). Free blocks
/// of the buddy allocator are linked through `next`/`prev` (like `page->lru`);
/// a slab page reuses `next` for its slab slot (like `page->slab_list` data).
@usableFromInline
struct Page {
    /// `page->_refcount`.
    @usableFromInline var refcount: Int32 = 0
    /// Buddy order of a free block head, or `compound_order` of a head page.
    @usableFromInline var order: UInt8 = 0
    /// `PG_*` bits, see `PageFlag`.
    @usableFromInline var flags: UInt8 = 0
    /// Who allocated it (`PageOwnerKind` raw value) and that owner's id.
    @usableFromInline var ownerKind: UInt8 = 0
    @usableFromInline var ownerID: UInt16 = 0
    /// `compound_head()`: the head PFN for tail pages, itself otherwise.
    @usableFromInline var head: Int32 = 0
    /// Buddy free-list links (`page->buddy_list`); slab slot for slab pages.
    @usableFromInline var next: Int32 = -1
    @usableFromInline var prev: Int32 = -1
    /// First page_frag fragment record carved from this (head) page, or -1.
    @usableFromInline var fragList: Int32 = -1
    /// Requested bytes (kmalloc_large) for `ksize` and the leak report.
    @usableFromInline var requested: UInt32 = 0
    @usableFromInline var allocEvent: UInt64 = 0
    @usableFromInline var freeEvent: UInt64 = 0
    @usableFromInline var allocPacket: Int64 = -1
    @usableFromInline var freePacket: Int64 = -1

    @inlinable init() {}
}

@usableFromInline
enum PageFlag {
    /// `PageBuddy`: head of a free block on a buddy free list.
    @usableFromInline static let buddy: UInt8 = 1
    /// `PG_head`: head of a compound page (`__GFP_COMP`).
    @usableFromInline static let head: UInt8 = 2
    /// Tail page of a compound page.
    @usableFromInline static let tail: UInt8 = 4
    /// `page_is_pfmemalloc()`: handed out from the emergency reserves.
    @usableFromInline static let pfmemalloc: UInt8 = 8
    /// `PG_slab` / `folio_test_slab`.
    @usableFromInline static let slab: UInt8 = 16
    /// Allocated block head (compound or not); tails of non-compound blocks lack it.
    @usableFromInline static let allocated: UInt8 = 32
}

@usableFromInline
enum PageOwnerKind: UInt8 {
    case none = 0
    case caller, pageFrag, slab, kmallocLarge
}

/// Who allocated a page (the model's page_owner).
public enum PageOwner: Hashable, Sendable {
    case none
    /// `alloc_pages` by a caller, tagged with a caller-chosen number.
    case caller(tag: UInt16)
    case pageFrag(PageFragCacheID)
    case slab(KmemCacheID)
    /// `kmalloc` above `KMALLOC_MAX_CACHE_SIZE`; `size` is the request.
    case kmallocLarge(size: Int)
}

/// A read-only snapshot of one `struct page`.
public struct PageInfo: Hashable, Sendable {
    public var pfn: PFN
    /// `page_ref_count()`.
    public var refcount: Int
    /// Buddy order if free, `compound_order` if a compound head, else the
    /// order it was allocated with (head of a non-compound block) or 0.
    public var order: Int
    public var isFree: Bool
    /// `PageHead` / `PageTail`.
    public var isHead: Bool
    public var isTail: Bool
    /// `compound_head()`.
    public var head: PFN
    /// `page_is_pfmemalloc()`.
    public var pfmemalloc: Bool
    public var isSlab: Bool
    public var owner: PageOwner
    public var allocEvent: UInt64
    public var allocPacket: Int
}
