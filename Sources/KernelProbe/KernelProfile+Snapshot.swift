import KernelMemory

extension KernelProfile {
    /// The profile of the running kernel, from a snapshot: release from `uname -r`,
    /// `PAGE_SIZE`, `max_skb_frags`, `sizeof(struct sk_buff)` from `skbuff_head_cache`
    /// and `MAX_HEADER` inferred from the `skbuff_small_head` object size under the
    /// release's own small-head rule (`KernelProfile.smallHeadCache(for:)`). The
    /// release's other rules come with the version. nil when the release does not
    /// parse, /proc/slabinfo is unreadable (needs root), or no `MAX_HEADER`
    /// (`LL_MAX_HEADER` 32/96/128, + 48 with IP tunnels) reproduces the small head;
    /// before v6.3 (no small-head cache) `MAX_HEADER` stays the distro 176.
    public init?(snapshot: KernelSnapshot) {
        guard let version = Version(release: snapshot.kernel.release),
            let skbObject = snapshot.skbuffHeadCache?.objectSize
        else { return nil }
        var config = KernelConfig()
        config.pageSize = snapshot.pageSize
        config.maxSkbFrags = snapshot.maxSkbFrags ?? config.maxSkbFrags
        config.smallHeadCache = KernelProfile.smallHeadCache(for: version)
        // sizeof(struct sk_buff) is not visible; keep 232 when it explains the
        // HWCACHE_ALIGNed object size, else charge the object size itself.
        if config.skbDataAlign(config.sizeofSkBuff) != skbObject { config.sizeofSkBuff = skbObject }
        var from = "no skbuff_small_head before v6.3"
        var backport = false
        if config.smallHeadCache != .none {
            guard let observed = snapshot.skbuffSmallHead?.objectSize else { return nil }
            func fit(_ rule: SmallHeadCache) -> Int? {
                [176, 32, 80, 96, 128, 144].first { m in
                    var c = config
                    c.smallHeadCache = rule
                    c.maxHeader = m
                    return c.skbSmallHeadCacheSize == observed
                }
            }
            // A 6.3–6.13 stable kernel may carry 14ad6ed30a10 (6.12.y, 6.13.y did).
            if let m = fit(config.smallHeadCache) {
                config.maxHeader = m
            } else if config.smallHeadCache == .maxTcpHeader, let m = fit(.maxTcpHeaderOrGroMaxHeadPad) {
                config.maxHeader = m
                backport = true
            } else {
                return nil
            }
            from = "from skbuff_small_head \(observed)" + (backport ? ", with the 14ad6ed30a10 backport" : "")
        }
        self.init(
            name: "running-\(snapshot.kernel.release)",
            summary:
                "running kernel \(snapshot.kernel.release) \(snapshot.kernel.machine), MAX_HEADER \(config.maxHeader) (\(from))",
            version: version, config: config)
        if backport { self.config.smallHeadCache = .maxTcpHeaderOrGroMaxHeadPad }
    }
}
