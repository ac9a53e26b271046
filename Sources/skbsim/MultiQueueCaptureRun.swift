import Capture
import Release
import SkbModel

/// `CaptureRun.run` for a multi-queue NIC (`--queues N`, N > 1): the main
/// thread reads the capture (libpcap, no read-ahead thread: the queues' threads
/// use the cores), hashes each packet to its queue and hands it over; each
/// queue's thread runs its `PacketRun` (`MultiQueueRun`). Read errors end the
/// input as in `CaptureRun`.
enum MultiQueueCaptureRun {
    static func run(
        capture: CaptureOptions, options: PacketRunOptions, queues: QueueOptions, progress: Bool = true
    ) throws -> (summary: CaptureRun.Summary, queues: MultiQueueStatistics) {
        let reader = try capture.openReader()
        let linkType = reader.linkType
        let run: MultiQueueRun
        do {
            run = try MultiQueueRun(
                options: options, queues: queues.queues, rss: queues.rss, linkType: linkType,
                parallel: QueueOptions.parallel)
        } catch { throw InputError(description: error.description) }
        let bar = progress ? ProgressBar(label: reader.path == "-" ? "stdin" : reader.path, total: capture.count) : nil
        var readError: CaptureError?
        do {
            try reader.forEachPacket(limit: capture.count) { packet in
                run.process(packet)
                bar?.update(packet.deliveredIndex + 1)
            }
        } catch let error as CaptureError {
            readError = error
        }
        bar?.finish()
        let statistics = run.finish()
        CaptureRun.warnIfMemoryExhausted(statistics.total)
        return (
            CaptureRun.Summary(
                linkType: linkType, linkTypeName: reader.linkTypeName, statistics: statistics.total,
                readError: readError),
            statistics
        )
    }

    /// The per-queue rows `stats` prints after the totals.
    static func table(_ s: MultiQueueStatistics) -> String {
        func f(_ x: Double) -> String { String((x * 1000).rounded() / 1000) }
        var lines = [
            "rx queues:             \(s.perQueue.count), Toeplitz RSS (key \(s.rss.keyHex)), indirection table "
                + "\(s.indirection.entries.count) entries i % \(s.perQueue.count); \(s.unhashed) packet(s) without a hash (non-IP) on queue 0"
        ]
        let header = [
            "queue", "packets", "skbs", "delivered", "truesize/len", "pf refills", "o3/o0", "pf reuses", "peak memory",
        ]
        var rows: [[String]] = []
        let labelled: [(String, RunStatistics)] = s.perQueue.enumerated().map { (String($0.offset), $0.element) }
        for (label, r) in labelled + [("total", s.total)] {
            var row: [String] = [label, String(r.packets), String(r.skbsAllocated), String(r.delivered)]
            row.append(f(r.truesizeRatio.mean))
            row.append(String(r.pageFragRefills))
            row.append(String(r.pagesOrder3) + "/" + String(r.pagesOrder0))
            row.append(String(r.pageFragReuses))
            row.append(String(r.peakMemoryBytes))
            rows.append(row)
        }
        let widths = header.indices.map { i in max(header[i].count, rows.map { $0[i].count }.max() ?? 0) }
        func line(_ cells: [String]) -> String {
            "  "
                + cells.enumerated().map { i, c in String(repeating: " ", count: widths[i] - c.count) + c }
                .joined(separator: "  ")
        }
        lines.append(line(header))
        for r in rows { lines.append(line(r)) }
        lines.append(
            "not modelled:          one socket per queue (the kernel's socket is shared by the CPUs: its sk_rmem_alloc "
                + "is one sum; peak sk_rmem_alloc is the largest queue's); one memory arena per queue (total peak memory is "
                + "the sum of the queues' peaks, an upper bound)")
        return lines.joined(separator: "\n")
    }

    /// The `queues` member of `stats --json`.
    static func json(_ s: MultiQueueStatistics) -> JSONObject {
        var o = JSONObject()
        o.add("count", s.perQueue.count)
        o.add("rss_key", s.rss.keyHex)
        o.add("indirection_table_size", s.indirection.entries.count)
        o.add("unhashed", s.unhashed)
        var rows: [String] = []
        for (q, r) in s.perQueue.enumerated() {
            var row = JSONObject()
            row.add("queue", q)
            row.add("packets", r.packets)
            row.add("bytes", r.bytes)
            row.add("skbs_allocated", r.skbsAllocated)
            row.add("delivered", r.delivered)
            row.add("truesize_len_mean", r.truesizeRatio.mean)
            row.add("page_frag_refills", r.pageFragRefills)
            row.add("order3_pages", r.pagesOrder3)
            row.add("order0_pages", r.pagesOrder0)
            row.add("page_frag_reuses", r.pageFragReuses)
            row.add("peak_memory_bytes", r.peakMemoryBytes)
            row.add("peak_sk_rmem_alloc", r.peakSocketRmem)
            row.add("drops", Int(r.totalDrops))
            rows.append(row.text)
        }
        o.raw("per_queue", "[" + rows.joined(separator: ",") + "]")
        return o
    }
}
