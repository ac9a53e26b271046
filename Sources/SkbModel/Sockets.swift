import KernelMemory

/// A simulated receiving socket: `sk_rcvbuf`, `sk_rmem_alloc` and a
/// receive queue (`sk_receive_queue`) as a fixed ring of skb handles.
///
/// The values `Sockets` hands out (`socket(_:)`, `all`) are snapshots.
public struct SimSocket {
    public let id: UInt32
    /// `sk->sk_rcvbuf` (net.core.rmem_default = 212992 by default).
    public var rcvbuf: Int
    /// `atomic_read(&sk->sk_rmem_alloc)`.
    public internal(set) var rmemAlloc: Int = 0
    /// Highest `sk_rmem_alloc` seen.
    public internal(set) var peakRmemAlloc: Int = 0
    /// Charges and uncharges of `sk_rmem_alloc` (`skb_set_owner_r` or the
    /// UDP enqueue; `sock_rfree` or the UDP dequeue).
    public internal(set) var charged = 0
    public internal(set) var uncharged = 0

    /// UDP: truesize dequeued but not yet uncharged (`udp_sk(sk)->forward_deficit`).
    var forwardDeficit = 0
    /// UDP: how many of the queued skbs are on `reader_queue` (the rest are
    /// on `sk_receive_queue`, spliced over when the reader queue runs empty).
    var readerQueued = 0

    /// An skb on the receive queue and the protocol that queued it (the
    /// socket's `sk_protocol`, which the reader's free depends on).
    struct Queued {
        var skb: SkbID
        var proto: L4Protocol
    }

    /// The queue's ring, owned by `Sockets` (freed with it).
    let ring: UnsafeMutablePointer<Queued>
    let ringCapacity: Int
    var ringHead = 0
    public internal(set) var queued = 0

    init(id: UInt32, rcvbuf: Int, capacity: Int) {
        self.id = id
        self.rcvbuf = rcvbuf
        ringCapacity = max(capacity, 1)
        ring = .allocate(capacity: ringCapacity)
        ring.initialize(repeating: Queued(skb: SkbID(index: 0, generation: 0), proto: .other), count: ringCapacity)
    }

    @inline(__always) mutating func enqueue(_ skb: SkbID, _ proto: L4Protocol) -> Bool {
        guard queued < ringCapacity else { return false }
        var slot = ringHead + queued
        if slot >= ringCapacity { slot -= ringCapacity }
        ring[slot] = Queued(skb: skb, proto: proto)
        queued += 1
        return true
    }

    @inline(__always) func peek() -> Queued? { queued > 0 ? ring[ringHead] : nil }

    @inline(__always) mutating func dequeue() -> SkbID? {
        guard queued > 0 else { return nil }
        let s = ring[ringHead].skb
        ringHead += 1
        if ringHead == ringCapacity { ringHead = 0 }
        queued -= 1
        return s
    }

    @inline(__always) mutating func charge(_ truesize: Int) {
        rmemAlloc += truesize
        charged += 1
        if rmemAlloc > peakRmemAlloc { peakRmemAlloc = rmemAlloc }
    }
}

/// A finding of the socket layer (in the kernel's WARN style), next to the
/// memory checker's KASAN/kmemleak reports.
public struct SocketFinding: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// `sk_rmem_alloc` went below zero: `sock_rfree` ran more often than
        /// `skb_set_owner_r` (e.g. a destructor run twice).
        case rmemUnderflow = "rmem-underflow"
        /// A socket closed with `sk_rmem_alloc != 0` (inet_sock_destruct's WARN).
        case rmemNotZeroAtClose = "rmem-not-zero-at-close"
    }
    public var kind: Kind
    public var packet: Int
    public var text: String
    public var description: String { text }
}

