import KernelMemory

/// Linear-data operations (include/linux/skbuff.h, net/core/skbuff.c).
extension SkbSim {
    /// `%#lx`: "0" for zero, else 0x-prefixed hex.
    static func hexAlt(_ v: Int) -> String { v == 0 ? "0" : "0x" + String(UInt64(bitPattern: Int64(v)), radix: 16) }

    /// `skb_panic()`'s line.
    func panicMessage(_ msg: String, _ i: Int, sz: Int, text: String, len: Int, data: Int, tail: Int) -> String {
        let s = skbs[i]
        let dataAddr = KernelAddress(s.head.raw &+ UInt64(bitPattern: Int64(data)))
        return
            "\(msg): text:\(text) len:\(len) put:\(sz) head:\(s.head) data:\(dataAddr) tail:\(SkbSim.hexAlt(tail)) end:\(SkbSim.hexAlt(Int(s.end))) dev:<NULL>"
    }

    /// `skb_headroom(skb)`.
    public func skb_headroom(_ id: SkbID) throws(SkbError) -> Int { Int(skbs[try slot(id, "skb_headroom")].headroom) }
    /// `skb_tailroom(skb)`: 0 for a non-linear skb.
    public func skb_tailroom(_ id: SkbID) throws(SkbError) -> Int { Int(skbs[try slot(id, "skb_tailroom")].tailroom) }
    /// `skb_headlen(skb)`.
    public func skb_headlen(_ id: SkbID) throws(SkbError) -> Int { Int(skbs[try slot(id, "skb_headlen")].headlen) }
    /// `skb_end_offset(skb)`.
    public func skb_end_offset(_ id: SkbID) throws(SkbError) -> Int { Int(skbs[try slot(id, "skb_end_offset")].end) }

    /// `skb_put(skb, len)`: `SKB_LINEAR_ASSERT`, then tail and len grow;
    /// `skb_over_panic` if tail passes end. Returns the old tail. On a panic
    /// the skb is left as it was, so the simulation can go on.
    @discardableResult
    public func skb_put(_ id: SkbID, _ len: Int, caller: String = "skb_put") throws(SkbError) -> KernelAddress {
        let i = try slot(id, "skb_put")
        if skbs[i].dataLen != 0 {
            throw SkbError(
                .bug,
                "kernel BUG at include/linux/skbuff.h: SKB_LINEAR_ASSERT(skb) in skb_put (data_len:\(skbs[i].dataLen))")
        }
        let old = skbs[i].tailPointer
        let newTail = Int(skbs[i].tail) + len
        if newTail > Int(skbs[i].end) {
            throw SkbError(
                .overPanic,
                panicMessage(
                    "skb_over_panic", i, sz: len, text: caller, len: Int(skbs[i].len) + len,
                    data: Int(skbs[i].data), tail: newTail))
        }
        skbs[i].tail = UInt32(newTail)
        skbs[i].len &+= UInt32(len)
        emit(.put, i, "skb_put", UInt64(len))
        return old
    }

    /// `__skb_put`: no checks beyond the model's own bounds.
    @inline(__always) func __skb_put(_ i: Int, _ len: Int) {
        skbs[i].tail &+= UInt32(len)
        skbs[i].len &+= UInt32(len)
        emit(.put, i, "__skb_put", UInt64(len))
    }

    /// `skb_push(skb, len)`: data moves back, len grows; `skb_under_panic`
    /// if data would precede head. Returns the new data.
    @discardableResult
    public func skb_push(_ id: SkbID, _ len: Int, caller: String = "skb_push") throws(SkbError) -> KernelAddress {
        let i = try slot(id, "skb_push")
        let newData = Int(skbs[i].data) - len
        if newData < 0 {
            throw SkbError(
                .underPanic,
                panicMessage(
                    "skb_under_panic", i, sz: len, text: caller, len: Int(skbs[i].len) + len,
                    data: newData, tail: Int(skbs[i].tail)))
        }
        skbs[i].data = UInt32(newData)
        skbs[i].len &+= UInt32(len)
        emit(.push, i, "skb_push", UInt64(len))
        return skbs[i].dataPointer
    }

    /// `skb_pull(skb, len)`: nil (the kernel's NULL) if `len > skb->len`;
    /// else `__skb_pull`, which BUGs when the pull reaches paged data.
    /// Returns the new data.
    @discardableResult
    public func skb_pull(_ id: SkbID, _ len: Int) throws(SkbError) -> KernelAddress? {
        let i = try slot(id, "skb_pull")
        if len > Int(skbs[i].len) { return nil }
        return try __skb_pull(i, len)
    }

    @inline(__always) func __skb_pull(_ i: Int, _ len: Int) throws(SkbError) -> KernelAddress {
        let newLen = Int(skbs[i].len) - len
        if newLen < Int(skbs[i].dataLen) {
            throw SkbError(
                .bug,
                "__skb_pull(len=\(len))\nkernel BUG at include/linux/skbuff.h: __skb_pull into paged data (len:\(skbs[i].len) data_len:\(skbs[i].dataLen))"
            )
        }
        skbs[i].len = UInt32(newLen)
        skbs[i].data &+= UInt32(len)
        emit(.pull, i, "skb_pull", UInt64(len))
        return skbs[i].dataPointer
    }

