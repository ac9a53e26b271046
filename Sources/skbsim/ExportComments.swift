import Capture
import KernelMemory
import SampleKit
import SkbModel
import Trace

#if canImport(Glibc)
    import Glibc
#endif

/// `export` to pcapng: each record's comment (`opt_comment`) sums up its
/// skb, and records wait here until their skb's fate is known.
///
/// An skb is exported when netif_receive_skb gets it, but its fate comes
/// later (the socket reads it, or drops it, possibly packets after), so the
/// records are queued in delivery order and written once the first ones
/// have a fate. The fate is read off the model's events on the skb's pool
/// slot: `kfree_skb` (drop, with its reason) or `consume_skb`; an skb freed
/// without either tracepoint (`tcp_eat_recv_skb`'s deferred free,
/// `__napi_kfree_skb(skb, SKB_CONSUMED)` in v6.18 net/core/skbuff.c) was
/// consumed. GRO members come from the `groMember` events GRO emits
/// right before it sends a super-packet up.
///
/// Comment grammar (docs/cli.md): fields `NAME VALUE` joined by "; ", in
/// this order, the bracketed ones only when they apply:
/// `packet T; rx_path P; head KIND OBJECT SIZE; truesize N; len N;
/// data_len N; nr_frags N[; frag_list N (packets T,…)][; gro_members T,…];
/// fate consume|drop REASON|not freed`.
final class ExportComments: EventSink {
    struct Record {
        var frame: [UInt8]
        var timestampNanoseconds: Int64
        var originalLength: Int
        var summary: String
        var fate: String?
    }

    let rxPath: String
    let reasons: SkbDropReasonTable
    /// Queued records; `records[0]` is record number `base`.
    private(set) var records: [Record] = []
    private var base = 0
    /// Pool slot of an exported skb not freed yet → its record number.
    private var pending: [UInt32: Int] = [:]
    /// Pool slot → tracking ids of the packets GRO just flushed from it.
    private var groMembers: [UInt32: [UInt32]] = [:]

    init(rxPath: String, reasons: SkbDropReasonTable) {
        self.rxPath = rxPath
        self.reasons = reasons
    }

    /// The skb events only.
    var wantsCounters: Bool { false }

    func receive(_ event: SkbEvent) {
        switch event.kind {
        case .skbAlloc:
            // A new skb on the slot: any member list left there is not its.
            if !groMembers.isEmpty { groMembers[event.skb] = nil }
        case .groFlush:
            groMembers[event.skb] = []
        case .groMember:
            groMembers[event.skb, default: []].append(UInt32(truncatingIfNeeded: event.arg0))
        case .drop, .consume:
            guard let n = pending[event.skb], records[n - base].fate == nil else { return }
            records[n - base].fate =
                event.kind == .consume ? "consume" : "drop " + reasons.displayName(of: event.reason)
        case .skbFree:
            guard let n = pending.removeValue(forKey: event.skb) else { return }
            if records[n - base].fate == nil { records[n - base].fate = "consume" }
        default:
            break
        }
    }

    /// Queues the record of `skb`, just delivered, with its summary.
    func add(sim: SkbSim, skb: SkbID, frame: [UInt8], originalLength: Int) throws {
        let s = try sim.skb(skb)
        let layout = try SkbLayout(sim: sim, skb: skb)
        var fields = ["packet \(s.packet < 0 ? 0 : Int(s.packet) + 1)", "rx_path \(rxPath)"]
        fields.append("head \(Self.headField(layout))")
        fields.append("truesize \(layout.truesize)")
        fields.append("len \(layout.len)")
        fields.append("data_len \(layout.dataLen)")
        fields.append("nr_frags \(layout.frags.count)")
        var listTracks: [String] = []
        var member = try sim.shinfo(skb).fragList
        while let m = member {
            let ms = try sim.skb(m)
            listTracks.append(String(ms.packet < 0 ? 0 : Int(ms.packet) + 1))
            member = ms.next
        }
        if !listTracks.isEmpty {
            fields.append("frag_list \(listTracks.count) (packets \(listTracks.joined(separator: ",")))")
        }
        if let members = groMembers.removeValue(forKey: skb.index), !members.isEmpty {
            fields.append("gro_members " + members.map(String.init).joined(separator: ","))
        }
        pending[skb.index] = base + records.count
        records.append(
            Record(
                frame: frame, timestampNanoseconds: s.timestampNanoseconds, originalLength: originalLength,
                summary: fields.joined(separator: "; ")))
    }

