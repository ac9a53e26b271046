/// The kernel build the model imitates: page size, cache line, struct sizes
/// and the limits that follow from them.
///
/// The defaults are an x86_64 distribution kernel (4 KiB pages, 64-byte cache
/// lines, `MAX_SKB_FRAGS` 17). Everything derived from them is computed with
/// the kernel's own macros (`include/linux/skbuff.h`), never stored twice.
public struct KernelConfig: Hashable, Sendable {
    /// `PAGE_SIZE`.
    public var pageSize: Int = 4096
    /// `SMP_CACHE_BYTES` = `L1_CACHE_BYTES`.
    public var cacheLineSize: Int = 64
    /// `CONFIG_MAX_SKB_FRAGS` (net/Kconfig: 17...45, default 17).
    public var maxSkbFrags: Int = 17
    /// `sizeof(struct sk_buff)`; 232 on a typical x86_64 distro config (6.x).
    public var sizeofSkBuff: Int = 232

    public init() {}

    /// `SKB_DATA_ALIGN(x)`: round up to `SMP_CACHE_BYTES`.
    @inlinable
    public func skbDataAlign(_ x: Int) -> Int {
        (x + cacheLineSize - 1) & ~(cacheLineSize - 1)
    }

    /// `sizeof(struct skb_shared_info)`: 40 bytes of fields, the 8-byte
    /// `destructor_arg`, then `MAX_SKB_FRAGS` 16-byte `skb_frag_t`.
    public var sizeofSharedInfo: Int { 48 + 16 * maxSkbFrags }

    /// `SKB_TRUESIZE(x)`.
    @inlinable
    public func skbTruesize(_ x: Int) -> Int {
        x + skbDataAlign(sizeofSkBuff) + skbDataAlign(sizeofSharedInfo)
    }
}
