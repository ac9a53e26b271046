import KernelMemory

/// Sharing and copying: `skb_get`, `skb_clone`, `skb_copy`, `pskb_copy`,
/// `skb_unshare` and the predicates around them (net/core/skbuff.c,
/// include/linux/skbuff.h).
extension SkbSim {
    /// `skb_get(skb)`: users++. Returns the same skb.
    @discardableResult
    public func skb_get(_ id: SkbID) throws(SkbError) -> SkbID {
        let i = try slot(id, "skb_get")
        skbs[i].users += 1
        emit(.get, i, "skb_get", UInt64(skbs[i].users))
        return id
    }

    /// `skb_shared(skb)`: users != 1.
    public func skb_shared(_ id: SkbID) throws(SkbError) -> Bool { skbs[try slot(id, "skb_shared")].isShared }

    /// `skb_cloned(skb)`: cloned and `(dataref & SKB_DATAREF_MASK) != 1`.
    public func skb_cloned(_ id: SkbID) throws(SkbError) -> Bool { skb_cloned(try slot(id, "skb_cloned")) }

    func skb_cloned(_ i: Int) -> Bool {
        skbs[i].cloned && (shinfo(at: i).dataref & SharedInfo.datarefMask) != 1
    }

    /// `skb_header_cloned(skb)`: cloned and (all refs − payload-only refs) != 1.
    public func skb_header_cloned(_ id: SkbID) throws(SkbError) -> Bool {
        let i = try slot(id, "skb_header_cloned")
        guard skbs[i].cloned else { return false }
        let d = shinfo(at: i).dataref
        return (d & SharedInfo.datarefMask) &- (d >> SharedInfo.datarefShift) != 1
    }

    /// `__skb_header_release(skb)`: nohdr = 1, dataref = 1 + (1 << 16)
    /// (the skb holds only a payload reference; GRO's frag_list members).
    public func __skb_header_release(_ id: SkbID) throws(SkbError) {
        let i = try slot(id, "__skb_header_release")
        skbs[i].nohdr = true
        shinfo(at: i).dataref = 1 + (1 << SharedInfo.datarefShift)
    }

    /// `__copy_skb_header` fields the model keeps (the `headers` group:
    /// protocol, pkt_type, mark, hash, vlan_all, checksum state, header
    /// offsets) plus the capture context.
    func skb_copy_header(_ n: Int, from o: Int) {
        skbs[n].protocolType = skbs[o].protocolType
        skbs[n].ipSummed = skbs[o].ipSummed
        skbs[n].csumLevel = skbs[o].csumLevel
        skbs[n].csumValid = skbs[o].csumValid
        skbs[n].csumCompleteSw = skbs[o].csumCompleteSw
        skbs[n].pktType = skbs[o].pktType
        skbs[n].mark = skbs[o].mark
        skbs[n].hash = skbs[o].hash
        skbs[n].vlanProto = skbs[o].vlanProto
        skbs[n].vlanTCI = skbs[o].vlanTCI
        skbs[n].macHeader = skbs[o].macHeader
        skbs[n].networkHeader = skbs[o].networkHeader
        skbs[n].transportHeader = skbs[o].transportHeader
        skbs[n].packet = skbs[o].packet
        skbs[n].flow = skbs[o].flow
        skbs[n].timestampNanoseconds = skbs[o].timestampNanoseconds
    }

    /// `skb_clone(skb, gfp)`: the fclone companion when the skb is an ORIG
    /// whose `fclone_ref` is 1 (fclone_ref = 2, companion CLONE), else a new
    /// struct from `skbuff_cache`; `__skb_clone` shares the head (dataref++),
    /// sets cloned on both, nohdr = 0, no destructor or socket, users = 1.
    /// nil when the struct cannot be allocated.
    public func skb_clone(_ id: SkbID, _ gfp: GFP = .GFP_ATOMIC) throws(SkbError) -> SkbID? {
        let o = try slot(id, "skb_clone")
        let addr: KernelAddress
        let state: SkbFclone
        if skbs[o].fclone == .orig && fcloneRef(orig: skbs[o].skbaddr) == 1 {
            addr = skbs[o].skbaddr + config.sizeofSkBuff
            setFcloneRef(orig: skbs[o].skbaddr, 2)
            state = .clone
        } else {
            var g = gfp
            if skbs[o].pfmemalloc { g.insert(.__GFP_MEMALLOC) }
            guard let a = memory.kmem_cache_alloc(skbuffCache, g) else { return nil }
            addr = a
            state = .unavailable
        }
        let n = newSlot()
        let src = skbs[o]
        skbs[n].skbaddr = addr
        skbs[n].fclone = state
        skb_copy_header(n, from: o)
        skbs[n].len = src.len
        skbs[n].dataLen = src.dataLen
        skbs[n].macLen = src.macLen
        skbs[n].pfmemalloc = src.pfmemalloc
        skbs[n].ppRecycle = src.ppRecycle
        skbs[n].head = src.head
        skbs[n].data = src.data
        skbs[n].tail = src.tail
        skbs[n].end = src.end
        skbs[n].headFrag = src.headFrag
        skbs[n].truesize = src.truesize
        skbs[n].users = 1
        skbs[n].cloned = true
        skbs[n].nohdr = false
        skbs[n].destructor = .none
        skbs[n].sk = nil
        skbs[n].next = nil
        let sh = shinfo(at: o)
        sh.dataref = sh.dataref &+ 1
        skbs[o].cloned = true
        emit(.skbAlloc, n, "skb_clone", state == .clone ? 1 : 0, UInt64(state.rawValue))
        emit(.clone, o, "skb_clone", UInt64(n), UInt64(sh.dataref))
        return self.id(n)
    }

