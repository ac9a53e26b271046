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
        usage: CaptureOptions.usage(
            "trace",
            "[--format FORMAT] [-o FILE] [--events KIND,...] [--packets RANGE] [--track ID] [--max-events N] [-l] [-t...] [--utc] [model options] "
        ),
        discussion: """
            Every event of the run — allocation, data copies, header pulls, GRO, \
            socket charge, the release stages, page_frag refills, the final drain — \
            in one of these formats: text (one line per event), jsonl (one JSON object \
            per line, "v":2, schema in docs/jsonl-schema.md), perfetto (Perfetto's \
            protobuf trace, .pftrace, opens in ui.perfetto.dev; docs/perfetto.md), \
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

            Every event carries the tracking id of the packet that built its skb \
            (the packet's number in the file, from 1, as inspect prints it) and its \
            flow. --events keeps some kinds (names as printed: skb_alloc, gro_merge, \
            drop, ...), --packets some packets (tracking ids: 10-20,35), --track one \
            packet's story (its skbs, and the GRO super-packet it was merged into), \
            --max-events the first N events kept; they combine with each other and \
            with the BPF filter (which chooses the packets the model sees).

            Examples:
              skbsim trace samples/icmp-echo.pcap
              skbsim trace --format jsonl -o trace.jsonl samples/tcp-bulk.pcap
              skbsim trace --format perfetto -o trace.pftrace --gro --rx-path napi-alloc-skb samples/tcp-bulk.pcap
              skbsim trace --format perfetto-json -o trace.json samples/icmp-echo.pcap
              skbsim trace --format sqlite -o run.db --gro samples/tcp-bulk.pcap
              skbsim trace --release-order seed --rx-path sg-copybreak -c 5 samples/jumbo-9000.pcap
              skbsim trace --gro --rx-path napi-alloc-skb --track 7 samples/tcp-bulk.pcap
              skbsim trace --events drop,gro_flush,gro_member --packets 1-100 samples/tcp-bulk.pcap
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

    @Option(help: ArgumentHelp("Keep only these event kinds (comma-separated, as printed).", valueName: "KIND,..."))
    var events: String?

    @Option(
        help: ArgumentHelp("Keep only the events of these packets (tracking ids from 1: 10-20,35).", valueName: "RANGE")
    )
    var packets: String?

    @Option(
        help: ArgumentHelp(
            "Keep one packet's story: its skbs and the GRO super-packet it joined (tracking id from 1).",
            valueName: "ID"))
    var track: String?

    @Option(help: ArgumentHelp("Stop writing after N events (those kept by the other filters).", valueName: "N"))
    var maxEvents: String?

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
        _ = try filterCriteria()
    }

    /// The `--events`, `--packets`, `--track`, `--max-events` values.
    func filterCriteria() throws -> EventFilter.Criteria {
        do {
            return EventFilter.Criteria(
                kinds: try events.map(EventFilter.parseKinds), packets: try packets.map(EventFilter.parseRanges),
                track: try track.map(EventFilter.parseTrack), maxEvents: try maxEvents.map(EventFilter.parseMaxEvents))
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        let criteria = try filterCriteria()
        if format == "sqlite" {
            let summary = try TraceDatabase.run(
                path: output, capture: capture, simulation: simulation,
                filter: { criteria.keepsEverything ? $0 : EventFilter(next: $0, criteria: criteria) })
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
        // Every event carries its flow: the table is filled as packets come.
        let flows = FlowTable()
        let formatSink: any EventSink =
            traceFormat == .text
            ? TextEventSink(output: out, reasons: simulation.dropReasonTable, timestamps: print.makeFormatter())
            : traceFormat.makeSink(output: out, reasons: simulation.dropReasonTable, flows: flows)
        let sink: any EventSink =
            criteria.keepsEverything ? formatSink : EventFilter(next: formatSink, criteria: criteria)
        let summary: CaptureRun.Summary
        do {
            var options = simulation.runOptions(sink: sink)
            options.flows = flows
            summary = try CaptureRun.run(capture: capture, options: options)
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
