import KernelMemory
import SkbModel

/// What one skb looks like, read back from the model (never recomputed):
/// where its head came from, the head/data/tail/end geometry, its frags and
/// frag_list, truesize. `layout`, `inspect --skb` and the docs share it.
struct SkbLayout {
    enum HeadKind: String {
        /// A fragment of a page_frag cache (head_frag = 1).
        case pageFrag = "page_frag"
        /// `skb_small_head_cache` (kmalloc_reserve's small-head path).
        case smallHeadCache = "small_head_cache"
        /// A kmalloc-N slab object.
        case kmalloc
        /// `kmalloc_large`: pages of order k.
        case kmallocLarge = "kmalloc_large"
    }

    struct Frag {
        var page: KernelAddress
        var offset: Int
        var size: Int
    }

    struct ListSkb {
        var len: Int
        var truesize: Int
        var nrFrags: Int
    }

    var headKind: HeadKind
    /// Cache name: the page_frag cache, `skbuff_small_head`, `kmalloc-N`; nil for kmalloc_large.
    var cache: String?
    /// Page order for kmalloc_large and page_frag heads (the page the fragment lives in).
    var order: Int?
    var headAddress: KernelAddress
    var headSize: Int
    var headroom: Int
    var linear: Int
    /// `skb_tailroom` (0 when non-linear).
    var tailroom: Int
    /// end - tail: the bytes between the linear data and the shinfo.
    var unused: Int
    var endOffset: Int
    var shinfoSize: Int
    var len: Int
    var dataLen: Int
    var frags: [Frag]
    var fragList: [ListSkb]
    var truesize: Int
    var macHeader: Int?
    /// `skb->vlan_proto` and `skb->vlan_tci` when a tag is present.
    var vlan: (proto: UInt16, tci: UInt16)?
    /// `skb->ip_summed` and `csum_level` as the stack gets the skb.
    var ipSummed: SkbIPSummed
    var csumLevel: Int

    init(sim: SkbSim, skb: SkbID) throws {
        let s = try sim.skb(skb)
        let sh = try sim.shinfo(skb)
        let memory = sim.memory
        headAddress = s.head
        headroom = try sim.skb_headroom(skb)
        linear = try sim.skb_headlen(skb)
        tailroom = try sim.skb_tailroom(skb)
        endOffset = try sim.skb_end_offset(skb)
        unused = Int(s.end) - Int(s.tail)
        shinfoSize = sim.config.skbDataAlign(sim.config.sizeofSharedInfo)
        len = Int(s.len)
        dataLen = Int(s.dataLen)
        truesize = Int(s.truesize)
        macHeader = s.macHeader == SkBuff.unsetHeader ? nil : Int(s.macHeader)
        vlan = s.vlanTagPresent ? (s.vlanProto, s.vlanTCI) : nil
        ipSummed = s.ipSummed
        csumLevel = Int(s.csumLevel)
        let page = memory.page(memory.virt_to_head_page(s.head))
        switch page.owner {
        case .pageFrag(let id):
            headKind = .pageFrag
            cache = memory.pageFragCacheName(id)
            order = page.order
            // __finalize_skb_around: end = size - SKB_DATA_ALIGN(shinfo).
            headSize = endOffset + shinfoSize
        case .slab(let id):
            let name = memory.slabInfo(id).name
            headKind = id == memory.skbSmallHeadCache ? .smallHeadCache : .kmalloc
            cache = name
            order = nil
            headSize = memory.ksize(s.head)
        case .kmallocLarge:
            headKind = .kmallocLarge
            cache = nil
            order = page.order
            headSize = memory.ksize(s.head)
        case .caller(tag: RxDriver.ringPageTag), .caller(tag: RxDriver.taskFragTag):
            // A page fragment outside the page_frag caches: the driver's rx
            // ring page, or the writing task's task_frag (build_skb heads).
            headKind = .pageFrag
            cache = page.owner == .caller(tag: RxDriver.ringPageTag) ? "rx_ring" : "task_frag"
            order = page.order
            headSize = endOffset + shinfoSize
        default:
            headKind = .kmalloc
            cache = nil
            order = nil
            headSize = endOffset + shinfoSize
        }
        frags = sh.frags.map { Frag(page: $0.page, offset: Int($0.offset), size: Int($0.size)) }
        var list: [ListSkb] = []
        var cur = sh.fragList
        while let c = cur {
            let cs = try sim.skb(c)
            list.append(ListSkb(len: Int(cs.len), truesize: Int(cs.truesize), nrFrags: try sim.shinfo(c).nrFrags))
            cur = cs.next
        }
        fragList = list
    }

