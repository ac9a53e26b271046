import ArgumentParser
import Capture

/// tcpdump-style capture selection shared by the subcommands:
/// `[-c COUNT] [-n] (-r FILE | FILE) [EXPRESSION…]`.
struct CaptureOptions: ParsableArguments {
    @Option(
        name: .customShort("r"),
        help: ArgumentHelp("Read packets from FILE ('-' for standard input).", valueName: "FILE"))
    var readFile: String?

    @Option(
        name: .customShort("c"),
        help: ArgumentHelp("Stop after COUNT packets (that match the filter).", valueName: "COUNT"))
    var count: Int?

    @Flag(
        name: .customShort("n"),
        help: "Print addresses and ports as numbers (always the case; accepted for tcpdump habit).")
    var numeric = false

    @Flag(
        name: .customLong("no-read-ahead"),
        help: ArgumentHelp(
            "Read the capture on the main thread instead of a background thread (same results, one core)."))
    var noReadAhead = false

    @Flag(
        name: .customLong("read-ahead"),
        help: ArgumentHelp(
            "Read the capture on a background thread even from a pipe on fewer than 3 cores (the default decides: docs/performance.md)."
        ))
    var forceReadAhead = false

    @Argument(
        help: ArgumentHelp(
            "The capture file (unless -r is given), then a BPF filter expression.", valueName: "file-and-expression"))
    var words: [String] = []

    /// The usage line of a subcommand that reads a capture.
    static func usage(_ command: String, _ options: String) -> String {
        "skbsim \(command) \(options)[-c COUNT] (-r FILE | FILE) [EXPRESSION ...]"
    }

    func validate() throws {
        if let count, count < 1 {
            throw ValidationError("-c COUNT must be a positive number, got \(count)")
        }
        if forceReadAhead && noReadAhead {
            throw ValidationError("--read-ahead and --no-read-ahead contradict each other: give one")
        }
        if readFile == nil && words.isEmpty {
            throw ValidationError("no capture given: use -r FILE or name the file")
        }
    }

    /// The capture path: `-r FILE`, else the first word.
    var path: String { readFile ?? words[0] }

    /// The BPF expression: the words after the file, joined as tcpdump does.
    var filter: String? {
        let rest = readFile == nil ? Array(words.dropFirst()) : words
        return rest.isEmpty ? nil : rest.joined(separator: " ")
    }

    func openReader() throws -> CaptureReader {
        try CaptureReader(path: path, filter: filter)
    }

    /// Whether libpcap reads on a background thread (`ReadAheadReader`),
    /// handing packets over a batch at a time: `--read-ahead`, else unless
    /// `--no-read-ahead`, what `ReadAheadPolicy` says for the input and the
    /// machine (not from a pipe on fewer than 3 cores).
    var readAhead: Bool { forceReadAhead || (!noReadAhead && ReadAheadPolicy.shouldReadAhead(path: path)) }

    /// The reader the options ask for: read-ahead unless `--no-read-ahead`,
    /// or `streaming` and the input is standard input (so that each packet
    /// is handled as soon as it arrives, not when a batch is full).
    func openSource(streaming: Bool = false) throws -> any PacketSource {
        let reader = try openReader()
        return readAhead && !(streaming && path == "-") ? ReadAheadReader(reader) : reader
    }
}
