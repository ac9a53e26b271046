import KernelMemory

/// The receive path of a GRO-on row.
public enum GROPath: String, CaseIterable, Sendable, Hashable {
    case netdevAllocSkb = "netdev_alloc_skb"
    case napiAllocSkb = "napi_alloc_skb"
    case buildSkb = "build_skb"
    /// igb style, the first min(len, 256) bytes copied into the head.
    case sgCopybreak = "sg-copybreak"
    /// igb style with header split: only Ethernet/IP/TCP headers copied
    /// (`eth_get_headlen`), the payload stays in the ring buffer as a frag.
    case sgHeaderSplit = "sg-copybreak+split"
}

/// GRO on: `segments` back-to-back IPv4/TCP segments of one flow, each with
/// `payload` bytes, the timestamp option (TSval/TSecr equal in all, so the
/// option bytes compare equal), ACK only, consecutive sequence numbers and IP
/// IDs, received on `path` and passed to `napi_gro_receive`, then
/// `napi_gro_flush`. No NAPI budget end in between.
public struct GROScenario: Hashable, Sendable, CustomStringConvertible {
    public var path: GROPath
    public var payload: Int
    public var segments: Int

    public init(path: GROPath, payload: Int, segments: Int) {
        self.path = path
        self.payload = payload
        self.segments = segments
    }

    /// Ethernet 14 + IPv4 20 + TCP 20 with the 12-byte timestamp option.
    public static let headerBytes = 14 + 20 + 32
    /// `skb_gro_offset` at `skb_gro_receive`: IP + TCP headers.
    public static let groOffset = 20 + 32
    public var frameLength: Int { GROScenario.headerBytes + payload }

    public var description: String { "\(path.rawValue) \(payload)×\(segments)" }

    /// MSS segments at MTU 1500 (1448 with timestamps) ×8 and ×46 (past the
    /// 64 KiB `gro_max_size`), a short 100-byte segment ×8, jumbo MTU 9000
    /// (8948) ×8 — on every path.
    public static var all: [GROScenario] {
        GROPath.allCases.flatMap { p in
            [(1448, 8), (1448, 46), (100, 8), (8948, 8)].map { GROScenario(path: p, payload: $0.0, segments: $0.1) }
        }
    }
}

/// What `napi_gro_flush` delivers: the first super-packet's fields after
/// `napi_gro_complete`, the merges of the whole run by `skb_gro_receive`
/// branch, and the number of skbs delivered.
public struct GROFacts: Hashable, Sendable, CustomStringConvertible {
    /// Merges by branch: frags, head steal, frag_list.
    public var merges: [Int]
    public var gsoSize: Int
    public var gsoSegs: Int
    public var len: Int
    public var dataLen: Int
    /// nr_frags of the super-packet's own shinfo.
    public var nrFrags: Int
    /// skbs on its frag_list.
    public var fragList: Int
    public var truesize: Int
    /// skbs delivered by the end (super-packets and lone segments).
    public var delivered: Int

    public init(
        merges: [Int], gsoSize: Int, gsoSegs: Int, len: Int, dataLen: Int, nrFrags: Int,
        fragList: Int, truesize: Int, delivered: Int
    ) {
        self.merges = merges
        self.gsoSize = gsoSize
        self.gsoSegs = gsoSegs
        self.len = len
        self.dataLen = dataLen
        self.nrFrags = nrFrags
        self.fragList = fragList
        self.truesize = truesize
        self.delivered = delivered
    }

    public var description: String {
        let names = ["frags", "steal", "list"]
        let m = merges.indices.filter { merges[$0] > 0 }.map { "\(names[$0])×\(merges[$0])" }.joined(separator: " ")
        return
            "\(m.isEmpty ? "no merge" : m) · gso \(gsoSize)×\(gsoSegs) · len \(len) · dlen \(dataLen) · frags \(nrFrags) · list \(fragList) · ts \(truesize) · out \(delivered)"
    }
}

extension KernelExpectations {
    /// One received segment as the driver hands it to GRO (after
    /// `eth_type_trans` pulled the Ethernet header).
    struct GROSegmentSkb {
        var truesize: Int
        /// skb_end_offset.
        var end: Int
        var headlen: Int
        var nrFrags: Int
        var dataLen: Int
        var headFrag: Bool
    }

