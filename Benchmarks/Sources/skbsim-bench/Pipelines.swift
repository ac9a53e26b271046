import Capture
import KernelMemory
import Release
import SkbModel
import Trace

// MARK: - The plug-in boundary

/// One variant of the per-packet pipeline measured by `measureStreaming`:
/// everything that happens to a packet after `CaptureReader.next()` returned
/// it. The harness owns the reader, the clock and the malloc counters.
///
/// Conformers are value types or final classes; `measureStreaming` is
/// generic over them, so the per-packet call is specialised and inlined (no
/// existential dispatch in the measured loop).
protocol PacketPipeline {
    /// Processes one packet. `packet.bytes` is valid only during the call;
    /// `decoded`: its headers, when the read-ahead thread decoded them.
    mutating func process(_ packet: CapturedPacket, decoded: UnsafePointer<PacketHeaders>?)
    /// End of capture: flush what is held back (GRO), release everything.
    /// Measured. Returns a value derived from the work (kept so the
    /// optimiser cannot drop it).
    mutating func finish() -> Int
    /// After the measurement: a description of anything that went wrong
    /// (leaks, checker reports, failed allocations), or nil. Not measured.
    func verify() -> String?
}

/// What a pipeline is built from.
struct PipelineContext {
    var path: String
    var linkType: LinkType
    var snaplen: Int
}

/// Rows (2)-(4): the real skb pipeline, once `SkbModel` lands.
///
/// PLUG-IN POINT. Replace the `nil` of a row with
///
///     bench.measure { context in MyPipeline(context) }
///
/// where `MyPipeline: PacketPipeline` runs read → skb → release (with GRO,
/// or with a JSON Lines sink writing to /dev/null, per row). Nothing else in
/// the harness changes: timing, warm-up, malloc counting, ratios, the RSS
/// children and the table pick the row up.
enum SkbPipelineRows {
    static func run(_ row: SkbRow, _ bench: StreamingBench) throws -> StreamResult? {
        switch row {
        case .noSink: return try bench.measure { SkbRun($0, row: .noSink) }
        case .gro: return try bench.measure { SkbRun($0, row: .gro) }
        case .jsonLinesToDevNull: return try bench.measure { SkbRun($0, row: .jsonLinesToDevNull) }
        }
    }
}

/// Rows (2)-(4): `PacketRun` (the CLI's driver) with its default rx path
/// (netdev_alloc_skb), GRO off/on, no sink or JSON Lines to /dev/null.
///
/// Simulated RAM is 16 MiB instead of the default 32 MiB: it changes only
/// the capacity (the pipeline holds at most a NAPI poll's worth of skbs),
/// never a number; `verify()` fails the run if any receive failed to
/// allocate (`driver.statistics.rxDropped`) or the checker reports anything.
final class SkbRun: PacketPipeline {
    static let memorySize = 16 << 20
    let run: PacketRun
    let linkType: LinkType
    var stats: RunStatistics?

    init(_ context: PipelineContext, row: SkbRow) {
        var o = PacketRunOptions()
        o.memorySize = Self.memorySize
        o.gro = row == .gro
        if row == .jsonLinesToDevNull {
            do { o.sink = JSONLinesEventSink(output: try TraceOutput(path: "/dev/null")) } catch {
                fatalError("\(error)")
            }
        }
        do { run = try PacketRun(options: o) } catch { fatalError("\(error)") }
        linkType = context.linkType
    }

    @inline(__always)
    func process(_ packet: CapturedPacket, decoded: UnsafePointer<PacketHeaders>?) {
        run.process(packet, linkType: linkType, decoded: decoded)
    }

    func finish() -> Int {
        let s = run.finish()
        stats = s
        return s.delivered &+ s.packets
    }

    func verify() -> String? {
        guard let s = stats else { return "not finished" }
        var problems: [String] = []
        if !s.verdict.isClean { problems.append("checker: \(s.verdict)\n\(s.verdict.fullText)") }
        if run.driver.statistics.rxDropped > 0 {
            problems.append("\(run.driver.statistics.rxDropped) receives failed to allocate")
        }
        if s.totalDrops > 0 { problems.append("\(s.totalDrops) drops") }
        if s.injectedPageFailures + s.injectedSlabFailures > 0 { problems.append("injected failures") }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }
}

enum SkbRow: CaseIterable {
    case noSink, gro, jsonLinesToDevNull

    var label: String {
        switch self {
        case .noSink: "(2) read → skb → release, no sink"
        case .gro: "(3) read → skb → GRO → release"
        case .jsonLinesToDevNull: "(4) read → skb → release, JSONL → /dev/null"
        }
    }
}

// MARK: - Interim variants (measurable today)

/// (2a) read + decode: `HeaderDecoder.decode` on every packet.
struct DecodeOnly: PacketPipeline {
    let linkType: LinkType
    var acc = 0

    init(_ context: PipelineContext) { linkType = context.linkType }

    @inline(__always)
    mutating func process(_ packet: CapturedPacket, decoded: UnsafePointer<PacketHeaders>?) {
        let headers = decoded?.pointee ?? HeaderDecoder.decode(packet.bytes, linkType: linkType)
        acc &+= (headers.transportHeader ?? 0) &+ Int(headers.networkProtocol)
    }

    mutating func finish() -> Int { acc }
    func verify() -> String? { nil }
}

/// (2b) read + decode + the memory half of `__netdev_alloc_skb`'s page_frag
/// path: `page_frag_alloc(nc, SKB_HEAD_ALIGN(len + NET_SKB_PAD), GFP_ATOMIC)`,
/// copy the frame in after the NET_SKB_PAD headroom, `page_frag_free`.
/// No sk_buff, no slab: this is not the skb pipeline.
struct DecodeCopyPageFrag: PacketPipeline {
    let linkType: LinkType
    let memory: MemorySystem
    let nc: PageFragCacheID
    let pad: Int
    let config: KernelConfig
    var acc = 0
    var failed = 0

    init(_ context: PipelineContext) {
        linkType = context.linkType
        memory = MemorySystem()
        nc = memory.pageFragCacheCreate(name: "netdev_alloc_cache")
        config = memory.config
        pad = config.netSkbPad
    }

    @inline(__always)
    mutating func process(_ packet: CapturedPacket, decoded: UnsafePointer<PacketHeaders>?) {
        let headers = HeaderDecoder.decode(packet.bytes, linkType: linkType)
        acc &+= (headers.transportHeader ?? 0) &+ Int(headers.networkProtocol)
        let size = config.skbHeadAlign(packet.captureLength + pad)
        guard let data = memory.page_frag_alloc(nc, size, .GFP_ATOMIC) else {
            failed += 1
            return
        }
        if !memory.copyIn(to: data + pad, from: packet.bytes) { failed += 1 }
        memory.page_frag_free(data)
    }

    mutating func finish() -> Int {
        memory.page_frag_cache_drain(nc)
        return acc
    }

    func verify() -> String? {
        var problems: [String] = []
        if failed > 0 { problems.append("\(failed) failed allocations or copies") }
        if !memory.checker.reports.isEmpty { problems.append("\(memory.checker.reports.count) checker reports") }
        if !memory.leakReport().isEmpty { problems.append("leaks: \(memory.leakReport())") }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }
}
