import KernelMemory

/// The geometry of a NIC's receive descriptor ring as igb and ixgbe set it
/// up: how many descriptors, the pages behind them, how many bytes the NIC
/// writes into one buffer and at what offset, and what each buffer charges
/// to `skb->truesize`.
///
/// | `--rx-path` | driver | buffer (`rx_bufsz`) | page | `rx_offset` | truesize per buffer |
/// |---|---|---|---|---|---|
/// | `build-skb` | ixgbe, `build_skb` mode (the default) | 1536 − NET_IP_ALIGN; 3072 when the MTU is above 1500 | order 0; order 1 for 3072 | `IXGBE_SKB_PAD` (192 with 17 frags) | half the page (2048; 4096) |
/// | `sg-copybreak` | igb, `legacy-rx` (`igb_construct_skb`) | 2048 at any MTU | order 0 | 0 | half the page (2048) |
///
/// With pages of 8 KiB or more the drivers do not split pages in halves:
/// buffers are carved one after the other (`page_offset += truesize`),
/// each charging `SKB_DATA_ALIGN(rx_offset + size)`, and a page is reused
/// until its offset passes `IXGBE_LAST_OFFSET` / `IGB_LAST_OFFSET`.
///
/// Sources (v6.18): drivers/net/ethernet/intel/ixgbe/ixgbe.h
/// `ixgbe_rx_bufsz`, `ixgbe_rx_pg_order`, `IXGBE_MAX_2K_FRAME_BUILD_SKB`,
/// `IXGBE_2K_TOO_SMALL_WITH_PADDING`, `ixgbe_skb_pad`, `IXGBE_DEFAULT_RXD`;
/// ixgbe_main.c `ixgbe_set_rx_buffer_len` (RSC, which also selects 3K
/// buffers, is taken as off: `ethtool -K DEV lro off`, as with forwarding);
/// drivers/net/ethernet/intel/igb/igb.h `igb_rx_bufsz`, `IGB_DEFAULT_RXD`;
/// igb_main.c `igb_set_rx_buffer_len` (legacy-rx never uses large buffers).
public struct RxRingGeometry: Sendable, Hashable, CustomStringConvertible {
    /// Which driver's ring this is.
    public enum Driver: String, Sendable, Hashable {
        /// ixgbe with `build_skb` (`ring_uses_build_skb`).
        case ixgbe
        /// igb with the `legacy-rx` private flag (`igb_construct_skb`).
        case igbLegacy = "igb legacy-rx"
    }

    public var driver: Driver
    /// Descriptors in the ring (`ethtool -G DEV rx N`).
    public var count: Int
    /// Order of each buffer page (`ixgbe_rx_pg_order`).
    public var pageOrder: Int
    /// Bytes the NIC writes into one buffer (`ixgbe_rx_bufsz` / `igb_rx_bufsz`).
    public var bufferLength: Int
    /// Headroom before the bytes the NIC writes (`rx_ring->rx_offset`).
    public var rxOffset: Int
    public var pageSize: Int
    /// `SKB_DATA_ALIGN(sizeof(struct skb_shared_info))` of the kernel.
    let sharedInfoAligned: Int
    let cacheLineMask: Int

    /// `PAGE_SIZE < 8192`: buffers are page halves flipped by `page_offset ^= truesize`.
    public var flipsHalves: Bool { pageSize < 8192 }
    /// `ixgbe_rx_pg_size(ring) / 2`.
    public var halfPage: Int { (pageSize << pageOrder) / 2 }

