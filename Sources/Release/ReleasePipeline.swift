import KernelMemory
import SkbModel
import Trace

/// A finding of the release layer (in the kernel's WARN style), next to
/// the memory checker's KASAN/kmemleak reports.
public struct ReleaseFinding: Sendable, Hashable, CustomStringConvertible {
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

/// The release path as named, pluggable stages (see `ReleaseStage`,
/// docs/release-pipeline.md) with the kernel's entry points on top.
///
/// The default stages (`ReleaseOrder.kernel`) reproduce `SkbSim`'s own
/// `kfree_skb_reason` stage for stage, plus socket accounting in the
/// destructor stage and per-reason counters in the trace stage. Stages are
/// enum cases dispatched by a `switch`: no closure or existential runs per
/// packet unless a `.custom` stage or a hook is installed.
public final class ReleasePipeline {
    public let sim: SkbSim
    /// The stages, in order. Add, remove or reorder freely.
    @exclusivity(unchecked) public var stages: [ReleaseStage] {
        didSet { isKernelOrder = Self.isKernelOrder(stages) }
    }
    /// `stages` is exactly `ReleaseOrder.kernel`'s: `release` runs them as
    /// straight-line code (`releaseKernelOrder`), no per-stage dispatch.
    @exclusivity(unchecked) private var isKernelOrder = false
    /// Netfilter hooks (used by the seed order's `.hook` stage and by `PacketRun` at receive).
    @exclusivity(unchecked) public var hooks = NetfilterHooks()
    /// Seed mode only: the non-existent `skb_shinfo(skb)->destructor[i]`,
    /// called by the `.fragDestructors` stage with (skb, frag index).
    @exclusivity(unchecked) public var seedFragDestructor: ((SkbID, Int) -> Void)?
    /// Simulated sockets (`SkbDestructor.sockRfree(socket:)` indexes them).
    @exclusivity(unchecked) var socketTable = SocketTable()
    /// Snapshots of the simulated sockets, in id order.
    public var sockets: [SimSocket] { socketTable.all }
    /// A snapshot of socket `id`.
    public func socket(_ id: UInt32) -> SimSocket { socketTable[Int(id)] }
    @exclusivity(unchecked) public private(set) var findings: [ReleaseFinding] = []

    /// Top-level frees by reason value (frag_list members, which the
    /// kernel traces with NOT_SPECIFIED, are counted in `listMemberFrees`).
    /// Index = raw value; values past the table's MAX land in the last slot.
    /// A snapshot (the counters live in pointer storage: no array
    /// uniqueness check per free).
    public var reasonCounts: ContiguousArray<UInt64> { ContiguousArray(UnsafeBufferPointer(start: reasonCounters, count: reasonSlots)) }
    private let reasonCounters: UnsafeMutablePointer<UInt64>
    private let reasonSlots: Int
    @exclusivity(unchecked) public private(set) var listMemberFrees: UInt64 = 0
    /// Hook verdicts seen (accept, drop).
    @exclusivity(unchecked) public private(set) var hookAccepts: UInt64 = 0
    @exclusivity(unchecked) public private(set) var hookDrops: UInt64 = 0

    @exclusivity(unchecked) private var depth = 0

    public init(sim: SkbSim, order: ReleaseOrder = .kernel) {
        self.sim = sim
        self.stages = order.stages
        isKernelOrder = Self.isKernelOrder(stages)
        reasonSlots = Int(sim.dropReasonTable.maxValue) + 1
        reasonCounters = .allocate(capacity: reasonSlots)
        reasonCounters.initialize(repeating: 0, count: reasonSlots)
    }

    deinit {
        reasonCounters.deallocate()
        socketTable.deallocate()
    }

    /// The stage names in order, e.g. "unref trace destructor ...".
    public var stageNames: [String] { stages.map(\.name) }

    /// Replace the stages by one of the built-in orders.
    public func use(_ order: ReleaseOrder) { stages = order.stages }

    /// Insert `stage` before the first stage named `name` (at the end if none).
    public func insert(_ stage: ReleaseStage, before name: String) {
        let at = stages.firstIndex { $0.name == name } ?? stages.count
        stages.insert(stage, at: at)
    }

    /// Remove every stage named `name`.
    public func remove(named name: String) { stages.removeAll { $0.name == name } }

    // MARK: Entry points

