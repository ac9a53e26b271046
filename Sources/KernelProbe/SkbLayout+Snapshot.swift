import KernelReference

extension SkbLayout {
    /// Builds a layout from a live snapshot; nil when a needed fact is missing.
    /// `sizeof(skb_shared_info)` is not visible from user space: it is computed from
    /// max_skb_frags (whose default is CONFIG_MAX_SKB_FRAGS) with the x86_64 layout.
    public init?(snapshot: KernelSnapshot, cacheLine: Int = 64) {
        guard let skb = snapshot.skbuffHeadCache?.objectSize,
            let small = snapshot.skbuffSmallHead?.objectSize,
            let frags = snapshot.maxSkbFrags,
            !snapshot.kmallocSizes.isEmpty
        else { return nil }
        let shinfo = SkbLayout.align(48 + 16 * frags, to: cacheLine)
        self.init(
            cacheLine: cacheLine, skBuffAligned: skb, sharedInfoAligned: shinfo,
            smallHeadCacheSize: small, pageSize: snapshot.pageSize,
            kmallocSizes: snapshot.kmallocSizes)
    }
}
