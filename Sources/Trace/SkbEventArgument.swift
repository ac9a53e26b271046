/// How the sinks name and print one of an event's kind-specific arguments
/// (`arg0`, `arg1`).
public struct SkbEventArgument: Sendable, Equatable {
    public enum Format: Sendable, Equatable {
        /// A count, size, offset, id or enum value: printed in decimal.
        case decimal
        /// A kernel address: printed as hex ("0xffff888000a1c000"), a JSON string.
        case address
        /// A value of an enumeration: printed as its name (`SkbEventEnum`),
        /// a JSON string; a value without a name is printed in decimal.
        case named(SkbEventEnum)
    }

    /// The key in JSON output and the label in text output, e.g. "bytes".
    public let name: StaticString
    public let format: Format

    public init(_ name: StaticString, _ format: Format = .decimal) {
        self.name = name
        self.format = format
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.format == b.format && a.name.description == b.name.description
    }
}

/// The phase of an skb's life an event belongs to; the Perfetto sink draws
/// one nested span per phase.
public enum SkbEventStage: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case allocation, operation, gro, release, counter

    public var description: String {
        switch self {
        case .allocation: "alloc"
        case .operation: "ops"
        case .gro: "gro_hold"
        case .release: "release"
        case .counter: "counter"
        }
    }
}

extension SkbEventKind {
    /// The names and formats of `arg0` and `arg1` for this kind; nil where the
    /// argument is unused. These are the keys of `"args"` in JSON Lines.
    public var arguments: (arg0: SkbEventArgument?, arg1: SkbEventArgument?) {
        switch self {
        case .skbAlloc, .skbFree: (.init("cache", .named(.cache)), .init("fclone", .named(.fclone)))
        case .headAlloc: (.init("head", .address), .init("size"))
        case .fragAlloc: (.init("addr", .address), .init("size"))
        case .dataCopy: (.init("bytes"), .init("offset"))
        case .headersSet: (.init("network_header"), .init("transport_header"))
        case .put, .push, .pull, .reserve: (.init("bytes"), nil)
        case .trim: (.init("new_len"), nil)
        case .expandHead: (.init("nhead"), .init("ntail"))
        case .pullTail: (.init("delta"), nil)
        case .linearize: (.init("bytes"), nil)
        case .clone: (.init("clone_skb"), .init("dataref"))
        case .copy: (.init("copy_skb"), nil)
        case .unshare: (.init("new_skb"), nil)
        case .get: (.init("users"), nil)
        case .skb_add_rx_frag: (.init("frag"), .init("size"))
        case .coalesceRxFrag: (.init("frag"), .init("size_added"))
        case .groHold: (.init("gso_size"), nil)
        case .groMerge: (.init("held_skb"), .init("strategy", .named(.strategy)))
        case .groFlush: (.init("gso_segs"), .init("cause", .named(.cause)))
        case .hookVerdict: (.init("hook", .named(.hook)), .init("verdict", .named(.verdict)))
        case .destructor: (.init("destructor", .named(.destructor)), nil)
        case .unref: (.init("users"), nil)
        case .dataUnref: (.init("dataref"), nil)
        case .fragUnref: (.init("page", .address), .init("frag"))
        case .listFree: (.init("count"), nil)
        case .headFree: (.init("head", .address), .init("free_kind", .named(.freeKind)))
        case .drop, .consume: (nil, nil)
        case .pageFragCounter: (.init("pages"), .init("outstanding_bytes"))
        case .slabCounter: (.init("active_objects"), .init("bytes"))
        case .socketCounter: (.init("rmem_alloc"), .init("queued"))
        case .memoryCounter: (.init("used_pages"), .init("used_bytes"))
        case .groMember: (.init("track"), .init("strategy", .named(.strategy)))
        }
    }

