import Capture
import KernelMemory

/// The model NIC driver's receive (`--rx-path`): how a frame the NIC wrote
/// becomes an skb — the head allocator, the ring buffers the frame sits in,
/// the copybreak — and the counters a driver keeps (`alloc_failed`,
/// `rx_dropped`). It allocates and frees through its CPU's skbuff.c
/// (`sim`); the link-layer part (`eth_type_trans`) is `SkbSim.setLinkHeaders`.
///
/// | path | head | paged data |
/// |------|------|------------|
/// | `netdevAllocSkb` | `netdev_alloc_skb(len)`: page fragment of the per-CPU `napi_alloc_cache` (softirq) for 321…3712-byte frames, kmalloc otherwise; whole frame copied | none |
/// | `napiAllocSkb` | `napi_alloc_skb(len)`: same rule, `napi_alloc_cache`, NET_SKB_PAD + NET_IP_ALIGN | none |
/// | `buildSkb` | `napi_build_skb` over a `bufferSize` (2048) ring buffer with NET_SKB_PAD + NET_IP_ALIGN headroom and the aligned shinfo at its tail (ixgbe/i40e style, truesize = SKB_TRUESIZE(2048 − 320) = 2304) | bytes beyond the first buffer's 1664 go into further 2048-byte buffers via `skb_add_rx_frag` (truesize 2048 each) |
/// | `scatterGather` | `napi_alloc_skb(copybreak)` (256, igb's IGB_RX_HDR_LEN): a frame up to 256 bytes copied whole, a longer one's headers (`eth_get_headlen`, `igb_construct_skb`; `copybreakHeaderSplit`) | the frame is DMA'd into 2048-byte ring buffers; the rest of each buffer is a frag with truesize 2048 (igb_add_rx_frag) |
///
/// | `tunBuildSkb` | a non-blocking TAP write (`tun_get_user`): `tun_build_skb` — `build_skb` over SKB_DATA_ALIGN(len + NET_SKB_PAD) + SKB_DATA_ALIGN(shinfo) bytes of the writing task's `task_frag` — for frames up to 3456 bytes (4 KiB pages), else as `tunAllocSkb` | none |
/// | `tunAllocSkb` | a blocking TAP write: `tun_alloc_skb` — `alloc_skb(NET_SKB_PAD + len)` (`sock_alloc_send_pskb`) for frames below PAGE_SIZE − NET_SKB_PAD, else a SKB_MAX_HEAD head | pages of order ≤ 3 (`alloc_skb_with_frags`), truesize the page size |
///
/// The tun paths run in the writing task (`TunReceive.swift`), not in a
/// NIC's NAPI poll; without a virtio_net_hdr their skbs are CHECKSUM_NONE.
///
/// Ring buffers come from the driver's `rx_ring` page_frag cache (order-3
/// pages cut into 2048-byte buffers; real Intel drivers split order-0 pages
/// into halves and recycle them — the slice size and truesize are the same).
/// When a frame needs more than MAX_SKB_FRAGS buffers, further buffers are
/// chained on `frag_list` skbs from `alloc_skb(0, GFP_ATOMIC)` whose
/// truesize is added to the head, as virtio_net's `receive_mergeable` does.
public final class RxDriver {
    /// The CPU the driver's NAPI poll runs on.
    public let sim: SkbSim
    @exclusivity(unchecked) public var options: RxDriverOptions
    /// The driver's counters.
    @exclusivity(unchecked) public internal(set) var statistics = RxDriverStatistics()
    /// The ring buffers' page_frag cache (build_skb and scatter-gather paths).
    public let ringCache: PageFragCacheID
    /// The writing task's `current->task_frag` (tun paths).
    @exclusivity(unchecked) var taskFrag = TaskFrag()

    /// The frame as the NIC wrote it once its VLAN tag was stripped.
    var strippedFrame = UnsafeMutableRawPointer.allocate(byteCount: 2048, alignment: 16)
    var strippedFrameCapacity = 2048

