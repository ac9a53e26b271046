import SkbModel

/// A simulated receiving socket: `sk_rcvbuf`, `sk_rmem_alloc` and a
/// receive queue (`sk_receive_queue`) as a fixed ring of skb handles.
///
/// `skb_set_owner_r` charges `skb->truesize` to `sk_rmem_alloc` and sets
/// `skb->destructor = sock_rfree`; `sock_rfree` (run by the release
/// pipeline's destructor stage) uncharges it.
public struct SimSocket {
    public let id: UInt32
    /// `sk->sk_rcvbuf` (net.core.rmem_default = 212992 by default).
    public var rcvbuf: Int
    /// `atomic_read(&sk->sk_rmem_alloc)`.
    public internal(set) var rmemAlloc: Int = 0
    /// Highest `sk_rmem_alloc` seen.
    public internal(set) var peakRmemAlloc: Int = 0
    /// skbs charged / uncharged (each `skb_set_owner_r` / `sock_rfree`).
    public internal(set) var charged = 0
    public internal(set) var uncharged = 0

    var ring: ContiguousArray<SkbID>
    var ringHead = 0
    public internal(set) var queued = 0

    init(id: UInt32, rcvbuf: Int, capacity: Int) {
        self.id = id
        self.rcvbuf = rcvbuf
        ring = ContiguousArray(repeating: SkbID(index: 0, generation: 0), count: max(capacity, 1))
    }

    mutating func enqueue(_ skb: SkbID) -> Bool {
        guard queued < ring.count else { return false }
        ring[(ringHead + queued) % ring.count] = skb
        queued += 1
        return true
    }

    mutating func dequeue() -> SkbID? {
        guard queued > 0 else { return nil }
        let s = ring[ringHead]
        ringHead = (ringHead + 1) % ring.count
        queued -= 1
        return s
    }
}
