import SkbModel
import Trace

/// One stage of a `ReleasePipeline`. Built-in stages are plain enum cases
/// (a `switch`, no closure, no existential); `.custom` holds a user closure.
public enum ReleaseStage {
    /// `skb_unref`: stop the whole release while other users hold the skb.
    case unref
    /// The tracepoint: `skb:consume_skb` or `skb:kfree_skb` with the reason
    /// (a `.consume` / `.drop` event), counted in the pipeline's statistics.
    case trace
    /// Seed order only: `nf_hook(family, NF_INET_PRE_ROUTING, ...)` for
    /// every family that has hooks. Verdicts are recorded (`.hookVerdict`)
    /// but cannot stop a free that has already begun. Not in the kernel.
    case hook
    /// `skb_release_head_state`: dst drop (not modelled), `skb->destructor`
    /// once (`sock_rfree` uncharges the simulated socket), nf_reset_ct and
    /// skb_ext_put (not modelled).
    case destructor
    /// Seed order only: `skb_shinfo(skb)->destructor[i](skb)` per frag (with
    /// kmap_atomic around it). No such array exists in any kernel; runs the
    /// pipeline's `seedFragDestructor` if one is set.
    case fragDestructors
    /// `skb_data_unref`: when clones still hold the data, the data stages
    /// (frag destructors, frag unref, list free, head free) are skipped.
    case dataUnref
    /// `__skb_frag_unref` for each frag (put_page / page_frag_free).
    case fragUnref
    /// `kfree_skb_list_reason(frag_list, NOT_SPECIFIED)`: each member goes
    /// through this same pipeline (unref, trace with NOT_SPECIFIED, ...).
    case listFree
    /// `skb_free_head`: page_frag_free for head_frag, else kfree or the
    /// small-head cache; then `pp_recycle = 0`.
    case headFree
    /// `kfree_skbmem`: kmem_cache_free to skbuff_cache, or the fclone rules.
    case skbFree
    /// A user stage.
    case custom(CustomReleaseStage)

    /// Short name used in docs, `stageNames` and errors.
    public var name: String {
        switch self {
        case .unref: "unref"
        case .trace: "trace"
        case .hook: "hook"
        case .destructor: "destructor"
        case .fragDestructors: "frag_destructors"
        case .dataUnref: "data_unref"
        case .fragUnref: "frag_unref"
        case .listFree: "list_free"
        case .headFree: "head_free"
        case .skbFree: "skb_free"
        case .custom(let c): c.name
        }
    }

    /// Whether the stage touches the shared data (skipped while clones hold it).
    public var isDataStage: Bool {
        switch self {
        case .fragDestructors, .fragUnref, .listFree, .headFree: true
        case .custom(let c): c.isDataStage
        default: false
        }
    }
}

/// What a custom stage tells the pipeline to do next.
public enum ReleaseStageResult: Sendable, Hashable {
    /// Go on with the next stage.
    case `continue`
    /// Skip the remaining data stages (as `skb_data_unref` does when clones
    /// still hold the data).
    case skipData
    /// Stop releasing this skb now (as `skb_unref` does while users remain).
    case stop
}

/// What a custom stage is given.
public struct ReleaseStageContext {
    public let pipeline: ReleasePipeline
    public let skb: SkbID
    /// The reason the skb is being freed with (CONSUMED for consume_skb).
    public let reason: SkbDropReason
    public var sim: SkbSim { pipeline.sim }
}

/// A user-defined stage: a name and a closure.
public struct CustomReleaseStage {
    public var name: String
    public var isDataStage: Bool
    public var body: (ReleaseStageContext) throws(SkbError) -> ReleaseStageResult

    public init(
        name: String, isDataStage: Bool = false,
        _ body: @escaping (ReleaseStageContext) throws(SkbError) -> ReleaseStageResult
    ) {
        self.name = name
        self.isDataStage = isDataStage
        self.body = body
    }
}

/// Which built-in stage order a pipeline starts with (`--release-order`).
public enum ReleaseOrder: String, CaseIterable, Sendable, Hashable {
    /// The kernel's (kernel-facts §4 model ordering).
    case kernel
    /// The seed document's `skb_release`: nf_hook per family at
    /// PRE_ROUTING, per-frag destructors, frag_list free, kmem_cache_free;
    /// plus the steps skbsim adds so that nothing leaks or is freed twice
    /// (unref, trace, skb->destructor, data unref, frag unref, head free).
    case seed

    /// The stages of this order.
    public var stages: [ReleaseStage] {
        switch self {
        case .kernel:
            [.unref, .trace, .destructor, .dataUnref, .fragUnref, .listFree, .headFree, .skbFree]
        case .seed:
            [
                .unref, .trace, .hook, .fragDestructors, .destructor, .dataUnref, .fragUnref, .listFree, .headFree,
                .skbFree,
            ]
        }
    }

    /// Stages of `stages` the seed document does not have (skbsim adds them).
    public static let seedAdditions: Set<String> = [
        "unref", "trace", "destructor", "data_unref", "frag_unref", "head_free",
    ]
}
