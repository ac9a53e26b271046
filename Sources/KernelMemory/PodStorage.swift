/// Growable storage of trivial (POD) elements behind one pointer, for the
/// skb pool of `SkbSim` and the sockets (the pattern of `MemorySystem`'s hot state): a
/// per-field store is a plain store at `base + i`, with no uniqueness,
/// bounds (debug builds assert) or exclusivity check. Grows only on the cold
/// path (`append` past the capacity). The owner calls `deallocate()` once,
/// in its `deinit`; copies of the struct alias the same storage.
@usableFromInline
package struct PodStorage<Element> {
    @usableFromInline package var base: UnsafeMutablePointer<Element>
    @usableFromInline package var count: Int
    @usableFromInline package var capacity: Int

    package init(capacity: Int) {
        precondition(_isPOD(Element.self), "PodStorage holds trivial types only")
        self.capacity = Swift.max(capacity, 1)
        base = .allocate(capacity: self.capacity)
        count = 0
    }

    @inlinable package subscript(i: Int) -> Element {
        unsafeAddress {
            assert(i >= 0 && i < count, "PodStorage index \(i) out of range 0..<\(count)")
            return UnsafePointer(base + i)
        }
        nonmutating unsafeMutableAddress {
            assert(i >= 0 && i < count, "PodStorage index \(i) out of range 0..<\(count)")
            return base + i
        }
    }

    @inlinable package mutating func append(_ e: Element) {
        if _slowPath(count == capacity) { grow() }
        (base + count).initialize(to: e)
        count += 1
    }

    @inlinable package mutating func popLast() -> Element? {
        guard count > 0 else { return nil }
        count -= 1
        return base[count]
    }

    @usableFromInline mutating func grow() {
        let newCapacity = capacity * 2
        let p = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        p.moveInitialize(from: base, count: count)
        base.deallocate()
        base = p
        capacity = newCapacity
    }

    package func deallocate() { base.deallocate() }
}
