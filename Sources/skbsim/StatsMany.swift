import ArgumentParser
import Capture
import Release

/// `skbsim stats` over several captures (files and directories): each file
/// runs on its own simulated machine, on `--jobs` threads, and the output is
/// a row per file and the combined summary (`RunStatistics.combined`), in
/// the files' order whatever the threads' timing.
extension Stats {
    func runMany() throws {
        let files = try CaptureFiles.expand(capture.captureWords)
        let filter = capture.manyFilter
        let limit = capture.count
        let simulation = self.simulation
        let pool = WorkerPool<Compare.Outcome>(sizes: files.map { ProgressBar.fileSize($0) ?? 0 }) { i, progress in
            do {
                return .ran(
                    try CaptureFileRun.run(
                        path: files[i], filter: filter, limit: limit, options: simulation.runOptions(),
                        progress: progress))
            } catch let error as CaptureError {
                return .failed(error.description)
            } catch {
                return .failed("\(files[i]): \(error)")
            }
        }
        let bar = ProgressBar(
            label: "stats", total: nil, totalBytes: files.reduce(0) { $0 + (ProgressBar.fileSize($1) ?? 0) })
        let outcomes = pool.run(jobs: jobs ?? CaptureFiles.coreCount, progress: bar.enabled ? bar : nil)

        var failures: [String] = []
        var ran: [(file: String, result: CaptureFileRun.Result)] = []
        for (file, outcome) in zip(files, outcomes) {
            switch outcome {
            case .ran(let r):
                ran.append((file, r))
                if let e = r.readError { failures.append(e.description) }
            case .failed(let message):
                failures.append(message)
            }
        }
        let profile = simulation.profile
        let combined = RunStatistics.combined(ran.map(\.result.statistics))
        let linkTypes = ran.map(\.result.linkTypeName).reduce(into: [String]()) {
            if !$0.contains($1) { $0.append($1) }
        }
        if json {
            for (file, r) in ran {
                print(
                    Stats.json(
                        r.statistics, capture: file, linkType: r.linkTypeName, profile: profile, readError: r.readError)
                )
            }
            if let combined {
                print(
                    Stats.json(
                        combined, capture: "", linkType: linkTypes.joined(separator: ","), profile: profile,
                        files: ran.count))
            }
        } else if csv {
            print(Stats.csvHeader)
            for (file, r) in ran { print(Stats.csvRow(r.statistics, capture: file, files: 1, readError: r.readError)) }
            if let combined { print(Stats.csvRow(combined, capture: "", files: ran.count, readError: nil)) }
        } else {
            let failed = files.count - ran.count
            print("captures:              \(files.count) file(s)" + (failed > 0 ? ", \(failed) could not be read" : ""))
            print("kernel:                \(KernelOptions.describe(profile, dropReasons: simulation.dropReasonTable))")
            print("")
            var table = TextTable(header: [
                "capture", "link-type", "packets", "bytes", "delivered", "drops", "peak memory", "truesize/len mean",
                "p99", "checker",
            ])
            for (file, r) in ran {
                let s = r.statistics
                table.append([
                    file, r.linkTypeName, String(s.packets), String(s.bytes), String(s.delivered), String(s.totalDrops),
                    String(s.peakMemoryBytes), Compare.number(s.truesizeRatio.mean, integer: false),
                    Compare.number(s.truesizeRatio.quantile(0.99), integer: false),
                    (s.verdict.isClean ? "clean" : "FAILED") + (r.readError == nil ? "" : ", read error"),
                ])
            }
            print(table.text)
            if let combined {
                print("")
                print("combined (\(ran.count) capture(s); peaks are the highest of any one):")
                print(combined)
            }
        }
        if !failures.isEmpty {
            Diagnostics.line(failures.map { "skbsim: " + $0 }.joined(separator: "\n"))
            throw ExitCode(1)
        }
        if let combined { try CaptureRun.verdict(combined) }
    }

    /// The `--csv` columns (docs/cli.md): one row per capture; the combined
    /// row of several has an empty `capture` and their number in `files`.
    static let csvHeader = [
        "capture", "files", "kernel", "rx_path", "gro", "packets", "bytes", "skbs_allocated", "delivered", "consumed",
        "page_frag_refills", "page_frag_order3_pages", "page_frag_order0_pages", "page_frag_reuses",
        "page_frag_bytes_handed_out", "page_frag_bytes_of_pages", "page_frag_waste", "truesize_len_count",
        "truesize_len_mean", "truesize_len_p50", "truesize_len_p99", "truesize_len_max", "drops_total", "rx_dropped",
        "peak_memory_bytes", "peak_sk_rmem_alloc", "checker_clean", "read_error",
    ].joined(separator: ",")

    static func csvRow(_ s: RunStatistics, capture: String, files: Int, readError: CaptureError?) -> String {
        func real(_ v: Double) -> String {
            var o = JSONObject()
            o.add("x", v)
            return String(o.text.dropFirst(5).dropLast())
        }
        let fields: [String] = [
            csvField(capture), String(files), csvField(s.kernel), csvField(s.rxPath), s.gro ? "true" : "false",
            String(s.packets), String(s.bytes), String(s.skbsAllocated), String(s.delivered), String(s.consumed),
            String(s.pageFragRefills), String(s.pagesOrder3), String(s.pagesOrder0), String(s.pageFragReuses),
            String(s.pageFragBytesHandedOut), String(s.pageFragBytesOfPages), String(s.pageFragWaste),
            String(s.truesizeRatio.count), real(s.truesizeRatio.mean), real(s.truesizeRatio.quantile(0.5)),
            real(s.truesizeRatio.quantile(0.99)), real(s.truesizeRatio.max), String(s.totalDrops), String(s.rxDropped),
            String(s.peakMemoryBytes), String(s.peakSocketRmem), s.verdict.isClean ? "true" : "false",
            csvField(readError?.message ?? ""),
        ]
        return fields.joined(separator: ",")
    }

    /// RFC 4180: quoted when it holds a comma, a quote or a line break.
    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        var out = "\""
        for ch in s { out += ch == "\"" ? "\"\"" : String(ch) }
        return out + "\""
    }
}
