/// A growable array in unmanaged memory, addressed by `Int` index handles:
/// the slab allocator's metadata store (caches, slab records, object
/// records, partial lists).
///
/// Unlike `ContiguousArray` it has no copy-on-write, so an element update
/// is one address computation and one store, without the uniqueness check
/// (a runtime call) that each nested `caches[ci].objects[i].x = ...` costs.
/// Copies of a `SlabPool` share the storage (reference semantics): the
/// owner (`MemorySystem`) creates each pool once and calls `deallocate()`
/// in its `deinit`; copies (e.g. a `KmemCache` read out for a report) are
/// only read and never outlive the owner's next mutation.
///
/// Index checks are `assert`s: debug builds (the tests) trap on a bad
/// index, release builds do not check on the hot path.
@usableFromInline
struct SlabPool<Element>: RandomAccessCollection {
    @usableFromInline var base: UnsafeMutablePointer<Element>?
    @usableFromInline var count: Int = 0
    @usableFromInline var capacity: Int = 0

    @inlinable init() { base = nil }

    @inlinable var startIndex: Int { 0 }
    @inlinable var endIndex: Int { count }

    @inlinable subscript(i: Int) -> Element {
        unsafeAddress {
            assert(i >= 0 && i < count, "SlabPool index out of range")
            return UnsafePointer(base.unsafelyUnwrapped + i)
        }
        nonmutating unsafeMutableAddress {
            assert(i >= 0 && i < count, "SlabPool index out of range")
            return base.unsafelyUnwrapped + i
        }
    }

    /// Pointer to element `i` (for several updates of one element).
    @inlinable func pointer(_ i: Int) -> UnsafeMutablePointer<Element> {
        assert(i >= 0 && i < count, "SlabPool index out of range")
        return base.unsafelyUnwrapped + i
    }

    @inlinable mutating func append(_ element: Element) {
        if _slowPath(count == capacity) { grow(to: count + 1) }
        (base.unsafelyUnwrapped + count).initialize(to: element)
        count += 1
    }

    @inlinable mutating func append(repeating element: Element, count n: Int) {
        if count + n > capacity { grow(to: count + n) }
        (base.unsafelyUnwrapped + count).initialize(repeating: element, count: n)
        count += n
    }

    @inlinable mutating func popLast() -> Element? {
        guard count > 0 else { return nil }
        count -= 1
        return (base.unsafelyUnwrapped + count).move()
    }

    /// Removes element `i`, moving the ones after it down (order kept).
    @inlinable mutating func remove(at i: Int) {
        assert(i >= 0 && i < count, "SlabPool index out of range")
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
    @usableFromInline mutating func deallocate() {
        if let p = base {
            p.deinitialize(count: count)
            p.deallocate()
        }
        base = nil
        count = 0
        capacity = 0
    }
}