    /// The ring the driver sets up for `path` at `mtu` on a kernel of
    /// `config`; nil for paths that do not receive into a descriptor ring.
    /// `count` nil: the driver's default (`IXGBE_DEFAULT_RXD` 512,
    /// `IGB_DEFAULT_RXD` 256).
    public init?(path: RxPath, mtu: Int, config: KernelConfig, count: Int? = nil) {
        pageSize = config.pageSize
        sharedInfoAligned = config.skbDataAlign(config.sizeofSharedInfo)
        cacheLineMask = config.skbDataAlign(1) - 1
        switch path {
        case .buildSkb:
            driver = .ixgbe
            self.count = count ?? 512
            let withOverhead2K = 2048 - sharedInfoAligned
            let tooSmall = config.netSkbPad + 1536 > withOverhead2K
            if config.pageSize < 8192 {
                // max_frame = MTU + ETH_HLEN + ETH_FCS_LEN > ETH_FRAME_LEN + ETH_FCS_LEN.
                let large = tooSmall || mtu > 1500
                pageOrder = large ? 1 : 0
                bufferLength = large ? 3072 : 1536 - config.netIpAlign
                // ixgbe_skb_pad(): the room left in a half page after the
                // buffer and the shared info.
                let len =
                    (tooSmall ? 3072 + ((config.netIpAlign + cacheLineMask) & ~cacheLineMask) : 1536)
                    - config.netIpAlign
                let halfPages = (len + config.pageSize / 2 - 1) / (config.pageSize / 2) * (config.pageSize / 2)
                rxOffset = halfPages - sharedInfoAligned - len
            } else {
                pageOrder = 0
                bufferLength = 2048
                rxOffset = config.netSkbPad + config.netIpAlign
            }
        case .scatterGather:
            driver = .igbLegacy
            self.count = count ?? 256
            pageOrder = 0
            bufferLength = 2048
            rxOffset = 0
        default:
            return nil
        }
    }

    func dataAlign(_ x: Int) -> Int { (x + cacheLineMask) & ~cacheLineMask }

    /// What one buffer holding `size` bytes charges to truesize as a frag
    /// (`ixgbe_add_rx_frag`, `igb_add_rx_frag`, `igb_construct_skb`).
    func fragTruesize(_ size: Int) -> Int { flipsHalves ? halfPage : dataAlign(rxOffset + size) }

    /// The `frag_size` given to `napi_build_skb` for a buffer holding
    /// `size` bytes (`ixgbe_build_skb`).
    func buildSkbTruesize(_ size: Int) -> Int {
        flipsHalves ? halfPage : sharedInfoAligned + dataAlign(rxOffset + size)
    }

    /// Highest `page_offset` at which a page of 8 KiB or more is reused
    /// (`IXGBE_LAST_OFFSET`, `IGB_LAST_OFFSET`).
    var lastOffset: Int { pageSize - sharedInfoAligned - (driver == .ixgbe ? 3072 : 2048) }

    public var description: String {
        "\(count) × \(bufferLength)-byte buffers in order-\(pageOrder) pages (\(driver.rawValue))"
    }
}

/// One descriptor's buffer (`struct ixgbe_rx_buffer`, `struct igb_rx_buffer`):
/// the page, where in it the next frame goes, and how many of the page's
/// references the driver still holds (`pagecnt_bias`).
struct RxBuffer {
    var page: Int32 = -1
    var pageOffset: Int32 = 0
    var pagecntBias: Int32 = 0
}

/// The driver's descriptor ring and its own buffer pages.
///
/// Invariants: slots `nextToClean ..< nextToUse` (circular) hold buffers the
/// NIC may write; the others are empty, except reused buffers parked from
/// `nextToUse` on until `allocRxBuffers` hands them back. A page's
/// refcount is `pagecntBias` plus one per buffer of it an skb still holds.
struct RxRing {
    var geometry: RxRingGeometry
    var buffers: [RxBuffer]
    var nextToClean = 0
    var nextToUse = 0
    var nextToAlloc = 0

    init(_ geometry: RxRingGeometry) {
        self.geometry = geometry
        buffers = Array(repeating: RxBuffer(), count: geometry.count)
    }

    /// `ixgbe_desc_unused` / `igb_desc_unused`.
    var unused: Int {
        (nextToClean > nextToUse ? 0 : geometry.count) + nextToClean - nextToUse - 1
    }

    /// Descriptors the NIC can write now.
    var filled: Int { geometry.count - 1 - unused }
}

/// The ring's counters.
public struct RxRingStatistics: Sendable, Hashable {
    public init() {}
    /// Buffer pages allocated (`dev_alloc_pages`), at open and on refill.
    public internal(set) var pagesAllocated = 0
    /// Buffers handed back to the ring with their page (`ixgbe_reuse_rx_page`).
    public internal(set) var buffersReused = 0
    /// Buffers whose page the driver let go: the stack still held the other
    /// half, or the page was pfmemalloc (`__page_frag_cache_drain`).
    public internal(set) var pagesReleased = 0
    /// Refills that could not get a page (`alloc_rx_page_failed`).
    public internal(set) var allocFailed = 0
    /// Frames the NIC had no free descriptors for (`rx_no_buffer_count`).
    public internal(set) var noBuffer = 0

