import KernelMemory

/// Allocation paths of net/core/skbuff.c (v6.14+ by default).
extension SkbSim {
    /// `kmalloc_reserve(&size, gfp, node, &pfmemalloc)` (v6.3+): the head
    /// buffer of `SKB_HEAD_ALIGN(size)` bytes from `skb_small_head_cache`
    /// when it fits (and gfp has no `__GFP_DMA`/`__GFP_RECLAIMABLE`/`__GFP_ACCOUNT`),
    /// else kmalloc of `kmalloc_size_roundup`. First try without reserves
    /// (`__GFP_NOMEMALLOC | __GFP_NOWARN`); retry with them if gfp allows.
    /// Returns the head, its real size, and whether reserves were used.
    public func kmalloc_reserve(_ size: Int, _ gfp: GFP) -> (head: KernelAddress, size: Int, pfmemalloc: Bool)? {
        let obj = sizes.headAlign(size)
        let notNormal: GFP = [.__GFP_DMA, .__GFP_RECLAIMABLE, .__GFP_ACCOUNT]
        let first = gfp.union([.__GFP_NOMEMALLOC, .__GFP_NOWARN])
        if obj <= sizes.smallHeadCacheSize && gfp.isDisjoint(with: notNormal) {
            let real = sizes.smallHeadCacheSize
            if let a = memory.kmem_cache_alloc(skbSmallHeadCache, first) { return (a, real, false) }
            guard memory.gfp_pfmemalloc_allowed(gfp), let a = memory.kmem_cache_alloc(skbSmallHeadCache, gfp) else {
                return nil
            }
            return (a, real, true)
        }
        let real = memory.kmalloc_size_roundup(obj)
        if let a = memory.kmalloc(real, first) { return (a, real, false) }
        guard memory.gfp_pfmemalloc_allowed(gfp), let a = memory.kmalloc(real, gfp) else { return nil }
        return (a, real, true)
    }

    /// `__finalize_skb_around(skb, data, size)`: `size` is the whole buffer;
    /// end = size - SKB_DATA_ALIGN(shinfo), truesize = SKB_TRUESIZE(end),
    /// users = 1, head = data, tail = 0, mac/transport unset, shinfo zeroed
    /// up to dataref and dataref = 1. `freshHead`: the model itself has just
    /// allocated `data` (kmalloc_reserve, page_frag_alloc), so the shinfo
    /// writes cannot hit poisoned memory and skip the checker; a head handed
    /// in by a caller (`build_skb`) is written through the checked path.
    func __finalize_skb_around(_ i: Int, _ data: KernelAddress, _ size: Int, freshHead: Bool = false) {
        let end = sizes.withOverhead(size)
        skbs[i].truesize = UInt32(sizes.truesize(end))
        skbs[i].users = 1
        skbs[i].head = data
        skbs[i].data = 0
        skbs[i].tail = 0
        skbs[i].end = UInt32(end)
        skbs[i].macHeader = SkBuff.unsetHeader
        skbs[i].transportHeader = SkBuff.unsetHeader
        if freshHead { shinfo(at: i).initializeFresh() } else { shinfo(at: i).initialize() }
    }

    /// Address of `fclone_ref` in the `struct sk_buff_fclones` block whose
    /// first skb is at `orig`.
    @inlinable func fcloneRefAddress(orig: KernelAddress) -> KernelAddress { orig + 2 * config.sizeofSkBuff }

    func fcloneRef(orig: KernelAddress) -> UInt32 {
        memory.withUnsafeBytes(at: fcloneRefAddress(orig: orig), count: 4) { $0.loadUnaligned(as: UInt32.self) }
    }

    func setFcloneRef(orig: KernelAddress, _ v: UInt32) {
        memory.withUnsafeMutableBytes(at: fcloneRefAddress(orig: orig), count: 4) {
            if $0.count == 4 { $0.storeBytes(of: v, as: UInt32.self) }
        }
    }

    /// The `sk_buff_fclones` refcount of an fclone skb (ORIG or CLONE); nil otherwise.
    public func fcloneRef(_ id: SkbID) throws(SkbError) -> Int? {
        let s = skbs[try slot(id, "fclone_ref")]
        switch s.fclone {
        case .unavailable: return nil
        case .orig: return Int(fcloneRef(orig: s.skbaddr))
        case .clone: return Int(fcloneRef(orig: s.skbaddr - config.sizeofSkBuff))
        }
    }