    /// `skb_alloc_rx_flag(skb)`: SKB_ALLOC_RX for pfmemalloc skbs.
    func allocRxFlag(_ i: Int) -> SkbAllocFlags { skbs[i].pfmemalloc ? .rx : [] }

    /// `skb_copy(skb, gfp)`: a private linear copy: `__alloc_skb(skb_end_offset
    /// + data_len)`, same headroom, headroom and all data copied
    /// (`skb_copy_bits` from -headroom), header fields and gso fields copied.
    public func skb_copy(_ id: SkbID, _ gfp: GFP = .GFP_ATOMIC) throws(SkbError) -> SkbID? {
        let o = try slot(id, "skb_copy")
        let headroom = Int(skbs[o].headroom)
        let size = Int(skbs[o].end) + Int(skbs[o].dataLen)
        guard let nid = __alloc_skb(size, gfp, allocRxFlag(o)) else { return nil }
        let n = Int(nid.index)
        __skb_reserve(n, headroom)
        __skb_put(n, Int(skbs[o].len))
        // headroom bytes, then the packet from data on
        if headroom > 0 {
            memory.withUnsafeBytes(at: skbs[o].head, count: headroom) { src in
                _ = memory.copyIn(to: skbs[n].head, from: src)
            }
        }
        let len = Int(skbs[o].len)
        if len > 0 {
            var err: SkbError?
            memory.withUnsafeMutableBytes(at: skbs[n].dataPointer, count: len) { buf in
                do throws(SkbError) { _ = try copyBits(o, 0, buf) } catch { err = error }
            }
            if let err { throw err }
        }
        skb_copy_header(n, from: o)
        copyGso(n, from: o)
        emit(.copy, o, "skb_copy", UInt64(n))
        return nid
    }

    func copyGso(_ n: Int, from o: Int) {
        let a = shinfo(at: o)
        let b = shinfo(at: n)
        b.gsoSize = a.gsoSize
        b.gsoSegs = a.gsoSegs
        b.gsoType = a.gsoType
    }

    /// `__pskb_copy_fclone(skb, headroom, gfp, fclone)`: copy the linear part
    /// into `__alloc_skb(headlen + headroom)`, share the frags (a page ref
    /// each) and the frag_list (skb_get each); truesize += data_len.
    public func __pskb_copy_fclone(
        _ id: SkbID, headroom: Int, _ gfp: GFP = .GFP_ATOMIC, fclone: Bool = false
    ) throws(SkbError) -> SkbID? {
        let o = try slot(id, "__pskb_copy_fclone")
        let headlen = Int(skbs[o].headlen)
        var flags = allocRxFlag(o)
        if fclone { flags.insert(.fclone) }
        guard let nid = __alloc_skb(headlen + headroom, gfp, flags) else { return nil }
        let n = Int(nid.index)
        __skb_reserve(n, headroom)
        __skb_put(n, headlen)
        if headlen > 0 {
            memory.withUnsafeBytes(at: skbs[o].dataPointer, count: headlen) { src in
                _ = memory.copyIn(to: skbs[n].dataPointer, from: src)
            }
        }
        skbs[n].truesize &+= skbs[o].dataLen
        skbs[n].dataLen = skbs[o].dataLen
        skbs[n].len = skbs[o].len
        let osh = shinfo(at: o)
        let nsh = shinfo(at: n)
        let nf = osh.nrFrags
        if nf > 0 {
            for k in 0..<nf {
                let f = osh.frag(k)
                nsh.setFrag(k, f)
                __skb_frag_ref(f)
            }
            nsh.nrFrags = nf
        }
        if let list = osh.fragList {
            nsh.fragList = list
            var cur: SkbID? = list
            while let c = cur {
                let ci = try slot(c, "skb_clone_fraglist")
                skbs[ci].users += 1
                cur = skbs[ci].next
            }
        }
        skb_copy_header(n, from: o)
        skb_headers_offset_update(n, headroom - Int(skbs[o].headroom))
        copyGso(n, from: o)
        emit(.copy, o, "__pskb_copy_fclone", UInt64(n))
        return nid
    }

    /// `pskb_copy(skb, gfp)` = `__pskb_copy(skb, skb_headroom(skb), gfp)`.
    public func pskb_copy(_ id: SkbID, _ gfp: GFP = .GFP_ATOMIC) throws(SkbError) -> SkbID? {
        try __pskb_copy_fclone(id, headroom: Int(skbs[try slot(id, "pskb_copy")].headroom), gfp, fclone: false)
    }

    /// `skb_unshare(skb, gfp)`: if cloned, a private `skb_copy` and the
    /// original consumed (kfree_skb'd if the copy failed: returns nil);
    /// otherwise the same skb.
    public func skb_unshare(_ id: SkbID, _ gfp: GFP = .GFP_ATOMIC) throws(SkbError) -> SkbID? {
        let i = try slot(id, "skb_unshare")
        guard skb_cloned(i) else { return id }
        guard let n = try skb_copy(id, gfp) else {
            try kfree_skb(id)
            return nil
        }
        emit(.unshare, i, "skb_unshare", UInt64(n.index))
        try consume_skb(id)
        return n
    }
}