    /// `skb_reserve(skb, len)`: data and tail move forward (empty skbs only;
    /// the kernel does not check; the model throws `.bug` past `end` or before `head`).
    public func skb_reserve(_ id: SkbID, _ len: Int) throws(SkbError) {
        let i = try slot(id, "skb_reserve")
        guard Int(skbs[i].tail) + len <= Int(skbs[i].end) && Int(skbs[i].data) + len >= 0 else {
            // The kernel does not check; the next skb_put would skb_over_panic.
            throw SkbError(
                .bug,
                "skb_reserve(len=\(len)): outside the head buffer (data:\(skbs[i].data) tail:\(skbs[i].tail) end:\(skbs[i].end))"
            )
        }
        skbs[i].data = UInt32(Int(skbs[i].data) + len)
        skbs[i].tail = UInt32(Int(skbs[i].tail) + len)
        emit(.reserve, i, "skb_reserve", UInt64(bitPattern: Int64(len)))
    }

    /// `skb_reserve` on an skb the model has just allocated with room for
    /// `len` bytes of headroom (no bounds to check): data and tail move forward.
    @inline(__always) func __skb_reserve(_ i: Int, _ len: Int) {
        skbs[i].data &+= UInt32(len)
        skbs[i].tail &+= UInt32(len)
        emit(.reserve, i, "skb_reserve", UInt64(len))
    }

    /// `skb_trim(skb, len)`: `__skb_trim` when `skb->len > len`.
    public func skb_trim(_ id: SkbID, _ len: Int) throws(SkbError) {
        let i = try slot(id, "skb_trim")
        if Int(skbs[i].len) > len { __skb_trim(i, len) }
    }

    /// `__skb_trim`: WARN and do nothing on a non-linear skb; else len = `len`, tail = data + len.
    func __skb_trim(_ i: Int, _ len: Int) {
        // WARN_ON(skb->data_len): the kernel warns and returns; so does the model.
        if skbs[i].dataLen != 0 { return }
        skbs[i].len = UInt32(len)
        skbs[i].tail = skbs[i].data &+ UInt32(len)
        emit(.trim, i, "__skb_trim", UInt64(len))
    }

    /// `pskb_trim(skb, len)`: `___pskb_trim` for a non-linear skb (unshares a
    /// cloned head first, trims frags, drops the frag_list tail). Returns
    /// false for -ENOMEM.
    public func pskb_trim(_ id: SkbID, _ len: Int) throws(SkbError) -> Bool {
        let i = try slot(id, "pskb_trim")
        guard len < Int(skbs[i].len) else { return true }
        if skbs[i].dataLen == 0 {
            __skb_trim(i, len)
            return true
        }
        return try ___pskb_trim(i, len)
    }

    func ___pskb_trim(_ i: Int, _ len: Int) throws(SkbError) -> Bool {
        var offset = Int(skbs[i].headlen)
        if skb_cloned(i) {
            guard try pskb_expand_head(i, 0, 0, .GFP_ATOMIC) else { return false }
        }
        let sh = shinfo(at: i)
        let nfrags = sh.nrFrags
        var k = 0
        var trimmed = false
        if offset < len {
            while k < nfrags {
                var f = sh.frag(k)
                let end = offset + Int(f.size)
                if end < len {
                    offset = end
                    k += 1
                    continue
                }
                f.size = UInt32(len - offset)
                sh.setFrag(k, f)
                k += 1
                trimmed = true
                break
            }
        } else {
            trimmed = true
        }
        if trimmed {
            sh.nrFrags = k
            for j in k..<max(k, nfrags) { __skb_frag_unref(sh.frag(j), i, j) }
            if let list = sh.fragList {
                sh.fragList = nil
                try kfree_skb_list(list)
            }
        } else {
            // Walk the frag_list.
            var prev: Int? = nil
            var cur = sh.fragList
            while let c = cur {
                var ci = try slot(c, "___pskb_trim")
                let end = offset + Int(skbs[ci].len)
                if skbs[ci].isShared {
                    guard let n = try skb_clone(c, .GFP_ATOMIC) else { return false }
                    let ni = Int(n.index)
                    skbs[ni].next = skbs[ci].next
                    try consume_skb(c)
                    if let p = prev { skbs[p].next = n } else { sh.fragList = n }
                    ci = ni
                }
                if end < len {
                    offset = end
                    prev = ci
                    cur = skbs[ci].next
                    continue
                }
                if end > len { guard try pskb_trim(id(ci), len - offset) else { return false } }
                if let rest = skbs[ci].next {
                    skbs[ci].next = nil
                    try kfree_skb_list(rest)
                }
                break
            }
        }
        if len > Int(skbs[i].headlen) {
            skbs[i].dataLen = UInt32(Int(skbs[i].dataLen) - (Int(skbs[i].len) - len))
            skbs[i].len = UInt32(len)
        } else {
            skbs[i].len = UInt32(len)
            skbs[i].dataLen = 0
            skbs[i].tail = skbs[i].data &+ UInt32(len)
        }
        emit(.trim, i, "___pskb_trim", UInt64(len))
        return true
    }

    /// Copy `bytes` into the linear data at `offset` from data (the
    /// `skb_copy_to_linear_data_offset` memcpy), checked by the checker.
    public func skb_copy_to_linear_data(_ id: SkbID, offset: Int = 0, _ bytes: UnsafeRawBufferPointer) throws(SkbError)
    {
        let i = try slot(id, "skb_copy_to_linear_data")
        guard offset >= 0, offset + bytes.count <= Int(skbs[i].headlen) else {
            throw SkbError(
                .bug,
                "skb_copy_to_linear_data(offset=\(offset), len=\(bytes.count)): beyond the linear data (headlen:\(skbs[i].headlen))"
            )
        }
        memory.copyIn(to: skbs[i].dataPointer + offset, from: bytes)
        emit(.dataCopy, i, "skb_copy_to_linear_data", UInt64(bytes.count), UInt64(Int(skbs[i].data) + offset))
    }
}
