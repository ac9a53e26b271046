import Capture
import KernelMemory
import Release
import SkbModel
import Trace

/// Runs a whole capture through the Release module's packet-run driver,
/// `PacketRun` — the one driver every whole-capture subcommand uses. The CLI
/// only reads packets (tcpdump-style: `-r`, `-c`, BPF filter, stdin) and hands
/// each to `PacketRun.process`; receive on the rx path, GRO, the socket,
/// the reader and the release pipeline are the driver's. `PacketRun.finish`
/// then flushes GRO, drains the socket and the page_frag caches and builds
/// the `RunStatistics` with the checker's verdict.
///
/// Per packet: `before(packet, linkType)`, `PacketRun.process`, during which
/// `observe(sim, skb)` sees every skb that reaches `netif_receive_skb`
/// (`PacketRunOptions.onDeliver`: after GRO, before the socket and the
/// release), then `after(packet)`. An error thrown by `observe` stops the run
/// after the packet. `beforeDrain` is the last look at live memory.
/// Packets are read by a `ReadAheadReader` (libpcap on a background thread,
/// a batch ahead) unless `--no-read-ahead`; both readers give the same
/// packets and errors, so the output does not depend on it.
///
/// Nothing read is lost: a read error after N good packets ends the input,
/// not the run. The run is finished for those N packets (GRO flushed, the
/// socket drained, the sink finished) and the error is kept in
/// `Summary.readError`; the command completes its output and then calls
/// `Summary.conclude(check:)`, which throws it (one line naming the file,
/// the packet number and the byte offset; exit status 1). With `check`, a
/// leak or a checker report then throws `InputError` carrying the kmemleak /
/// KASAN text (exit status 1).
enum CaptureRun {
    struct Summary {
        var linkType: LinkType
        var linkTypeName: String
        var statistics: RunStatistics
        /// The read error that ended the capture early, if any.
        var readError: CaptureError?
        var packets: Int { statistics.packets }

        /// After the command's output: the read error if there was one,
        /// else (with `check`) the checker's verdict.
        func conclude(check: Bool) throws {
            if let readError { throw readError }
            if check { try CaptureRun.verdict(statistics) }
        }
    }

    // Inlined into each command with its closures, so that the per-packet
    // `before` / `after` calls of `stats` (empty) cost nothing.
    @discardableResult @inline(__always)
    static func run(
        capture: CaptureOptions, options: PacketRunOptions, progress: Bool = true,
        streaming: Bool = false,
        opened: (any PacketSource, PacketRun) throws -> Void = { _, _ in },
        before: (CapturedPacket, LinkType) throws -> Void = { _, _ in },
        after: (CapturedPacket) throws -> Void = { _ in },
        observe: ((SkbSim, SkbID) throws -> Void)? = nil,
        beforeDrain: ((SkbSim) -> Void)? = nil
    ) throws -> Summary {
        var options = options
        // The first error `observe` threw; unchecked: read once per packet.
        let observed = ObserverError()
        if let observe {
            options.onDeliver = { sim, skb in
                guard observed.error == nil else { return }
                do { try observe(sim, skb) } catch { observed.error = error }
            }
        }
        if let beforeDrain { options.beforeDrain = beforeDrain }
        // Opened here, on this thread, so that open and filter errors come
        // first; with read-ahead libpcap then runs on its own thread.
        // `streaming` from stdin: each packet as soon as it arrives.
        let direct = try capture.openReader()
        if capture.readAhead && !(streaming && capture.path == "-") {
            // The reader thread decodes too, so the model's thread does not.
            return try drive(
                ReadAheadReader(direct, options: ReadAheadOptions(decodeHeaders: true)), capture: capture,
                options: options, progress: progress,
                opened: opened, before: before, after: after, observerError: { observed.error })
        }
        return try drive(
            direct, capture: capture, options: options, progress: progress,
            opened: opened, before: before, after: after, observerError: { observed.error })
    }

    /// The run over one kind of reader (specialised for each, so that the
    /// per-packet `next()` is a direct call).
    @inline(__always)
    private static func drive<Source: PacketSource>(
        _ reader: Source, capture: CaptureOptions, options: PacketRunOptions, progress: Bool,
        opened: (any PacketSource, PacketRun) throws -> Void,
        before: (CapturedPacket, LinkType) throws -> Void,
        after: (CapturedPacket) throws -> Void,
        observerError: () -> (any Error)?
    ) throws -> Summary {
        let run: PacketRun
        do { run = try PacketRun(options: options) } catch { throw InputError(description: error.description) }
        try opened(reader, run)
        let linkType = reader.linkType
        let bar = progress ? ProgressBar(path: reader.path, total: capture.count) : nil
        defer { bar?.finish() }
        var readError: CaptureError?
        do {
            try reader.forEachPacket(limit: capture.count) { packet in
                try before(packet, linkType)
                run.process(packet, linkType: linkType, decoded: reader.decodedHeaders)
                if let error = observerError() { throw error }
                try after(packet)
                bar?.update(packet.deliveredIndex + 1, byteOffset: packet.byteOffset)
            }
        } catch let error as CaptureError {
            readError = error
        }
        bar?.finish()
        let statistics = run.finish()
        if let error = observerError() { throw error }
        warnIfMemoryExhausted(statistics)
        return Summary(
            linkType: reader.linkType, linkTypeName: reader.linkTypeName, statistics: statistics, readError: readError)
    }

    final class ObserverError {
        @exclusivity(unchecked) var error: (any Error)?
    }

    /// Says once, on standard error, that allocations failed because the
    /// simulated RAM ran out: those drops are the simulation's, not the kernel's.
    static func warnIfMemoryExhausted(_ s: RunStatistics) {
        guard s.exhaustedAllocationFailures > 0 else { return }
        Diagnostics.warning(
            "simulated memory (\(RunStatistics.sizeText(s.memorySize))) was exhausted: \(s.exhaustedAllocationFailures) page allocation(s) failed"
                + " and the driver dropped \(s.exhaustedRxDropped) packet(s) (rx_dropped) because of it, which a machine with more memory would not do; raise --memory"
        )
    }

    /// Exit-1 error for a run whose checker found a leak, a memory bug, a
    /// socket-accounting warning or a model BUG; the full reports follow.
    static func verdict(_ statistics: RunStatistics) throws {
        let v = statistics.verdict
        guard !v.isClean else { return }
        var summary = "\(v)"
        if summary.hasPrefix("FAILED: ") { summary.removeFirst("FAILED: ".count) }
        throw InputError(description: "the model reported \(summary):\n" + v.fullText, report: true)
    }

    /// Exit-1 errors for checker reports and leaks of a bare simulation (`layout`).
    static func verdict(_ sim: SkbSim) throws {
        let reports = sim.memory.checker.reports
        if !reports.isEmpty {
            throw InputError(
                description: "the model reported \(reports.count) memory bug(s):\n"
                    + reports.map(\.text).joined(separator: "\n"), report: true)
        }
        let leaks = sim.memory.leakReport()
        if !leaks.isEmpty { throw InputError(description: leaks.text, report: true) }
    }
}
