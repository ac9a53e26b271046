/// The receive buffers of the two Intel drivers skbsim imitates, as their
/// headers define them, for one kernel's layout (`KernelMacros`): how many
/// bytes the NIC writes into one descriptor's buffer, the headroom before
/// them, the page order, and what each buffer charges to truesize.
///
/// - ixgbe in `build_skb` mode (drivers/net/ethernet/intel/ixgbe/ixgbe.h,
///   v6.18): `IXGBE_MAX_2K_FRAME_BUILD_SKB` = `IXGBE_RXBUFFER_1536 −
///   NET_IP_ALIGN` in half of an order-0 page; `__IXGBE_RX_3K_BUFFER`
///   (`IXGBE_RXBUFFER_3K` in half of an order-1 page) when
///   `IXGBE_2K_TOO_SMALL_WITH_PADDING` or `max_frame` (MTU + ETH_HLEN +
///   ETH_FCS_LEN) exceeds ETH_FRAME_LEN + ETH_FCS_LEN
///   (ixgbe_main.c `ixgbe_set_rx_buffer_len`, RSC off); headroom
///   `IXGBE_SKB_PAD` (`ixgbe_skb_pad` → `ixgbe_compute_pad`); truesize
///   `ixgbe_rx_pg_size(ring) / 2` (`ixgbe_build_skb`, `ixgbe_add_rx_frag`).
///   On pages of 8 KiB or more: `IXGBE_RXBUFFER_2K`, headroom NET_SKB_PAD +
///   NET_IP_ALIGN, truesize `SKB_DATA_ALIGN(headroom + size)` (plus the
///   aligned shinfo for the head).
/// - igb with `legacy-rx` (drivers/net/ethernet/intel/igb/igb.h
///   `igb_rx_bufsz`): `IGB_RXBUFFER_2048` with no headroom at any MTU;
///   truesize `igb_rx_pg_size(ring) / 2`, or `SKB_DATA_ALIGN(size)` on
///   larger pages (igb_main.c `igb_construct_skb`, `igb_add_rx_frag`).
public struct RxBufferFacts: Hashable, Sendable {
    /// Bytes the NIC writes into one buffer.
    public var dmaBytes: Int
    /// Bytes before them (`rx_offset`).
    public var headroom: Int
    public var pageOrder: Int
    let halfPage: Int?
    let sharedInfo: Int
    let l1: Int

    func align(_ x: Int) -> Int { (x + l1 - 1) / l1 * l1 }

    /// Truesize of a buffer holding `size` bytes, added as a frag.
    public func fragTruesize(_ size: Int) -> Int { halfPage ?? align(headroom + size) }
    /// The frags `bytes` more of a frame become: one per further buffer the
    /// NIC filled, and their truesize.
    public func frags(for bytes: Int) -> (count: Int, truesize: Int) {
        var rest = bytes
        var count = 0
        var truesize = 0
        while rest > 0 {
            let n = min(rest, dmaBytes)
            count += 1
            truesize += fragTruesize(n)
            rest -= n
        }
        return (count, truesize)
    }

    /// `frag_size` of `napi_build_skb` over a buffer holding `size` bytes.
    public func buildSkbFragSize(_ size: Int) -> Int { halfPage ?? sharedInfo + align(headroom + size) }
}

extension KernelMacros {
    var halfPagesSplit: Bool { pageSize < 8192 }

    /// ixgbe's buffers at `mtu`.
    public func ixgbeBuffers(mtu: Int) -> RxBufferFacts {
        let l1 = dataAlign(1)
        guard halfPagesSplit else {
            return RxBufferFacts(
                dmaBytes: 2048, headroom: netSkbPad + netIpAlign, pageOrder: 0, halfPage: nil, sharedInfo: sharedInfo,
                l1: l1)
        }
        let twoKTooSmall = netSkbPad + 1536 > withOverhead(2048)
        let maxFrame = mtu + 14 + 4
        let threeK = twoKTooSmall || maxFrame > 1514 + 4
        var bufLen = twoKTooSmall ? 3072 + dataAlign(netIpAlign) : 1536
        bufLen -= netIpAlign
        let halfPageAligned = (bufLen + pageSize / 2 - 1) / (pageSize / 2) * (pageSize / 2)
        let pad = withOverhead(halfPageAligned) - bufLen
        let order = threeK ? 1 : 0
        return RxBufferFacts(
            dmaBytes: threeK ? 3072 : 1536 - netIpAlign, headroom: pad, pageOrder: order,
            halfPage: (pageSize << order) / 2, sharedInfo: sharedInfo, l1: l1)
    }

    /// igb's buffers with `legacy-rx` (the same at any MTU).
    public var igbLegacyBuffers: RxBufferFacts {
        RxBufferFacts(
            dmaBytes: 2048, headroom: 0, pageOrder: 0, halfPage: halfPagesSplit ? pageSize / 2 : nil,
            sharedInfo: sharedInfo, l1: dataAlign(1))
    }
}
