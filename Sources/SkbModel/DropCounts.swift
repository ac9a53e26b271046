import KernelMemory
import Trace

/// Counts of the `skb:kfree_skb` / `skb:consume_skb` tracepoint by reason,
/// as a drop monitor attached to it would keep them (`SkbSim.dropCounts`).
///
/// Top-level frees are counted by reason value; the members of a frag_list
/// freed by `skb_release_data` are counted apart (`listMemberFrees`), so a
/// super-packet counts once. Values past the table's MAX land in the last slot.
public struct DropCounts {
    @usableFromInline var counters: PointerPool<UInt64>
    /// Frees of frag_list members (any reason).
    public internal(set) var listMemberFrees: UInt64 = 0

    init(slots: Int) {
        counters = PointerPool(capacity: slots)
        for _ in 0..<slots { counters.append(0) }
    }

    /// Top-level frees by reason value (index = raw value), a snapshot.
    public var byReason: ContiguousArray<UInt64> {
        ContiguousArray(UnsafeBufferPointer(start: counters.base, count: counters.count))
    }

    /// Top-level frees with `reason`.
    public func count(of reason: SkbDropReason) -> UInt64 {
        counters[min(Int(reason.rawValue), counters.count - 1)]
    }

    @inline(__always) mutating func count(_ reason: SkbDropReason, listMember: Bool) {
        if listMember {
            listMemberFrees &+= 1
            return
        }
        counters[min(Int(reason.rawValue), counters.count - 1)] &+= 1
    }

    mutating func deallocate() { counters.deallocate() }
}
