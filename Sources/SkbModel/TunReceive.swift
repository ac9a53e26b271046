import KernelMemory

/// The TAP receive paths (`--rx-path tun-build-skb`, `tun-alloc-skb`): a
/// frame written to a TAP file descriptor becomes an skb in the writing
/// task's context, as `tun_get_user` (drivers/net/tun.c, v6.18) builds it
/// for a device opened with `IFF_TAP | IFF_NO_PI` (no `virtio_net_hdr`).
///
/// `tun_get_user` takes `tun_build_skb` when `tun_can_build_skb` holds —
/// a TAP device, `sk_sndbuf == INT_MAX` (tun_chr_open's default), a
/// non-blocking write (`O_NONBLOCK`), no zerocopy, and
/// `SKB_DATA_ALIGN(len + TUN_RX_PAD + XDP_PACKET_HEADROOM) +
/// SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) <= PAGE_SIZE` (the
/// XDP headroom counted whether or not a program is attached, since
/// "net: tun: fix bugs for oversize packet when xdp enabled", v6.5) —
/// otherwise `tun_alloc_skb`:
///
/// | path | head | paged data | truesize |
/// |------|------|------------|----------|
/// | `tun_build_skb` | `buflen = SKB_DATA_ALIGN(len + TUN_RX_PAD) + SKB_DATA_ALIGN(shinfo)` bytes of `current->task_frag` (`skb_page_frag_refill`: a 32 KiB compound page, order 3 on 4 KiB pages, order-0 fallback; offset aligned to SMP_CACHE_BYTES), `build_skb(buf, buflen)`, `skb_reserve(TUN_RX_PAD)` (NET_SKB_PAD + NET_IP_ALIGN; + XDP_PACKET_HEADROOM only with an XDP program, none here) | none | `buflen + SKB_DATA_ALIGN(sizeof(struct sk_buff))` |
/// | `tun_alloc_skb` | `sock_alloc_send_pskb` → `alloc_skb_with_frags(prepad + linear, ...)` → `alloc_skb` (kmalloc / small-head cache), prepad = `tun->align` (NET_SKB_PAD) + NET_IP_ALIGN | frames with prepad + len ≥ PAGE_SIZE: linear = SKB_MAX_HEAD(prepad), the rest in `alloc_pages` of order ≤ PAGE_ALLOC_COSTLY_ORDER (3) filled from offset 0 | `SKB_TRUESIZE(head)` + `PAGE_SIZE << order` per page |
///
/// The bytes are copied in by `copy_page_from_iter` / `skb_copy_datagram_from_iter`.
/// Checksum state: without `IFF_VNET_HDR` the header is all zero and
/// `virtio_net_hdr_to_skb` leaves `ip_summed` at CHECKSUM_NONE, so GRO
/// validates TCP/UDP checksums in software (`skb_gro_checksum_validate`).
/// Not modelled: the `skb_set_owner_w` charge on the tun socket's
/// `sk_wmem_alloc` (sk_sndbuf is INT_MAX: it never limits a write).
///
/// With `IFF_NAPI` the skb is queued on `tfile->sk.sk_write_queue` and
/// `napi_schedule` runs `tun_napi_poll` → `napi_gro_receive` on
/// `local_bh_enable`: a write is one NAPI poll (`PacketRun`'s
/// `napiBudget` decides which writes share a GRO flush).
extension RxDriver {
    /// `XDP_PACKET_HEADROOM` (include/uapi/linux/bpf.h).
    static let xdpPacketHeadroom = 256
    /// `PAGE_ALLOC_COSTLY_ORDER` (include/linux/mmzone.h): the page order
    /// `tun_alloc_skb` passes to `sock_alloc_send_pskb`.
    static let pageAllocCostlyOrder = 3

    /// `tun_get_user` for a frame written with `noblock` (O_NONBLOCK):
    /// `tun_build_skb` when `tun_can_build_skb`, else `tun_alloc_skb`.
    func tun_get_user(_ bytes: UnsafeRawBufferPointer, noblock: Bool) throws(SkbError) -> SkbID? {
        if noblock && tun_can_build_skb(bytes.count) { return tun_build_skb(bytes) }
        return try tun_alloc_skb(bytes)
    }

