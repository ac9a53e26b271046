import KernelMemory

extension KernelProfile {
    /// The profile of the running kernel, from a snapshot: version from `uname -r`,
    /// page size, `max_skb_frags`, `sizeof(struct sk_buff)` from `skbuff_head_cache`
    /// and `MAX_HEADER` inferred from the `skbuff_small_head` object size. nil when
    /// the release does not parse or /proc/slabinfo is unreadable (needs root) or no
    /// MAX_HEADER reproduces the small-head size.
    public init?(snapshot: KernelSnapshot) {
        guard let version = Version(release: snapshot.kernel.release),
              let skbObject = snapshot.skbuffHeadCache?.objectSize else { return nil }
        var config = KernelConfig()
        config.pageSize = snapshot.pageSize
        config.maxSkbFrags = snapshot.maxSkbFrags ?? config.maxSkbFrags
        // sizeof(struct sk_buff) is not visible; keep 232 when it explains the
        // HWCACHE_ALIGNed object size, else charge the object size itself.
        if config.skbDataAlign(config.sizeofSkBuff) != skbObject { config.sizeofSkBuff = skbObject }
        let shinfo = config.skbDataAlign(config.sizeofSharedInfo)
        guard let maxHeader = snapshot.inferredMaxHeaderCandidates(
            sharedInfoAligned: shinfo, cacheLine: config.cacheLineSize,
            netSkbPad: config.netSkbPad, netIPAlign: config.netIpAlign).first else { return nil }
        config.maxHeader = maxHeader
        self.init(name: "running-\(snapshot.kernel.release)",
                  summary: "running kernel \(snapshot.kernel.release) \(snapshot.kernel.machine), MAX_HEADER \(maxHeader) (from skbuff_small_head \(snapshot.skbuffSmallHead?.objectSize ?? 0))",
                  version: version, config: config)
    }
}