    /// `__alloc_skb(size, gfp, flags, NUMA_NO_NODE)`: struct from
    /// `skbuff_cache` (or `skbuff_fclone_cache` with `.fclone`; the NAPI skb
    /// cache with `.napi` alone), head from `kmalloc_reserve` (never a page
    /// fragment), no headroom.
    /// Returns nil when either allocation fails (nothing leaks).
    public func __alloc_skb(_ size: Int, _ gfp: GFP, _ flags: SkbAllocFlags = []) -> SkbID? {
        let fclone = flags.contains(.fclone)
        let cache = fclone ? skbuffFcloneCache : skbuffCache
        let fromNapiCache = flags.contains(.napi) && !fclone
        var sgfp = gfp
        sgfp.remove(.__GFP_DMA)
        guard let skbaddr = fromNapiCache ? napi_skb_cache_get() : memory.kmem_cache_alloc(cache, sgfp) else {
            return nil
        }
        guard let (head, real, pfmemalloc) = kmalloc_reserve(size, gfp) else {
            // kmem_cache_free either way (the kernel does not park it back).
            memory.kmem_cache_free(cache, skbaddr)
            return nil
        }
        let i = newSlot()
        skbs[i].skbaddr = skbaddr
        __finalize_skb_around(i, head, real, freshHead: true)
        skbs[i].pfmemalloc = pfmemalloc
        if fclone {
            skbs[i].fclone = .orig
            setFcloneRef(orig: skbaddr, 1)
        }
        emit(.skbAlloc, i, "__alloc_skb", fclone ? 1 : 0, UInt64(skbs[i].fclone.rawValue))
        emit(.headAlloc, i, "kmalloc_reserve", head.raw, UInt64(real))
        return id(i)
    }

    /// `alloc_skb(size, gfp)`.
    public func alloc_skb(_ size: Int, _ gfp: GFP = .GFP_KERNEL) -> SkbID? { __alloc_skb(size, gfp, []) }

    /// `alloc_skb_fclone(size, gfp)`.
    public func alloc_skb_fclone(_ size: Int, _ gfp: GFP = .GFP_KERNEL) -> SkbID? { __alloc_skb(size, gfp, .fclone) }

    /// The rx kmalloc bound of `__netdev_alloc_skb` / `napi_alloc_skb`.
    var rxKmallocBound: Int {
        switch options.rxKmallocThreshold {
        case .smallHeadCache: sizes.rxKmallocBoundSmallHead
        case .withOverhead1024: sizes.rxKmallocBound1024
        }
    }

    /// Whether the rx allocators take the kmalloc path for a padded `len`.
    func rxUsesKmalloc(_ len: Int, _ gfp: GFP) -> Bool {
        len <= rxKmallocBound || len > sizes.withOverheadPage
            || !gfp.isDisjoint(with: [.__GFP_DIRECT_RECLAIM, .__GFP_DMA])
    }

    /// `__build_skb(data, frag_size)` + build_skb's head_frag/pfmemalloc:
    /// struct from `skbuff_cache` (GFP_ATOMIC | __GFP_NOWARN), head = `data`,
    /// end = frag_size - SKB_DATA_ALIGN(shinfo), truesize = SKB_TRUESIZE(end).
    /// On failure returns nil and does not free `data` (as the kernel).
    public func build_skb(_ data: KernelAddress, fragSize: Int) -> SkbID? {
        buildSkb(data, fragSize, "build_skb")
    }

    /// `napi_build_skb(data, frag_size)`: as `build_skb`, the struct from
    /// the NAPI skb cache (`napi_skb_cache_get`).
    public func napi_build_skb(_ data: KernelAddress, fragSize: Int) -> SkbID? {
        buildSkb(data, fragSize, "napi_build_skb", napiCache: true)
    }

