import KernelMemory

/// `struct sk_buff` (include/linux/skbuff.h, v6.x, 64-bit), the fields the
/// model needs, as a plain value living in the simulator's pool.
///
/// As on 64-bit kernels (`NET_SKBUFF_DATA_USES_OFFSET`), `tail` and `end`
/// are offsets from `head`; the model stores `data` as an offset too.
///
/// ```
///                                ---------------
///                               | sk_buff       |
///                                ---------------
///   ,---------------------------  + head
///  /          ,-----------------  + data
/// |          |            ,-----  + tail (offset)
/// |          |           |            , + end (offset)
/// |          |           |           |
/// v          v           v           v
///  -----------------------------------------------
/// | headroom | data      | tailroom  | skb_shared_info |
///  -----------------------------------------------
///                                    + [page frag] ... (frags[] in shinfo)
///                                    + frag_list --> sk_buff -> sk_buff ...
/// ```
/// `skb_shinfo(skb)` is at `head + end` in the simulated head buffer
/// (see `SharedInfo`), so clones share it and a freed head's shinfo is
/// poisoned memory the checker watches.
public struct SkBuff: Sendable {
    /// `skb->head`: start of the head buffer (kmalloc object or page fragment).
    public internal(set) var head: KernelAddress = KernelAddress(0)
    /// `skb->data - skb->head`.
    public internal(set) var data: UInt32 = 0
    /// `skb->tail` (offset from head).
    public internal(set) var tail: UInt32 = 0
    /// `skb->end` (offset from head): where `skb_shared_info` starts.
    public internal(set) var end: UInt32 = 0
    /// `skb->len`: linear + paged + frag_list bytes.
    public internal(set) var len: UInt32 = 0
    /// `skb->data_len`: paged + frag_list bytes.
    public internal(set) var dataLen: UInt32 = 0
    /// `skb->truesize`.
    public var truesize: UInt32 = 0
    /// `refcount_t users`.
    public internal(set) var users: Int32 = 0
    /// `cloned:1`.
    public internal(set) var cloned = false
    /// `nohdr:1` (payload-only reference, see `__skb_header_release`).
    public internal(set) var nohdr = false
    /// `fclone:2`.
    public internal(set) var fclone: SkbFclone = .unavailable
    /// `head_frag:1`: the head came from a page fragment, not kmalloc.
    public internal(set) var headFrag = false
    /// `pfmemalloc:1`.
    public internal(set) var pfmemalloc = false
    /// `pp_recycle:1`.
    public var ppRecycle = false
    /// Header offsets from head (u16); `SkBuff.unsetHeader` (0xFFFF) = unset.
    public var macHeader: UInt16 = SkBuff.unsetHeader
    public var networkHeader: UInt16 = 0
    public var transportHeader: UInt16 = SkBuff.unsetHeader
    public var macLen: UInt16 = 0
    /// `ntohs(skb->protocol)`.
    public var protocolType: UInt16 = 0
    /// `pkt_type:3` (PACKET_HOST 0, BROADCAST 1, MULTICAST 2, OTHERHOST 3, ...).
    public var pktType: UInt8 = 0
    public var mark: UInt32 = 0
    /// `ip_summed:2` (zeroed by `__alloc_skb`: `CHECKSUM_NONE`).
    public var ipSummed: SkbIPSummed = .none
    /// `csum_level:2`: with `CHECKSUM_UNNECESSARY`, checksums verified beyond the first.
    public var csumLevel: UInt8 = 0
    /// `csum_valid:1`: the checksum was verified (set by the `skb_checksum_*validate*` helpers).
    public var csumValid = false
    /// `csum_complete_sw:1`: `CHECKSUM_COMPLETE` was computed in software.
    public var csumCompleteSw = false
    public var hash: UInt32 = 0
    /// `ntohs(skb->vlan_proto)` and `skb->vlan_tci`: the tag a NIC with
    /// VLAN receive offload (or `skb_vlan_untag`) took out of the frame.
    /// `skb_vlan_tag_present` is `vlan_all != 0`: `vlanProto != 0` here.
    public var vlanProto: UInt16 = 0
    public var vlanTCI: UInt16 = 0
    /// `skb->destructor`, as a kind (no closures).
    public var destructor: SkbDestructor = .none
    /// `skb->sk`: the owning socket's id, nil = NULL.
    public var sk: UInt32? = nil
    /// `skb->next`: next skb on a frag_list (or any list).
    public var next: SkbID? = nil
    /// The `struct sk_buff *` (from `skbuff_cache` or `skbuff_fclone_cache`).
    public internal(set) var skbaddr: KernelAddress = KernelAddress(0)
    /// Capture packet index (-1 = none) and its timestamp (ns since epoch).
    public var packet: Int32 = -1
    /// The packet's flow (`FlowTable` id; 0 = flows not tracked), copied
    /// with `packet` by `__copy_skb_header`'s model.
    public var flow: UInt32 = 0
    public var timestampNanoseconds: Int64 = 0

