/// How the model driver turns a received frame into an skb (`--rx-path`).
///
/// | path | head | paged data |
/// |------|------|------------|
/// | `netdevAllocSkb` | `netdev_alloc_skb(len)`: page fragment of the per-CPU `netdev_alloc_cache` for 321…3712-byte frames, kmalloc otherwise; whole frame copied | none |
/// | `napiAllocSkb` | `napi_alloc_skb(len)`: same rule, `napi_alloc_cache`, NET_SKB_PAD + NET_IP_ALIGN | none |
/// | `buildSkb` | `napi_build_skb` over a `rxBufferSize` (2048) ring buffer with NET_SKB_PAD + NET_IP_ALIGN headroom and the aligned shinfo at its tail (ixgbe/i40e style, truesize = SKB_TRUESIZE(2048 − 320) = 2304) | bytes beyond the first buffer's 1664 go into further 2048-byte buffers via `skb_add_rx_frag` (truesize 2048 each) |
/// | `scatterGather` | `napi_alloc_skb(copybreak)` (256, igb's IGB_RX_HDR_LEN) with the first min(len, copybreak) bytes copied | the frame is DMA'd into 2048-byte ring buffers; the rest of each buffer is a frag with truesize 2048 (igb_add_rx_frag) |
///
/// Ring buffers come from the simulator's `rx_ring` page_frag cache (order-3
/// pages cut into 2048-byte buffers; real Intel drivers split order-0 pages
/// into halves and recycle them — the slice size and truesize are the same).
/// When a frame needs more than MAX_SKB_FRAGS buffers, further buffers are
/// chained on `frag_list` skbs from `alloc_skb(0, GFP_ATOMIC)` whose
/// truesize is added to the head, as virtio_net's `receive_mergeable` does.
public enum RxPath: String, CaseIterable, Sendable, Hashable {
    case netdevAllocSkb = "netdev-alloc-skb"
    case napiAllocSkb = "napi-alloc-skb"
    case buildSkb = "build-skb"
    case scatterGather = "sg-copybreak"
}