    /// Add another ring's counters (the queues of one NIC).
    public mutating func add(_ other: RxRingStatistics) {
        pagesAllocated += other.pagesAllocated
        buffersReused += other.buffersReused
        pagesReleased += other.pagesReleased
        allocFailed += other.allocFailed
        noBuffer += other.noBuffer
    }
}

/// `USHRT_MAX`: the references a driver takes on a fresh buffer page.
let rxPageBias = 65535

extension RxDriver {
    /// The ring of `path` (opened and filled on first use: `ixgbe_open` →
    /// `ixgbe_configure_rx_ring` → `ixgbe_alloc_rx_buffers(ring,
    /// ixgbe_desc_unused(ring))`); nil for paths without one.
    func openRing(_ path: RxPath) -> Bool {
        if ring != nil { return true }
        guard
            let g = RxRingGeometry(path: path, mtu: options.mtu, config: sim.config, count: options.ringSize)
        else { return false }
        ring = RxRing(g)
        allocRxBuffers(ring!.unused)
        return true
    }

    /// `ixgbe_alloc_rx_buffers(rx_ring, cleaned_count)`: give the NIC `n`
    /// more descriptors, each with its page — a reused buffer already parked
    /// there, else a new page (`ixgbe_alloc_mapped_page`: `dev_alloc_pages`,
    /// `page_ref_add(page, USHRT_MAX - 1)`). Stops at the first page that
    /// cannot be allocated.
    func allocRxBuffers(_ n: Int) {
        guard n > 0 else { return }
        let g = ring!.geometry
        var i = ring!.nextToUse
        var left = n
        while left > 0 {
            if ring!.buffers[i].page < 0 {
                guard
                    let pfn = sim.memory.alloc_pages(
                        [.GFP_ATOMIC, .__GFP_NOWARN, .__GFP_COMP, .__GFP_MEMALLOC], order: g.pageOrder,
                        owner: .caller(tag: RxDriver.ringPageTag))
                else {
                    ringStatistics.allocFailed += 1
                    break
                }
                sim.memory.page_ref_add(pfn, rxPageBias - 1)
                ring!.buffers[i] = RxBuffer(
                    page: Int32(pfn.index), pageOffset: Int32(g.rxOffset), pagecntBias: Int32(rxPageBias))
                ringStatistics.pagesAllocated += 1
            }
            i = i + 1 == g.count ? 0 : i + 1
            left -= 1
        }
        if ring!.nextToUse != i {
            ring!.nextToUse = i
            ring!.nextToAlloc = i
        }
    }

    /// The top of `ixgbe_clean_rx_irq`'s loop: return buffers to the
    /// hardware once `IXGBE_RX_BUFFER_WRITE` (16) descriptors are clean.
    func refillRingIfDue() {
        if ring!.unused >= 16 { allocRxBuffers(ring!.unused) }
    }

    /// The end of igb's poll (`igb_clean_rx_irq`: `if (cleaned_count)
    /// igb_alloc_rx_buffers(...)`); ixgbe refills only at the top of its loop.
    public func ringPollEnd() {
        guard let r = ring, r.geometry.driver == .igbLegacy else { return }
        allocRxBuffers(r.unused)
    }

    /// `ixgbe_get_rx_buffer`: the buffer at `next_to_clean`, its page's
    /// count before the driver hands one reference on (`rx_buffer_pgcnt`),
    /// and that hand-over (`pagecnt_bias--`).
    func getRxBuffer() -> (slot: Int, pgcnt: Int) {
        let slot = ring!.nextToClean
        let pfn = PFN(Int(ring!.buffers[slot].page))
        let pgcnt = ring!.geometry.flipsHalves ? sim.memory.page_ref_count(pfn) : 0
        ring!.buffers[slot].pagecntBias -= 1
        return (slot, pgcnt)
    }

    /// The address of the bytes the NIC wrote into buffer `slot`.
    func rxBufferAddress(_ slot: Int) -> KernelAddress {
        let b = ring!.buffers[slot]
        return sim.memory.page_address(PFN(Int(b.page))) + Int(b.pageOffset)
    }

