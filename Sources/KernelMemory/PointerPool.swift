/// A growable array in unmanaged memory, addressed by `Int` index handles:
/// the one pool type of skbsim's per-packet state — the slab allocator's
/// metadata (caches, slab records, object records, partial lists), the skb
/// pool, the sockets, the NAPI skb cache, the drop counters.
///
/// Unlike `ContiguousArray` it has no copy-on-write, so an element update
/// is one address computation and one store, without the uniqueness check
/// (a runtime call) that each nested `caches[ci].objects[i].x = ...` costs.
/// Copies share the storage (reference semantics): the owner (a class:
/// `MemorySystem`, `SkbSim`, `Sockets`) creates each pool once and calls
/// `deallocate()` in its `deinit`; copies (e.g. a `KmemCache` read out for
/// a report) are only read and never outlive the owner's next mutation.
/// It is a struct, not a class with its own `deinit`, because pools nest
/// inside the slab cache records: a class would put a retain and release
/// on every read of a record.
///
/// Index checks are `assert`s: debug builds (the tests) trap on a bad
/// index, release builds do not check on the hot path.
@usableFromInline
package struct PointerPool<Element>: RandomAccessCollection {
    @usableFromInline package var base: UnsafeMutablePointer<Element>?
    @usableFromInline package var count: Int = 0
    @usableFromInline var capacity: Int = 0

    @inlinable package init() { base = nil }

    /// An empty pool with room for `capacity` elements.
    package init(capacity: Int) {
        base = nil
        grow(to: capacity)
    }

    @inlinable package var startIndex: Int { 0 }
    @inlinable package var endIndex: Int { count }

    @inlinable package subscript(i: Int) -> Element {
        unsafeAddress {
            assert(i >= 0 && i < count, "PointerPool index out of range")
            return UnsafePointer(base.unsafelyUnwrapped + i)
        }
        nonmutating unsafeMutableAddress {
            assert(i >= 0 && i < count, "PointerPool index out of range")
            return base.unsafelyUnwrapped + i
        }
    }

    /// Pointer to element `i` (for several updates of one element).
    @inlinable package func pointer(_ i: Int) -> UnsafeMutablePointer<Element> {
        assert(i >= 0 && i < count, "PointerPool index out of range")
        return base.unsafelyUnwrapped + i
    }

    @inlinable package mutating func append(_ element: Element) {
        if _slowPath(count == capacity) { grow(to: count + 1) }
        (base.unsafelyUnwrapped + count).initialize(to: element)
        count += 1
    }

    @inlinable package mutating func append(repeating element: Element, count n: Int) {
        if count + n > capacity { grow(to: count + n) }
        (base.unsafelyUnwrapped + count).initialize(repeating: element, count: n)
        count += n
    }

    @inlinable package mutating func popLast() -> Element? {
        guard count > 0 else { return nil }
        count -= 1
        return (base.unsafelyUnwrapped + count).move()
    }

    /// Removes element `i`, moving the ones after it down (order kept).
    @inlinable package mutating func remove(at i: Int) {
        assert(i >= 0 && i < count, "PointerPool index out of range")
        let p = base.unsafelyUnwrapped
        (p + i).deinitialize(count: 1)
        if i + 1 < count { (p + i).moveInitialize(from: p + i + 1, count: count - i - 1) }
        count -= 1
    }

    /// Out of line: amortised doubling, only when a cache takes a slab slot
    /// (or a cache is created) for the first time.
    @usableFromInline @inline(never) mutating func grow(to minimum: Int) {
        let newCapacity = Swift.max(minimum, capacity * 2, 8)
        let p = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        if let old = base {
            p.moveInitialize(from: old, count: count)
            old.deallocate()
        }
        base = p
        capacity = newCapacity
    }

    /// Frees the storage (owner only, once).
    @usableFromInline package mutating func deallocate() {
        if let p = base {
            p.deinitialize(count: count)
            p.deallocate()
        }
        base = nil
        count = 0
        capacity = 0
    }
}