    /// `kfree_skb_reason(skb, reason)`.
    public func kfree_skb_reason(_ skb: SkbID, _ reason: SkbDropReason) throws(SkbError) {
        try release(skb, reason, "kfree_skb_reason")
    }

    /// `kfree_skb(skb)`: NOT_SPECIFIED.
    public func kfree_skb(_ skb: SkbID) throws(SkbError) { try release(skb, sim.reasons.notSpecified, "kfree_skb_reason") }

    /// `consume_skb(skb)`: freed after use (`skb:consume_skb`).
    public func consume_skb(_ skb: SkbID) throws(SkbError) { try release(skb, sim.reasons.consumed, "consume_skb") }

    /// `dev_kfree_skb_any(skb)` = `dev_kfree_skb_any_reason(skb, SKB_CONSUMED)`.
    /// Outside hard IRQ (the model never is in one) this is `consume_skb`;
    /// in hard IRQ the kernel would defer it to the softnet completion queue.
    public func dev_kfree_skb_any(_ skb: SkbID) throws(SkbError) { try release(skb, sim.reasons.consumed, "dev_kfree_skb_any") }

    /// `kfree_skb_list_reason(segs, reason)`: every skb on the `next` chain.
    public func kfree_skb_list_reason(_ first: SkbID, _ reason: SkbDropReason) throws(SkbError) {
        var cur: SkbID? = first
        while let c = cur {
            cur = try sim.skb(c).next
            try release(c, reason, "kfree_skb_list_reason")
        }
    }

    /// `kfree_skb_list(segs)`: NOT_SPECIFIED.
    public func kfree_skb_list(_ first: SkbID) throws(SkbError) { try kfree_skb_list_reason(first, sim.reasons.notSpecified) }

    /// `skb_get(skb)`: one more user; memory returns only when the last user lets go.
    @discardableResult
    public func skb_get(_ skb: SkbID) throws(SkbError) -> SkbID { try sim.skb_get(skb) }

    // MARK: Sockets

    /// A new simulated socket with `sk_rcvbuf = rcvbuf` and room for `queueCapacity` queued skbs.
    @discardableResult
    public func makeSocket(rcvbuf: Int = 212_992, queueCapacity: Int = 64) -> UInt32 {
        let id = UInt32(socketTable.count)
        socketTable.append(SimSocket(id: id, rcvbuf: rcvbuf, capacity: queueCapacity))
        return id
    }

    /// `skb_set_owner_r(skb, sk)`: `skb_orphan` (runs a previous
    /// destructor), then `destructor = sock_rfree`, `sk = sk`, and
    /// `sk_rmem_alloc += truesize` (+ `sk_mem_charge`).
    public func skb_set_owner_r(_ skb: SkbID, socket: UInt32) throws(SkbError) {
        try skb_orphan(skb)
        let truesize = try sim.modify(skb) { s in
            s.destructor = .sockRfree(socket: socket)
            s.sk = socket
            return Int(s.truesize)
        }
        let i = Int(socket)
        socketTable[i].rmemAlloc += truesize
        socketTable[i].charged += 1
        if socketTable[i].rmemAlloc > socketTable[i].peakRmemAlloc { socketTable[i].peakRmemAlloc = socketTable[i].rmemAlloc }
    }

    /// `skb_orphan(skb)`: run and clear the destructor now.
    public func skb_orphan(_ skb: SkbID) throws(SkbError) {
        let s = try sim.skb(skb)
        guard !s.destructor.isNone else { return }
        let d = try sim.skbReleaseHeadState(skb)
        runDestructor(d, truesize: Int(s.truesize))
    }

    /// Call a destructor's accounting directly, as buggy code calling
    /// `skb->destructor(skb)` without clearing it would. `sock_rfree`
    /// uncharges `truesize` from its socket; going below zero is reported.
    public func runDestructor(_ d: SkbDestructor, truesize: Int) {
        guard case .sockRfree(let sid) = d, Int(sid) < socketTable.count else { return }
        let i = Int(sid)
        socketTable[i].rmemAlloc -= truesize
        socketTable[i].uncharged += 1
        if _slowPath(socketTable[i].rmemAlloc < 0) { rmemUnderflow(sid, truesize) }
    }