    /// `tun_can_build_skb` for a TAP device with the default sk_sndbuf, a
    /// non-blocking write and no zerocopy: whether the frame, its pad and
    /// XDP headroom and the shared info fit in one page.
    public func tun_can_build_skb(_ len: Int) -> Bool {
        let c = sim.config
        let pad = c.netSkbPad + c.netIpAlign
        return c.skbDataAlign(len + pad + Self.xdpPacketHeadroom) + c.skbDataAlign(c.sizeofSharedInfo) <= c.pageSize
    }

    /// `tun_build_skb` without an XDP program: `buflen` bytes of the
    /// task's page_frag, the frame copied in at `TUN_RX_PAD`, then
    /// `__tun_build_skb` (`build_skb`, `skb_reserve`, `skb_put`,
    /// `get_page` on the page_frag's page). nil when the page_frag could
    /// not be refilled (-ENOMEM) or build_skb failed.
    func tun_build_skb(_ bytes: UnsafeRawBufferPointer) -> SkbID? {
        let c = sim.config
        let len = bytes.count
        let pad = c.netSkbPad + c.netIpAlign
        let buflen = c.skbDataAlign(c.sizeofSharedInfo) + c.skbDataAlign(len + pad)
        taskFrag.offset = (taskFrag.offset + c.cacheLineSize - 1) & ~(c.cacheLineSize - 1)
        guard skb_page_frag_refill(buflen, .GFP_KERNEL), let page = taskFrag.page else { return nil }
        let buf = sim.memory.page_address(page) + taskFrag.offset
        // copy_page_from_iter into the task's page, past the pad.
        sim.memory.rawCopyIn(to: buf + pad, from: bytes)
        guard let skb = sim.build_skb(buf, fragSize: buflen) else { return nil }
        let i = Int(skb.index)
        sim.__skb_reserve(i, pad)
        sim.__skb_put(i, len)
        sim.emit(.dataCopy, i, "copy_page_from_iter", UInt64(len), UInt64(pad))
        sim.memory.get_page(page)
        taskFrag.offset += buflen
        return skb
    }

    /// `skb_page_frag_refill(sz, pfrag, gfp)` (net/core/sock.c) on the
    /// writing task's `task_frag`: restart a page nobody else holds
    /// (refcount 1), keep it while `sz` bytes are left, else drop it and
    /// take a 32 KiB compound page (no direct reclaim, no retry), order
    /// 0 when that fails.
    func skb_page_frag_refill(_ sz: Int, _ gfp: GFP) -> Bool {
        let memory = sim.memory
        if let page = taskFrag.page {
            if memory.page_ref_count(page) == 1 {
                taskFrag.offset = 0
                return true
            }
            if taskFrag.offset + sz <= taskFrag.size { return true }
            memory.put_page(page)
            taskFrag.page = nil
        }
        taskFrag.offset = 0
        // SKB_FRAG_PAGE_ORDER = get_order(32768) (include/linux/sock.h): 3 on
        // 4 KiB pages, 1 on 16 KiB, 0 (no high-order try) on 64 KiB.
        let order = sim.config.pageFragCacheMaxOrder
        let highGfp = gfp.subtracting(.__GFP_DIRECT_RECLAIM).union([.__GFP_COMP, .__GFP_NOWARN, .__GFP_NORETRY])
        if order > 0, let page = memory.alloc_pages(highGfp, order: order, owner: .caller(tag: Self.taskFragTag)) {
            taskFrag.page = page
            taskFrag.size = sim.config.pageSize << order
            return true
        }
        if let page = memory.alloc_pages(gfp, order: 0, owner: .caller(tag: Self.taskFragTag)) {
            taskFrag.page = page
            taskFrag.size = sim.config.pageSize
            return true
        }
        return false
    }

    /// page_owner tag of the task_frag's pages (`pagemap` shows it).
    /// The page_owner tag of `task_frag` pages.
    public static let taskFragTag: UInt16 = 0x7466  // "tf"

    /// The writing task exits (kernel/exit.c `do_exit`: `put_page` of
    /// `task_frag.page`); the page goes when its last skb is freed.
    func releaseTaskFrag() {
        if let page = taskFrag.page { sim.memory.put_page(page) }
        taskFrag = TaskFrag()
    }

