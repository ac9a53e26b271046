/// One step in an skb's life: an allocation, an operation, a GRO merge, a
/// release stage, a drop or consume.
///
/// A plain value of fixed size — building one allocates nothing — carrying
/// the fields pwru and retis show for each step (`len`, `data_len`,
/// `truesize`, `nr_frags`, headroom, `protocol`) plus two kind-specific
/// arguments. What `arg0`/`arg1` mean for each kind is documented on
/// `SkbEventKind`.
public struct SkbEvent: Sendable, Hashable {
    /// Position in the run's event stream, from 0, without gaps.
    public var sequence: UInt64
    public var kind: SkbEventKind
    /// The capture packet (0-based file index) that built the skb — the one
    /// being processed when it was allocated, or the original's for a clone
    /// or copy; -1 for an skb built outside packet processing.
    public var packet: Int32
    /// The flow of the skb's packet (`FlowTable` id, from 1); 0 when flows
    /// are not tracked or the packet has no 5-tuple.
    public var flow: UInt32
    /// The skb's simulator id (stable for its life, reused after it is freed).
    public var skb: UInt32
    /// The skb's simulated `struct sk_buff *` address (`skbaddr=` in tracepoints); 0 if none.
    public var skbaddr: UInt64
    /// The capture timestamp of `packet`, ns since the epoch.
    public var timestampNanoseconds: Int64
    public var len: UInt32
    public var dataLen: UInt32
    public var truesize: UInt32
    public var headroom: UInt32
    public var nrFrags: UInt8
    /// `ntohs(skb->protocol)`.
    public var protocolType: UInt16
    /// `enum skb_drop_reason` value for drops, hook verdicts and list frees; 0 otherwise.
    public var reason: UInt32
    /// Kind-specific: a size, an address, a count (see `SkbEventKind`).
    public var arg0: UInt64
    /// Kind-specific second argument.
    public var arg1: UInt64
    /// Kind-specific third argument (`SkbEventKind.extraArgument`).
    public var arg2: UInt64
    /// The kernel function the step imitates, e.g. "skb_put", "page_frag_alloc".
    public var function: StaticString

    public init(
        sequence: UInt64 = 0, kind: SkbEventKind, packet: Int32 = -1, flow: UInt32 = 0, skb: UInt32 = 0,
        skbaddr: UInt64 = 0,
        timestampNanoseconds: Int64 = 0, len: UInt32 = 0, dataLen: UInt32 = 0, truesize: UInt32 = 0,
        headroom: UInt32 = 0, nrFrags: UInt8 = 0, protocolType: UInt16 = 0, reason: UInt32 = 0,
        arg0: UInt64 = 0, arg1: UInt64 = 0, arg2: UInt64 = 0, function: StaticString
    ) {
        self.sequence = sequence
        self.kind = kind
        self.packet = packet
        self.flow = flow
        self.skb = skb
        self.skbaddr = skbaddr
        self.timestampNanoseconds = timestampNanoseconds
        self.len = len
        self.dataLen = dataLen
        self.truesize = truesize
        self.headroom = headroom
        self.nrFrags = nrFrags
        self.protocolType = protocolType
        self.reason = reason
        self.arg0 = arg0
        self.arg1 = arg1
        self.arg2 = arg2
        self.function = function
    }

    /// The tracking id: the number of the captured packet that built the skb,
    /// counted from 1 in file order (`packet + 1`; what `inspect`, tcpdump
    /// `-#` and Wireshark call the packet). Stable across runs of the same
    /// file whatever the filter or options, kept through clone, copy and
    /// `pskb_expand_head`; a GRO super-packet keeps its first packet's.
    /// 0 for an skb built outside packet processing.
    @inlinable public var track: UInt32 { packet < 0 ? 0 : UInt32(packet) &+ 1 }

    public static func == (a: SkbEvent, b: SkbEvent) -> Bool {
        a.sequence == b.sequence && a.kind == b.kind && a.packet == b.packet && a.skb == b.skb
            && a.skbaddr == b.skbaddr && a.timestampNanoseconds == b.timestampNanoseconds && a.len == b.len
            && a.dataLen == b.dataLen && a.truesize == b.truesize && a.headroom == b.headroom
            && a.nrFrags == b.nrFrags && a.protocolType == b.protocolType && a.reason == b.reason
            && a.arg0 == b.arg0 && a.arg1 == b.arg1 && a.arg2 == b.arg2 && a.flow == b.flow
            && a.function.description == b.function.description
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(sequence)
        hasher.combine(kind)
        hasher.combine(skb)
    }
}