    /// `sock_rfree` took `sk_rmem_alloc` below zero: the WARN at close, now.
    private func rmemUnderflow(_ sid: UInt32, _ truesize: Int) {
        let s = socketTable[Int(sid)]
        findings.append(ReleaseFinding(kind: .rmemUnderflow, packet: sim.currentPacket, text: """
            WARNING: CPU: 0 PID: 0 at net/ipv4/af_inet.c inet_sock_destruct: WARN_ON_ONCE(atomic_read(&sk->sk_rmem_alloc))
            sock_rfree: sk_rmem_alloc of socket \(sid) is \(s.rmemAlloc) after uncharging truesize \(truesize) \
            (\(s.uncharged) uncharges for \(s.charged) charges: skb->destructor run twice?) in packet \(sim.currentPacket)
            """))
    }

    /// Check every socket as `inet_sock_destruct` does at close.
    public func closeSockets() {
        for s in socketTable.all where s.rmemAlloc != 0 && !findings.contains(where: { $0.kind == .rmemUnderflow }) {
            findings.append(ReleaseFinding(kind: .rmemNotZeroAtClose, packet: sim.currentPacket, text: """
                WARNING: CPU: 0 PID: 0 at net/ipv4/af_inet.c inet_sock_destruct: WARN_ON_ONCE(atomic_read(&sk->sk_rmem_alloc))
                socket \(s.id) closed with sk_rmem_alloc \(s.rmemAlloc) (\(s.charged) charges, \(s.uncharged) uncharges)
                """))
        }
    }

    // MARK: Hooks

    /// `nf_hook(family, point, ...)`: run the hooks registered there in
    /// priority order, each recorded as a `.hookVerdict` event (arg0 point,
    /// arg1 0 accept / 1 drop, reason on drop). Returns the first drop's
    /// reason, nil when every hook accepted. Does not free the skb.
    public func nfHook(_ family: NFProto, _ point: NFHookPoint, _ skb: SkbID) throws(SkbError) -> SkbDropReason? {
        guard hooks.needed(family, point) else { return nil }
        for h in hooks.hooks where h.family == family && h.point == point {
            let v = h.body(NFHookState(sim: sim, skb: skb, family: family, point: point))
            switch v {
            case .accept:
                hookAccepts += 1
                try sim.trace(.hookVerdict, skb, h.name, arg0: UInt64(point.rawValue), arg1: 0)
            case .drop(let r):
                hookDrops += 1
                let reason = r ?? sim.reasons.netfilterDrop
                try sim.trace(.hookVerdict, skb, h.name, arg0: UInt64(point.rawValue), arg1: 1, reason: reason.rawValue)
                return reason
            }
        }
        return nil
    }

    /// `NF_HOOK(...)` on the receive path: run the hooks; on NF_DROP free
    /// the skb with the hook's reason (`kfree_skb_reason`, NETFILTER_DROP by
    /// default) and return false.
    public func nfHookReceive(_ family: NFProto, _ point: NFHookPoint, _ skb: SkbID) throws(SkbError) -> Bool {
        guard let reason = try nfHook(family, point, skb) else { return true }
        try kfree_skb_reason(skb, reason)
        return false
    }

    // MARK: Running the stages

    func count(_ reason: SkbDropReason) {
        let i = min(Int(reason.rawValue), reasonSlots - 1)
        reasonCounters[i] &+= 1
    }

    static func isKernelOrder(_ stages: [ReleaseStage]) -> Bool {
        let kernel: [ReleaseStage] = ReleaseOrder.kernel.stages
        guard stages.count == kernel.count else { return false }
        for (a, b) in zip(stages, kernel) {
            switch (a, b) {
            case (.unref, .unref), (.trace, .trace), (.destructor, .destructor), (.dataUnref, .dataUnref),
                 (.fragUnref, .fragUnref), (.listFree, .listFree), (.headFree, .headFree), (.skbFree, .skbFree): continue
            default: return false
            }
        }
        return true
    }

