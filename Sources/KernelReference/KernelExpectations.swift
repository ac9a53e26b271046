import KernelMemory

/// The kernel's expected skb for each scenario, from `KernelMacros` and the
/// allocation-path rules of `net/core/skbuff.c` (paraphrased), for one profile.
/// Nothing here calls the model.
public struct KernelExpectations: Sendable {
    public let profile: KernelProfile
    public let macros: KernelMacros
    public let driver: DriverModel

    public init(_ profile: KernelProfile, driver: DriverModel = DriverModel()) {
        self.profile = profile
        self.macros = KernelMacros(profile)
        self.driver = driver
    }

    // MARK: Citations

    var allocSkbSource: Citation {
        macros.facts.smallHead == .absent
            ? Citation("net/core/skbuff.c", "__alloc_skb → kmalloc_reserve (kmalloc only)", "≤ v6.2")
            : Citation("net/core/skbuff.c", "__alloc_skb → kmalloc_reserve", "v6.3+")
    }
    var truesizeSource: Citation { Citation("include/linux/skbuff.h", "SKB_TRUESIZE, SKB_HEAD_ALIGN") }
    func rxSource(_ function: String) -> Citation {
        let v =
            macros.facts.rxBoundIsSmallHeadHeadroom
            ? "v6.14+" : (function == "napi_alloc_skb" ? "v5.13–v6.13" : "≤ v6.13")
        return Citation("net/core/skbuff.c", function, v)
    }
    var pageFragSource: Citation {
        macros.facts.pageFragCountsDown
            ? Citation(macros.facts.pageFragFile, "page_frag_alloc_align", "≤ v6.12, offset counts down")
            : Citation(macros.facts.pageFragFile, "__page_frag_alloc_align", "v6.13+, offset counts up")
    }
    var buildSkbSource: Citation { Citation("net/core/skbuff.c", "napi_build_skb → __build_skb_around") }
    var addRxFragSource: Citation { Citation("include/linux/skbuff.h", "skb_add_rx_frag") }
    var ixgbeSource: Citation {
        Citation(
            "drivers/net/ethernet/intel/ixgbe/ixgbe_main.c, ixgbe.h",
            "ixgbe_build_skb, ixgbe_add_rx_frag, ixgbe_rx_bufsz, ixgbe_skb_pad")
    }
    var igbSource: Citation {
        Citation("drivers/net/ethernet/intel/igb/igb_main.c", "igb_construct_skb, igb_add_rx_frag")
    }

    // MARK: Rules

    /// Bytes of the head object.
    public func objectSize(_ head: HeadKind) -> Int {
        switch head {
        case .smallHead(let s), .kmalloc(let s): s
        case .pages(let o): profile.config.pageSize << o
        case .pageFrag(let s, _, _): s
        }
    }

    /// `__netdev_alloc_skb` / `napi_alloc_skb` for a driver `length`: kmalloc when
    /// the padded length is at most the rx bound or above SKB_WITH_OVERHEAD(PAGE_SIZE)
    /// (GFP_ATOMIC never has __GFP_DIRECT_RECLAIM), else SKB_HEAD_ALIGN(padded) from
    /// the per-CPU page_frag cache, built by `__build_skb` (end = fragsz − shinfo).
    /// Then skb_reserve(pad). Returns the head, end and padding.
    func rxAlloc(_ length: Int, napi: Bool) -> (head: HeadKind, end: Int, pad: Int, sources: [Citation]) {
        let pad = macros.netSkbPad + (napi ? macros.netIpAlign : 0)
        let padded = length + pad
        let fn = napi ? "napi_alloc_skb" : "__netdev_alloc_skb"
        if napi && macros.napiSmallPageFrag1k && padded <= macros.withOverhead(1024) {
            // page_frag_alloc_1k: order-0 page cut into 1 KiB slices from the top down.
            let size = 1024
            return (
                .pageFrag(size: size, order: 0, offset: profile.config.pageSize - size), macros.withOverhead(size), pad,
                [Citation("net/core/skbuff.c", "napi_alloc_skb → page_frag_alloc_1k", "v6.1–v6.13, 4 KiB pages")]
            )
        }
        if padded <= macros.rxKmallocBound || padded > macros.withOverhead(profile.config.pageSize) {
            let head = macros.kmallocReserve(padded)
            return (head, macros.withOverhead(objectSize(head)), pad, [rxSource(fn), allocSkbSource])
        }
        let fragsz = macros.headAlign(padded)
        let head = HeadKind.pageFrag(
            size: fragsz, order: macros.pageFragMaxOrder, offset: macros.firstFragOffset(fragsz))
        return (head, macros.withOverhead(fragsz), pad, [rxSource(fn), pageFragSource])
    }