    /// Of the next frame, the bytes the capture kept (`Int.max`: all): a
    /// frame cut by the snapshot length is built at its wire length, and a
    /// checksum over bytes past this cannot be verified (`RxChecksumMode.verify`).
    /// The caller sets it around the receive of a cut frame.
    @exclusivity(unchecked) public var capturedBytes = Int.max

    public init(sim: SkbSim, options: RxDriverOptions = RxDriverOptions()) {
        self.sim = sim
        self.options = options
        ringCache = sim.memory.pageFragCacheCreate(name: "rx_ring")
        // The writing task's task_frag page is referenced by the task, not leaked.
        sim.memory.kmemleakRoots.append { [weak self] in
            guard let self, let page = self.taskFrag.page else { return [] }
            return [self.sim.memory.page_address(page)]
        }
    }

    deinit { strippedFrame.deallocate() }

    /// Return the ring's pages (`page_frag_cache_drain`), before a leak check.
    /// The tun paths' writing task exits too (its `task_frag` page is put).
    public func drainRing() {
        sim.memory.page_frag_cache_drain(ringCache)
        releaseTaskFrag()
    }

    /// Receive one captured frame on `path` (default `options.path`): enter
    /// the packet's context, allocate and fill the skb, set mac_header,
    /// protocol and pkt_type, pull the link header and set the network and
    /// transport header offsets from `HeaderDecoder`. Returns nil when an
    /// allocation failed: the driver counts it (`statistics`:
    /// `alloc_failed`, `rx_dropped`); no skb exists, so no drop tracepoint
    /// fires (a partly built skb is freed with `dev_kfree_skb_any`).
    public func receive(_ packet: CapturedPacket, linkType: LinkType, path: RxPath? = nil) throws(SkbError) -> SkbID? {
        sim.beginPacket(index: packet.index, timestampNanoseconds: packet.timestampNanoseconds)
        return try receive(bytes: packet.bytes, linkType: linkType, path: path)
    }

    /// As `receive(_:linkType:path:)` for raw frame bytes in the current
    /// packet context. `decoded`: `HeaderDecoder.decode(bytes, linkType:)`
    /// of these bytes when the caller has it already (a read-ahead source
    /// decodes on its own thread); nil decodes here.
    public func receive(
        bytes: UnsafeRawBufferPointer, linkType: LinkType, path: RxPath? = nil,
        decoded: UnsafePointer<PacketHeaders>? = nil
    ) throws(SkbError) -> SkbID? {
        if let decoded { return try receive(bytes, linkType, path, decoded) }
        var headers = HeaderDecoder.decode(bytes, linkType: linkType)
        return try receive(bytes, linkType, path, &headers)
    }

    @inline(__always)
    func receive(
        _ bytes: UnsafeRawBufferPointer, _ linkType: LinkType, _ path: RxPath?,
        _ headers: UnsafePointer<PacketHeaders>
    ) throws(SkbError) -> SkbID? {
        // A capture pseudo-header (cooked SLL/SLL2, BSD null/loop) is not part
        // of the skb: the driver receives what follows it.
        if _slowPath(linkType.dlt != LinkType.ethernet.dlt) {
            return try receive(
                bytes, linkType, path, headers, pseudoHeader: Self.pseudoHeaderLength(linkType, headers.pointee))
        }
        if _slowPath(headers.pointee.vlanDepth > 0) {
            statistics.vlanTaggedFrames += 1
            // A TAP device has no VLAN offload: tags stay in the frame.
            if options.rxVLANOffload && !(path ?? options.path).isTunWrite {
                return try receiveVLANStripped(bytes, path, headers)
            }
        }
        return try receive(bytes, linkType, path, headers, pseudoHeader: 0)
    }