    /// Run the stages on `skb`.
    func release(_ skb: SkbID, _ reason: SkbDropReason, _ fn: StaticString) throws(SkbError) {
        // A stale handle (double free): the model's entry point reports the
        // slab-use-after-free on the old struct sk_buff and throws.
        guard sim.isLive(skb) else {
            if reason == sim.reasons.consumed { try sim.consume_skb(skb) } else { try sim.kfree_skb_reason(skb, reason) }
            return
        }
        if isKernelOrder { return try releaseKernelOrder(skb, reason, fn) }
        var dataHeld = false
        for stage in stages {
            if dataHeld && stage.isDataStage { continue }
            switch stage {
            case .unref:
                if try !sim.skbUnref(skb) { return }
            case .trace:
                if reason == sim.reasons.consumed {
                    try sim.trace(.consume, skb, fn, reason: reason.rawValue)
                } else {
                    try sim.trace(.drop, skb, fn, reason: reason.rawValue)
                }
                if depth == 0 { count(reason) } else { listMemberFrees &+= 1 }
            case .hook:
                // The seed loops over every NFPROTO; verdicts cannot stop a
                // free that has begun (recorded only).
                for family in NFProto.allCases where hooks.needed(family, .preRouting) {
                    _ = try nfHook(family, .preRouting, skb)
                }
            case .destructor:
                let truesize = Int(try sim.skb(skb).truesize)
                let d = try sim.skbReleaseHeadState(skb)
                if !d.isNone { runDestructor(d, truesize: truesize) }
            case .fragDestructors:
                if let cb = seedFragDestructor {
                    let n = try sim.shinfo(skb).nrFrags
                    for k in 0..<n {
                        try sim.trace(.destructor, skb, "shinfo->destructor[i]", arg0: 5, arg1: UInt64(k))
                        cb(skb, k)
                    }
                }
            case .dataUnref:
                if try !sim.skbDataUnref(skb) { dataHeld = true }
            case .fragUnref:
                try sim.skbReleaseFrags(skb)
            case .listFree:
                try freeFragList(skb)
            case .headFree:
                try sim.skbFreeHead(skb)
                try sim.skbClearPpRecycle(skb)
            case .skbFree:
                try sim.kfreeSkbmem(skb)
                return
            case .custom(let c):
                switch try c.body(ReleaseStageContext(pipeline: self, skb: skb, reason: reason)) {
                case .continue: break
                case .skipData: dataHeld = true
                case .stop: return
                }
            }
        }
    }

    /// `ReleaseOrder.kernel`'s stages as straight-line code: the same calls,
    /// in the same order, with the same early exits as the loop in `release`.
    ///
    /// The handle is resolved once (`SkbSlot`); only freeing a frag_list,
    /// which runs other releases, may free the skb, so it is resolved again
    /// after that (a stale handle then throws as the stage functions would).
    private func releaseKernelOrder(_ skb: SkbID, _ reason: SkbDropReason, _ fn: StaticString) throws(SkbError) {
        var s = try sim.resolve(skb, "skb_unref")
        // .unref
        if !sim.skbUnref(s) { return }
        // .trace
        sim.trace(reason == sim.reasons.consumed ? .consume : .drop, s, fn, reason: reason.rawValue)
        if depth == 0 { count(reason) } else { listMemberFrees &+= 1 }
        // .destructor
        let truesize = Int(sim.truesize(s))
        let d = sim.skbReleaseHeadState(s)
        if !d.isNone { runDestructor(d, truesize: truesize) }
        // .dataUnref; while clones hold the data, the data stages are skipped
        if sim.skbDataUnref(s) {
            // .fragUnref, .listFree (its frag_list read done with the frags'), .headFree
            if let list = sim.skbReleaseFragsLoadingFragList(s) {
                try freeFragList(skb, list)
                s = try sim.resolve(skb, "skb_free_head")
            }
            sim.skbFreeHead(s)
            sim.skbClearPpRecycle(s)
        }
        // .skbFree
        sim.kfreeSkbmem(s)
    }

    /// `kfree_skb_list_reason(frag_list, reason)` from `skb_release_data`:
    /// `__kfree_skb` passed NOT_SPECIFIED down, so the members are traced
    /// with NOT_SPECIFIED whatever the parent's reason (the kernel quirk).
    func freeFragList(_ skb: SkbID) throws(SkbError) {
        guard let list = try sim.shinfo(skb).fragList else { return }
        try freeFragList(skb, list)
    }

    /// `freeFragList` with `skb`'s frag_list already read.
    func freeFragList(_ skb: SkbID, _ list: SkbID) throws(SkbError) {
        let reason = sim.reasons.notSpecified
        try sim.trace(.listFree, skb, "kfree_skb_list_reason", arg0: UInt64(sim.fragListCount(list)), reason: reason.rawValue)
        depth += 1
        defer { depth -= 1 }
        var cur: SkbID? = list
        while let c = cur, sim.isLive(c) {
            cur = try sim.skb(c).next
            try release(c, reason, "kfree_skb_list_reason")
        }
    }
}
