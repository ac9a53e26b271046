import ArgumentParser
import Release
import Trace

#if canImport(Glibc)
    import Glibc
#endif

/// `skbsim trace`: the model's event stream over a capture.
struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Write the skb lifecycle event stream of a run (text, JSON Lines, Perfetto or SQLite).",
        usage: CaptureOptions.usage("trace", "[--format FORMAT] [-o FILE] [-l] [-t...] [--utc] [model options] "),
        discussion: """
            Every event of the run — allocation, data copies, header pulls, GRO, \
            socket charge, the release stages, page_frag refills, the final drain — \
            in one of these formats: text (one line per event), jsonl (one JSON object \
            per line, "v":1, schema in docs/jsonl-schema.md), perfetto (Perfetto's \
            protobuf trace, .pftrace, opens in ui.perfetto.dev; docs/perfetto.md) or \
            perfetto-json (Chrome trace JSON, the same tracks, several times larger) \
            or sqlite (a database file, -o required; tables and queries in \
            docs/sqlite-schema.md). \
            Memory counters (page_frag caches, slab caches, sk_rmem_alloc, RAM in use) \
            are part of every format. Standard output unless -o FILE. The \
            exit status is 1 when the checker found a leak or a memory bug (the trace \
            is complete; the reports go to standard error).

            With --release-order seed the release runs the seed document's stage \
            order, including its per-frag destructor calls: on an skb with frags \
            there is one extra `destructor` event (arg0 5) per frag before \
            skb->destructor (docs/release-pipeline.md).

            Examples:
              skbsim trace samples/icmp-echo.pcap
              skbsim trace --format jsonl -o trace.jsonl samples/tcp-bulk.pcap
              skbsim trace --format perfetto -o trace.pftrace --gro --rx-path napi-alloc-skb samples/tcp-bulk.pcap
              skbsim trace --format perfetto-json -o trace.json samples/icmp-echo.pcap
              skbsim trace --format sqlite -o run.db --gro samples/tcp-bulk.pcap
              skbsim trace --release-order seed --rx-path sg-copybreak -c 5 samples/jumbo-9000.pcap
            """
    )

    @Option(
        help: ArgumentHelp(
            "Output format: \(TraceCommand.formats.joined(separator: ", ")).", valueName: "FORMAT"))
    var format: String = TraceFormat.text.rawValue

    @Option(
        name: .customShort("o"),
        help: ArgumentHelp("Write the trace to FILE ('-', the default, for standard output).", valueName: "FILE"))
    var output: String = "-"

    @OptionGroup var print: PrintOptions
    @OptionGroup var simulation: SimulationOptions
    @OptionGroup var capture: CaptureOptions

    /// The formats `--format` takes: the sinks' (`TraceFormat`) and `sqlite`.
    static let formats = TraceFormat.allCases.map(\.rawValue) + ["sqlite"]

    func validate() throws {
        guard Self.formats.contains(format) else {
            throw ValidationError("--format must be one of \(Self.formats.joined(separator: ", ")), got '\(format)'")
        }
        if format == "sqlite" && output == "-" {
            throw ValidationError("--format sqlite writes a database file: give it with -o FILE")
        }
    }

    func run() throws {
        if format == "sqlite" {
            let summary = try TraceDatabase.run(path: output, capture: capture, simulation: simulation)
            if summary.statistics.notModelledPackets > 0 {
                Diagnostics.warning("\(summary.statistics.notModelledPackets) packet(s) not modelled, not in the trace")
            }
            try summary.conclude(check: true)
            return
        }
        let out: TraceOutput
        if output == "-" {
            out = TraceOutput(fileDescriptor: 1)
        } else {
            do { out = try TraceOutput(path: output) } catch {
                guard case .cannotOpen(_, let code) = error else { throw InputError(description: "\(error)") }
                throw InputError(description: "\(output): cannot create: \(String(cString: strerror(code)))")
            }
        }
        let traceFormat = TraceFormat(rawValue: format) ?? .text
        out.lineBuffered = output == "-" && (print.lineBuffered || Diagnostics.standardOutputIsPipe)
        let sink: any EventSink =
            traceFormat == .text
            ? TextEventSink(output: out, reasons: simulation.dropReasonTable, timestamps: print.makeFormatter())
            : traceFormat.makeSink(output: out, reasons: simulation.dropReasonTable)
        let summary: CaptureRun.Summary
        do {
            summary = try CaptureRun.run(capture: capture, options: simulation.runOptions(sink: sink))
        } catch {
            out.close()
            throw error
        }
        out.close()
        if out.writeError != 0 {
            throw InputError(
                description:
                    "\(output == "-" ? "standard output" : output): write failed: \(String(cString: strerror(out.writeError)))"
            )
        }
        if summary.statistics.notModelledPackets > 0 {
            Diagnostics.warning(
                "\(summary.statistics.notModelledPackets) packet(s) not modelled, not in the trace ("
                    + summary.statistics.notModelled.map { "\($0.what): \($0.count)" }.joined(separator: ", ") + ")")
        }
        // The trace is complete for the packets read; then the read error, if any.
        try summary.conclude(check: true)
    }
}
