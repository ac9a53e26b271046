/// The enumerations an event argument can hold, with the name of every
/// value: what the sinks write instead of a bare code (JSON Lines v2 writes
/// `"cause":"tcp_options"`, not `"cause":5`).
///
/// The values are the model's (`SkbFclone`, `GROMergeStrategy`,
/// `GROFlushCause`, `NFHookPoint`, `SkbDestructor.code`, the head free
/// paths of `skb_free_head`); Trace sits below the model, so the names are
/// listed here and a test in SkbModelTests checks them against the model's
/// own enums. Kernel names are used where the kernel has one
/// (`SKB_FCLONE_ORIG`, `NF_INET_PRE_ROUTING`, `NF_DROP`, `sock_rfree`).
public enum SkbEventEnum: Sendable, CaseIterable, Equatable {
    /// Slab cache of the `struct sk_buff` (`skb_alloc`/`skb_free` arg0).
    case cache
    /// `skb->fclone` (`SKB_FCLONE_*`).
    case fclone
    /// How `skb_gro_receive` attached a segment (`GROMergeStrategy`), or
    /// `held` for the skb GRO held (the first member of a super-packet).
    case strategy
    /// Why GRO flushed a held skb (`GROFlushCause`).
    case cause
    /// Netfilter hook point (`enum nf_inet_hooks`, `NF_NETDEV_INGRESS` as 5).
    case hook
    /// A hook's verdict.
    case verdict
    /// What `skb->destructor` points to (`SkbDestructor.code`).
    case destructor
    /// How `skb_free_head` freed the head.
    case freeKind

    /// The key this enumeration is documented under in docs/jsonl-schema.md.
    public var key: StaticString {
        switch self {
        case .cache: "cache"
        case .fclone: "fclone"
        case .strategy: "strategy"
        case .cause: "cause"
        case .hook: "hook"
        case .verdict: "verdict"
        case .destructor: "destructor"
        case .freeKind: "free_kind"
        }
    }

    /// Every value's name, indexed by value (0, 1, 2, ...).
    public var names: [StaticString] {
        switch self {
        case .cache: Self.cacheNames
        case .fclone: Self.fcloneNames
        case .strategy: Self.strategyNames
        case .cause: Self.causeNames
        case .hook: Self.hookNames
        case .verdict: Self.verdictNames
        case .destructor: Self.destructorNames
        case .freeKind: Self.freeKindNames
        }
    }

    /// The name of `value`; nil for a value the enumeration does not have.
    /// A switch, not `names[...]`: no array access per event (the
    /// sinks call it for every enumeration argument); `TrackingTests`
    /// checks that both agree.
    public func name(of value: UInt64) -> StaticString? {
        switch self {
        case .cache:
            switch value {
            case 0: "skbuff_cache"
            case 1: "skbuff_fclone_cache"
            case 2: "napi_skb_cache"
            default: nil
            }
        case .fclone:
            switch value {
            case 0: "SKB_FCLONE_UNAVAILABLE"
            case 1: "SKB_FCLONE_ORIG"
            case 2: "SKB_FCLONE_CLONE"
            default: nil
            }
        case .strategy:
            switch value {
            case 0: "frags"
            case 1: "head_steal"
            case 2: "frag_list"
            case 3: "held"
            default: nil
            }
        case .cause:
            switch value {
            case 0: "poll_end"
            case 1: "flush"
            case 2: "tcp_flags"
            case 3: "short_segment"
            case 4: "tcp_header"
            case 5: "tcp_options"
            case 6: "network"
            case 7: "oversize"
            case 8: "seq_gap"
            case 9: "gro_max_size"
            case 10: "bucket_full"
            default: nil
            }
        case .hook:
            switch value {
            case 0: "NF_INET_PRE_ROUTING"
            case 1: "NF_INET_LOCAL_IN"
            case 2: "NF_INET_FORWARD"
            case 3: "NF_INET_LOCAL_OUT"
            case 4: "NF_INET_POST_ROUTING"
            case 5: "NF_NETDEV_INGRESS"
            default: nil
            }
        case .verdict:
            switch value {
            case 0: "NF_ACCEPT"
            case 1: "NF_DROP"
            default: nil
            }
        case .destructor:
            switch value {
            case 0: "none"
            case 1: "sock_rfree"
            case 2: "sock_wfree"
            case 3: "tcp_wfree"
            case 4: "sock_edemux"
            case 5: "custom"
            default: nil
            }
        case .freeKind:
            switch value {
            case 0: "skb_free_frag"
            case 1: "kfree"
            case 2: "skb_small_head_cache"
            default: nil
            }
        }
    }

    static let cacheNames: [StaticString] = ["skbuff_cache", "skbuff_fclone_cache", "napi_skb_cache"]
    static let fcloneNames: [StaticString] = ["SKB_FCLONE_UNAVAILABLE", "SKB_FCLONE_ORIG", "SKB_FCLONE_CLONE"]
    static let strategyNames: [StaticString] = ["frags", "head_steal", "frag_list", "held"]
    static let causeNames: [StaticString] = [
        "poll_end", "flush", "tcp_flags", "short_segment", "tcp_header", "tcp_options", "network", "oversize",
        "seq_gap", "gro_max_size", "bucket_full",
    ]
    static let hookNames: [StaticString] = [
        "NF_INET_PRE_ROUTING", "NF_INET_LOCAL_IN", "NF_INET_FORWARD", "NF_INET_LOCAL_OUT", "NF_INET_POST_ROUTING",
        "NF_NETDEV_INGRESS",
    ]
    static let verdictNames: [StaticString] = ["NF_ACCEPT", "NF_DROP"]
    static let destructorNames: [StaticString] = [
        "none", "sock_rfree", "sock_wfree", "tcp_wfree", "sock_edemux", "custom",
    ]
    static let freeKindNames: [StaticString] = ["skb_free_frag", "kfree", "skb_small_head_cache"]

    /// The value named `name` (the inverse of `name(of:)`).
    public func value(named name: String) -> UInt64? {
        names.firstIndex { $0.description == name }.map(UInt64.init)
    }
}
