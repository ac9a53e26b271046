// skbsim-bench: the skbsim pipeline against a bare C libpcap loop.
//
//   swift run -c release --package-path Benchmarks skbsim-bench \
//       [--packets N] [--scale 1,4] [--rounds R] [--warmup N]
//       [--only bare,bare-mapped,decode,copy,skb,gro,jsonl,ra,pagefrag,rss] [--capture FILE] [--keep]
//
// Generates a capture (not timed), then runs every selected variant
// back-to-back in each of R rounds (rotating the order) and reports medians
// and same-round ratios to the C baseline. Rows marked -ra read with
// ReadAheadReader (libpcap on a second thread); the CPU column is the whole
// process's CPU time, so it shows when two cores are busy. See docs/performance.md.

import CBarePcap
import Capture

#if canImport(Glibc)
    import Glibc
#endif

bare_line_buffer_stdout()

// MARK: Arguments

struct Options {
    var packets = 2_000_000
    var scales = [1, 4]
    var rounds = 3
    var warmup = 10_000
    var pairs = 20_000_000
    var pairSizes = [1920, 75]
    var only: Set<String> = [
        "bare", "bare-mapped", "decode", "copy", "skb", "gro", "jsonl", "decode-ra", "skb-ra", "gro-ra", "jsonl-ra",
        "pagefrag", "rss",
    ]
    var capture: String?
    var keep = false
    var child: [String: String]?
}

func usage() -> Never {
    print(
        """
        usage: skbsim-bench [--packets N] [--scale 1,4] [--rounds R] [--warmup N] [--pairs N] [--pair-sizes 1920,75]
                            [--only bare,bare-mapped,decode,copy,skb,gro,jsonl,ra,pagefrag,rss] [--capture FILE] [--keep]
          ra = decode-ra,skb-ra,gro-ra,jsonl-ra (the read-ahead rows); skb = skb,gro,jsonl
        """)
    exit(2)
}

func parse(_ arguments: [String]) -> Options {
    var options = Options()
    var i = 0
    func value() -> String {
        i += 1
        guard i < arguments.count else { usage() }
        return arguments[i]
    }
    func int() -> Int {
        guard let n = Int(value().filter { $0 != "_" && $0 != "," }), n >= 0 else { usage() }
        return n
    }
    while i < arguments.count {
        switch arguments[i] {
        case "--packets": options.packets = int()
        case "--rounds": options.rounds = max(1, int())
        case "--warmup": options.warmup = int()
        case "--pairs": options.pairs = int()
        case "--pair-sizes":
            options.pairSizes = value().split(separator: ",").map { (text: Substring) -> Int in
                guard let n = Int(text), n > 0 else { usage() }
                return n
            }
        case "--scale":
            options.scales = value().split(separator: ",").map { (text: Substring) -> Int in
                guard let n = Int(text) else { usage() }
                return n
            }
        case "--only":
            options.only = Set(value().split(separator: ",").map(String.init))
            if options.only.contains("skb") { options.only.formUnion(["gro", "jsonl"]) }
            if options.only.contains("skb-ra") { options.only.formUnion(["gro-ra", "jsonl-ra"]) }
            if options.only.contains("ra") { options.only.formUnion(["decode-ra", "skb-ra", "gro-ra", "jsonl-ra"]) }
        case "--capture": options.capture = value()
        case "--keep": options.keep = true
        case "--child":
            // --child KEY=VALUE,...: one streaming run for the RSS figures.
            options.child = Dictionary(
                uniqueKeysWithValues: value().split(separator: ",").map {
                    let kv = $0.split(separator: "=", maxSplits: 1)
                    return (String(kv[0]), String(kv[1]))
                })
        case "-h", "--help": usage()
        default:
            print("unknown argument \(arguments[i])")
            usage()
        }
        i += 1
    }
    return options
}

// MARK: Variants