    /// The name and format of `arg2`; nil for the kinds that do not use it.
    public var extraArgument: SkbEventArgument? {
        switch self {
        case .groMerge, .groMember: .init("position")
        case .fragUnref, .headFree: .init("offset")
        default: nil
        }
    }

    /// True for kinds whose event carries a meaningful `reason`.
    public var carriesReason: Bool {
        switch self {
        case .drop, .consume, .hookVerdict, .listFree: true
        default: false
        }
    }

    public var stage: SkbEventStage {
        switch self {
        case .skbAlloc, .headAlloc, .fragAlloc, .dataCopy, .headersSet: .allocation
        case .put, .push, .pull, .reserve, .trim, .expandHead, .pullTail, .linearize, .clone, .copy,
            .unshare, .get, .skb_add_rx_frag, .coalesceRxFrag, .hookVerdict:
            .operation
        case .groHold, .groMerge, .groFlush, .groMember: .gro
        case .destructor, .unref, .dataUnref, .fragUnref, .listFree, .headFree, .skbFree, .drop, .consume:
            .release
        case .pageFragCounter, .slabCounter, .socketCounter, .memoryCounter: .counter
        }
    }
}

extension SkbEventKind {
    /// `description` as a `StaticString`, for allocation-free output.
    public var staticName: StaticString {
        switch self {
        case .skbAlloc: "skb_alloc"
        case .headAlloc: "head_alloc"
        case .fragAlloc: "frag_alloc"
        case .dataCopy: "data_copy"
        case .headersSet: "headers_set"
        case .put: "put"
        case .push: "push"
        case .pull: "pull"
        case .reserve: "reserve"
        case .trim: "trim"
        case .expandHead: "expand_head"
        case .pullTail: "pull_tail"
        case .linearize: "linearize"
        case .clone: "clone"
        case .copy: "copy"
        case .unshare: "unshare"
        case .get: "get"
        case .skb_add_rx_frag: "add_rx_frag"
        case .coalesceRxFrag: "coalesce_rx_frag"
        case .groHold: "gro_hold"
        case .groMerge: "gro_merge"
        case .groFlush: "gro_flush"
        case .hookVerdict: "hook_verdict"
        case .destructor: "destructor"
        case .unref: "unref"
        case .dataUnref: "data_unref"
        case .fragUnref: "frag_unref"
        case .listFree: "list_free"
        case .headFree: "head_free"
        case .skbFree: "skb_free"
        case .drop: "drop"
        case .consume: "consume"
        case .pageFragCounter: "page_frag_counter"
        case .groMember: "gro_member"
        case .slabCounter: "slab_counter"
        case .socketCounter: "socket_counter"
        case .memoryCounter: "memory_counter"
        }
    }

    /// True for the memory counter kinds (`stage == .counter`): `skb` is
    /// the counter's id, not an skb.
    @inlinable public var isCounter: Bool { stage == .counter }

    /// What a counter event names as its `function`: where the numbers live
    /// in the kernel. "" for other kinds.
    public var counterSource: StaticString {
        switch self {
        case .pageFragCounter: "page_frag_cache"
        case .slabCounter: "kmem_cache"
        case .socketCounter: "sk_rmem_alloc"
        case .memoryCounter: "nr_free_pages"
        default: ""
        }
    }

    /// The text sink's label of a counter event ("page_frag_cache",
    /// "slab_cache", "socket", "memory"); "" for other kinds.
    public var counterLabel: StaticString {
        switch self {
        case .pageFragCounter: "page_frag_cache"
        case .slabCounter: "slab_cache"
        case .socketCounter: "socket"
        case .memoryCounter: "memory"
        default: ""
        }
    }

    /// The prefix of a counter track's label ("page_frag", "slab", "socket",
    /// "memory"); "" for other kinds.
    public var counterTrackPrefix: StaticString {
        switch self {
        case .pageFragCounter: "page_frag"
        case .slabCounter: "slab"
        case .socketCounter: "socket"
        case .memoryCounter: "memory"
        default: ""
        }
    }
}