    /// A tagged Ethernet frame on a NIC with `NETIF_F_HW_VLAN_CTAG_RX`: the
    /// NIC takes an outer 802.1Q tag out of the frame before DMA and reports
    /// it in the descriptor; the driver builds the skb from the shorter
    /// frame and calls `__vlan_hwaccel_put_tag` (igb `igb_process_skb_fields`,
    /// ixgbe `ixgbe_process_skb_fields`, i40e `i40e_rx_vlan`). An 802.1AD
    /// outer tag is left in the frame (`NETIF_F_HW_VLAN_STAG_RX` is off by
    /// default, where a NIC has it at all).
    @inline(never)
    func receiveVLANStripped(
        _ bytes: UnsafeRawBufferPointer, _ path: RxPath?, _ headers: UnsafePointer<PacketHeaders>
    ) throws(SkbError) -> SkbID? {
        let h = headers.pointee
        guard bytes.count >= 18, bytes.load(fromByteOffset: 12, as: UInt16.self).bigEndian == 0x8100,
            let mac = h.macHeader, mac == 0
        else { return try receive(bytes, .ethernet, path, headers, pseudoHeader: 0) }
        let tci = UInt16(bytes[14]) << 8 | UInt16(bytes[15])
        let length = bytes.count - 4
        if length > strippedFrameCapacity {
            strippedFrame.deallocate()
            strippedFrameCapacity = max(length, 2 * strippedFrameCapacity)
            strippedFrame = .allocate(byteCount: strippedFrameCapacity, alignment: 16)
        }
        strippedFrame.copyMemory(from: bytes.baseAddress!, byteCount: 12)
        (strippedFrame + 12).copyMemory(from: bytes.baseAddress! + 16, byteCount: length - 12)
        var stripped = h
        stripped.macLength -= 4
        stripped.vlanDepth -= 1
        stripped.protocolType = UInt16(bytes[16]) << 8 | UInt16(bytes[17])
        stripped.outerVlanTCI = stripped.vlanDepth > 0 ? h.innerVlanTCI : nil
        stripped.innerVlanTCI = nil
        stripped.networkHeader = h.networkHeader.map { $0 - 4 }
        stripped.transportHeader = h.transportHeader.map { $0 - 4 }
        let frame = UnsafeRawBufferPointer(start: strippedFrame, count: length)
        // The snapshot length counts the tag's bytes too.
        let captured = capturedBytes
        if captured != .max { capturedBytes = max(captured - 4, 0) }
        defer { capturedBytes = captured }
        guard let skb = try receive(frame, .ethernet, path, &stripped, pseudoHeader: 0) else { return nil }
        try sim.__vlan_hwaccel_put_tag(skb, proto: 0x8100, tci: tci)
        statistics.vlanTagsStripped += 1
        return skb
    }

    @inline(__always)
    func receive(
        _ bytes: UnsafeRawBufferPointer, _ linkType: LinkType, _ path: RxPath?,
        _ headers: UnsafePointer<PacketHeaders>, pseudoHeader pseudo: Int
    ) throws(SkbError) -> SkbID? {
        let frame = pseudo == 0 ? bytes : UnsafeRawBufferPointer(rebasing: bytes[pseudo...])
        guard let skb = try driverReceive(frame, path ?? options.path) else {
            statistics.allocFailed += 1
            statistics.rxDropped += 1
            return nil
        }
        try sim.setLinkHeaders(skb, headers, linkType, pseudoHeader: pseudo)
        if _slowPath(pseudo > 0 && headers.pointee.vlanDepth > 0), let tci = headers.pointee.outerVlanTCI {
            // A cooked capture's tag was in skb->vlan_tci (libpcap re-inserted it).
            statistics.vlanTaggedFrames += 1
            try sim.__vlan_hwaccel_put_tag(skb, proto: headers.pointee.protocolType, tci: tci)
        }
        // The NIC's checksum verdict (ixgbe_rx_checksum and the like run as
        // the descriptor is turned into the skb); a TAP write without a
        // virtio_net_hdr stays CHECKSUM_NONE (tun_get_user).
        if !(path ?? options.path).isTunWrite {
            if options.checksum == .trust {
                sim.skbs[Int(skb.index)].ipSummed = .unnecessary
            } else {
                rxChecksumVerify(Int(skb.index), frame, headers, pseudo)
            }
        }
        return skb
    }

