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
/// | `buildSkb` | ixgbe's `ixgbe_build_skb`: `napi_build_skb` over the first descriptor's half page (`RxRingGeometry`: 1536-byte buffers with 192 bytes of headroom, truesize 2048 + SKB_DATA_ALIGN(sizeof(sk_buff)) = 2304; above MTU 1500, 3072-byte buffers in order-1 pages, truesize 4352) | bytes beyond the first buffer go into the next descriptors' buffers via `ixgbe_add_rx_frag` (truesize half a page each) |
/// | `scatterGather` | igb `legacy-rx`'s `igb_construct_skb`: `napi_alloc_skb(copybreak)` (256, IGB_RX_HDR_LEN): a frame up to 256 bytes copied whole, a longer one's headers (`eth_get_headlen`; `copybreakHeaderSplit`) | the frame sits in 2048-byte halves of order-0 pages; the rest of each becomes a frag with truesize 2048 (`igb_add_rx_frag`) |
///
/// | `tunBuildSkb` | a non-blocking TAP write (`tun_get_user`): `tun_build_skb` — `build_skb` over SKB_DATA_ALIGN(len + NET_SKB_PAD) + SKB_DATA_ALIGN(shinfo) bytes of the writing task's `task_frag` — for frames up to 3456 bytes (4 KiB pages), else as `tunAllocSkb` | none |
/// | `tunAllocSkb` | a blocking TAP write: `tun_alloc_skb` — `alloc_skb(NET_SKB_PAD + len)` (`sock_alloc_send_pskb`) for frames below PAGE_SIZE − NET_SKB_PAD, else a SKB_MAX_HEAD head | pages of order ≤ 3 (`alloc_skb_with_frags`), truesize the page size |
///
/// The tun paths run in the writing task (`TunReceive.swift`), not in a
/// NIC's NAPI poll; without a virtio_net_hdr their skbs are CHECKSUM_NONE.
///
/// Ring buffers are the driver's own pages (`RxRing.swift`): the ring is
/// filled when the first frame comes, each page serves its two halves in
/// turn and goes back to the ring while no skb holds its other half
/// (`pagecnt_bias`); a frame finding too few filled descriptors is missed
/// by the NIC (`RxRingStatistics.noBuffer`). When a frame needs more than
/// MAX_SKB_FRAGS buffers (longer than any MTU these drivers accept),
/// further buffers are chained on `frag_list` skbs from `alloc_skb(0,
/// GFP_ATOMIC)` whose truesize is added to the head, as virtio_net's
/// `receive_mergeable` does.
public final class RxDriver {
    /// The CPU the driver's NAPI poll runs on.
    public let sim: SkbSim
    @exclusivity(unchecked) public var options: RxDriverOptions
    /// The driver's counters.
    @exclusivity(unchecked) public internal(set) var statistics = RxDriverStatistics()
    /// The descriptor ring of the build_skb and scatter-gather paths
    /// (`RxRing.swift`), set up on their first frame.
    @exclusivity(unchecked) var ring: RxRing?
    /// The ring's counters.
    @exclusivity(unchecked) public internal(set) var ringStatistics = RxRingStatistics()
    /// The frame just refused had no free descriptors (not an allocation failure).
    @exclusivity(unchecked) var missedFrame = false
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
        // The writing task's task_frag page is referenced by the task, the
        // ring's pages by the driver: not leaked.
        sim.memory.kmemleakRoots.append { [weak self] in
            guard let self else { return [] }
            return self.ringPageAddresses() + (self.taskFrag.page.map { [self.sim.memory.page_address($0)] } ?? [])
        }
    }

    deinit {
        // The driver goes away with its interface: its ring pages are put.
        cleanRing()
        strippedFrame.deallocate()
    }

    /// The interface goes down (`ixgbe_clean_rx_ring`): the driver lets go
    /// of its ring pages, before a leak check. The tun paths' writing task
    /// exits too (its `task_frag` page is put).
    public func drainRing() {
        cleanRing()
        releaseTaskFrag()
    }

    /// The ring's geometry once it is set up (after the first frame on a
    /// ring path); nil before and on paths without a ring.
    public var ringGeometry: RxRingGeometry? { ring?.geometry }

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
        missedFrame = false
        guard let skb = try driverReceive(frame, path ?? options.path) else {
            if !missedFrame {
                statistics.allocFailed += 1
                statistics.rxDropped += 1
            }
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

    /// `ixgbe_build_skb` over the descriptor ring (`RxRing.swift`): the first
    /// buffer becomes the head (`napi_build_skb` over its half page,
    /// `rx_offset` headroom), each further buffer of the frame a frag
    /// (`ixgbe_add_rx_frag`).
    func buildSkbReceive(_ bytes: UnsafeRawBufferPointer) throws(SkbError) -> SkbID? {
        _ = openRing(.buildSkb)
        let g = ring!.geometry
        let buffers = Swift.max(1, (bytes.count + g.bufferLength - 1) / g.bufferLength)
        guard ringHasBuffers(buffers) else {
            missedFrame = true
            return nil
        }
        let (slot, pgcnt) = getRxBuffer()
        let first = Swift.min(bytes.count, g.bufferLength)
        let va = rxBufferAddress(slot)
        // The NIC's DMA into a buffer the driver owns.
        sim.memory.rawCopyIn(to: va, from: UnsafeRawBufferPointer(rebasing: bytes[0..<first]))
        let truesize = g.buildSkbTruesize(first)
        guard let skb = sim.napi_build_skb(va - g.rxOffset, fragSize: truesize) else {
            returnRxBuffer(slot)
            putRxBuffer(slot, pgcnt: pgcnt)
            dropRxBuffers(buffers - 1)
            return nil
        }
        let i = Int(skb.index)
        sim.__skb_reserve(i, g.rxOffset)
        sim.__skb_put(i, first)
        sim.emit(.dataCopy, i, "dma", UInt64(first), UInt64(g.rxOffset))
        advanceRxBuffer(slot, truesize: truesize)
        putRxBuffer(slot, pgcnt: pgcnt)
        guard try appendRxBuffers(i, bytes, from: first) else {
            try rxFreeNoMem(skb)
            return nil
        }
        return skb
    }

    /// `igb_construct_skb` (igb with `legacy-rx`): a `napi_alloc_skb(256)`
    /// head gets the frame's headers copied out of the first buffer; the
    /// rest of that buffer and every further one become frags
    /// (`igb_add_rx_frag`). A frame copied whole gives its buffer back
    /// (`pagecnt_bias++`).
    func sgReceive(_ bytes: UnsafeRawBufferPointer) throws(SkbError) -> SkbID? {
        _ = openRing(.scatterGather)
        let g = ring!.geometry
        let buffers = Swift.max(1, (bytes.count + g.bufferLength - 1) / g.bufferLength)
        guard ringHasBuffers(buffers) else {
            missedFrame = true
            return nil
        }
        guard let skb = sim.napi_alloc_skb(options.copybreak) else {
            dropRxBuffers(buffers)
            return nil
        }
        let i = Int(skb.index)
        let (slot, pgcnt) = getRxBuffer()
        let len0 = Swift.min(bytes.count, g.bufferLength)
        let va = rxBufferAddress(slot)
        // The NIC's DMA into a buffer the driver owns.
        sim.memory.rawCopyIn(to: va, from: UnsafeRawBufferPointer(rebasing: bytes[0..<len0]))
        var headlen = Swift.min(bytes.count, options.copybreak)
        if options.copybreakHeaderSplit && bytes.count > options.copybreak {
            headlen = Self.eth_get_headlen(bytes, options.copybreak)
        }
        sim.__skb_put(i, headlen)
        sim.memory.withUnsafeBytes(at: va, count: headlen) { src in
            _ = sim.memory.copyIn(to: sim.skbs[i].dataPointer, from: src)
        }
        sim.emit(.dataCopy, i, "memcpy", UInt64(headlen), UInt64(sim.skbs[i].data))
        var curr = i
        if len0 > headlen {
            let truesize = g.fragTruesize(len0)
            guard try attachRxBuffer(i, &curr, va + headlen, size: len0 - headlen, truesize: truesize) else {
                returnRxBuffer(slot)
                putRxBuffer(slot, pgcnt: pgcnt)
                dropRxBuffers(buffers - 1)
                try rxFreeNoMem(skb)
                return nil
            }
            advanceRxBuffer(slot, truesize: truesize)
        } else {
            returnRxBuffer(slot)  // all copied: the half stays the ring's
        }
        putRxBuffer(slot, pgcnt: pgcnt)
        guard try appendRxBuffers(i, bytes, from: len0, curr: curr) else {
            try rxFreeNoMem(skb)
            return nil
        }
        return skb
    }

    /// Put `bytes[from...]`, which the NIC wrote into the next descriptors,
    /// on the skb as frags.
    func appendRxBuffers(
        _ head: Int, _ bytes: UnsafeRawBufferPointer, from: Int, curr: Int? = nil
    ) throws(SkbError) -> Bool {
        let g = ring!.geometry
        var off = from
        var curr = curr ?? head
        while off < bytes.count {
            let n = Swift.min(g.bufferLength, bytes.count - off)
            let (slot, pgcnt) = getRxBuffer()
            let va = rxBufferAddress(slot)
            // The NIC's DMA into a buffer the driver owns.
            sim.memory.rawCopyIn(to: va, from: UnsafeRawBufferPointer(rebasing: bytes[off..<off + n]))
            let truesize = g.fragTruesize(n)
            guard try attachRxBuffer(head, &curr, va, size: n, truesize: truesize) else {
                returnRxBuffer(slot)
                putRxBuffer(slot, pgcnt: pgcnt)
                let rest = bytes.count - off - n
                dropRxBuffers((rest + g.bufferLength - 1) / g.bufferLength)
                return false
            }
            advanceRxBuffer(slot, truesize: truesize)
            putRxBuffer(slot, pgcnt: pgcnt)
            off += n
        }
        return true
    }

    /// The driver gives up a frame it could not build: each of its `n`
    /// descriptors is cleaned with its buffer left to the ring.
    func dropRxBuffers(_ n: Int) {
        for _ in 0..<n {
            let (slot, pgcnt) = getRxBuffer()
            returnRxBuffer(slot)
            putRxBuffer(slot, pgcnt: pgcnt)
        }
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
    /// The device MTU (`ip link set DEV mtu N`): above 1500 the build_skb
    /// driver (ixgbe) uses 3 KiB buffers in order-1 pages (`RxRingGeometry`).
    public var mtu = 1500
    /// Descriptors in the rx ring (`ethtool -G DEV rx N`); nil: the
    /// driver's default (ixgbe 512, igb 256).
    public var ringSize: Int?
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
