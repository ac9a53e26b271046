import KernelMemory

/// Reallocating the head: `pskb_expand_head`, `__pskb_pull_tail`,
/// `pskb_may_pull`, `skb_linearize` (net/core/skbuff.c).
extension SkbSim {
    /// `pskb_expand_head(skb, nhead, ntail, gfp)`: BUG if nhead < 0 or the
    /// skb is shared; new head = kmalloc_reserve(end + nhead + ntail) (never a
    /// fragment), copy head..tail to new + nhead and shinfo up to
    /// frags[nr_frags]; a cloned head is released by taking frag and
    /// frag_list refs and dropping our dataref, else freed; header offsets
    /// and tail move by nhead, end = new size - shinfo, cloned = nohdr = 0,
    /// dataref = 1; truesize grows by the size difference only if the skb
    /// has no socket or its destructor is sock_edemux. Returns false for -ENOMEM.
    public func pskb_expand_head(_ id: SkbID, nhead: Int, ntail: Int, _ gfp: GFP = .GFP_ATOMIC) throws(SkbError) -> Bool
    {
        try pskb_expand_head(try slot(id, "pskb_expand_head"), nhead, ntail, gfp)
    }

    func pskb_expand_head(_ i: Int, _ nhead: Int, _ ntail: Int, _ gfp: GFP) throws(SkbError) -> Bool {
        if nhead < 0 { throw SkbError(.bug, "kernel BUG at net/core/skbuff.c: BUG_ON(nhead < 0) in pskb_expand_head") }
        if skbs[i].isShared {
            throw SkbError(
                .bug,
                "kernel BUG at net/core/skbuff.c: BUG_ON(skb_shared(skb)) in pskb_expand_head (users:\(skbs[i].users))")
        }
        let osize = Int(skbs[i].end)
        var size = config.skbDataAlign(osize + nhead + ntail)
        var g = gfp
        if skbs[i].pfmemalloc { g.insert(.__GFP_MEMALLOC) }
        guard let (data, real, _) = kmalloc_reserve(size, g) else { return false }
        size = config.skbWithOverhead(real)
        let old = skbs[i]
        let oldSh = shinfo(at: i)
        let nfrags = oldSh.nrFrags
        // memcpy(data + nhead, skb->head, skb_tail_pointer(skb) - skb->head)
        if old.tail > 0 {
            memory.withUnsafeBytes(at: old.head, count: Int(old.tail)) { src in
                _ = memory.copyIn(to: data + nhead, from: src)
            }
        }
        // memcpy(new shinfo, old shinfo, offsetof(frags[nr_frags]))
        let shLen = SharedInfo.fragsOffset + nfrags * SharedInfo.fragSize
        memory.withUnsafeBytes(at: old.endPointer, count: shLen) { src in
            _ = memory.copyIn(to: data + size, from: src)
        }
        if skb_cloned(i) {
            for k in 0..<nfrags { __skb_frag_ref(oldSh.frag(k)) }
            var cur = oldSh.fragList
            while let c = cur {
                let ci = try slot(c, "skb_clone_fraglist")
                skbs[ci].users += 1
                cur = skbs[ci].next
            }
            try skb_release_data(i, reasons.consumed)
        } else {
            skb_free_head(i)
        }
        skbs[i].dataReleased = false
        skbs[i].head = data
        skbs[i].headFrag = false
        skbs[i].data &+= UInt32(nhead)
        skbs[i].end = UInt32(size)
        skbs[i].tail &+= UInt32(nhead)
        skb_headers_offset_update(i, nhead)
        skbs[i].cloned = false
        skbs[i].nohdr = false
        shinfo(at: i).dataref = 1
        if skbs[i].sk == nil || skbs[i].destructor == .sockEdemux {
            skbs[i].truesize = UInt32(Int(skbs[i].truesize) + size - osize)
        }
        emit(.headAlloc, i, "kmalloc_reserve", data.raw, UInt64(real))
        emit(.expandHead, i, "pskb_expand_head", UInt64(nhead), UInt64(ntail))
        return true
    }

    /// `skb_headers_offset_update(skb, off)`.
    func skb_headers_offset_update(_ i: Int, _ off: Int) {
        let o = UInt16(truncatingIfNeeded: off)
        skbs[i].transportHeader &+= o
        skbs[i].networkHeader &+= o
        if skbs[i].macHeader != SkBuff.unsetHeader { skbs[i].macHeader &+= o }
    }

    /// `__pskb_pull_tail(skb, delta)`: move `delta` bytes of paged data into
    /// the linear part (expanding the head by eat + 128 if it lacks room, or
    /// unsharing a cloned head), consuming fully eaten frags / frag_list
    /// members. Returns false (the kernel's NULL) on failure, skb unchanged.
    public func __pskb_pull_tail(_ id: SkbID, _ delta: Int) throws(SkbError) -> Bool {
        try __pskb_pull_tail(try slot(id, "__pskb_pull_tail"), delta)
    }