    /// Bytes at the start of a captured frame that are the capture's, not the
    /// packet's: libpcap's Linux cooked header (`LINUX_SLL` 16, `LINUX_SLL2`
    /// 20, plus VLAN tags libpcap re-inserted from the packet's metadata:
    /// they were in `skb->vlan_tci`, not in its data) and the BSD
    /// loopback address family (`NULL`, `LOOP`: 4). 0 for Ethernet and raw
    /// IP, and when the decoder found no complete link header.
    public static func pseudoHeaderLength(_ linkType: LinkType, _ headers: PacketHeaders) -> Int {
        switch linkType.dlt {
        case LinkType.linuxSLL.dlt, LinkType.linuxSLL2.dlt, LinkType.null.dlt, LinkType.loop.dlt:
            return headers.macHeader != nil ? headers.macLength : 0
        default: return 0
        }
    }

    /// The driver part: an skb holding the whole frame from data on.
    public func driverReceive(_ bytes: UnsafeRawBufferPointer, _ path: RxPath) throws(SkbError) -> SkbID? {
        let len = bytes.count
        switch path {
        case .netdevAllocSkb, .napiAllocSkb:
            guard let skb = path == .netdevAllocSkb ? sim.netdev_alloc_skb(len, .GFP_ATOMIC) : sim.napi_alloc_skb(len)
            else { return nil }
            let i = Int(skb.index)
            sim.__skb_put(i, len)
            // The head was allocated for this frame just now: a checked
            // copy could not report (debug builds assert it).
            sim.memory.rawCopyIn(to: sim.skbs[i].dataPointer, from: bytes)
            sim.emit(.dataCopy, i, "memcpy", UInt64(len), UInt64(sim.skbs[i].data))
            return skb
        case .buildSkb:
            return try buildSkbReceive(bytes)
        case .scatterGather:
            return try sgReceive(bytes)
        case .tunBuildSkb:
            return try tun_get_user(bytes, noblock: true)
        case .tunAllocSkb:
            return try tun_get_user(bytes, noblock: false)
        }
    }

    /// A receive that ran out of memory after its skb was allocated: the
    /// driver frees the partly built skb with `dev_kfree_skb_any` (as
    /// igb/ixgbe/virtio_net do on their error paths) and counts the drop.
    func rxFreeNoMem(_ skb: SkbID) throws(SkbError) {
        try sim.dev_kfree_skb_any(skb)
    }

    /// One ring buffer of `options.bufferSize` bytes (GFP_ATOMIC).
    func allocRxBuffer() -> KernelAddress? {
        sim.memory.page_frag_alloc(ringCache, options.bufferSize, [.GFP_ATOMIC, .__GFP_NOWARN])
    }

    func buildSkbReceive(_ bytes: UnsafeRawBufferPointer) throws(SkbError) -> SkbID? {
        let bufSize = options.bufferSize
        let pad = sim.config.netSkbPad + sim.config.netIpAlign
        let firstCap = sim.config.skbWithOverhead(bufSize) - pad
        guard firstCap > 0 else {
            throw SkbError(
                .bug,
                "build_skb: rxBufferSize \(bufSize) leaves no room for data after NET_SKB_PAD + NET_IP_ALIGN and skb_shared_info"
            )
        }
        guard let buf = allocRxBuffer() else { return nil }
        let first = min(bytes.count, firstCap)
        // A fresh rx buffer.
        sim.memory.rawCopyIn(to: buf + pad, from: UnsafeRawBufferPointer(rebasing: bytes[0..<first]))
        guard let skb = sim.napi_build_skb(buf, fragSize: bufSize) else {
            sim.memory.page_frag_free(buf)
            return nil
        }
        let i = Int(skb.index)
        sim.__skb_reserve(i, pad)
        sim.__skb_put(i, first)
        sim.emit(.dataCopy, i, "dma", UInt64(first), UInt64(pad))
        guard try appendRxBuffers(i, bytes, from: first) else {
            try rxFreeNoMem(skb)
            return nil
        }
        return skb
    }