    func groSegmentSkb(_ path: GROPath, frame L: Int) -> GROSegmentSkb {
        func isFrag(_ h: HeadKind) -> Bool { if case .pageFrag = h { return true } else { return false } }
        switch path {
        case .netdevAllocSkb, .napiAllocSkb:
            let r = rxAlloc(L, napi: path == .napiAllocSkb)
            return GROSegmentSkb(
                truesize: macros.truesize(r.end), end: r.end, headlen: L - 14, nrFrags: 0, dataLen: 0,
                headFrag: isFrag(r.head))
        case .buildSkb:
            let b = macros.ixgbeBuffers(mtu: driver.mtu)
            let first = min(L, b.dmaBytes)
            let end = macros.withOverhead(b.buildSkbFragSize(first))
            let (extra, fragsTruesize) = b.frags(for: L - first)
            return GROSegmentSkb(
                truesize: macros.truesize(end) + fragsTruesize, end: end, headlen: first - 14, nrFrags: extra,
                dataLen: L - first, headFrag: true)
        case .sgCopybreak, .sgHeaderSplit:
            let r = rxAlloc(driver.copybreak, napi: true)
            let split = path == .sgHeaderSplit && L > driver.copybreak
            let copied = split ? GROScenario.headerBytes : min(L, driver.copybreak)
            let b = macros.igbLegacyBuffers
            let len0 = min(L, b.dmaBytes)
            let more = b.frags(for: L - len0)
            let frags = (len0 > copied ? 1 : 0) + more.count
            let fragsTruesize = (len0 > copied ? b.fragTruesize(len0) : 0) + more.truesize
            return GROSegmentSkb(
                truesize: macros.truesize(r.end) + fragsTruesize, end: r.end, headlen: copied - 14, nrFrags: frags,
                dataLen: L - copied, headFrag: isFrag(r.head))
        }
    }

    public var groSources: [Citation] {
        [
            Citation("net/core/gro.c", "dev_gro_receive, skb_gro_receive, napi_gro_complete"),
            Citation("net/ipv4/tcp_offload.c", "tcp_gro_receive, tcp_gro_complete"),
        ]
    }

    /// The kernel's GRO outcome, from `skb_gro_receive`'s rules (net/core/gro.c,
    /// paraphrased) applied to the segments `groSegmentSkb` describes:
    /// - -E2BIG when `p->len + len >= gro_max_size` (65536, `GRO_LEGACY_MAX_SIZE`
    ///   for IPv4): `tcp_gro_receive` then flushes p and holds the segment anew;
    /// - the merge goes to `NAPI_GRO_CB(p)->last` (lp: p, or the last frag_list skb);
    /// - headers all linear (`headlen <= offset`) and lp's frags + the segment's
    ///   ≤ MAX_SKB_FRAGS: frags move over; the segment's truesize becomes
    ///   `SKB_TRUESIZE(skb_end_offset)`, the difference goes to p (and lp);
    /// - else a `head_frag` segment with room for 1 + its frags: the head page
    ///   becomes a frag (head steal); `SKB_DATA_ALIGN(sizeof(struct sk_buff))`
    ///   stays with the freed struct, the rest goes to p;
    /// - else frag_list: the whole truesize goes to p; lp = the segment.
    /// p->len and p->data_len grow by the payload in every case.
    /// `tcp_gro_complete`: gso_size = the first segment's payload (set when it
    /// was held), gso_segs = count; a lone segment gets gso_size 0.
    public func expectGRO(_ s: GROScenario) -> (facts: GROFacts, sources: [Citation]) {
        let seg = groSegmentSkb(s.path, frame: s.frameLength)
        let offset = GROScenario.groOffset
        let maxFrags = macros.maxSkbFrags
        // gro_max_size / gro_ipv4_max_size at their default (GRO_LEGACY_MAX_SIZE):
        // IPv4 segments stop below 64 KiB on every release, BIG TCP or not.
        let groMaxSize = 65536
        struct P { var count = 1, len = 0, dataLen = 0, truesize = 0, nrFrags = 0, fragList = 0, lpFrags = -1 }
        var merges = [0, 0, 0]
        var done: [P] = []
        var p: P? = nil
        for _ in 0..<s.segments {
            guard var q = p, q.len + s.payload < groMaxSize else {
                if let q = p { done.append(q) }
                p = P(
                    count: 1, len: s.frameLength - 14, dataLen: seg.dataLen, truesize: seg.truesize,
                    nrFrags: seg.nrFrags)
                continue
            }
            let lpFrags = q.lpFrags < 0 ? q.nrFrags : q.lpFrags
            var added = 0
            let delta: Int
            if seg.headlen <= offset && lpFrags + seg.nrFrags <= maxFrags {
                merges[0] += 1
                added = seg.nrFrags
                delta = seg.truesize - macros.truesize(seg.end)
            } else if seg.headlen > offset && seg.headFrag && lpFrags + 1 + seg.nrFrags <= maxFrags {
                merges[1] += 1
                added = 1 + seg.nrFrags
                delta = seg.truesize - macros.skBuff
            } else {
                merges[2] += 1
                delta = seg.truesize
                q.fragList += 1
                q.lpFrags = seg.nrFrags
            }
            if added > 0 {
                if q.lpFrags < 0 { q.nrFrags += added } else { q.lpFrags += added }
            }
            q.count += 1
            q.len += s.payload
            q.dataLen += s.payload
            q.truesize += delta
            p = q
        }
        if let q = p { done.append(q) }
        let f = done[0]
        return (
            GROFacts(
                merges: merges, gsoSize: f.count > 1 ? s.payload : 0, gsoSegs: f.count > 1 ? f.count : 0,
                len: f.len, dataLen: f.dataLen, nrFrags: f.nrFrags, fragList: f.fragList, truesize: f.truesize,
                delivered: done.count),
            groSources
        )
    }
}
