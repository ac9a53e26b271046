import KernelMemory

/// Paged data: frags in `skb_shinfo(skb)->frags[]` and reading across
/// head, frags and frag_list.
extension SkbSim {
    /// `__skb_frag_ref`: a page reference (checker-aware: keeps a page_frag
    /// fragment live until the matching unref).
    func __skb_frag_ref(_ f: SkbFrag) { memory.page_frag_ref(f.address) }

    /// `__skb_frag_unref` (no page_pool): `put_page` on the frag's head page,
    /// done as `page_frag_free(frag address)` so the checker retires the fragment.
    func __skb_frag_unref(_ f: SkbFrag, _ i: Int, _ index: Int) {
        emit(.fragUnref, i, "__skb_frag_unref", f.page.raw, UInt64(index)) { UInt64(f.offset) }
        memory.page_frag_free(f.address)
    }

    /// `skb_fill_page_desc(skb, i, page, off, size)`: frags[i] = {page, off,
    /// size}, nr_frags = i + 1, and skb->pfmemalloc if the page is. No
    /// reference is taken (the caller passes its own).
    public func skb_fill_page_desc(_ id: SkbID, _ index: Int, page: PFN, offset: Int, size: Int) throws(SkbError) {
        let i = try slot(id, "skb_fill_page_desc")
        try __skb_fill_page_desc(i, index, page: page, offset: offset, size: size)
    }

    func __skb_fill_page_desc(_ i: Int, _ index: Int, page: PFN, offset: Int, size: Int) throws(SkbError) {
        guard index < config.maxSkbFrags else {
            throw SkbError(.bug, "kernel BUG: frag index \(index) >= MAX_SKB_FRAGS (\(config.maxSkbFrags))")
        }
        let sh = shinfo(at: i)
        sh.setFrag(index, SkbFrag(page: memory.page_address(page), size: UInt32(size), offset: UInt32(offset)))
        sh.nrFrags = index + 1
        if memory.page_is_pfmemalloc(page) { skbs[i].pfmemalloc = true }
    }

    /// `skb_add_rx_frag(skb, i, page, off, size, truesize)`: fill frags[i],
    /// then len += size, data_len += size, truesize += truesize.
    public func skb_add_rx_frag(
        _ id: SkbID, _ index: Int, page: PFN, offset: Int, size: Int, truesize: Int
    ) throws(SkbError) {
        let i = try slot(id, "skb_add_rx_frag")
        try skb_add_rx_frag(i, index, page: page, offset: offset, size: size, truesize: truesize)
    }

    /// `skb_add_rx_frag` for a buffer given by address (the page is
    /// `virt_to_head_page(addr)`, the offset relative to it).
    public func skb_add_rx_frag(
        _ id: SkbID, _ index: Int, address: KernelAddress, size: Int, truesize: Int
    ) throws(SkbError) {
        let pfn = memory.virt_to_head_page(address)
        try skb_add_rx_frag(
            id, index, page: pfn, offset: address - memory.page_address(pfn), size: size, truesize: truesize)
    }

    func skb_add_rx_frag(_ i: Int, _ index: Int, page: PFN, offset: Int, size: Int, truesize: Int) throws(SkbError) {
        try __skb_fill_page_desc(i, index, page: page, offset: offset, size: size)
        skbs[i].len &+= UInt32(size)
        skbs[i].dataLen &+= UInt32(size)
        skbs[i].truesize &+= UInt32(truesize)
        emit(.skb_add_rx_frag, i, "skb_add_rx_frag", UInt64(index), UInt64(size))
    }

    /// `skb_coalesce_rx_frag(skb, i, size, truesize)`: grow frags[i] by size.
    public func skb_coalesce_rx_frag(_ id: SkbID, _ index: Int, size: Int, truesize: Int) throws(SkbError) {
        let i = try slot(id, "skb_coalesce_rx_frag")
        let sh = shinfo(at: i)
        var f = sh.frag(index)
        f.size &+= UInt32(size)
        sh.setFrag(index, f)
        skbs[i].len &+= UInt32(size)
        skbs[i].dataLen &+= UInt32(size)
        skbs[i].truesize &+= UInt32(truesize)
        emit(.coalesceRxFrag, i, "skb_coalesce_rx_frag", UInt64(index), UInt64(size))
    }

    /// `skb_copy_bits(skb, offset, to, len)`: copy `to.count` bytes starting
    /// `offset` bytes after data, across head, frags and frag_list. Returns
    /// false for -EFAULT (range beyond skb->len).
    public func skb_copy_bits(_ id: SkbID, offset: Int, into to: UnsafeMutableRawBufferPointer) throws(SkbError) -> Bool
    {
        try copyBits(try slot(id, "skb_copy_bits"), offset, to)
    }

    func copyBits(_ i: Int, _ offset: Int, _ to: UnsafeMutableRawBufferPointer) throws(SkbError) -> Bool {
        var offset = offset
        var len = to.count
        var out = 0
        if offset > Int(skbs[i].len) - len { return false }
        if len == 0 { return true }
        var start = Int(skbs[i].headlen)
        var copy = start - offset
        if copy > 0 {
            copy = min(copy, len)
            memory.copyOut(
                from: skbs[i].dataPointer + offset, into: UnsafeMutableRawBufferPointer(rebasing: to[out..<out + copy]))
            len -= copy
            if len == 0 { return true }
            offset += copy
            out += copy
        }
        let sh = shinfo(at: i)
        for k in 0..<sh.nrFrags {
            let f = sh.frag(k)
            let end = start + Int(f.size)
            copy = end - offset
            if copy > 0 {
                copy = min(copy, len)
                memory.copyOut(
                    from: f.address + (offset - start),
                    into: UnsafeMutableRawBufferPointer(rebasing: to[out..<out + copy]))
                len -= copy
                if len == 0 { return true }
                offset += copy
                out += copy
            }
            start = end
        }
        var cur = sh.fragList
        while let c = cur {
            let ci = try slot(c, "skb_copy_bits")
            let end = start + Int(skbs[ci].len)
            copy = end - offset
            if copy > 0 {
                copy = min(copy, len)
                guard try copyBits(ci, offset - start, UnsafeMutableRawBufferPointer(rebasing: to[out..<out + copy]))
                else { return false }
                len -= copy
                if len == 0 { return true }
                offset += copy
                out += copy
            }
            start = end
            cur = skbs[ci].next
        }
        return len == 0
    }

    /// All `skb->len` bytes from data on (a test and tool convenience; allocates).
    public func bytes(_ id: SkbID) throws(SkbError) -> [UInt8] {
        let n = Int(skbs[try slot(id, "skb_copy_bits")].len)
        var out = [UInt8](repeating: 0, count: n)
        var ok = true
        var err: SkbError?
        out.withUnsafeMutableBytes { buf in
            do throws(SkbError) { ok = try skb_copy_bits(id, offset: 0, into: buf) } catch { err = error }
        }
        if let err { throw err }
        guard ok else {
            throw SkbError(.bug, "skb_copy_bits: -EFAULT reading \(n) bytes (frag_list shorter than skb->len)")
        }
        return out
    }
}
