import Capture
import KernelMemory

/// Capture → skb: the model driver's receive, then what `eth_type_trans`
/// (or the cooked/raw equivalents) and the protocol receive functions set.
extension SkbSim {
    /// Receive one captured frame on `path` (default `options.rxPath`): enter
    /// the packet's context, allocate and fill the skb, set mac_header,
    /// protocol and pkt_type, pull the link header and set the network and
    /// transport header offsets from `HeaderDecoder`. Returns nil when an
    /// allocation failed: the driver counts it (`rxStatistics`:
    /// `alloc_failed`, `rx_dropped`); no skb exists, so no drop tracepoint
    /// fires (a partly built skb is freed with `dev_kfree_skb_any`).
    public func receive(_ packet: CapturedPacket, linkType: LinkType, path: RxPath? = nil) throws(SkbError) -> SkbID? {
        beginPacket(index: packet.index, timestampNanoseconds: packet.timestampNanoseconds)
        return try receive(bytes: packet.bytes, linkType: linkType, path: path)
    }

    /// As `receive(_:linkType:path:)` for raw frame bytes in the current
    /// packet context. `decoded`: `HeaderDecoder.decode(bytes, linkType:)`
    /// of these bytes when the caller has it already (a read-ahead source
    /// decodes on its own thread); nil decodes here.
    public func receive(bytes: UnsafeRawBufferPointer, linkType: LinkType, path: RxPath? = nil,
                        decoded: UnsafePointer<PacketHeaders>? = nil) throws(SkbError) -> SkbID? {
        if let decoded { return try receive(bytes, linkType, path, decoded) }
        var headers = HeaderDecoder.decode(bytes, linkType: linkType)
        return try receive(bytes, linkType, path, &headers)
    }

    @inline(__always)
    func receive(_ bytes: UnsafeRawBufferPointer, _ linkType: LinkType, _ path: RxPath?,
                 _ headers: UnsafePointer<PacketHeaders>) throws(SkbError) -> SkbID? {
        // A capture pseudo-header (cooked SLL/SLL2, BSD null/loop) is not part
        // of the skb: the driver receives what follows it.
        if _slowPath(linkType.dlt != LinkType.ethernet.dlt) {
            return try receive(bytes, linkType, path, headers, pseudoHeader: Self.pseudoHeaderLength(linkType, headers.pointee))
        }
        return try receive(bytes, linkType, path, headers, pseudoHeader: 0)
    }

