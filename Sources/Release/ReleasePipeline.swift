import KernelMemory
import SkbModel
import Trace

/// The release path as named, pluggable stages (see `ReleaseStage`,
/// docs/release-pipeline.md) with the kernel's entry points on top.
///
/// Every stage is one of SkbModel's release steps (`skb_unref`,
/// `trace_kfree_skb`, `skb_release_head_state`, `skb_data_unref`, the frag
/// unrefs, the frag_list free, `skb_free_head`, `kfree_skbmem`), so an order
/// is a composition of the model's own release, never a copy of it. With
/// the kernel's order (`ReleaseOrder.kernel`) a free is the model's
/// `kfree_skb_reason` / `consume_skb` itself. Other orders (the seed
/// document's, a user's) run the stages one by one; `.hook`,
/// `.fragDestructors` and `.custom` stages exist only there.
public final class ReleasePipeline {
    public let sim: SkbSim
    /// The stages, in order. Add, remove or reorder freely.
    @exclusivity(unchecked) public var stages: [ReleaseStage] {
        didSet { isKernelOrder = Self.isKernelOrder(stages) }
    }
    /// `stages` is exactly `ReleaseOrder.kernel`'s: a free is the model's own.
    @exclusivity(unchecked) private var isKernelOrder = false
    /// Netfilter hooks (used by the seed order's `.hook` stage and by `PacketRun` at receive).
    @exclusivity(unchecked) public var hooks = NetfilterHooks()
    /// Seed mode only: the non-existent `skb_shinfo(skb)->destructor[i]`,
    /// called by the `.fragDestructors` stage with (skb, frag index).
    @exclusivity(unchecked) public var seedFragDestructor: ((SkbID, Int) -> Void)?
    /// Hook verdicts seen (accept, drop).
    @exclusivity(unchecked) public private(set) var hookAccepts: UInt64 = 0
    @exclusivity(unchecked) public private(set) var hookDrops: UInt64 = 0

    public init(sim: SkbSim, order: ReleaseOrder = .kernel) {
        self.sim = sim
        self.stages = order.stages
        isKernelOrder = Self.isKernelOrder(stages)
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
        try release(skb, reason, reason, "kfree_skb_reason")
    }

    /// `kfree_skb(skb)`: NOT_SPECIFIED.
    public func kfree_skb(_ skb: SkbID) throws(SkbError) {
        try release(skb, sim.reasons.notSpecified, sim.reasons.notSpecified, "kfree_skb_reason")
    }

    /// `consume_skb(skb)`: freed after use (`skb:consume_skb`).
    public func consume_skb(_ skb: SkbID) throws(SkbError) {
        try release(skb, sim.reasons.consumed, sim.reasons.notSpecified, "consume_skb")
    }

    /// `dev_kfree_skb_any(skb)` = `dev_kfree_skb_any_reason(skb, SKB_CONSUMED)`.
    /// Outside hard IRQ (the model never is in one) this is
    /// `kfree_skb_reason(skb, SKB_CONSUMED)`; in hard IRQ the kernel would
    /// defer it to the softnet completion queue.
    public func dev_kfree_skb_any(_ skb: SkbID) throws(SkbError) {
        try release(skb, sim.reasons.consumed, sim.reasons.consumed, "dev_kfree_skb_any")
    }

    /// `kfree_skb_list_reason(segs, reason)`: every skb on the `next` chain.
    public func kfree_skb_list_reason(_ first: SkbID, _ reason: SkbDropReason) throws(SkbError) {
        if isKernelOrder { return try sim.kfree_skb_list_reason(first, reason) }
        var cur: SkbID? = first
        while let c = cur {
            cur = try sim.skb(c).next
            try release(c, reason, reason, "kfree_skb_list_reason")
        }
    }

    /// `kfree_skb_list(segs)`: NOT_SPECIFIED.
    public func kfree_skb_list(_ first: SkbID) throws(SkbError) {
        try kfree_skb_list_reason(first, sim.reasons.notSpecified)
    }

    /// `skb_get(skb)`: one more user; memory returns only when the last user lets go.
    @discardableResult
    public func skb_get(_ skb: SkbID) throws(SkbError) -> SkbID { try sim.skb_get(skb) }

    // MARK: Hooks

    /// `nf_hook(family, point, ...)`: run the hooks registered there in
    /// priority order, each recorded as a `.hookVerdict` event (arg0 point,
    /// arg1 0 accept / 1 drop, reason on drop). Returns the first drop's
    /// reason, nil when every hook accepted. Does not free the skb.
    public func nf_hook(_ family: NFProto, _ point: NFHookPoint, _ skb: SkbID) throws(SkbError) -> SkbDropReason? {
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
        guard let reason = try nf_hook(family, point, skb) else { return true }
        try kfree_skb_reason(skb, reason)
        return false
    }

    // MARK: Running the stages

    static func isKernelOrder(_ stages: [ReleaseStage]) -> Bool {
        let kernel: [ReleaseStage] = ReleaseOrder.kernel.stages
        guard stages.count == kernel.count else { return false }
        for (a, b) in zip(stages, kernel) {
            switch (a, b) {
            case (.unref, .unref), (.trace, .trace), (.destructor, .destructor), (.dataUnref, .dataUnref),
                (.fragUnref, .fragUnref), (.listFree, .listFree), (.headFree, .headFree), (.skbFree, .skbFree):
                continue
            default: return false
            }
        }
        return true
    }

    /// Free `skb` through the stages: `reason` for the tracepoint,
    /// `dataReason` for the data and frag_list (see `SkbSim.free`); `fn`
    /// names the entry point in the trace event.
    func release(
        _ skb: SkbID, _ reason: SkbDropReason, _ dataReason: SkbDropReason,
        _ fn: StaticString
    ) throws(SkbError) {
        // The kernel's order is the model's release; a stale handle (double
        // free) is reported there as a slab-use-after-free and thrown.
        if isKernelOrder || !sim.isLive(skb) { return try sim.free(skb, reason, dataReason: dataReason, caller: fn) }
        var dataHeld = false
        for stage in stages {
            if dataHeld && stage.isDataStage { continue }
            switch stage {
            case .unref:
                if try !sim.skb_unref(skb) { return }
            case .trace:
                try sim.trace_kfree_skb(skb, reason, caller: fn)
            case .hook:
                // The seed loops over every NFPROTO; verdicts cannot stop a
                // free that has begun (recorded only).
                for family in NFProto.allCases where hooks.needed(family, .preRouting) {
                    _ = try nf_hook(family, .preRouting, skb)
                }
            case .destructor:
                try sim.skb_release_head_state(skb)
            case .fragDestructors:
                if let cb = seedFragDestructor {
                    let n = try sim.shinfo(skb).nrFrags
                    for k in 0..<n {
                        try sim.trace(.destructor, skb, "shinfo->destructor[i]", arg0: 5, arg1: UInt64(k))
                        cb(skb, k)
                    }
                }
            case .dataUnref:
                if try !sim.skb_data_unref(skb) { dataHeld = true }
            case .fragUnref:
                try sim.releaseFrags(skb)
            case .listFree:
                // Each member goes through these same stages.
                try sim.freeFragList(skb, dataReason) { (first: SkbID) throws(SkbError) in
                    var cur: SkbID? = first
                    while let c = cur, self.sim.isLive(c) {
                        cur = try self.sim.skb(c).next
                        try self.release(c, dataReason, dataReason, "kfree_skb_list_reason")
                    }
                }
            case .headFree:
                try sim.skb_free_head(skb)
            case .skbFree:
                try sim.kfree_skbmem(skb)
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
}