/// The simulation's sockets (net/core/sock.c's receive accounting): one
/// place charges `sk_rmem_alloc`, uncharges it, queues and dequeues skbs
/// and checks a socket at close. `SkbSim` owns one; `skb_release_head_state`
/// calls into it through `skb->destructor` (`sock_rfree`).
///
/// Sockets live in pointer storage, so a per-field update
/// (`table[i].rmemAlloc += truesize`) is a plain store.
public final class Sockets {
    @exclusivity(unchecked) var table = PointerPool<SimSocket>(capacity: 4)
    @exclusivity(unchecked) public internal(set) var findings: [SocketFinding] = []

    init() {}

    deinit {
        for i in 0..<table.count { table[i].ring.deallocate() }
        table.deallocate()
    }

    /// A new socket with `sk_rcvbuf = rcvbuf` and room for `queueCapacity` queued skbs.
    @discardableResult
    public func makeSocket(rcvbuf: Int = 212_992, queueCapacity: Int = 64) -> UInt32 {
        let id = UInt32(table.count)
        table.append(SimSocket(id: id, rcvbuf: rcvbuf, capacity: queueCapacity))
        return id
    }

    /// Number of sockets.
    public var count: Int { table.count }
    /// A snapshot of socket `id`.
    public func socket(_ id: UInt32) -> SimSocket {
        precondition(Int(id) < table.count, "socket \(id) does not exist")
        return table[Int(id)]
    }
    /// Snapshots, in id order.
    public var all: [SimSocket] { (0..<table.count).map { table[$0] } }

    /// Whether charging `truesize` would pass `sk_rcvbuf` (the receive-buffer
    /// test of `sock_queue_rcv_skb` and `__udp_enqueue_schedule_skb`).
    @inline(__always) public func isFull(_ sk: UInt32, adding truesize: Int) -> Bool {
        table[Int(sk)].rmemAlloc + truesize > table[Int(sk)].rcvbuf
    }

    @inline(__always) func charge(_ sk: UInt32, _ truesize: Int) { table[Int(sk)].charge(truesize) }

    /// Uncharge `truesize` (`sock_rfree`, `udp_rmem_release`); below zero is reported.
    func uncharge(_ sk: UInt32, _ truesize: Int, packet: Int) {
        guard Int(sk) < table.count else { return }
        let i = Int(sk)
        table[i].rmemAlloc -= truesize
        table[i].uncharged += 1
        if _slowPath(table[i].rmemAlloc < 0) { rmemUnderflow(sk, truesize, packet) }
    }

    @discardableResult
    @inline(__always) public func enqueue(_ sk: UInt32, _ skb: SkbID, protocol proto: L4Protocol = .other) -> Bool {
        table[Int(sk)].enqueue(skb, proto)
    }
    @inline(__always) public func dequeue(_ sk: UInt32) -> SkbID? { table[Int(sk)].dequeue() }
    /// The oldest skb queued on socket `sk`, left queued.
    @inline(__always) public func peek(_ sk: UInt32) -> SkbID? { table[Int(sk)].peek()?.skb }
    /// The protocol that queued the oldest skb of socket `sk`.
    @inline(__always) public func peekProtocol(_ sk: UInt32) -> L4Protocol? { table[Int(sk)].peek()?.proto }
    @inline(__always) func socketPointer(_ sk: UInt32) -> UnsafeMutablePointer<SimSocket> { table.pointer(Int(sk)) }
    /// skbs waiting on socket `sk`'s receive queue.
    @inline(__always) public func queued(_ sk: UInt32) -> Int { table[Int(sk)].queued }

    /// `sock_rfree` took `sk_rmem_alloc` below zero: the WARN at close, now.
    private func rmemUnderflow(_ sid: UInt32, _ truesize: Int, _ packet: Int) {
        let s = table[Int(sid)]
        findings.append(
            SocketFinding(
                kind: .rmemUnderflow, packet: packet,
                text: """
                    WARNING: CPU: 0 PID: 0 at net/ipv4/af_inet.c inet_sock_destruct: WARN_ON_ONCE(atomic_read(&sk->sk_rmem_alloc))
                    sock_rfree: sk_rmem_alloc of socket \(sid) is \(s.rmemAlloc) after uncharging truesize \(truesize) \
                    (\(s.uncharged) uncharges for \(s.charged) charges: skb->destructor run twice?) in packet \(packet)
                    """))
    }