    /// `KIND OBJECT SIZE`: page_frag CACHE:order-N, small_head_cache CACHE,
    /// kmalloc CACHE, kmalloc_large order-N; SIZE the head's bytes (the
    /// fragment, or ksize).
    static func headField(_ l: SkbLayout) -> String {
        let object: String
        switch l.headKind {
        case .pageFrag: object = "\(l.cache ?? "?"):order-\(l.order ?? 0)"
        case .smallHeadCache: object = l.cache ?? "skbuff_small_head"
        case .kmalloc: object = l.cache ?? "kmalloc"
        case .kmallocLarge: object = "order-\(l.order ?? 0)"
        }
        return "\(l.headKind.rawValue) \(object) \(l.headSize)"
    }

    /// Takes the leading records whose fate is known (all of them with
    /// `all`, the unfreed ones marked `not freed`), each with its comment.
    func takeReady(all: Bool = false) -> [(record: Record, comment: String)] {
        var n = 0
        while n < records.count && (all || records[n].fate != nil) { n += 1 }
        guard n > 0 else { return [] }
        let taken = records[0..<n].map { r in (r, r.summary + "; fate " + (r.fate ?? "not freed")) }
        records.removeFirst(n)
        base += n
        return taken
    }
}

/// Writes `export`'s pcapng file: SampleKit's `PcapNGWriter` builds the
/// blocks (section header, one interface with the capture's link type,
/// snaplen 262144 and `if_tsresol` 9, one Enhanced Packet Block per skb),
/// written to the file as they are made.
final class SkbPcapngWriter {
    let path: String
    let comments: ExportComments
    private var blocks: PcapNGWriter
    private var file: UnsafeMutablePointer<FILE>?
    private(set) var error: String?

    init(path: String, linkType: LinkType, comments: ExportComments) throws {
        self.path = path
        self.comments = comments
        // pcapng holds LINKTYPE_ values: DLT_RAW (12 on Linux, 14 on BSD) is LINKTYPE_RAW 101.
        let linktype = linkType.dlt == 12 || linkType.dlt == 14 ? 101 : UInt16(truncatingIfNeeded: linkType.dlt)
        blocks = PcapNGWriter(
            linkType: linktype, snapLength: Int(SkbPcapWriter.snaplen), timestampResolution: 9)
        // Standard output through a stream of its own (a duplicate of fd 1).
        guard let f = path == "-" ? fdopen(dup(1), "wb") : fopen(path, "wb") else {
            throw InputError(description: "\(path): cannot create: \(String(cString: strerror(errno)))")
        }
        file = f
        try flushBlocks()
    }

    deinit { close() }

    /// Queues `skb`'s record (bytes as the classic export writes them).
    func add(sim: SkbSim, skb: SkbID, wireLength: Int?, capturedLength: Int?, pseudoHeader: [UInt8]) throws {
        let frame = try SkbPcapWriter.frame(
            sim: sim, skb: skb, capturedLength: capturedLength, pseudoHeader: pseudoHeader)
        try comments.add(sim: sim, skb: skb, frame: frame, originalLength: max(frame.count, wireLength ?? 0))
    }

    /// Writes the records whose fate is known.
    func writeReady() throws { try write(comments.takeReady()) }

    /// After the run (every skb freed): writes the rest and closes the file.
    func finish() throws {
        try write(comments.takeReady(all: true))
        close()
    }

    private func write(_ ready: [(record: ExportComments.Record, comment: String)]) throws {
        guard !ready.isEmpty else { return }
        for (r, comment) in ready {
            blocks.append(
                r.frame, timestamp: UInt64(max(r.timestampNanoseconds, 0)), originalLength: r.originalLength,
                comment: comment)
        }
        try flushBlocks()
    }

    private func flushBlocks() throws {
        guard let file else { return }
        let bytes = blocks.takeBytes()
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        if written != bytes.count {
            error = "\(path): write failed: \(String(cString: strerror(errno)))"
            throw InputError(description: error ?? path)
        }
    }

    /// Flushes and closes.
    func close() {
        guard let f = file else { return }
        file = nil
        if fclose(f) != 0 && error == nil { error = "\(path): write failed: \(String(cString: strerror(errno)))" }
    }
}