    /// Model bookkeeping: `skb_release_data` already dropped this skb's data
    /// reference (its head may be freed). A second release is reported as a
    /// dataref underflow instead of freeing the head twice.
    public internal(set) var dataReleased = false

    // Pool bookkeeping.
    public internal(set) var generation: UInt32 = 0
    public internal(set) var live = false

    /// `(typeof(skb->mac_header))~0U`.
    public static let unsetHeader: UInt16 = 0xFFFF
    /// `PACKET_OTHERHOST` (include/uapi/linux/if_packet.h).
    public static let packetOtherHost: UInt8 = 3

    public init() {}

    /// `skb_headlen(skb)`.
    @inlinable public var headlen: UInt32 { len &- dataLen }
    /// `skb_headroom(skb)`.
    @inlinable public var headroom: UInt32 { data }
    /// `skb_tailroom(skb)`: 0 when non-linear.
    @inlinable public var tailroom: UInt32 { dataLen != 0 ? 0 : end &- tail }
    /// `skb_end_offset(skb)`.
    @inlinable public var endOffset: UInt32 { end }
    /// `skb_is_nonlinear(skb)`.
    @inlinable public var isNonlinear: Bool { dataLen != 0 }
    /// `skb->data` as an address.
    @inlinable public var dataPointer: KernelAddress { head + Int(data) }
    /// `skb_tail_pointer(skb)`.
    @inlinable public var tailPointer: KernelAddress { head + Int(tail) }
    /// `skb_end_pointer(skb)` = `skb_shinfo(skb)`.
    @inlinable public var endPointer: KernelAddress { head + Int(end) }
    /// `skb_shared(skb)`.
    @inlinable public var isShared: Bool { users != 1 }
    /// `skb_vlan_tag_present(skb)`.
    @inlinable public var vlanTagPresent: Bool { vlanProto != 0 }
}

/// `skb->fclone` (`SKB_FCLONE_*`).
public enum SkbFclone: UInt8, Sendable {
    case unavailable = 0
    case orig = 1
    case clone = 2
}

/// What `skb->destructor` points to. A kind, not a closure: the model only
/// records that it ran, once, in `skb_release_head_state`.
public enum SkbDestructor: Hashable, Sendable {
    case none
    /// `sock_rfree`: receive-queue accounting of a socket.
    case sockRfree(socket: UInt32)
    /// `sock_wfree`: send-buffer accounting.
    case sockWfree(socket: UInt32)
    /// `tcp_wfree`.
    case tcpWfree(socket: UInt32)
    /// `sock_edemux` (early demux reference; pskb_expand_head still grows truesize).
    case sockEdemux
    /// A user-defined tag.
    case custom(tag: UInt32)

    /// `destructor == NULL`, without the derived (out-of-line) `==`.
    @inlinable public var isNone: Bool {
        if case .none = self { return true }
        return false
    }

    /// Numeric code for `SkbEvent.arg0` of `.destructor` events:
    /// 0 none, 1 sock_rfree, 2 sock_wfree, 3 tcp_wfree, 4 sock_edemux, 5 custom.
    public var code: UInt64 {
        switch self {
        case .none: 0
        case .sockRfree: 1
        case .sockWfree: 2
        case .tcpWfree: 3
        case .sockEdemux: 4
        case .custom: 5
        }
    }
}