    /// The page of buffer `slot`.
    func rxBufferPage(_ slot: Int) -> PFN { PFN(Int(ring!.buffers[slot].page)) }

    /// The half (or carved piece) of buffer `slot` now belongs to an skb:
    /// the next frame goes to the other half (`page_offset ^= truesize`) or
    /// past this piece (`page_offset += truesize`).
    func advanceRxBuffer(_ slot: Int, truesize: Int) {
        if ring!.geometry.flipsHalves {
            ring!.buffers[slot].pageOffset ^= Int32(truesize)
        } else {
            ring!.buffers[slot].pageOffset += Int32(truesize)
        }
    }

    /// The buffer's bytes were copied out and not kept (`pagecnt_bias++`).
    func returnRxBuffer(_ slot: Int) { ring!.buffers[slot].pagecntBias += 1 }

    /// `ixgbe_put_rx_buffer`: reuse the page (`ixgbe_can_reuse_rx_page`,
    /// `ixgbe_reuse_rx_page`: the buffer moves to `next_to_alloc`) or let it
    /// go (`__page_frag_cache_drain(page, pagecnt_bias)`: the page is freed
    /// once the skbs holding parts of it are), then clean the descriptor.
    func putRxBuffer(_ slot: Int, pgcnt: Int) {
        let b = ring!.buffers[slot]
        let pfn = PFN(Int(b.page))
        if canReuseRxPage(b, pgcnt: pgcnt, pfn) {
            if b.pagecntBias == 1 {
                // The driver's references ran out: restock them.
                sim.memory.page_ref_add(pfn, rxPageBias - 1)
                ring!.buffers[slot].pagecntBias = Int32(rxPageBias)
            }
            // next_to_alloc trails next_to_clean by at least one slot.
            let nta = ring!.nextToAlloc
            assert(nta != slot)
            ring!.buffers[nta] = ring!.buffers[slot]
            ring!.nextToAlloc = nta + 1 == ring!.geometry.count ? 0 : nta + 1
            ringStatistics.buffersReused += 1
        } else {
            sim.memory.__page_frag_cache_drain(pfn, Int(b.pagecntBias))
            ringStatistics.pagesReleased += 1
        }
        ring!.buffers[slot] = RxBuffer()
        ring!.nextToClean = slot + 1 == ring!.geometry.count ? 0 : slot + 1
    }

    /// `ixgbe_can_reuse_rx_page` / `igb_can_reuse_rx_page`: not a pfmemalloc
    /// page (`dev_page_is_reusable`), and on 4 KiB pages no skb still holds
    /// the other half (`rx_buffer_pgcnt - pagecnt_bias > 1` says one does);
    /// on larger pages, room for another buffer.
    func canReuseRxPage(_ b: RxBuffer, pgcnt: Int, _ pfn: PFN) -> Bool {
        if sim.memory.page_is_pfmemalloc(pfn) { return false }
        if ring!.geometry.flipsHalves { return pgcnt - Int(b.pagecntBias) <= 1 }
        return Int(b.pageOffset) <= ring!.geometry.lastOffset
    }

    /// Whether the NIC has `n` written descriptors for a frame (it writes
    /// a frame only into descriptors it owns; else it counts the frame in
    /// `rx_no_buffer_count` and drops it).
    func ringHasBuffers(_ n: Int) -> Bool {
        refillRingIfDue()
        if ring!.filled >= n { return true }
        ringStatistics.noBuffer += 1
        return false
    }

    /// `ixgbe_clean_rx_ring`: the driver lets go of every buffer it holds.
    func cleanRing() {
        guard let r = ring else { return }
        for b in r.buffers where b.page >= 0 {
            sim.memory.__page_frag_cache_drain(PFN(Int(b.page)), Int(b.pagecntBias))
        }
        ring = nil
    }

    /// Addresses of the ring's pages (kmemleak: referenced by the driver).
    func ringPageAddresses() -> [KernelAddress] {
        guard let r = ring else { return [] }
        return r.buffers.filter { $0.page >= 0 }.map { sim.memory.page_address(PFN(Int($0.page))) }
    }

    /// The page_owner tag of ring buffer pages.
    public static let ringPageTag: UInt16 = 0x7278  // "rx"
}