    public func expect(_ s: AllocScenario) -> Expectation {
        precondition(!s.gro, "GRO-on expectations are expectGRO(_:) of a GROScenario")
        let L = s.length
        switch s.path {
        case .allocSkb:
            let head = macros.kmallocReserve(L)
            let end = macros.withOverhead(objectSize(head))
            return Expectation(
                facts: SkbFacts(
                    head: head, headroom: 0, tailroom: end, truesize: macros.truesize(end), nrFrags: 0, len: 0),
                sources: [allocSkbSource, truesizeSource])
        case .netdevAllocSkb, .napiAllocSkb:
            let r = rxAlloc(L, napi: s.path == .napiAllocSkb)
            return Expectation(
                facts: SkbFacts(
                    head: r.head, headroom: r.pad, tailroom: r.end - r.pad,
                    truesize: macros.truesize(r.end), nrFrags: 0, len: 0),
                sources: r.sources + [truesizeSource])
        case .buildSkb:
            // ixgbe_build_skb: the first descriptor's buffer is the head
            // (headroom before the DMA'd bytes, the aligned shinfo at the end
            // of its half page); the frame's further descriptors are frags.
            let b = macros.ixgbeBuffers(mtu: driver.mtu)
            let first = min(L, b.dmaBytes)
            let fragSize = b.buildSkbFragSize(first)
            let end = macros.withOverhead(fragSize)
            let (extra, fragsTruesize) = b.frags(for: L - first)
            return Expectation(
                facts: SkbFacts(
                    head: .pageFrag(size: fragSize, order: b.pageOrder, offset: nil), headroom: b.headroom,
                    tailroom: end - b.headroom - first,
                    truesize: macros.truesize(end) + fragsTruesize, nrFrags: extra, len: L),
                sources: [ixgbeSource, buildSkbSource, addRxFragSource, truesizeSource])
        case .sgCopybreak:
            // igb_construct_skb: napi_alloc_skb(copybreak), the first
            // min(L, copybreak) bytes copied; the rest of the first 2048-byte
            // buffer and every further one become frags.
            let b = macros.igbLegacyBuffers
            let r = rxAlloc(driver.copybreak, napi: true)
            let headlen = min(L, driver.copybreak)
            let len0 = min(L, b.dmaBytes)
            let more = b.frags(for: L - len0)
            let frags = (len0 > headlen ? 1 : 0) + more.count
            let fragsTruesize = (len0 > headlen ? b.fragTruesize(len0) : 0) + more.truesize
            return Expectation(
                facts: SkbFacts(
                    head: r.head, headroom: r.pad, tailroom: frags > 0 ? 0 : r.end - r.pad - headlen,
                    truesize: macros.truesize(r.end) + fragsTruesize, nrFrags: frags, len: L),
                sources: [igbSource] + r.sources + [addRxFragSource])
        }
    }

    // MARK: Send side

    /// UDP over loopback: KernelProbe's derivation (`UDPTruesizeModel`) on this
    /// profile's layout.
    public func udpLoopback(payload: Int, family: IPFamily) -> (charge: Int, skbs: [UDPSkbPlan]) {
        let plans = UDPTruesizeModel.skbs(payload: payload, family: family, layout: macros.layout)
        return (plans.reduce(0) { $0 + $1.truesize }, plans)
    }

    public var udpSources: [Citation] {
        [
            Citation("net/ipv4/ip_output.c", "__ip_append_data"),
            Citation("net/ipv6/ip6_output.c", "__ip6_append_data"),
            Citation("net/ipv4/inet_fragment.c", "inet_frag_reasm_finish"), allocSkbSource,
        ]
    }

    /// TCP: the first skb of a send of `size` bytes (below the size goal) on an idle
    /// connection: `alloc_skb_fclone(MAX_TCP_HEADER)`, truesize SKB_TRUESIZE(end), payload
    /// in `sk_page_frag` frags charged byte for byte.
    public func tcpFirstSkbTruesize(size: Int) -> Int {
        let head = macros.kmallocReserve(macros.maxTcpHeader)
        return macros.truesize(macros.withOverhead(objectSize(head))) + size
    }

    public var tcpSources: [Citation] {
        [
            Citation("net/ipv4/tcp.c", "tcp_stream_alloc_skb, tcp_sendmsg_locked"),
            Citation("include/net/tcp.h", "MAX_TCP_HEADER"), allocSkbSource,
        ]
    }
}
