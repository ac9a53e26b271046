import SkbModel

/// A simulated receiving socket: `sk_rcvbuf`, `sk_rmem_alloc` and a
/// receive queue (`sk_receive_queue`) as a fixed ring of skb handles.
///
/// `skb_set_owner_r` charges `skb->truesize` to `sk_rmem_alloc` and sets
/// `skb->destructor = sock_rfree`; `sock_rfree` (run by the release
/// pipeline's destructor stage) uncharges it.
///
/// The pipeline keeps its sockets in pointer storage (`SocketTable`); the
/// values it hands out (`ReleasePipeline.socket(_:)`, `.sockets`) are
/// snapshots.
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

    /// The queue's ring, owned by the pipeline's `SocketTable` (freed with it).
    let ring: UnsafeMutablePointer<SkbID>
    let ringCapacity: Int
    var ringHead = 0
    public internal(set) var queued = 0

    init(id: UInt32, rcvbuf: Int, capacity: Int) {
        self.id = id
        self.rcvbuf = rcvbuf
        ringCapacity = max(capacity, 1)
        ring = .allocate(capacity: ringCapacity)
        ring.initialize(repeating: SkbID(index: 0, generation: 0), count: ringCapacity)
    }

    @inline(__always) mutating func enqueue(_ skb: SkbID) -> Bool {
        guard queued < ringCapacity else { return false }
        var slot = ringHead + queued
        if slot >= ringCapacity { slot -= ringCapacity }
        ring[slot] = skb
        queued += 1
        return true
    }

    @inline(__always) mutating func dequeue() -> SkbID? {
        guard queued > 0 else { return nil }
        let s = ring[ringHead]
        ringHead += 1
        if ringHead == ringCapacity { ringHead = 0 }
        queued -= 1
        return s
    }
}

/// The pipeline's sockets behind one pointer: a per-field update
/// (`table[i].rmemAlloc += truesize`) is a plain store, with no array
/// uniqueness or bounds check. Owned by one `ReleasePipeline`, which calls
/// `deallocate()` in its `deinit`.
struct SocketTable {
    private(set) var base: UnsafeMutablePointer<SimSocket>
    private(set) var count = 0
    private var capacity = 4

    init() { base = .allocate(capacity: capacity) }

    subscript(i: Int) -> SimSocket {
        unsafeAddress {
            precondition(i >= 0 && i < count, "socket \(i) does not exist")
            return UnsafePointer(base + i)
        }
        nonmutating unsafeMutableAddress {
            precondition(i >= 0 && i < count, "socket \(i) does not exist")
            return base + i
        }
    }

    mutating func append(_ s: SimSocket) {
        if count == capacity {
            let p = UnsafeMutablePointer<SimSocket>.allocate(capacity: capacity * 2)
            p.moveInitialize(from: base, count: count)
            base.deallocate()
            base = p
            capacity *= 2
        }
        (base + count).initialize(to: s)
        count += 1
    }

    /// Snapshots, in id order.
    var all: [SimSocket] { (0..<count).map { base[$0] } }

    func deallocate() {
        for i in 0..<count { base[i].ring.deallocate() }
        base.deinitialize(count: count)
        base.deallocate()
    }
}
