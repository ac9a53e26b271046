/// What an `SkbEvent` records. The comment on each case says what the
/// event's `arg0` and `arg1` hold.
public enum SkbEventKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    // Allocation.
    /// An sk_buff struct was allocated. arg0: slab cache (0 skbuff_cache, 1 fclone), arg1: fclone state.
    case skbAlloc
    /// The head buffer was allocated. arg0: head address, arg1: allocation size (ksize or frag size).
    case headAlloc
    /// A page fragment was taken for packet data (a frag, not the head). arg0: address, arg1: size.
    case fragAlloc
    /// Packet bytes were copied into the skb. arg0: bytes copied, arg1: offset from head.
    case dataCopy
    /// Header offsets were set from the packet. arg0: network header, arg1: transport header (0xFFFF unset).
    case headersSet

    // Operations.
    case put  // arg0: bytes
    case push  // arg0: bytes
    case pull  // arg0: bytes
    case reserve  // arg0: bytes
    case trim  // arg0: new len
    case expandHead  // arg0: nhead, arg1: ntail
    case pullTail  // arg0: delta (__pskb_pull_tail)
    case linearize  // arg0: bytes pulled
    case clone  // arg0: the clone's skb id, arg1: dataref after
    case copy  // arg0: the copy's skb id
    case unshare  // arg0: the new skb id (or the same when not cloned)
    case get  // arg0: users after skb_get
    case skb_add_rx_frag  // arg0: frag index, arg1: size
    case coalesceRxFrag  // arg0: frag index, arg1: size added

    // GRO.
    /// The skb is held on a GRO list. arg0: gso_size.
    case groHold
    /// The skb was merged into a held one. arg0: the held skb id, arg1: strategy
    /// (0 frags, 1 head steal, 2 frag_list), arg2: the position the packet
    /// took: the index of its first frag (frags, head steal; in the held
    /// skb, or in its last frag_list member once it has one) or its index on
    /// the frag_list (frag_list, from 0).
    case groMerge
    /// A held skb was flushed up the stack (`napi_gro_complete`). arg0: segments
    /// (`NAPI_GRO_CB(p)->count`, = gso_segs when > 1), arg1: flush cause
    /// (SkbModel `GROFlushCause`): 0 poll end, 1 explicit napi_gro_flush,
    /// 2 PSH/URG/RST/SYN/FIN on the merged segment, 3 merged segment shorter
    /// than mss, 4 TCP header mismatch (CWR, flags, doff, window, ack_seq),
    /// 5 TCP option bytes differ, 6 IP-level mismatch (ttl/tos/DF/IP ID,
    /// IPv6 traffic class/hop limit, length), 7 payload larger than mss,
    /// 8 seq gap, 9 -E2BIG (gro_max_size), 10 bucket full (MAX_GRO_SKBS).
    case groFlush

    // Release.
    /// A hook looked at the skb. arg0: hook point, arg1: verdict (0 accept, 1 drop).
    case hookVerdict
    /// `skb->destructor` ran. arg0: destructor kind.
    case destructor
    /// `skb_unref`: users dropped but others still hold the skb. arg0: users after.
    case unref
    /// `skb_data_unref`: dataref dropped but clones still hold the data. arg0: dataref after.
    case dataUnref
    /// A frag's page reference was dropped. arg0: page address, arg1: frag
    /// index, arg2: the frag's offset in the page (`skb_frag_off`).
    case fragUnref
    /// The frag_list was freed. arg0: number of skbs on it.
    case listFree
    /// The head buffer was freed. arg0: head address, arg1: 0 page_frag, 1
    /// kfree, 2 small-head cache, arg2: the head's offset in its (head) page.
    case headFree
    /// The sk_buff struct was freed. arg0: slab cache, arg1: fclone state.
    case skbFree
    /// `kfree_skb_reason`: the skb was dropped (`reason` set).
    case drop
    /// `consume_skb`: the skb was freed after successful use.
    case consume

    // Memory counters (not tied to one skb): emitted when the value changed,
    // after the skb event that moved them (or the next one) and at the end of each packet, with the
    // packet's index and time; the track is named once through
    // `EventSink.describeCounter` before its first value.
    /// A page_frag cache's usage changed. skb: the cache id; arg0: pages held
    /// (the cache's current page plus abandoned pages with fragments still
    /// out; a compound page counts once), arg1: bytes handed out and not yet freed.
    case pageFragCounter
    /// A slab cache's usage changed. skb: the cache id; arg0: objects
    /// allocated (`active_objs` in /proc/slabinfo), arg1: bytes of its slabs
    /// (`num_slabs << order` pages).
    case slabCounter
    /// A socket's receive accounting changed. skb: the socket id; arg0:
    /// `sk_rmem_alloc` (bytes of truesize charged), arg1: skbs queued.
    case socketCounter
    /// The simulated RAM in use changed. skb: 0; arg0: pages allocated
    /// (total minus `NR_FREE_PAGES`), arg1: the same in bytes.
    case memoryCounter

    // GRO (appended after the first version's kinds, keeping their raw values).
    /// One packet of a super-packet, listed when GRO flushes it (right after
    /// its `groFlush`, on the held skb, only when a sink listens). arg0: the
    /// member's tracking id, arg1: strategy (3 = held: the skb GRO held),
    /// arg2: position, as `groMerge`'s.
    case groMember

    /// The kind's name (`staticName`, see SkbEventArgument.swift).
    public var description: String { staticName.description }
}