    /// Check every socket as `inet_sock_destruct` does at close, after a
    /// UDP socket's `udp_destruct_common` has given back its forward
    /// deficit (`udp_rmem_release(sk, total, 0, true)`: not partial).
    public func close(packet: Int) {
        for k in 0..<table.count where table[k].forwardDeficit > 0 {
            let s = table.pointer(k)
            let deficit = s.pointee.forwardDeficit
            s.pointee.forwardDeficit = 0
            uncharge(s.pointee.id, deficit, packet: packet)
        }
        let underflowed = findings.contains { $0.kind == .rmemUnderflow }
        for s in all where s.rmemAlloc != 0 && !underflowed {
            findings.append(
                SocketFinding(
                    kind: .rmemNotZeroAtClose, packet: packet,
                    text: """
                        WARNING: CPU: 0 PID: 0 at net/ipv4/af_inet.c inet_sock_destruct: WARN_ON_ONCE(atomic_read(&sk->sk_rmem_alloc))
                        socket \(s.id) closed with sk_rmem_alloc \(s.rmemAlloc) (\(s.charged) charges, \(s.uncharged) uncharges)
                        """))
        }
    }
}

/// `skb->destructor`: the socket layer's functions, run by
/// `skb_release_head_state` on every free, and the ones a user registers.
extension SkbSim {
    /// `skb_set_owner_r(skb, sk)`: `skb_orphan` (runs a previous
    /// destructor), then `destructor = sock_rfree`, `sk = sk`, and
    /// `sk_rmem_alloc += truesize` (+ `sk_mem_charge`).
    public func skb_set_owner_r(_ id: SkbID, socket: UInt32) throws(SkbError) {
        skb_set_owner_r(try slot(id, "skb_set_owner_r"), socket)
    }

    func skb_set_owner_r(_ i: Int, _ socket: UInt32) {
        skb_orphan(i)
        skbs[i].destructor = .sockRfree(socket: socket)
        skbs[i].sk = socket
        sockets.charge(socket, Int(skbs[i].truesize))
    }

    /// `skb_orphan(skb)`: run and clear the destructor now.
    public func skb_orphan(_ id: SkbID) throws(SkbError) { skb_orphan(try slot(id, "skb_orphan")) }

    func skb_orphan(_ i: Int) {
        guard !skbs[i].destructor.isNone else { return }
        skb_release_head_state(i)
    }

    /// Register what a `.custom(tag:)` destructor does when
    /// `skb_release_head_state` runs it (replacing an earlier registration).
    public func registerDestructor(tag: UInt32, _ body: @escaping (SkbSim, SkbID) -> Void) {
        customDestructors[tag] = body
    }

    /// Run a destructor's accounting directly, as buggy code calling
    /// `skb->destructor(skb)` without clearing it would. `sock_rfree`
    /// uncharges `truesize` from its socket; going below zero is reported.
    public func runDestructor(_ d: SkbDestructor, truesize: Int) {
        if case .sockRfree(let sk) = d { sockets.uncharge(sk, truesize, packet: currentPacket) }
    }

    /// `skb->destructor(skb)` from `skb_release_head_state`.
    @usableFromInline func runDestructor(_ d: SkbDestructor, _ i: Int) {
        switch d {
        case .sockRfree(let sk):
            sock_rfree(i, sk)
        case .custom(let tag):
            if let body = customDestructors[tag] { body(self, id(i)) }
        case .none, .sockWfree, .tcpWfree, .sockEdemux:
            // The send-side accounting (sk_wmem_alloc) and the early-demux
            // reference are not modelled: the destructor is recorded only.
            break
        }
    }

    /// `sock_rfree(skb)`: `sk_rmem_alloc -= truesize` (+ `sk_mem_uncharge`).
    func sock_rfree(_ i: Int, _ sk: UInt32) {
        sockets.uncharge(sk, Int(skbs[i].truesize), packet: currentPacket)
    }
}
