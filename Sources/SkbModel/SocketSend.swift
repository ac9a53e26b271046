import KernelMemory

/// Address family of a socket send.
public enum InetFamily: String, Sendable, Hashable, CaseIterable {
    case ipv4, ipv6
}

/// The route of a send, as far as skb sizing is concerned. Default: loopback.
public struct SendRoute: Sendable, Hashable {
    /// dst MTU (`cork->fragsize`): lo's 65536 by default.
    public var mtu: Int
    /// `hh_len` = `LL_RESERVED_SPACE(dev)`: lo has hard_header_len 14 and no
    /// needed_headroom, ((14 + 0) & ~15) + 16 = 16.
    public var hhLen: Int
    /// The device has `NETIF_F_SG` (lo does), so large sends put payload in page frags.
    public var scatterGather: Bool

    public init(mtu: Int = 65536, hhLen: Int = 16, scatterGather: Bool = true) {
        self.mtu = mtu
        self.hhLen = hhLen
        self.scatterGather = scatterGather
    }

    public static let loopback = SendRoute()
}

/// One skb of a send, observed right after the model built it.
public struct SentSkb: Sendable, Hashable {
    /// Head object the allocator gave (`skb_end_offset` + aligned shinfo).
    public var headObject: Int
    /// Payload bytes in page frags (charged byte for byte).
    public var pagedBytes: Int
    public var nrFrags: Int
    public var len: Int
    public var truesize: Int
}

/// The send side of sockets, as far as it allocates skbs: `__ip_append_data`
/// (net/ipv4/ip_output.c), `__ip6_append_data` (net/ipv6/ip6_output.c) and
/// `tcp_stream_alloc_skb` + `tcp_sendmsg_locked` (net/ipv4/tcp.c), using the
/// model's own `alloc_skb` / `kmalloc_reserve` and page_frag allocator.
///
/// The socket's `sk_page_frag` (`current->task_frag` for these senders) is a
/// page_frag cache of the caller's (`socketPageFrag()`), refilled the way
/// `skb_page_frag_refill(32, ...)` does: keep the page while 32 bytes are
/// left, otherwise drop it and take a fresh order-3 page (order 0 on failure).
extension SkbSim {
    /// A page_frag for one socket (`sk_page_frag`). Each call creates a cache.
    public func socketPageFrag(name: String = "task_frag") -> PageFragCacheID {
        memory.pageFragCacheCreate(name: name)
    }

    /// Copies `count` payload bytes into page frags of `pageFrag`, growing
    /// len, data_len and truesize by exactly the bytes copied
    /// (`skb_copy_to_page_nocache` / `__ip_append_data`: `truesize += copy`).
    /// A chunk contiguous with the last frag on the same page extends it
    /// (`skb_can_coalesce`); the extra page reference is dropped then.
    func appendPageFragBytes(_ i: Int, _ count: Int, _ pageFrag: PageFragCacheID, gfp: GFP) throws(SkbError) -> Bool {
        var left = count
        while left > 0 {
            let c = memory.pageFragCache(pageFrag)
            var available = 0
            if c.va != nil {
                available =
                    config.pageFragAlgorithm == .countUp
                    ? (config.pageSize << c.order) - Int(c.offset) : Int(c.offset)
            }
            let want: Int
            if available < 32 {
                if c.va != nil { memory.page_frag_cache_drain(pageFrag) }
                want = min(left, config.pageFragCacheMaxSize)
            } else {
                want = min(left, available)
            }
            var got = want
            var addr = memory.page_frag_alloc(pageFrag, want, gfp)
            if addr == nil && want > config.pageSize {  // order-0 fallback page
                got = min(left, config.pageSize)
                addr = memory.page_frag_alloc(pageFrag, got, gfp)
            }
            guard let addr else { return false }
            let pfn = memory.virt_to_head_page(addr)
            let offset = addr - memory.page_address(pfn)
            let sh = shinfo(at: i)
            let n = sh.nrFrags
            if n > 0, sh.frag(n - 1).page == memory.page_address(pfn),
                Int(sh.frag(n - 1).offset + sh.frag(n - 1).size) == offset
            {
                var f = sh.frag(n - 1)
                f.size &+= UInt32(got)
                sh.setFrag(n - 1, f)
                memory.page_frag_free(addr)
            } else {
                guard n < config.maxSkbFrags else {
                    memory.page_frag_free(addr)
                    return false  // -EMSGSIZE in the kernel
                }
                try __skb_fill_page_desc(i, n, page: pfn, offset: offset, size: got)
            }
            skbs[i].len &+= UInt32(got)
            skbs[i].dataLen &+= UInt32(got)
            skbs[i].truesize &+= UInt32(got)
            emit(.skb_add_rx_frag, i, "skb_copy_to_page_nocache", UInt64(sh.nrFrags - 1), UInt64(got))
            left -= got
        }
        return true
    }