    /// `CHECKSUM_UNNECESSARY (csum_level 0)`, `CHECKSUM_NONE`, ... (`--rx-csum`).
    var checksumDescription: String {
        ipSummed == .unnecessary ? "\(ipSummed) (csum_level \(csumLevel))" : "\(ipSummed)"
    }

    var headDescription: String {
        switch headKind {
        case .pageFrag: "page_frag (\(cache ?? "?"), order-\(order ?? 0) page)"
        case .smallHeadCache: "small-head cache (\(cache ?? "skbuff_small_head"))"
        case .kmalloc: cache ?? "kmalloc"
        case .kmallocLarge: "kmalloc_large order \(order ?? 0)"
        }
    }

    /// `headroom 64 | linear 1500 | tailroom 36 | skb_shared_info 320`, then
    /// the paged part when there is one. The four head parts add up to the head size.
    var diagramLine: String {
        var line =
            "headroom \(headroom) | linear \(linear) | \(dataLen == 0 ? "tailroom" : "unused") \(unused) | skb_shared_info \(shinfoSize)"
        if !frags.isEmpty { line += " + frags \(frags.count) (\(frags.reduce(0) { $0 + $1.size }) bytes)" }
        if !fragList.isEmpty {
            line += " + frag_list \(fragList.count) skb (\(fragList.reduce(0) { $0 + $1.len }) bytes)"
        }
        return line
    }

    func fragsLine(_ f: Frag) -> String { "page \(f.page) offset \(f.offset) size \(f.size)" }

    /// The geometry drawn like the "Basic sk_buff geometry" comment of
    /// include/linux/skbuff.h, with this skb's numbers.
    var picture: [String] {
        let labels = ["headroom", "data", dataLen == 0 ? "tailroom" : "unused", "skb_shared_info"]
        let numbers = [headroom, linear, unused, shinfoSize].map(String.init)
        let widths = zip(labels, numbers).map { max($0.count, $1.count) + 2 }
        // Column of each boundary bar: head, data, tail, end, end of shinfo.
        var bars = [1]
        for w in widths { bars.append(bars.last! + w + 1) }
        let pointerEnd = bars[3] + 4
        let names = [
            "head   \(headAddress) (\(headDescription), \(headSize) bytes)",
            "data   head + \(headroom)",
            "tail   head + \(headroom + linear)",
            "end    head + \(endOffset)",
        ]
        var out: [String] = []
        let skbBoxIndent = String(repeating: " ", count: pointerEnd - 2)
        out.append(skbBoxIndent + " ---------------")
        out.append(skbBoxIndent + "| sk_buff       |  len \(len), data_len \(dataLen), truesize \(truesize)")
        out.append(skbBoxIndent + " ---------------")
        for k in 0..<4 {
            var row = [Character](repeating: " ", count: pointerEnd)
            for j in 0..<k { row[bars[j]] = "|" }
            row[bars[k]] = ","
            for x in (bars[k] + 1)..<pointerEnd { row[x] = "-" }
            out.append(String(row) + "  + " + names[k])
        }
        for mark in ["|", "v"] as [Character] {
            var row = [Character](repeating: " ", count: bars[3] + 1)
            for j in 0..<4 { row[bars[j]] = mark }
            out.append(String(row))
        }
        let rule = " " + String(repeating: "-", count: bars[4] - 1)
        out.append(rule)
        func cells(_ values: [String], right: Bool) -> String {
            var s = "|"
            for (v, w) in zip(values, widths) {
                let pad = String(repeating: " ", count: w - 1 - v.count)
                s += right ? pad + v + " |" : " " + v + pad + "|"
            }
            return s
        }
        out.append(cells(labels, right: false))
        out.append(cells(numbers, right: true))
        out.append(rule)
        let indent = String(repeating: " ", count: bars[3])
        for (i, f) in frags.enumerated() {
            out.append(indent + "+ [page frag] #\(i): " + fragsLine(f))
        }
        if !fragList.isEmpty {
            let chain = fragList.map { "sk_buff (len \($0.len), nr_frags \($0.nrFrags), truesize \($0.truesize))" }
            out.append(indent + "+ frag_list --> " + chain.joined(separator: " --> "))
        } else if frags.isEmpty {
            out.append(indent + "  (no frags, no frag_list)")
        }
        return out.map { String($0.reversed().drop(while: { $0 == " " }).reversed()) }
    }

