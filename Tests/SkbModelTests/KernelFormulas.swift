// Expected values computed from the kernel's macros (include/linux/skbuff.h,
// net/core/skbuff.c) for x86_64 distro geometry, independent of the model:
// SMP_CACHE_BYTES 64, sizeof(struct skb_shared_info) 320, sizeof(struct sk_buff)
// 232, NET_SKB_PAD 64, NET_IP_ALIGN 0, SKB_SMALL_HEAD_CACHE_SIZE 704, PAGE_SIZE 4096.
enum K {
    static func dataAlign(_ x: Int) -> Int { (x + 63) & ~63 }  // SKB_DATA_ALIGN
    static let shinfo = 320  // SKB_DATA_ALIGN(sizeof(skb_shared_info))
    static func headAlign(_ x: Int) -> Int { dataAlign(x) + shinfo }  // SKB_HEAD_ALIGN
    static func truesize(_ x: Int) -> Int { x + 256 + 320 }  // SKB_TRUESIZE
    static func withOverhead(_ x: Int) -> Int { x - shinfo }  // SKB_WITH_OVERHEAD
    static let smallHead = 704  // SKB_SMALL_HEAD_CACHE_SIZE
    static let netSkbPad = 64
    /// kmalloc_size_roundup: kmalloc_info[] classes up to 8k, then PAGE_SIZE << get_order.
    static func kmallocRoundup(_ n: Int) -> Int {
        for c in [8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192] where n <= c { return c }
        var size = 4096
        while size < n { size <<= 1 }
        return size
    }
    /// kmalloc_reserve's buffer size for a requested `size`.
    static func kmallocReserve(_ size: Int) -> Int {
        let obj = headAlign(size)
        return obj <= smallHead ? smallHead : kmallocRoundup(obj)
    }
}