enum Variant: String, CaseIterable {
    case bare
    case bareMapped = "bare-mapped"
    case decode
    case decodeRA = "decode-ra"
    case copy
    // Rows (2)-(4), selected together by `--only skb` (or one by one), each
    // followed by its read-ahead twin (`--only skb-ra`, or `ra` for all).
    case skb
    case skbRA = "skb-ra"
    case gro
    case groRA = "gro-ra"
    case jsonl
    case jsonlRA = "jsonl-ra"

    var label: String {
        switch self {
        case .bare: "(1) bare C libpcap loop (pcap_next_ex, -O2)"
        case .bareMapped: "(1m) (1) over CaptureReader's mmap stream"
        case .decode: "(2a) CaptureReader + HeaderDecoder.decode"
        case .copy: "(2b) (2a) + page_frag_alloc/copyIn/free"
        case .skb: SkbRow.noSink.label
        case .gro: SkbRow.gro.label
        case .jsonl: SkbRow.jsonLinesToDevNull.label
        case .decodeRA: "(2a-ra) (2a), read + decode on 2nd thread"
        case .skbRA: "(2ra) (2) with ReadAheadReader"
        case .groRA: "(3ra) (3) with ReadAheadReader"
        case .jsonlRA: "(4ra) (4) with ReadAheadReader"
        }
    }

    /// Whether the peak-RSS children run it.
    var inRSS: Bool { self != .jsonl && self != .jsonlRA }

    var readAhead: Bool { [.decodeRA, .skbRA, .groRA, .jsonlRA].contains(self) }

    func run(path: String, warmup: Int, countMallocs: Bool) throws -> StreamResult {
        let bench = StreamingBench(path: path, warmup: warmup, countMallocs: countMallocs, readAhead: readAhead)
        switch self {
        case .bare: return measureBare(path: path)
        case .bareMapped: return measureBare(path: path, mapped: true)
        case .decode, .decodeRA: return try bench.measure { DecodeOnly($0) }
        case .copy: return try bench.measure { DecodeCopyPageFrag($0) }
        case .skb, .skbRA: return try SkbPipelineRows.run(.noSink, bench)!
        case .gro, .groRA: return try SkbPipelineRows.run(.gro, bench)!
        case .jsonl, .jsonlRA: return try SkbPipelineRows.run(.jsonLinesToDevNull, bench)!
        }
    }
}

// MARK: Child mode (peak RSS of one streaming run)

let options = parse(Array(CommandLine.arguments.dropFirst()))

if let child = options.child {
    guard let variant = child["variant"].flatMap(Variant.init(rawValue:)), let path = child["capture"],
        let result = child["result"]
    else { usage() }
    let run = try variant.run(path: path, warmup: 0, countMallocs: false)
    let rss = peakRSS()
    writeFile(result, "\(rss.maxrss) \(rss.hwm ?? -1) \(run.packets)\n")
    exit(0)
}

// Counting needs the interposer ahead of libc; re-exec with LD_PRELOAD if it is not.
if !MallocCounter.isActive && getenv("SKBSIM_BENCH_PRELOADED") == nil {
    let exe = executablePath
    let library = String(exe[..<(exe.lastIndex(of: "/") ?? exe.startIndex)]) + "/libMallocInterposerSwift.so"
    if access(library, R_OK) == 0 {
        setenv("LD_PRELOAD", library, 1)
        setenv("SKBSIM_BENCH_PRELOADED", "1", 1)
        let argv = CommandLine.arguments.map { strdup($0) } + [nil]
        execv(exe, argv)
        print("execv failed: \(String(cString: strerror(errno)))")
    }
}
let countMallocs = MallocCounter.isActive

// MARK: Capture

print("skbsim-bench")
print("machine: \(Machine.summary)")
let directory = makeTemporaryDirectory()
var generatedFiles: [String] = []