    /// `tun_alloc_skb(tfile, align, len, linear, noblock)` as
    /// `tun_get_user` calls it for a frame without a virtio_net_hdr:
    /// prepad = NET_SKB_PAD + NET_IP_ALIGN, linear = min(SKB_MAX_HEAD(prepad),
    /// len) ("tun: avoid high-order page allocation for packet header",
    /// v6.6), all of it when prepad + len < PAGE_SIZE, and no more than
    /// MAX_SKB_FRAGS order-3 pages of paged data; then
    /// `skb_copy_datagram_from_iter`. nil when an allocation failed.
    func tun_alloc_skb(_ bytes: UnsafeRawBufferPointer) throws(SkbError) -> SkbID? {
        let c = sim.config
        let len = bytes.count
        let prepad = c.netSkbPad + c.netIpAlign
        var linear = min(c.skbWithOverhead(c.pageSize - prepad), len)
        if prepad + len < c.pageSize { linear = len }
        let maxPaged = c.maxSkbFrags * (c.pageSize << Self.pageAllocCostlyOrder)
        if len - linear > maxPaged { linear = len - maxPaged }
        guard let skb = try alloc_skb_with_frags(prepad + linear, len - linear, Self.pageAllocCostlyOrder, .GFP_KERNEL)
        else { return nil }
        let i = Int(skb.index)
        sim.__skb_reserve(i, prepad)
        sim.__skb_put(i, linear)
        sim.skbs[i].dataLen = UInt32(len - linear)
        sim.skbs[i].len &+= UInt32(len - linear)
        // skb_copy_datagram_from_iter: the head, then each frag.
        sim.memory.rawCopyIn(to: sim.skbs[i].dataPointer, from: UnsafeRawBufferPointer(rebasing: bytes[0..<linear]))
        var off = linear
        let sh = sim.shinfo(at: i)
        for k in 0..<sh.nrFrags {
            let f = sh.frag(k)
            let n = Int(f.size)
            sim.memory.rawCopyIn(
                to: f.address, from: UnsafeRawBufferPointer(rebasing: bytes[off..<off + n]))
            off += n
        }
        sim.emit(.dataCopy, i, "skb_copy_datagram_from_iter", UInt64(len), UInt64(sim.skbs[i].data))
        return skb
    }

    /// `alloc_skb_with_frags(header_len, data_len, order, gfp)`
    /// (net/core/skbuff.c): `alloc_skb(header_len)`, then pages for
    /// `data_len`, each of the largest order ≤ `order` whose size does not
    /// exceed PAGE_ALIGN(what is left) (a failed high-order allocation
    /// steps the order down), filled from offset 0; truesize grows by
    /// each page's size. nil when data_len needs more than MAX_SKB_FRAGS
    /// pages or an allocation failed (the skb is freed).
    func alloc_skb_with_frags(_ headerLen: Int, _ dataLen: Int, _ maxOrder: Int, _ gfp: GFP) throws(SkbError) -> SkbID?
    {
        let c = sim.config
        guard dataLen <= c.maxSkbFrags * (c.pageSize << maxOrder), let skb = sim.alloc_skb(headerLen, gfp) else {
            return nil
        }
        let i = Int(skb.index)
        var left = dataLen
        var order = maxOrder
        var nrFrags = 0
        while left > 0 {
            if nrFrags == c.maxSkbFrags {
                try sim.kfree_skb(skb)  // failure: kfree_skb(skb)
                return nil
            }
            let aligned = (left + c.pageSize - 1) & ~(c.pageSize - 1)
            while order > 0 && aligned < (c.pageSize << order) { order -= 1 }
            let page: PFN
            if order > 0 {
                let highGfp = gfp.subtracting(.__GFP_DIRECT_RECLAIM).union([.__GFP_COMP, .__GFP_NOWARN])
                guard let p = sim.memory.alloc_pages(highGfp, order: order) else {
                    order -= 1
                    continue
                }
                page = p
            } else {
                guard let p = sim.memory.alloc_pages(gfp, order: 0) else {
                    try sim.kfree_skb(skb)
                    return nil
                }
                page = p
            }
            let chunk = min(left, c.pageSize << order)
            try sim.__skb_fill_page_desc(i, nrFrags, page: page, offset: 0, size: chunk)
            nrFrags += 1
            sim.skbs[i].truesize &+= UInt32(c.pageSize << order)
            left -= chunk
        }
        return skb
    }
}

/// A task's `struct page_frag` (`current->task_frag`): the page, the next
/// free offset and the page's size. Filled from offset 0 upwards.
struct TaskFrag {
    var page: PFN?
    var offset = 0
    var size = 0
}