    func sgReceive(_ bytes: UnsafeRawBufferPointer) throws(SkbError) -> SkbID? {
        let bufSize = options.bufferSize
        guard let skb = sim.napi_alloc_skb(options.copybreak) else { return nil }
        let i = Int(skb.index)
        // The NIC wrote the frame into ring buffers; the first one is
        // needed now (headers are copied out of it).
        guard let buf0 = allocRxBuffer() else {
            try rxFreeNoMem(skb)
            return nil
        }
        let len0 = min(bytes.count, bufSize)
        // A fresh rx buffer.
        sim.memory.rawCopyIn(to: buf0, from: UnsafeRawBufferPointer(rebasing: bytes[0..<len0]))
        var headlen = min(bytes.count, options.copybreak)
        if options.copybreakHeaderSplit && bytes.count > options.copybreak {
            headlen = Self.eth_get_headlen(bytes, options.copybreak)
        }
        sim.__skb_put(i, headlen)
        sim.memory.withUnsafeBytes(at: buf0, count: headlen) { src in
            _ = sim.memory.copyIn(to: sim.skbs[i].dataPointer, from: src)
        }
        sim.emit(.dataCopy, i, "memcpy", UInt64(headlen), UInt64(sim.skbs[i].data))
        var curr = i
        if len0 > headlen {
            guard try attachRxBuffer(i, &curr, buf0 + headlen, size: len0 - headlen, truesize: bufSize) else {
                sim.memory.page_frag_free(buf0)
                try rxFreeNoMem(skb)
                return nil
            }
        } else {
            sim.memory.page_frag_free(buf0)  // all copied: the buffer goes back
        }
        guard try appendRxBuffers(i, bytes, from: len0, curr: curr) else {
            try rxFreeNoMem(skb)
            return nil
        }
        return skb
    }

    /// Put `bytes[from...]` into further ring buffers attached as frags.
    func appendRxBuffers(
        _ head: Int, _ bytes: UnsafeRawBufferPointer, from: Int, curr: Int? = nil
    ) throws(SkbError) -> Bool {
        let bufSize = options.bufferSize
        var off = from
        var curr = curr ?? head
        while off < bytes.count {
            let n = min(bufSize, bytes.count - off)
            guard let buf = allocRxBuffer() else { return false }
            // A fresh rx buffer.
            sim.memory.rawCopyIn(to: buf, from: UnsafeRawBufferPointer(rebasing: bytes[off..<off + n]))
            guard try attachRxBuffer(head, &curr, buf, size: n, truesize: bufSize) else {
                sim.memory.page_frag_free(buf)
                return false
            }
            off += n
        }
        return true
    }

    /// `skb_add_rx_frag` onto `curr`, opening a new frag_list skb
    /// (`sim.alloc_skb(0, GFP_ATOMIC)`) when `curr` has MAX_SKB_FRAGS frags; the
    /// head's len/data_len/truesize follow (virtio_net receive_mergeable).
    func attachRxBuffer(
        _ head: Int, _ curr: inout Int, _ addr: KernelAddress, size: Int, truesize: Int
    ) throws(SkbError) -> Bool {
        if sim.shinfo(at: curr).nrFrags == sim.config.maxSkbFrags {
            guard let n = sim.alloc_skb(0, .GFP_ATOMIC) else { return false }
            let ni = Int(n.index)
            sim.skb_copy_header(ni, from: head)
            if curr == head { sim.shinfo(at: head).fragList = n } else { sim.skbs[curr].next = n }
            curr = ni
            sim.skbs[head].truesize &+= sim.skbs[ni].truesize
        }
        let pfn = sim.memory.virt_to_head_page(addr)
        try sim.skb_add_rx_frag(
            curr, sim.shinfo(at: curr).nrFrags, page: pfn, offset: addr - sim.memory.page_address(pfn), size: size,
            truesize: truesize)
        if curr != head {
            sim.skbs[head].dataLen &+= UInt32(size)
            sim.skbs[head].len &+= UInt32(size)
            sim.skbs[head].truesize &+= UInt32(truesize)
        }
        return true
    }
}