@MainActor func generate(_ packets: Int, name: String) -> GeneratedCapture {
    let path = directory + "/" + name
    let start = monotonicNanos()
    let capture = CaptureGenerator.write(path: path, packets: packets)
    generatedFiles.append(path)
    let seconds = Double(monotonicNanos() - start) / 1e9
    func share(_ n: Int) -> String { fixed(100 * Double(n) / Double(capture.packets), 1) + "%" }
    print(
        "capture: \(path): \(grouped(capture.packets)) packets, \(fixed(Double(capture.bytesOnDisk) / 1e6, 1)) MB,"
            + " <=100 B \(share(capture.small)), 1514 B \(share(capture.full)), between \(share(capture.medium)),"
            + " TCP bulk \(share(capture.bulk)); generated in \(fixed(seconds, 1)) s (not measured)")
    return capture
}

let capturePath: String
if let given = options.capture {
    capturePath = given
    print("capture: \(given) (given)")
} else {
    capturePath = generate(options.packets, name: "bench-1x.pcap").path
}
print("malloc counting: \(countMallocs ? "ordo-one/malloc-interposer" : "unavailable (interposer not active)")")
print(
    "rounds: \(options.rounds), warm-up: \(grouped(options.warmup)) packets per Swift run (outside the clock and the malloc window)"
)
print("")

// MARK: Throughput rounds

let selected = Variant.allCases.filter { options.only.contains($0.rawValue) || $0 == .bare }
var results: [Variant: [StreamResult]] = [:]
var ratios: [Variant: [Double]] = [:]
_ = measureBare(path: capturePath)  // page cache warm-up, not recorded
for round in 0..<options.rounds {
    let order = selected.indices.map { selected[($0 + round) % selected.count] }
    var thisRound: [Variant: StreamResult] = [:]
    for variant in order {
        thisRound[variant] = try variant.run(path: capturePath, warmup: options.warmup, countMallocs: countMallocs)
    }
    for variant in selected {
        let result = thisRound[variant]!
        results[variant, default: []].append(result)
        ratios[variant, default: []].append(result.packetsPerSecond / thisRound[.bare]!.packetsPerSecond)
    }
    print(
        "round \(round + 1): "
            + selected.map { v -> String in
                let r = thisRound[v]!
                // Cores used by read-ahead runs: a slow round at ~1 core means the threads shared one.
                let cores =
                    v.rawValue.hasSuffix("-ra")
                    ? " [\(fixed(r.cores, 2)) cores, main \(fixed(r.mainThreadCpuNsPerPacket, 0)) ns]" : ""
                return "\(v.rawValue) \(fixed(r.nsPerPacket, 1)) ns\(cores)"
            }.joined(separator: ", "))
}

// MARK: page_frag pairs

var pairResults: [(String, PairResult)] = []
if options.only.contains("pagefrag") {
    for size in options.pairSizes {
        // Median of `rounds` runs by thread-CPU time (the busy machine preempts wall time).
        let runs = (0..<options.rounds).map { _ in
            measurePageFragPairs(fragsz: size, pairs: options.pairs, countMallocs: countMallocs)
        }
        let med = runs.sorted { $0.cpuNanoseconds < $1.cpuNanoseconds }[runs.count / 2]
        pairResults.append(("(5) page_frag alloc+free pair, \(size) B", med))
    }
}

// MARK: Peak RSS, each run in its own process

var rss: [Variant: [Int: (Int, Int)]] = [:]
if options.only.contains("rss") {
    for scale in options.scales {
        let path = scale == 1 ? capturePath : generate(options.packets * scale, name: "bench-\(scale)x.pcap").path
        for variant in selected where variant.inRSS {
            let resultFile = directory + "/rss-\(variant.rawValue)-\(scale).txt"
            let status = runChild(["--child", "variant=\(variant.rawValue),capture=\(path),result=\(resultFile)"])
            precondition(status == 0, "child for \(variant) at \(scale)x failed (status \(status))")
            let fields = (readFile(resultFile) ?? "").split(separator: " ").compactMap { Int($0.filter { $0 != "\n" }) }
            removeFile(resultFile)
            rss[variant, default: [:]][scale] = (fields[0], fields[1])
        }
        if scale != 1 && !options.keep {
            removeFile(path)
            generatedFiles.removeAll { $0 == path }
        }
    }
}

// MARK: Report

func mb(_ kib: Int) -> String { fixed(Double(kib) / 1024, 1) + " MB" }