    func buildSkb(_ data: KernelAddress, _ fragSize: Int, _ fn: StaticString, napiCache: Bool = false) -> SkbID? {
        // frag_size 0 means a kmalloc'ed head (`slab_build_skb`); the kernel
        // WARNs "Use slab_build_skb() instead". Not modelled: fail the build.
        guard fragSize > 0, fragSize > config.skbDataAlign(config.sizeofSharedInfo) else { return nil }
        let struct_ =
            napiCache ? napi_skb_cache_get() : memory.kmem_cache_alloc(skbuffCache, [.GFP_ATOMIC, .__GFP_NOWARN])
        guard let skbaddr = struct_ else { return nil }
        let i = newSlot()
        skbs[i].skbaddr = skbaddr
        __finalize_skb_around(i, data, fragSize)
        skbs[i].headFrag = true
        skbs[i].pfmemalloc = memory.page_is_pfmemalloc(memory.virt_to_head_page(data))
        emit(.skbAlloc, i, fn, 0, 0)
        emit(.headAlloc, i, fn, data.raw, UInt64(fragSize))
        return id(i)
    }

    /// `__netdev_alloc_skb(dev, len, gfp)` / `netdev_alloc_skb(dev, len)`:
    /// len += NET_SKB_PAD; kmalloc path (`__alloc_skb(len, gfp, SKB_ALLOC_RX)`)
    /// when too small, larger than SKB_WITH_OVERHEAD(PAGE_SIZE), or gfp may
    /// reclaim / wants DMA; else a `SKB_HEAD_ALIGN(len)` fragment of the
    /// per-CPU page_frag cache with head_frag = 1 — `netdev_alloc_cache` in
    /// hard IRQ or with IRQs disabled (`inHardIrq`), else, as in a driver's
    /// NAPI poll, `napi_alloc_cache.page` (v6.18 net/core/skbuff.c
    /// `__netdev_alloc_skb`). The struct comes from `skbuff_cache`
    /// (`__build_skb`). Then `skb_reserve(NET_SKB_PAD)`. nil on allocation failure.
    public func netdev_alloc_skb(_ length: Int, _ gfp: GFP = .GFP_ATOMIC) -> SkbID? {
        rxAllocSkb(
            length, pad: sizes.netSkbPad, gfp, cache: inHardIrq ? netdevAllocCache : napiAllocCache, flags: .rx,
            "__netdev_alloc_skb")
    }

    /// `napi_alloc_skb(napi, len)` (v6.9+: always GFP_ATOMIC | __GFP_NOWARN):
    /// as `netdev_alloc_skb` with NET_SKB_PAD + NET_IP_ALIGN and the per-CPU
    /// `napi_alloc_cache`.
    public func napi_alloc_skb(_ length: Int) -> SkbID? {
        if options.napiSmallPageFrag1k && length + config.netSkbPad + config.netIpAlign <= config.skbWithOverhead(1024)
        {
            return napiAllocSkbSmallFrag(length)
        }
        return rxAllocSkb(
            length, pad: sizes.napiPad, [.GFP_ATOMIC, .__GFP_NOWARN], cache: napiAllocCache,
            flags: [.rx, .napi], "napi_alloc_skb")
    }

    func rxAllocSkb(
        _ length: Int, pad: Int, _ gfp: GFP, cache: PageFragCacheID, flags: SkbAllocFlags, _ fn: StaticString
    ) -> SkbID? {
        let len = length + pad
        let skb: SkbID
        if rxUsesKmalloc(len, gfp) {
            guard let s = __alloc_skb(len, gfp, flags) else { return nil }
            skb = s
        } else {
            let fragLen = sizes.headAlign(len)
            guard let data = memory.page_frag_alloc(cache, fragLen, gfp) else { return nil }
            // __napi_build_skb (napi_skb_cache_get) / __build_skb (skbuff_cache).
            let napiCache = flags.contains(.napi)
            let struct_ =
                napiCache ? napi_skb_cache_get() : memory.kmem_cache_alloc(skbuffCache, [.GFP_ATOMIC, .__GFP_NOWARN])
            guard let skbaddr = struct_ else {
                memory.page_frag_free(data)  // skb_free_frag
                return nil
            }
            let i = newSlot()
            skbs[i].skbaddr = skbaddr
            __finalize_skb_around(i, data, fragLen, freshHead: true)
            skbs[i].pfmemalloc = memory.page_frag_cache_is_pfmemalloc(cache)
            skbs[i].headFrag = true
            emit(.skbAlloc, i, fn, 0, 0)
            emit(.headAlloc, i, "page_frag_alloc", data.raw, UInt64(fragLen))
            skb = id(i)
        }
        let i = Int(skb.index)
        __skb_reserve(i, pad)
        return skb
    }
}