/// The driver's knobs (`--rx-path`, copybreak, ring buffer size).
public struct RxDriverOptions: Sendable, Hashable {
    /// How a frame becomes an skb.
    public var path: RxPath = .netdevAllocSkb
    /// Scatter-gather driver: bytes copied into the napi_alloc_skb head (igb's IGB_RX_HDR_LEN is 256).
    public var copybreak = 256
    /// Scatter-gather driver: copy only the headers of frames longer than
    /// `copybreak`, as `igb_construct_skb` (and ixgbe's, i40e's, ice's
    /// legacy-rx construct_skb) does: `eth_get_headlen(dev, data,
    /// IGB_RX_HDR_LEN)` bytes, the payload staying in the ring buffer as a
    /// frag, so GRO merges by moving frags (the default). Off: the first
    /// min(len, copybreak) bytes are copied, as no Intel driver does (a
    /// what-if: `--rx-header-split off`).
    public var copybreakHeaderSplit = true
    /// Size of one ring buffer for the build_skb and scatter-gather drivers:
    /// half a 4 KiB page (2048), as ixgbe/igb/i40e use; each buffer's
    /// truesize is this size.
    public var bufferSize = 2048
    /// `NETIF_F_HW_VLAN_CTAG_RX` (`ethtool -K DEV rxvlan on|off`): the NIC
    /// strips an outer 802.1Q tag into the descriptor (on by default in
    /// igb, ixgbe, i40e, mlx5). Off: tags stay in the frame and
    /// `skb_vlan_untag` pops them in software (virtio_net; the tun paths,
    /// whatever this says: a TAP device has no `NETIF_F_HW_VLAN_CTAG_RX`).
    public var rxVLANOffload = true

    /// The NIC's receive checksum verdict (`--rx-csum`): `verify` (the
    /// default) checks each TCP/UDP checksum in the frame, `trust` marks
    /// every frame `CHECKSUM_UNNECESSARY`.
    public var checksum: RxChecksumMode = .verify

    public init(path: RxPath = .netdevAllocSkb) { self.path = path }
}

/// The model driver's counters, as a real driver keeps them (igb's
/// `alloc_rx_buff_failed`, virtio_net's `rx_dropped`): a receive whose
/// allocation failed is counted here, never as a `kfree_skb` (there is no
/// skb to trace).
public struct RxDriverStatistics: Sendable, Hashable {
    /// Allocations of an skb or rx buffer that failed.
    public internal(set) var allocFailed = 0
    /// Frames the driver dropped (`rx_dropped`).
    public internal(set) var rxDropped = 0
    /// Frames that came with a VLAN tag (in the frame or, for a cooked
    /// capture, in the pseudo-header); while 0 no skb has VLAN work.
    public internal(set) var vlanTaggedFrames = 0
    /// Frames whose outer 802.1Q tag the NIC stripped (`rxVLANOffload`).
    public internal(set) var vlanTagsStripped = 0

    /// `RxChecksumMode.verify`: TCP/UDP checksums found right
    /// (`CHECKSUM_UNNECESSARY`) and wrong (`CHECKSUM_NONE`: GRO does not
    /// merge the segment, TCP/UDP drop it with TCP_CSUM / UDP_CSUM).
    public internal(set) var checksumVerified = 0
    public internal(set) var checksumBad = 0
    /// Of the wrong ones, those whose checksum field holds just the
    /// pseudo-header sum: what a capture on the sending host shows when the
    /// NIC fills the checksum in (TX checksum offload, `CHECKSUM_PARTIAL`).
    public internal(set) var checksumPseudoHeaderOnly = 0
    /// TCP/UDP segments running past the capture's snapshot length: not
    /// verifiable, taken as right (`CHECKSUM_UNNECESSARY`).
    public internal(set) var checksumNotVerifiable = 0
}