let header = [
    "variant", "packets", "ns/packet", "packets/s", "ratio to (1)", "CPU ns/packet: all (main) [cores]",
    "mallocs/packet", "peak RSS (VmHWM, 1x)",
]
var rows: [[String]] = []
for variant in selected {
    let runs = results[variant]!
    let ns = median(runs.map(\.nsPerPacket))
    let mallocs = runs.compactMap(\.mallocsPerPacket).max()
    rows.append([
        variant.label, grouped(runs[0].packets), fixed(ns, 1), grouped(Int(1e9 / ns)),
        variant == .bare ? "1.000" : fixed(median(ratios[variant]!), 3),
        fixed(median(runs.map(\.cpuNsPerPacket)), 1) + " (" + fixed(median(runs.map(\.mainThreadCpuNsPerPacket)), 1)
            + ") ["
            + fixed(median(runs.map(\.cores)), 2) + "]",
        variant == .bare || variant == .bareMapped
            ? "(not counted)" : mallocs.map { fixed($0, 3) + " (\(runs.compactMap(\.mallocs).max()!))" } ?? "n/a",
        rss[variant]?[1].map { mb($0.1) } ?? "-",
    ])
}
for (label, pair) in pairResults {
    let result = pair.stream
    rows.append([
        label, grouped(result.packets) + " pairs", fixed(result.nsPerPacket, 1) + "/pair",
        grouped(Int(result.packetsPerSecond)) + "/s",
        "", fixed(pair.cpuNsPerPair, 1) + "/pair (thread)",
        result.mallocsPerPacket.map { fixed($0, 3) + "/pair" } ?? "n/a", "",
    ])
}

var widths = header.map(\.count)
for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
@MainActor func line(_ cells: [String]) -> String {
    "| " + cells.enumerated().map { pad($0.element, widths[$0.offset], right: $0.offset > 0) }.joined(separator: " | ")
        + " |"
}
print("")
print(line(header))
print(
    "|"
        + widths.enumerated().map { String(repeating: "-", count: $0.element + 1) + ($0.offset > 0 ? ":" : "-") }
        .joined(separator: "|") + "|")
rows.forEach { print(line($0)) }
print("")
print("ns/packet: median of \(options.rounds) rounds; ratio: median of same-round packets/s ratios (target >= 0.700);")
print(
    "CPU ns/packet: process CPU time (all threads, CLOCK_PROCESS_CPUTIME_ID) / packets, median; (main) = the consuming")
print(
    "  thread alone (CLOCK_THREAD_CPUTIME_ID); cores = process CPU time / wall time (above 1: the read-ahead thread ran in parallel)."
)
print("mallocs/packet: heap allocations in the measured window / packets, total in brackets (target 0.000).")
let consumerShares = selected.compactMap { variant -> String? in
    let runs = results[variant]!.compactMap(\.consumerBatches)
    guard !runs.isEmpty else { return nil }
    let filled = runs.map(\.filled).reduce(0, +)
    let total = runs.map(\.total).reduce(0, +)
    return "\(variant.rawValue) \(fixed(100 * Double(filled) / Double(max(total, 1)), 1))%"
}
if !consumerShares.isEmpty {
    print(
        "read-ahead batches the consumer read itself (reader thread not scheduled), all rounds: "
            + consumerShares.joined(separator: ", "))
}

if !rss.isEmpty {
    print("")
    print(
        "peak RSS (VmHWM; ru_maxrss in brackets, which Linux carries over from the spawning parent), one child process per run, whole capture streamed:"
    )
    for variant in selected where variant.inRSS {
        let cells = options.scales.map { scale in
            rss[variant]?[scale].map { "\(scale)x \(mb($0.1)) [\(mb($0.0))]" } ?? "\(scale)x -"
        }
        print("  " + pad(variant.label, 45) + " " + cells.joined(separator: "   "))
    }
}

if !options.keep {
    generatedFiles.forEach(removeFile)
    rmdir(directory)
} else {
    print("kept: \(generatedFiles.joined(separator: " "))")
}