    @inline(__always)
    func receive(_ bytes: UnsafeRawBufferPointer, _ linkType: LinkType, _ path: RxPath?,
                 _ headers: UnsafePointer<PacketHeaders>, pseudoHeader pseudo: Int) throws(SkbError) -> SkbID? {
        let frame = pseudo == 0 ? bytes : UnsafeRawBufferPointer(rebasing: bytes[pseudo...])
        guard let skb = try driverReceive(frame, path ?? options.rxPath) else {
            rxStatistics.allocFailed += 1
            rxStatistics.rxDropped += 1
            return nil
        }
        try setHeaders(skb, headers.pointee, linkType, pseudoHeader: pseudo)
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
            guard let skb = path == .netdevAllocSkb ? netdev_alloc_skb(len, .GFP_ATOMIC) : napi_alloc_skb(len) else { return nil }
            let i = Int(skb.index)
            __skb_put(i, len)
            // The head was allocated for this frame just now: a checked
            // copy could not report (debug builds assert it).
            memory.rawCopyIn(to: skbs[i].dataPointer, from: bytes)
            emit(.dataCopy, i, "memcpy", UInt64(len), UInt64(skbs[i].data))
            return skb
        case .buildSkb:
            return try buildSkbReceive(bytes)
        case .scatterGather:
            return try sgReceive(bytes)
        }
    }

    /// A receive that ran out of memory after its skb was allocated: the
    /// driver frees the partly built skb with `dev_kfree_skb_any` (as
    /// igb/ixgbe/virtio_net do on their error paths) and counts the drop.
    func rxFreeNoMem(_ skb: SkbID) throws(SkbError) {
        try dev_kfree_skb_any(skb)
    }

    /// One ring buffer of `options.rxBufferSize` bytes (GFP_ATOMIC).
    func allocRxBuffer() -> KernelAddress? {
        memory.page_frag_alloc(rxBufferCache, options.rxBufferSize, [.GFP_ATOMIC, .__GFP_NOWARN])
    }

    func buildSkbReceive(_ bytes: UnsafeRawBufferPointer) throws(SkbError) -> SkbID? {
        let bufSize = options.rxBufferSize
        let pad = config.netSkbPad + config.netIpAlign
        let firstCap = config.skbWithOverhead(bufSize) - pad
        guard firstCap > 0 else {
            throw SkbError(.bug, "build_skb: rxBufferSize \(bufSize) leaves no room for data after NET_SKB_PAD + NET_IP_ALIGN and skb_shared_info")
        }
        guard let buf = allocRxBuffer() else { return nil }
        let first = min(bytes.count, firstCap)
        memory.rawCopyIn(to: buf + pad, from: UnsafeRawBufferPointer(rebasing: bytes[0..<first]))  // a fresh rx buffer
        guard let skb = napi_build_skb(buf, fragSize: bufSize) else {
            memory.page_frag_free(buf)
            return nil
        }
        let i = Int(skb.index)
        skbs[i].data &+= UInt32(pad)
        skbs[i].tail &+= UInt32(pad)
        emit(.reserve, i, "skb_reserve", UInt64(pad))
        __skb_put(i, first)
        emit(.dataCopy, i, "dma", UInt64(first), UInt64(pad))
        guard try appendRxBuffers(i, bytes, from: first) else {
            try rxFreeNoMem(skb)
            return nil
        }
        return skb
    }

    func sgReceive(_ bytes: UnsafeRawBufferPointer) throws(SkbError) -> SkbID? {
        let bufSize = options.rxBufferSize
        guard let skb = napi_alloc_skb(options.copybreak) else { return nil }
        let i = Int(skb.index)
        // The NIC wrote the frame into ring buffers; the first one is
        // needed now (headers are copied out of it).
        guard let buf0 = allocRxBuffer() else {
            try rxFreeNoMem(skb)
            return nil
        }
        let len0 = min(bytes.count, bufSize)
        memory.rawCopyIn(to: buf0, from: UnsafeRawBufferPointer(rebasing: bytes[0..<len0]))  // a fresh rx buffer
        var headlen = min(bytes.count, options.copybreak)
        if options.copybreakHeaderSplit && bytes.count > options.copybreak { headlen = min(ethGetHeadlen(bytes), headlen) }
        __skb_put(i, headlen)
        memory.withUnsafeBytes(at: buf0, count: headlen) { src in _ = memory.copyIn(to: skbs[i].dataPointer, from: src) }
        emit(.dataCopy, i, "memcpy", UInt64(headlen), UInt64(skbs[i].data))
        var curr = i
        if len0 > headlen {
            guard try attachRxBuffer(i, &curr, buf0 + headlen, size: len0 - headlen, truesize: bufSize) else {
                memory.page_frag_free(buf0)
                try rxFreeNoMem(skb)
                return nil
            }
        } else {
            memory.page_frag_free(buf0)  // all copied: the buffer goes back
        }
        guard try appendRxBuffers(i, bytes, from: len0, curr: curr) else {
            try rxFreeNoMem(skb)
            return nil
        }
        return skb
    }

    /// `eth_get_headlen`: bytes up to the end of the TCP/UDP header (flow
    /// dissector `__skb_get_poff`), else of the network header, else 14.
    func ethGetHeadlen(_ bytes: UnsafeRawBufferPointer) -> Int {
        let h = HeaderDecoder.decode(bytes, linkType: .ethernet)
        if let t = h.transportHeader {
            if let tcp = h.tcp { return t + tcp.dataOffset }
            if h.udp != nil { return t + 8 }
            return t
        }
        if let n = h.networkHeader { return n + h.networkLength }
        return min(14, bytes.count)
    }

    /// Put `bytes[from...]` into further ring buffers attached as frags.
    func appendRxBuffers(_ head: Int, _ bytes: UnsafeRawBufferPointer, from: Int, curr: Int? = nil) throws(SkbError) -> Bool {
        let bufSize = options.rxBufferSize
        var off = from
        var curr = curr ?? head
        while off < bytes.count {
            let n = min(bufSize, bytes.count - off)
            guard let buf = allocRxBuffer() else { return false }
            memory.rawCopyIn(to: buf, from: UnsafeRawBufferPointer(rebasing: bytes[off..<off + n]))  // a fresh rx buffer
            guard try attachRxBuffer(head, &curr, buf, size: n, truesize: bufSize) else {
                memory.page_frag_free(buf)
                return false
            }
            off += n
        }
        return true
    }

    /// `skb_add_rx_frag` onto `curr`, opening a new frag_list skb
    /// (`alloc_skb(0, GFP_ATOMIC)`) when `curr` has MAX_SKB_FRAGS frags; the
    /// head's len/data_len/truesize follow (virtio_net receive_mergeable).
    func attachRxBuffer(_ head: Int, _ curr: inout Int, _ addr: KernelAddress, size: Int, truesize: Int) throws(SkbError) -> Bool {
        if shinfo(at: curr).nrFrags == config.maxSkbFrags {
            guard let n = alloc_skb(0, .GFP_ATOMIC) else { return false }
            let ni = Int(n.index)
            copySkbHeader(ni, from: head)
            if curr == head { shinfo(at: head).fragList = n } else { skbs[curr].next = n }
            curr = ni
            skbs[head].truesize &+= skbs[ni].truesize
        }
        let pfn = memory.virtToHeadPage(addr)
        try addRxFrag(curr, shinfo(at: curr).nrFrags, page: pfn, offset: addr - memory.pageAddress(pfn), size: size, truesize: truesize)
        if curr != head {
            skbs[head].dataLen &+= UInt32(size)
            skbs[head].len &+= UInt32(size)
            skbs[head].truesize &+= UInt32(truesize)
        }
        return true
    }

    /// Link-layer receive on an skb whose data is at the first byte the
    /// driver received (after any capture pseudo-header, `pseudoHeader`
    /// bytes of the captured frame).
    /// Ethernet (`eth_type_trans`): mac_header = data, pull ETH_HLEN (VLAN
    /// tags stay in-band, as the decoder reports them), protocol and
    /// pkt_type from the frame. Cooked SLL/SLL2 (the "any" device): the skb
    /// holds no link header; protocol and pkt_type are the kernel's own,
    /// from the pseudo-header (with re-inserted VLAN tags, the inner
    /// protocol, as with VLAN offload); mac_header = data, mac_len 0. Raw IP
    /// (a tun device, `tun_get_user`) and BSD null/loop: no MAC header
    /// either, mac_header = data with length 0, protocol from the IP version
    /// or the address family.
    /// network/transport_header = head offset of the decoder's offsets.
    func setHeaders(_ skb: SkbID, _ h: PacketHeaders, _ linkType: LinkType, pseudoHeader: Int = 0) throws(SkbError) {
        let i = Int(skb.index)
        let base = Int(skbs[i].data)
        if h.macHeader != nil { skbs[i].macHeader = UInt16(truncatingIfNeeded: base) }
        skbs[i].protocolType = h.vlanDepth > 0 && pseudoHeader > 0 ? h.networkProtocol : h.protocolType
        skbs[i].pktType = h.pktType.rawValue
        let ethernet = linkType.dlt == LinkType.ethernet.dlt
        skbs[i].macLen = ethernet ? UInt16(truncatingIfNeeded: h.macLength) : 0
        // eth_type_trans pulls ETH_HLEN; the other link types give the skb no MAC header.
        let pull = ethernet && h.macHeader != nil ? 14 : 0
        if pull > 0 && pull <= Int(skbs[i].headlen) { _ = try __skb_pull(i, pull) }
        let origin = base - pseudoHeader
        if let n = h.networkHeader { skbs[i].networkHeader = UInt16(truncatingIfNeeded: origin + n) }
        if let t = h.transportHeader { skbs[i].transportHeader = UInt16(truncatingIfNeeded: origin + t) }
        emit(.headersSet, i, "eth_type_trans", UInt64(skbs[i].networkHeader), UInt64(skbs[i].transportHeader))
    }
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
}