    func __pskb_pull_tail(_ i: Int, _ delta: Int) throws(SkbError) -> Bool {
        var eat = Int(skbs[i].tail) + delta - Int(skbs[i].end)
        if eat > 0 || skb_cloned(i) {
            guard try pskb_expand_head(i, 0, eat > 0 ? eat + 128 : 0, .GFP_ATOMIC) else { return false }
        }
        let tailAddr = skbs[i].tailPointer
        var ok = false
        var err: SkbError?
        memory.withUnsafeMutableBytes(at: tailAddr, count: delta) { buf in
            do throws(SkbError) { ok = try copyBits(i, Int(skbs[i].headlen), buf) } catch { err = error }
        }
        if let err { throw err }
        if !ok { throw SkbError(.bug, "kernel BUG at net/core/skbuff.c: skb_copy_bits failed in __pskb_pull_tail") }
        let sh = shinfo(at: i)
        if sh.hasFragList {
            eat = delta
            var inFrags = false
            for k in 0..<sh.nrFrags {
                let size = Int(sh.frag(k).size)
                if size >= eat {
                    inFrags = true
                    break
                }
                eat -= size
            }
            if !inFrags && eat > 0 {
                var list = sh.fragList
                var clone: SkbID? = nil
                var insp: SkbID? = nil
                repeat {
                    guard let l = list else {
                        throw SkbError(.bug, "kernel BUG at net/core/skbuff.c: BUG_ON(!list) in __pskb_pull_tail")
                    }
                    let li = try slot(l, "__pskb_pull_tail")
                    if Int(skbs[li].len) <= eat {
                        eat -= Int(skbs[li].len)
                        list = skbs[li].next
                        insp = list
                    } else {
                        var target = l
                        if skbs[li].isShared {
                            guard let c = try skb_clone(l, .GFP_ATOMIC) else { return false }
                            clone = c
                            insp = skbs[li].next
                            target = c
                        } else {
                            insp = l
                        }
                        guard try pskb_pull(target, eat) else {
                            if let clone { try kfree_skb(clone) }
                            return false
                        }
                        break
                    }
                } while eat > 0
                while let l = sh.fragList, l != insp {
                    let li = try slot(l, "__pskb_pull_tail")
                    sh.fragList = skbs[li].next
                    try kfree_skb(l)
                }
                if let clone {
                    skbs[Int(clone.index)].next = sh.fragList
                    sh.fragList = clone
                }
            }
        }
        // pull_pages
        eat = delta
        var k = 0
        let n = sh.nrFrags
        for j in 0..<n {
            var f = sh.frag(j)
            let size = Int(f.size)
            if size <= eat {
                __skb_frag_unref(f, i, j)
                eat -= size
            } else {
                if eat > 0 {
                    f.offset &+= UInt32(eat)
                    f.size &-= UInt32(eat)
                    eat = 0
                }
                sh.setFrag(k, f)
                k += 1
            }
        }
        sh.nrFrags = k
        skbs[i].tail &+= UInt32(delta)
        skbs[i].dataLen &-= UInt32(delta)
        emit(.pullTail, i, "__pskb_pull_tail", UInt64(delta))
        return true
    }

    /// `pskb_may_pull(skb, len)`: true if `len` bytes are (or could be made)
    /// linear; pulls them in with `__pskb_pull_tail` when needed.
    public func pskb_may_pull(_ id: SkbID, _ len: Int) throws(SkbError) -> Bool {
        let i = try slot(id, "pskb_may_pull")
        if len <= Int(skbs[i].headlen) { return true }
        if len > Int(skbs[i].len) { return false }
        return try __pskb_pull_tail(i, len - Int(skbs[i].headlen))
    }

    /// `pskb_pull(skb, len)`: like skb_pull but pulls paged data into the
    /// head first. False for NULL.
    public func pskb_pull(_ id: SkbID, _ len: Int) throws(SkbError) -> Bool {
        let i = try slot(id, "pskb_pull")
        if len > Int(skbs[i].len) { return false }
        if len > Int(skbs[i].headlen) {
            guard try __pskb_pull_tail(i, len - Int(skbs[i].headlen)) else { return false }
        }
        skbs[i].len &-= UInt32(len)
        skbs[i].data &+= UInt32(len)
        emit(.pull, i, "pskb_pull", UInt64(len))
        return true
    }

    /// `skb_linearize(skb)`: `__pskb_pull_tail(skb, skb->data_len)` when
    /// non-linear. False for -ENOMEM.
    public func skb_linearize(_ id: SkbID) throws(SkbError) -> Bool {
        let i = try slot(id, "skb_linearize")
        let dl = Int(skbs[i].dataLen)
        guard dl > 0 else { return true }
        guard try __pskb_pull_tail(i, dl) else { return false }
        emit(.linearize, i, "skb_linearize", UInt64(dl))
        return true
    }
}