    /// The text report of `skbsim layout`.
    var report: [String] {
        var lines = [
            "head        \(headDescription), \(headSize) bytes at \(headAddress)",
            "headroom    \(headroom)",
            "linear      \(linear)",
            "tailroom    \(tailroom)",
            "end offset  \(endOffset)",
            "shinfo at   head + \(endOffset) (\(shinfoSize) bytes)",
            "len         \(len) (data_len \(dataLen))",
            "nr_frags    \(frags.count)",
        ]
        for (i, f) in frags.enumerated() { lines.append("  frag \(i)    " + fragsLine(f)) }
        if fragList.isEmpty {
            lines.append("frag_list   none")
        } else {
            lines.append("frag_list   \(fragList.count) skb")
            for (i, l) in fragList.enumerated() {
                lines.append("  list \(i)    len \(l.len) nr_frags \(l.nrFrags) truesize \(l.truesize)")
            }
        }
        lines.append("truesize    \(truesize)")
        return lines
    }

    /// The `--json` object (schema in docs/cli.md).
    func json(path: String, requestedLength: Int, maxSkbFrags: Int, mtu: Int, kernel: String) -> String {
        var j = JSONObject()
        j.string("kernel", kernel)
        j.string("path", path)
        j.int("len_requested", requestedLength)
        j.int("max_skb_frags", maxSkbFrags)
        j.int("mtu", mtu)
        var head = JSONObject()
        head.string("kind", headKind.rawValue)
        if let cache { head.string("cache", cache) } else { head.null("cache") }
        if let order { head.int("order", order) } else { head.null("order") }
        head.int("size", headSize)
        head.string("address", "0x\(headAddress)")
        j.raw("head", head.text)
        j.int("headroom", headroom)
        j.int("linear", linear)
        j.int("tailroom", tailroom)
        j.int("unused", unused)
        j.int("end", endOffset)
        j.int("shinfo_offset", endOffset)
        j.int("shinfo_size", shinfoSize)
        j.int("len", len)
        j.int("data_len", dataLen)
        j.int("nr_frags", frags.count)
        j.raw(
            "frags",
            "["
                + frags.map { f in
                    var o = JSONObject()
                    o.string("page", "0x\(f.page)")
                    o.int("offset", f.offset)
                    o.int("size", f.size)
                    return o.text
                }.joined(separator: ",") + "]")
        j.raw(
            "frag_list",
            "["
                + fragList.map { l in
                    var o = JSONObject()
                    o.int("len", l.len)
                    o.int("nr_frags", l.nrFrags)
                    o.int("truesize", l.truesize)
                    return o.text
                }.joined(separator: ",") + "]")
        j.int("truesize", truesize)
        j.string("diagram", diagramLine)
        return j.text
    }
}

/// A tiny ordered JSON object writer (keys in insertion order, stable output).
struct JSONObject {
    private var members: [String] = []

    mutating func raw(_ key: String, _ value: String) { members.append(JSONObject.quote(key) + ":" + value) }
    mutating func int(_ key: String, _ value: Int) { raw(key, String(value)) }
    mutating func string(_ key: String, _ value: String) { raw(key, JSONObject.quote(value)) }
    mutating func null(_ key: String) { raw(key, "null") }

    var text: String { "{" + members.joined(separator: ",") + "}" }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