    /// The skbs one UDP datagram of `payload` bytes becomes on the send side
    /// (`udp_sendmsg` → `ip_make_skb` / `ip6_make_skb` → `__ip_append_data` /
    /// `__ip6_append_data`), without options, corking, UDP GSO, zerocopy or
    /// IPsec. Per skb: datalen is what is left, cut to the 8-aligned
    /// `maxfraglen` when it exceeds `mtu − fragheaderlen`; the head is
    /// `alloc_skb(alloclen + alloc_extra)` with `alloc_extra` = hh_len + 15
    /// (IPv4) or hh_len + 8 for a fragment header (IPv6); the whole fragment
    /// is linear if `fraglen + alloc_extra < SKB_MAX_ALLOC` (or no SG),
    /// otherwise only the IP (+ UDP on the first skb) header is linear and the
    /// rest goes into page frags of `pageFrag`. `skb_reserve(hh_len)`, then
    /// the linear part is `skb_put`. nil when an allocation failed (nothing leaks).
    public func ipAppendData(
        payload: Int, family: InetFamily, route: SendRoute = .loopback,
        pageFrag: PageFragCacheID
    ) throws(SkbError) -> [SkbID]? {
        let fragHeaderLen = family == .ipv4 ? 20 : 40
        var transHdrLen = 8
        let allocExtra = route.hhLen + (family == .ipv4 ? 15 : 8)
        let maxFragLen = ((route.mtu - fragHeaderLen) & ~7) + fragHeaderLen - (family == .ipv6 ? 8 : 0)
        let skbMaxAlloc = config.skbWithOverhead(config.pageSize << 2)  // SKB_MAX_ORDER(0, 2)
        var length = payload + 8
        var built: [SkbID] = []
        while length > 0 {
            var datalen = length
            if datalen > route.mtu - fragHeaderLen { datalen = maxFragLen - fragHeaderLen }
            let fraglen = datalen + fragHeaderLen
            let alloclen: Int
            let pagedlen: Int
            if fraglen + allocExtra < skbMaxAlloc || !route.scatterGather {
                alloclen = fraglen
                pagedlen = 0
            } else {
                alloclen = fragHeaderLen + transHdrLen
                pagedlen = datalen - transHdrLen
            }
            guard let skb = alloc_skb(alloclen + allocExtra, .GFP_KERNEL) else {
                for s in built { try kfree_skb(s) }
                return nil
            }
            built.append(skb)
            let i = Int(skb.index)
            __skb_reserve(i, route.hhLen)
            __skb_put(i, fraglen - pagedlen)
            guard try appendPageFragBytes(i, pagedlen, pageFrag, gfp: .GFP_KERNEL) else {
                for s in built { try kfree_skb(s) }
                return nil
            }
            length -= datalen
            transHdrLen = 0
        }
        return built
    }

    /// `tcp_stream_alloc_skb`: `alloc_skb_fclone(MAX_TCP_HEADER)`, truesize
    /// `SKB_TRUESIZE(skb_end_offset)`, `skb_reserve(MAX_TCP_HEADER)`; then
    /// `tcp_sendmsg_locked` copies `payload` bytes into `sk_page_frag` frags
    /// (truesize += copy). One skb: callers keep `payload` below the size goal.
    public func tcpSendSkb(payload: Int, pageFrag: PageFragCacheID) throws(SkbError) -> SkbID? {
        guard let skb = alloc_skb_fclone(config.maxTcpHeader, .GFP_KERNEL) else { return nil }
        let i = Int(skb.index)
        skbs[i].truesize = UInt32(config.skbTruesize(Int(skbs[i].end)))
        __skb_reserve(i, config.maxTcpHeader)
        guard try appendPageFragBytes(i, payload, pageFrag, gfp: .GFP_KERNEL) else {
            try kfree_skb(skb)
            return nil
        }
        return skb
    }

    /// What an skb looks like for the send-side tables.
    public func sentSkb(_ id: SkbID) throws(SkbError) -> SentSkb {
        let s = try skb(id)
        let sh = try shinfo(id)
        return SentSkb(
            headObject: Int(s.end) + config.skbDataAlign(config.sizeofSharedInfo),
            pagedBytes: Int(s.dataLen), nrFrags: sh.nrFrags, len: Int(s.len), truesize: Int(s.truesize))
    }

    /// `sk_rmem_alloc` a loopback UDP receiver is charged for one datagram,
    /// built by the model: loopback hands the sender's skb over unchanged and
    /// `__udp_enqueue_schedule_skb` charges `skb->truesize`; an IPv6 datagram
    /// cut into fragments costs the sum of its fragments (reassembly adds each
    /// fragment's truesize because `skb_try_coalesce` refuses kmalloc'ed,
    /// non-empty fragment heads). The skbs are freed before returning.
    /// nil when an allocation failed.
    public func udpLoopbackCharge(
        payload: Int, family: InetFamily, route: SendRoute = .loopback,
        pageFrag: PageFragCacheID
    ) throws(SkbError) -> (charge: Int, skbs: [SentSkb])? {
        guard let ids = try ipAppendData(payload: payload, family: family, route: route, pageFrag: pageFrag) else {
            return nil
        }
        var out: [SentSkb] = []
        for id in ids {
            out.append(try sentSkb(id))
            try consume_skb(id)
        }
        return (out.reduce(0) { $0 + $1.truesize }, out)
    }
}
