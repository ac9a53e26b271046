import KernelMemory
import Trace

/// The per-CPU cache of `struct sk_buff` objects in `napi_alloc_cache`
/// (net/core/skbuff.c, v6.18: `napi_skb_cache_get`, `napi_skb_cache_put`):
/// structs freed in softirq context (`__napi_kfree_skb`,
/// `napi_skb_free_stolen_head`, `napi_consume_skb`) are parked here instead
/// of going back to `skbuff_cache`, and NAPI allocations (`napi_build_skb`,
/// `napi_alloc_skb`, `__alloc_skb` with `SKB_ALLOC_NAPI`) take them from
/// here first.
///
/// - get: an empty cache is refilled with `NAPI_SKB_CACHE_BULK` (16)
///   objects by `kmem_cache_alloc_bulk`; the last one is handed out.
/// - put: the object is KASAN-poisoned and stored; when the cache reaches
///   `NAPI_SKB_CACHE_SIZE` (64), its upper half (`NAPI_SKB_CACHE_HALF`, 32)
///   goes back with `kmem_cache_free_bulk`.
///
/// Parked objects are allocated slab objects, referenced by the cache: the
/// leak scan does not list them (`MemorySystem.kmemleakRoots`), and
/// `drainCaches` returns them to the slab.
public struct NapiSkbCache {
    /// `NAPI_SKB_CACHE_SIZE`.
    public static let size = 64
    /// `NAPI_SKB_CACHE_BULK`.
    public static let bulk = 16
    /// `NAPI_SKB_CACHE_HALF`.
    public static let half = size / 2

    @usableFromInline var objects = PointerPool<KernelAddress>(capacity: NapiSkbCache.size)
    /// Objects parked now.
    public var count: Int { objects.count }
    /// Structs taken from / given to the cache instead of the slab.
    public internal(set) var hits = 0
    public internal(set) var puts = 0
    /// Objects the bulk refills took from `skbuff_cache`.
    public internal(set) var refilled = 0

    init() {}

    mutating func deallocate() { objects.deallocate() }
}

extension SkbSim {
    /// `napi_skb_cache_get()`: a `struct sk_buff` for a NAPI allocation; nil
    /// when the bulk refill got nothing.
    func napi_skb_cache_get() -> KernelAddress? {
        if napiSkbCache.objects.count == 0 {
            // kmem_cache_alloc_bulk(skbuff_cache, GFP_ATOMIC | __GFP_NOWARN, 16):
            // all or nothing, as SLUB's bulk allocator.
            for _ in 0..<NapiSkbCache.bulk {
                guard let a = memory.kmem_cache_alloc(skbuffCache, [.GFP_ATOMIC, .__GFP_NOWARN]) else {
                    while let back = napiSkbCache.objects.popLast() { memory.kmem_cache_free(skbuffCache, back) }
                    return nil
                }
                memory.kasan_mempool_poison_object(skbuffCache, a)
                napiSkbCache.objects.append(a)
            }
            napiSkbCache.refilled += NapiSkbCache.bulk
        }
        let a = napiSkbCache.objects.popLast()!
        memory.kasan_mempool_unpoison_object(skbuffCache, a)
        napiSkbCache.hits += 1
        return a
    }

    /// `napi_skb_cache_put(skb)`: park the struct of pool slot `i` (its
    /// release already ran) and free the slot.
    func napi_skb_cache_put(_ i: Int) {
        let addr = skbs[i].skbaddr
        emit(.skbFree, i, "napi_skb_cache_put", 2, UInt64(skbs[i].fclone.rawValue))
        memory.kasan_mempool_poison_object(skbuffCache, addr)
        napiSkbCache.objects.append(addr)
        napiSkbCache.puts += 1
        if napiSkbCache.objects.count == NapiSkbCache.size {
            // kmem_cache_free_bulk(skbuff_cache, 32, skb_cache + 32). The
            // kernel unpoisons each first; the model's free writes the
            // object's freed shadow itself, so that step changes nothing here.
            for k in NapiSkbCache.half..<NapiSkbCache.size {
                memory.kmem_cache_free(skbuffCache, napiSkbCache.objects[k])
            }
            napiSkbCache.objects.count = NapiSkbCache.half
        }
        releaseSlot(i)
    }

    /// Return every parked struct to `skbuff_cache` (the kernel keeps them
    /// for the CPU's lifetime; the model returns them at the end of a run).
    func napiSkbCacheDrain() {
        while let obj = napiSkbCache.objects.popLast() { memory.kmem_cache_free(skbuffCache, obj) }
    }

    /// `__napi_kfree_skb(skb, reason)`: `skb_release_all(skb, reason)`, then
    /// the struct to the NAPI cache. No tracepoint.
    func __napi_kfree_skb(_ i: Int, _ reason: SkbDropReason) throws(SkbError) {
        try skb_release_all(i, reason)
        napi_skb_cache_put(i)
    }

    /// `napi_skb_free_stolen_head(skb)`: GRO took the head (and its frags)
    /// over, so only the struct goes, to the NAPI skb cache (`slow_gro`
    /// state — dst, conntrack, extensions, a socket — is not modelled).
    func napi_skb_free_stolen_head(_ i: Int) {
        napi_skb_cache_put(i)
    }

    /// `skb_attempt_defer_free(skb)`: the model runs one CPU, the one that
    /// allocated every skb, so the free is never deferred:
    /// `kfree_skb_napi_cache` at once. No tracepoint.
    func skb_attempt_defer_free(_ i: Int) throws(SkbError) {
        try kfree_skb_napi_cache(i)
    }

    /// `kfree_skb_napi_cache(skb)`: an fclone goes through `__kfree_skb`,
    /// anything else through `__napi_kfree_skb(skb, SKB_CONSUMED)`.
    func kfree_skb_napi_cache(_ i: Int) throws(SkbError) {
        if skbs[i].fclone != .unavailable { return try __kfree_skb(i) }
        try __napi_kfree_skb(i, reasons.consumed)
    }
}
