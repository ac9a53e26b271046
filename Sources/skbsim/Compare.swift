import ArgumentParser
import Capture
import KernelMemory
import Release
import SkbModel

/// `skbsim compare`: one capture (or several) under two or more model
/// configurations, each run on its own thread, side by side with the
/// difference to the first configuration.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a capture under several kernel configurations side by side.",
        usage: """
            skbsim compare --config NAME=OPTIONS --config NAME=OPTIONS ... [--json] [--svg FILE] [-c COUNT] (-r FILE | FILE ...) [EXPRESSION ...]
              skbsim compare [--kernel LIST] [--page-size LIST] [--rx-path LIST] [--mtu LIST] [--gro on,off] [--with OPTIONS] ... FILE ...
            """,
        discussion: """
            Each configuration is a set of the model options of skbsim stats (--kernel, --gro, \
            --rx-path, --mtu, --page-size, --memory, ...), given whole with --config NAME=OPTIONS, \
            or as a matrix: comma lists of --kernel, --page-size, --rx-path, --mtu and --gro \
            (on,off) give every combination, named after the values that vary. --with OPTIONS \
            adds options to every configuration. Each configuration runs on its own thread; one capture \
            is read once and handed to all of them (--jobs 1: one configuration after the other); \
            the output is the same for any number of threads. The table shows peak simulated memory, truesize/len, page_frag refills, \
            reuse and waste, slab objects per cache, skbs after GRO, drops by reason and the peak \
            sk_rmem_alloc of each configuration, and the difference of each to the first. \
            --svg FILE draws simulated memory and page_frag refills over capture time, one line \
            per configuration. Several captures or directories: each configuration runs every \
            file; the table sums them (peaks: the highest of any file) and a second table shows \
            each file. A bad configuration is a usage error (exit status 2) naming it.

            Examples:
              skbsim compare --kernel 6.12,6.18 samples/tcp-bulk.pcap
              skbsim compare --config old="--kernel 6.12" --config new="--kernel 6.18 --gro" samples/tcp-bulk.pcap
              skbsim compare --gro off,on --rx-path napi-alloc-skb --svg gro.svg samples/tcp-bulk.pcap
              skbsim compare --config igb="--rx-path sg-copybreak" --config build_skb="--rx-path build-skb" samples/tcp-bulk.pcap
              skbsim compare --page-size 4K,64K --rx-path build-skb samples/jumbo-9000.pcap
            """
    )

    @Option(
        name: .customLong("config"),
        help: ArgumentHelp(
            "A configuration: NAME=OPTIONS, OPTIONS being model options as one word (quote them); give two or more.",
            valueName: "NAME=OPTIONS"))
    var configTexts: [String] = []

    @Option(
        name: .customLong("kernel"),
        help: ArgumentHelp("Matrix: kernel profiles, comma-separated (6.12,6.18).", valueName: "LIST"))
    var kernelList: String?

    @Option(
        name: .customLong("page-size"),
        help: ArgumentHelp("Matrix: page sizes, comma-separated (4K,64K).", valueName: "LIST"))
    var pageSizeList: String?

    @Option(
        name: .customLong("rx-path"),
        help: ArgumentHelp("Matrix: rx paths, comma-separated (sg-copybreak,build-skb).", valueName: "LIST"))
    var rxPathList: String?

    @Option(
        name: .customLong("mtu"),
        help: ArgumentHelp("Matrix: device MTUs, comma-separated (1500,9000).", valueName: "LIST"))
    var mtuList: String?

    @Option(
        name: .customLong("gro"),
        help: ArgumentHelp("Matrix: GRO off and/or on, comma-separated (off,on).", valueName: "LIST"))
    var groList: String?

    @Option(
        name: .customLong("with"),
        help: ArgumentHelp(
            "Model options added to every configuration, as one word (\"--memory 256M --napi-budget 16\").",
            valueName: "OPTIONS"))
    var sharedText: String = ""

    @Flag(help: "Print one JSON object instead of the table (schema in docs/cli.md).")
    var json = false

    @Option(
        name: .customLong("svg"),
        help: ArgumentHelp(
            "Write an SVG chart of simulated memory and page_frag refills over capture time to FILE (one capture).",
            valueName: "FILE"))
    var svgPath: String?

    @Option(
        name: .customLong("jobs"),
        help: ArgumentHelp("Threads running configurations and files (default: the number of cores).", valueName: "N"))
    var jobs: Int?

    @OptionGroup var capture: CaptureOptions

    /// One configuration: its name, its options as given and parsed.
    struct Configuration {
        var name: String
        var options: [String]
        var simulation: SimulationOptions
        var optionsText: String { options.joined(separator: " ") }
    }

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be a positive number, got \(jobs)") }
        if capture.readFile == "-" || capture.words.first == "-" {
            throw ValidationError("compare reads the capture once per configuration: give a file, not standard input")
        }
        if svgPath != nil && capture.isMany {
            throw ValidationError("--svg draws one capture over time: give one file")
        }
        _ = try configurations()
    }

    /// The configurations, from --config or the matrix options.
    func configurations() throws -> [Configuration] {
        let shared = try Compare.split(sharedText, what: "--with")
        let matrix = [kernelList, pageSizeList, rxPathList, mtuList, groList].contains { $0 != nil }
        if !configTexts.isEmpty && matrix {
            throw ValidationError(
                "give the configurations with --config or with the matrix options (--kernel, --page-size, --rx-path, --mtu, --gro), not both"
            )
        }
        var named: [(String, [String])] = []
        if matrix {
            named = try matrixConfigurations()
        } else {
            for text in configTexts {
                guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
                    throw ValidationError("--config must be NAME=OPTIONS, got '\(text)'")
                }
                let name = String(text[..<eq])
                named.append(
                    (name, try Compare.split(String(text[text.index(after: eq)...]), what: "--config \(name)")))
            }
        }
        guard named.count >= 2 else {
            throw ValidationError(
                "compare needs two or more configurations: --config NAME=OPTIONS twice, or a list such as --kernel 6.12,6.18 or --gro off,on"
            )
        }
        var seen = Set<String>()
        var out: [Configuration] = []
        for (name, words) in named {
            guard seen.insert(name).inserted else { throw ValidationError("configuration '\(name)' is given twice") }
            let all = shared + words
            do {
                out.append(Configuration(name: name, options: all, simulation: try SimulationOptions.parse(all)))
            } catch {
                let message = SimulationOptions.message(for: error).split(separator: "\n").joined(separator: "; ")
                throw ValidationError("configuration '\(name)' (\(all.joined(separator: " "))): \(message)")
            }
        }
        return out
    }

    /// The cartesian product of the matrix lists, the first list varying
    /// slowest; names join the values that vary.
    func matrixConfigurations() throws -> [(String, [String])] {
        typealias Axis = (flag: String, values: [String], label: (String) -> String)
        var axes: [Axis] = []
        func list(_ text: String?, _ flag: String) throws -> [String]? {
            guard let text else { return nil }
            let values = text.split(separator: ",", omittingEmptySubsequences: false).map {
                String($0.trimmingSpaces)
            }
            guard !values.contains(where: \.isEmpty) else {
                throw ValidationError("\(flag) must be a comma-separated list of values, got '\(text)'")
            }
            return values
        }
        if let v = try list(kernelList, "--kernel") { axes.append(("--kernel", v, { $0 })) }
        if let v = try list(pageSizeList, "--page-size") { axes.append(("--page-size", v, { $0 + " pages" })) }
        if let v = try list(rxPathList, "--rx-path") { axes.append(("--rx-path", v, { $0 })) }
        if let v = try list(mtuList, "--mtu") { axes.append(("--mtu", v, { "mtu " + $0 })) }
        if let v = try list(groList, "--gro") {
            for g in v where g != "on" && g != "off" {
                throw ValidationError("--gro takes on and/or off in compare, got '\(g)'")
            }
            axes.append(("--gro", v, { $0 == "on" ? "gro" : "no gro" }))
        }
        var combos: [(names: [String], options: [String])] = [([], [])]
        for axis in axes {
            var next: [(names: [String], options: [String])] = []
            for c in combos {
                for v in axis.values {
                    let words = axis.flag == "--gro" ? (v == "on" ? ["--gro"] : []) : [axis.flag, v]
                    next.append((axis.values.count > 1 ? c.names + [axis.label(v)] : c.names, c.options + words))
                }
            }
            combos = next
        }
        return combos.map { ($0.names.isEmpty ? "default" : $0.names.joined(separator: ", "), $0.options) }
    }

    /// Splits OPTIONS into words as a shell would: spaces separate,
    /// single and double quotes group, a backslash escapes.
    static func split(_ text: String, what: String) throws -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for ch in text {
            if escaped {
                current.append(ch)
                escaped = false
            } else if ch == "\\" && quote != "'" {
                escaped = true
                inWord = true
            } else if let q = quote {
                if ch == q { quote = nil } else { current.append(ch) }
            } else if ch == "'" || ch == "\"" {
                quote = ch
                inWord = true
            } else if ch == " " || ch == "\t" || ch == "\n" {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(ch)
                inWord = true
            }
        }
        if quote != nil || escaped {
            throw ValidationError("\(what): unbalanced quote or trailing backslash in '\(text)'")
        }
        if inWord { words.append(current) }
        return words
    }

    // MARK: - Running

    /// One configuration's results: summed over its files.
    struct Column {
        var configuration: Configuration
        var statistics: RunStatistics
        var skbsAfterGRO: Int
        var slab: [(cache: String, objects: Int)]
        var timeline: RunTimeline?
        var linkTypeName: String
    }

    enum Outcome {
        case ran(CaptureFileRun.Result)
        case failed(String)
    }

    func run() throws {
        let configs = try configurations()
        let files = try CaptureFiles.expand(capture.captureWords)
        let filter = capture.manyFilter
        let limit = capture.count
        let sizes = files.map { ProgressBar.fileSize($0) ?? 0 }
        var jobSizes: [Int64] = []
        for _ in configs { jobSizes += sizes }
        let pool = WorkerPool<Outcome>(sizes: jobSizes) { job, progress in
            let config = configs[job / files.count]
            let path = files[job % files.count]
            do {
                return .ran(
                    try CaptureFileRun.run(
                        path: path, filter: filter, limit: limit, options: config.simulation.runOptions(),
                        timeline: true, progress: progress))
            } catch let error as CaptureError {
                return .failed(error.description)
            } catch {
                return .failed("\(path): \(error)")
            }
        }
        let threads = jobs ?? CaptureFiles.coreCount
        let outcomes: [Outcome]
        if files.count == 1 && threads > 1 {
            // One capture: read once, each configuration on its own thread.
            let bar = ProgressBar(label: "compare", total: nil, totalBytes: sizes[0])
            let progress: CaptureFileRun.Progress? = bar.enabled ? { bar.update(bytes: $0) } : nil
            defer { bar.finish() }
            outcomes = try CaptureFileRun.runFannedOut(
                path: files[0], filter: filter, limit: limit, options: configs.map { $0.simulation.runOptions() },
                timeline: true, progress: progress
            ).map { .ran($0) }
        } else {
            let bar = ProgressBar(label: "compare", total: nil, totalBytes: jobSizes.reduce(0, +))
            outcomes = pool.run(jobs: threads, progress: bar.enabled ? bar : nil)
        }

        var failures: [String] = []
        var columns: [Column] = []
        var perFile: [[CaptureFileRun.Result?]] = []
        for (c, config) in configs.enumerated() {
            var results: [CaptureFileRun.Result?] = []
            for f in files.indices {
                switch outcomes[c * files.count + f] {
                case .ran(let r):
                    results.append(r)
                    // The file ends the same way for every configuration: say it once.
                    if c == 0, let e = r.readError { failures.append(e.description) }
                case .failed(let message):
                    results.append(nil)
                    // The same file fails the same way for every configuration: say it once.
                    if c == 0 { failures.append(message) }
                }
            }
            perFile.append(results)
            let ran = results.compactMap { $0 }
            guard let statistics = RunStatistics.combined(ran.map(\.statistics)) else { continue }
            var slab: [(cache: String, objects: Int)] = []
            for r in ran {
                for s in r.slabAllocations {
                    if let i = slab.firstIndex(where: { $0.cache == s.cache }) {
                        slab[i].objects += s.objects
                    } else {
                        slab.append(s)
                    }
                }
            }
            columns.append(
                Column(
                    configuration: config, statistics: statistics, skbsAfterGRO: ran.reduce(0) { $0 + $1.skbsAfterGRO },
                    slab: slab, timeline: files.count == 1 ? ran.first?.timeline : nil,
                    linkTypeName: ran.first?.linkTypeName ?? "?"))
        }
        if columns.count == configs.count {
            let name = files.count == 1 ? files[0] : "\(files.count) files"
            if json {
                print(
                    Compare.json(
                        columns, captures: files, name: name, filter: filter, perFile: files.count > 1 ? perFile : nil))
            } else {
                print(Compare.text(columns, name: name, filter: filter))
                if files.count > 1 {
                    print("\n" + Compare.perFileText(files: files, configs: configs, perFile: perFile))
                }
            }
            if let svgPath {
                let svg = CompareChart.svg(
                    columns.compactMap { c in c.timeline.map { (c.configuration.name, $0) } },
                    title: "skbsim compare: " + (files.first ?? ""))
                try OutputFile.write(svg, to: svgPath)
            }
        }
        if !failures.isEmpty {
            Diagnostics.line(failures.map { "skbsim: " + $0 }.joined(separator: "\n"))
            throw ExitCode(1)
        }
        for column in columns where !column.statistics.verdict.isClean {
            Diagnostics.line("skbsim: configuration '\(column.configuration.name)':")
            try CaptureRun.verdict(column.statistics)
        }
    }

    // MARK: - Output

    /// A table row: one number per configuration.
    struct Metric {
        var key: String
        var label: String
        var values: [Double]
        var isInteger: Bool
    }

    static func metrics(_ columns: [Column]) -> [Metric] {
        var out: [Metric] = []
        func int(_ key: String, _ label: String, _ f: (Column) -> Int) {
            out.append(Metric(key: key, label: label, values: columns.map { Double(f($0)) }, isInteger: true))
        }
        func real(_ key: String, _ label: String, _ f: (Column) -> Double) {
            out.append(Metric(key: key, label: label, values: columns.map(f), isInteger: false))
        }
        int("packets", "packets", { $0.statistics.packets })
        int("peak_memory_kib", "peak memory (KiB)", { $0.statistics.peakMemoryBytes / 1024 })
        real("truesize_len_mean", "truesize/len mean", { $0.statistics.truesizeRatio.mean })
        real("truesize_len_p50", "truesize/len p50", { $0.statistics.truesizeRatio.quantile(0.5) })
        real("truesize_len_p99", "truesize/len p99", { $0.statistics.truesizeRatio.quantile(0.99) })
        int("page_frag_page_kib", "page_frag pages (KiB)", { $0.statistics.pageFragBytesOfPages / 1024 })
        int("page_frag_refills", "page_frag refills", { $0.statistics.pageFragRefills })
        int("page_frag_order3", "  order-3 pages", { $0.statistics.pagesOrder3 })
        int("page_frag_order0", "  order-0 pages", { $0.statistics.pagesOrder0 })
        int("page_frag_reuses", "page_frag reuses", { $0.statistics.pageFragReuses })
        int("page_frag_waste_kib", "page_frag waste (KiB)", { $0.statistics.pageFragWaste / 1024 })
        int("skbs_allocated", "skbs allocated", { $0.statistics.skbsAllocated })
        int("skbs_after_gro", "skbs after GRO", { $0.skbsAfterGRO })
        int("delivered", "delivered to the socket", { $0.statistics.delivered })
        var caches: [String] = []
        for c in columns { for s in c.slab where !caches.contains(s.cache) { caches.append(s.cache) } }
        for cache in caches {
            int("slab." + cache, "slab objects: " + cache, { c in c.slab.first { $0.cache == cache }?.objects ?? 0 })
        }
        int("drops", "drops", { Int($0.statistics.totalDrops) })
        var reasons: [String] = []
        for c in columns { for d in c.statistics.drops where !reasons.contains(d.reason) { reasons.append(d.reason) } }
        for reason in reasons {
            int("drops." + reason, "  " + reason, { Int($0.statistics.dropCount(reason)) })
        }
        int("rx_dropped", "rx_dropped (driver)", { $0.statistics.rxDropped })
        int("peak_sk_rmem_alloc", "peak sk_rmem_alloc", { $0.statistics.peakSocketRmem })
        return out
    }

    /// `12`, `-3`, `1.234`.
    static func number(_ v: Double, integer: Bool) -> String {
        if integer { return String(Int(v)) }
        let r = (v * 1000).rounded() / 1000
        return r == r.rounded() && abs(r) < 1e15 ? String(Int(r)) + ".0" : String(r)
    }

    /// `+12 (+3.4%)`, `0`, `-0.125 (-8.0%)`.
    static func difference(_ v: Double, base: Double, integer: Bool) -> String {
        let d = integer ? v - base : ((v - base) * 1000).rounded() / 1000
        if d == 0 { return "0" }
        var s = (d > 0 ? "+" : "") + number(d, integer: integer)
        if base != 0 {
            let tenths = Int((d / abs(base) * 1000).rounded())
            let sign = tenths > 0 ? "+" : tenths < 0 ? "-" : "±"
            s += " (\(sign)\(abs(tenths) / 10).\(abs(tenths) % 10)%)"
        }
        return s
    }

    static func text(_ columns: [Column], name: String, filter: String?) -> String {
        var lines = [
            "capture:  \(name) (link-type \(columns[0].linkTypeName))" + (filter.map { ", filter '\($0)'" } ?? "")
        ]
        lines.append("configurations:")
        var configs = TextTable(header: ["  name", "options", "kernel"])
        for c in columns {
            let s = c.configuration.simulation
            configs.append([
                "  " + c.configuration.name,
                c.configuration.optionsText.isEmpty ? "(defaults)" : c.configuration.optionsText,
                KernelOptions.describe(s.profile, dropReasons: s.dropReasonTable),
            ])
        }
        // Left-aligned options and kernel: a list, not numbers.
        lines += leftAligned(configs)
        lines.append("")
        let base = columns[0].configuration.name
        var header = [""]
        for (i, c) in columns.enumerated() {
            header.append(c.configuration.name)
            if i > 0 { header.append("Δ vs " + base) }
        }
        var table = TextTable(header: header)
        for m in metrics(columns) {
            var row = [m.label]
            for (i, v) in m.values.enumerated() {
                row.append(number(v, integer: m.isInteger))
                if i > 0 { row.append(difference(v, base: m.values[0], integer: m.isInteger)) }
            }
            table.append(row)
        }
        var checker = ["checker"]
        for (i, c) in columns.enumerated() {
            checker.append(c.statistics.verdict.isClean ? "clean" : "FAILED")
            if i > 0 { checker.append("") }
        }
        table.append(checker)
        lines.append(table.text)
        return lines.joined(separator: "\n")
    }

    static func leftAligned(_ t: TextTable) -> [String] {
        var widths = t.header.map(\.unicodeScalars.count)
        for r in t.rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.unicodeScalars.count) } }
        return t.rows.map { r in
            r.enumerated().map { i, c in
                i == r.count - 1 ? c : c + String(repeating: " ", count: widths[i] - c.unicodeScalars.count)
            }.joined(separator: "  ")
        }
    }

    static func perFileText(files: [String], configs: [Configuration], perFile: [[CaptureFileRun.Result?]]) -> String {
        var header = ["file", "packets"]
        for c in configs { header += ["\(c.name): peak KiB", "\(c.name): truesize/len"] }
        var t = TextTable(header: header)
        for (f, file) in files.enumerated() {
            var row = [file, perFile[0][f].map { String($0.statistics.packets) } ?? "error"]
            for c in configs.indices {
                if let r = perFile[c][f] {
                    row += [
                        String(r.statistics.peakMemoryBytes / 1024),
                        number(r.statistics.truesizeRatio.mean, integer: false),
                    ]
                } else {
                    row += ["error", "error"]
                }
            }
            t.append(row)
        }
        return t.text
    }

    static func json(
        _ columns: [Column], captures: [String], name: String, filter: String?, perFile: [[CaptureFileRun.Result?]]?
    ) -> String {
        let metrics = metrics(columns)
        var o = JSONObject()
        o.add("v", 1)
        o.raw("captures", "[" + captures.map(JSONObject.quote).joined(separator: ",") + "]")
        if let filter { o.add("filter", filter) } else { o.addNull("filter") }
        o.add("baseline", columns[0].configuration.name)
        var configs: [String] = []
        for (i, c) in columns.enumerated() {
            var e = JSONObject()
            e.add("name", c.configuration.name)
            e.add("options", c.configuration.optionsText)
            var values = JSONObject()
            var diff = JSONObject()
            for m in metrics {
                let v = m.values[i]
                if m.isInteger {
                    values.add(m.key, Int(v))
                    diff.add(m.key, Int(v - m.values[0]))
                } else {
                    values.add(m.key, v)
                    diff.add(m.key, v - m.values[0])
                }
            }
            e.add("metrics", values)
            if i == 0 { e.addNull("diff") } else { e.add("diff", diff) }
            let s = c.configuration.simulation
            e.raw(
                "stats",
                Stats.json(c.statistics, capture: name, linkType: c.linkTypeName, profile: s.profile))
            if let t = c.timeline {
                var tl = JSONObject()
                tl.add("bucket_ns", Int(t.bucketNanoseconds))
                if let start = t.startNanoseconds { tl.add("start_ns", Int(start)) } else { tl.addNull("start_ns") }
                let points = t.points
                tl.raw("memory_bytes", "[" + points.map { String($0.memoryBytes) }.joined(separator: ",") + "]")
                tl.raw(
                    "page_frag_refills", "[" + points.map { String($0.pageFragRefills) }.joined(separator: ",") + "]")
                e.add("timeline", tl)
            } else {
                e.addNull("timeline")
            }
            configs.append(e.text)
        }
        o.raw("configurations", "[" + configs.joined(separator: ",") + "]")
        if let perFile {
            var files: [String] = []
            for (f, file) in captures.enumerated() {
                var e = JSONObject()
                e.add("capture", file)
                var byConfig = JSONObject()
                for (c, column) in columns.enumerated() {
                    if let r = perFile[c][f] {
                        var v = JSONObject()
                        v.add("packets", r.statistics.packets)
                        v.add("peak_memory_bytes", r.statistics.peakMemoryBytes)
                        v.add("truesize_len_mean", r.statistics.truesizeRatio.mean)
                        v.add("skbs_after_gro", r.skbsAfterGRO)
                        v.add("drops", Int(r.statistics.totalDrops))
                        byConfig.add(column.configuration.name, v)
                    } else {
                        byConfig.addNull(column.configuration.name)
                    }
                }
                e.add("configurations", byConfig)
                files.append(e.text)
            }
            o.raw("files", "[" + files.joined(separator: ",") + "]")
        }
        return o.text
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return s
    }
}
