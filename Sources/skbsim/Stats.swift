import ArgumentParser
import Capture
import KernelMemory
import Release
import SkbModel
import Trace

/// `skbsim stats`: run a capture through the packet-run driver and print its
/// `RunStatistics`.
struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a capture through the model and print the run's statistics.",
        usage: CaptureOptions.usage("stats", "[--json | --csv] [--jobs N] [--queues N] [--by flow] [model options] ")
            + "\n  (several FILEs or directories: a row per file and the combined summary)",
        discussion: """
            Packets and bytes read, skbs allocated, delivered and consumed; page_frag \
            refills (order-3 vs order-0 pages) and reuses; fragment bytes handed out vs \
            the bytes the pages offered (waste); truesize/len of each delivered skb \
            (mean, p50, p99, max); drops by reason; peak simulated memory and \
            sk_rmem_alloc; injected allocation failures; GRO merges and flushes with \
            --gro; the checker's verdict (KASAN reports, kmemleak). Exit status 1 when \
            the checker found a leak or a memory bug (the statistics are printed first, \
            the reports go to standard error). --json prints one object (schema in \
            docs/cli.md). --by flow adds one row per flow (5-tuple): packets, skbs \
            after GRO, their truesize and len, kfree_skb drops.

            Examples:
              skbsim stats samples/tcp-bulk.pcap
              skbsim stats --gro --rx-path napi-alloc-skb samples/tcp-bulk.pcap
              skbsim stats --json --rx-path build-skb -r samples/jumbo-9000.pcap
              skbsim stats --fail-page-prob 0.05 --fault-seed 7 samples/tcp-bulk.pcap
              skbsim stats --release-order seed --drop-reasons 6.8 samples/udp-dns.pcap 'udp port 53'
              skbsim stats --queues 4 samples/tcp-bulk.pcap
              skbsim stats --by flow --gro --rx-path napi-alloc-skb samples/tcp-bulk.pcap
            """
    )

    @Flag(help: "Print one JSON object instead of text (schema in docs/cli.md).")
    var json = false

    @Flag(help: "Print CSV (a header, then one row per capture) instead of text (columns in docs/cli.md).")
    var csv = false

    @Option(
        name: .customLong("jobs"),
        help: ArgumentHelp(
            "Several captures: threads running them (default: the number of cores); the output is the same for any N.",
            valueName: "N"))
    var jobs: Int?
    @Option(
        name: .customLong("by"),
        help: ArgumentHelp(
            "Add per-flow rows (KEY: flow): packets, skbs after GRO, truesize/len, drops.", valueName: "KEY"))
    var groupBy: String?

    @OptionGroup var simulation: SimulationOptions
    @OptionGroup var capture: CaptureOptions
    @OptionGroup var queueOptions: QueueOptions

    func validate() throws {
        if json && csv { throw ValidationError("--json and --csv cannot be combined") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be a positive number, got \(jobs)") }
        if let groupBy, groupBy != "flow" { throw ValidationError("--by must be 'flow', got '\(groupBy)'") }
    }

    func run() throws {
        if capture.isMany {
            guard queueOptions.queues == 1, groupBy == nil else {
                throw ValidationError(
                    "\(groupBy != nil ? "--by flow" : "--queues") runs one capture; give one FILE, not several")
            }
            return try runMany()
        }
        // Flows are looked up only when asked for: no per-packet cost otherwise.
        var options = simulation.runOptions()
        let flows = groupBy == "flow" ? FlowTable() : nil
        options.flows = flows
        // --queues N > 1: one PacketRun per rx queue (MultiQueueCaptureRun).
        var queues: MultiQueueStatistics?
        let summary: CaptureRun.Summary
        if queueOptions.queues > 1 {
            guard flows == nil else { throw ValidationError("--by flow cannot be combined with --queues") }
            (summary, queues) = try MultiQueueCaptureRun.run(capture: capture, options: options, queues: queueOptions)
        } else {
            summary = try CaptureRun.run(capture: capture, options: options)
        }
        let stats = summary.statistics
        let profile = simulation.profile
        let name = capture.path == "-" ? "stdin" : capture.path
        if json {
            var text = Stats.json(
                stats, capture: name, linkType: summary.linkTypeName, profile: profile, readError: summary.readError,
                flows: flows)
            if let queues {
                text = String(text.dropLast()) + ",\"queues\":" + MultiQueueCaptureRun.json(queues).text + "}"
            }
            print(text)
        } else if csv {
            print(Stats.csvHeader)
            print(Stats.csvRow(stats, capture: name, files: 1, readError: summary.readError))
        } else {
            print("capture:               \(name) (link-type \(summary.linkTypeName))")
            print("kernel:                \(KernelOptions.describe(profile, dropReasons: simulation.dropReasonTable))")
            if let error = summary.readError {
                // The statistics below are those of the packets before it.
                print(
                    "read error:            after \(stats.packets + stats.notModelledPackets) packet(s): \(error.message)"
                )
            }
            print(stats)
            if let queues { print(MultiQueueCaptureRun.table(queues)) }
            if let flows { print(Stats.flowRows(flows), terminator: "") }
        }
        try summary.conclude(check: true)
    }

    /// The `--json` object; keys in a fixed order (docs/cli.md).
    static func json(
        _ s: RunStatistics, capture: String, linkType: String, profile: KernelProfile,
        readError: CaptureError? = nil, files: Int? = nil, flows: FlowTable? = nil
    ) -> String {
        var o = JSONObject()
        o.add("v", 1)
        if let files {
            // The combined object of several captures.
            o.addNull("capture")
            o.add("files", files)
        } else {
            o.add("capture", capture)
        }
        o.add("link_type", linkType)
        o.add("kernel", s.kernel)
        var p = JSONObject()
        p.add("name", profile.name)
        p.add("release", profile.version.description)
        p.add("page_size", profile.config.pageSize)
        p.add("max_header", profile.config.maxHeader)
        p.add("max_skb_frags", profile.config.maxSkbFrags)
        p.add("small_head", profile.config.skbSmallHeadCacheSize)
        if let hz = profile.configHZ { p.add("config_hz", hz) } else { p.addNull("config_hz") }
        o.add("profile", p)
        o.add("rx_path", s.rxPath)
        o.add("gro", s.gro)
        o.add("release_order", s.releaseOrder)
        o.add("packets", s.packets)
        o.add("bytes", s.bytes)
        o.add("skbs_allocated", s.skbsAllocated)
        o.add("napi_skb_cache_hits", s.napiSkbCacheHits)
        o.add("delivered", s.delivered)
        o.add("consumed", Int(s.consumed))
        var pf = JSONObject()
        pf.add("refills", s.pageFragRefills)
        pf.add("order3_pages", s.pagesOrder3)
        pf.add("order0_pages", s.pagesOrder0)
        pf.add("reuses", s.pageFragReuses)
        pf.add("bytes_handed_out", s.pageFragBytesHandedOut)
        pf.add("bytes_of_pages", s.pageFragBytesOfPages)
        pf.add("waste", s.pageFragWaste)
        o.add("page_frag", pf)
        var ratio = JSONObject()
        ratio.add("count", Int(s.truesizeRatio.count))
        ratio.add("mean", s.truesizeRatio.mean)
        ratio.add("p50", s.truesizeRatio.quantile(0.5))
        ratio.add("p99", s.truesizeRatio.quantile(0.99))
        ratio.add("max", s.truesizeRatio.max)
        o.add("truesize_len", ratio)
        var drops = JSONObject()
        drops.add("total", Int(s.totalDrops))
        var byReason = JSONObject()
        for d in s.drops { byReason.add(d.reason, Int(d.count)) }
        drops.add("by_reason", byReason)
        o.add("drops", drops)
        o.add("frag_list_member_frees", Int(s.fragListMemberFrees))
        o.add("hook_drops", Int(s.hookDrops))
        var driver = JSONObject()
        driver.add("rx_dropped", s.rxDropped)
        driver.add("alloc_failed", s.rxAllocFailed)
        o.add("rx_driver", driver)
        if let g = s.rxRing {
            var ring = JSONObject()
            ring.add("driver", g.driver.rawValue)
            ring.add("descriptors", g.count)
            ring.add("buffer_bytes", g.bufferLength)
            ring.add("page_order", g.pageOrder)
            ring.add("rx_offset", g.rxOffset)
            ring.add("pages_allocated", s.rxRingStatistics.pagesAllocated)
            ring.add("buffers_reused", s.rxRingStatistics.buffersReused)
            ring.add("pages_released", s.rxRingStatistics.pagesReleased)
            ring.add("alloc_failed", s.rxRingStatistics.allocFailed)
            ring.add("no_buffer", s.rxRingStatistics.noBuffer)
            o.add("rx_ring", ring)
        }
        var csum = JSONObject()
        csum.add("mode", s.rxChecksum.rawValue)
        csum.add("right", s.checksumVerified)
        csum.add("wrong", s.checksumBad)
        csum.add("wrong_pseudo_header_only", s.checksumPseudoHeaderOnly)
        csum.add("not_verifiable", s.checksumNotVerifiable)
        o.add("rx_checksums", csum)
        o.add("peak_memory_bytes", s.peakMemoryBytes)
        o.add("peak_sk_rmem_alloc", s.peakSocketRmem)
        var injected = JSONObject()
        injected.add("page", s.injectedPageFailures)
        injected.add("slab", s.injectedSlabFailures)
        o.add("injected_failures", injected)
        if let g = s.groStatistics {
            var gro = JSONObject()
            gro.add("merges", s.groMerges)
            var merged = JSONObject()
            for m in GROMergeStrategy.allCases { merged.add(RunStatistics.name(m), g.merged[Int(m.rawValue)]) }
            gro.add("merges_by_strategy", merged)
            gro.add("flushes", s.groFlushes)
            var flushed = JSONObject()
            for c in GROFlushCause.allCases { flushed.add(c.description, g.flushed[Int(c.rawValue)]) }
            gro.add("flushes_by_cause", flushed)
            gro.add("held", g.held)
            gro.add("normal", g.normal)
            gro.add("polls", g.polls)
            gro.add("checksum_bad", g.checksumBad)
            o.add("gro_stats", gro)
        } else {
            o.addNull("gro_stats")
        }
        let v = s.verdict
        var checker = JSONObject()
        checker.add("clean", v.isClean)
        checker.add("summary", "\(v)")
        checker.add("kasan_reports", v.reports.count)
        checker.add("leaks", v.leaks.objects.count)
        checker.add("warnings", v.findings.count)
        checker.add("model_bugs", v.modelErrors.count)
        o.add("checker", checker)
        var skipped = JSONObject()
        skipped.add("total", s.notModelledPackets)
        var skippedBy = JSONObject()
        for n in s.notModelled { skippedBy.add(n.what, n.count) }
        skipped.add("by_reason", skippedBy)
        o.add("not_modelled", skipped)
        var cut = JSONObject()
        cut.add("packets", s.snaplenCut)
        cut.add("built_at", s.buildLength.rawValue)
        o.add("snaplen_cut", cut)
        var vlan = JSONObject()
        vlan.add("tagged", s.vlan.tagged)
        vlan.add("hardware_stripped", s.vlan.hardwareStripped)
        vlan.add("in_band", s.vlan.inBand)
        vlan.add("via_device", s.vlan.viaDevice)
        vlan.add("otherhost", s.vlan.otherHost)
        o.add("vlan", vlan)
        var memory = JSONObject()
        memory.add("size_bytes", s.memorySize)
        memory.add("exhausted_allocation_failures", s.exhaustedAllocationFailures)
        memory.add("exhausted_rx_dropped", s.exhaustedRxDropped)
        o.add("simulated_memory", memory)
        if let readError {
            var e = JSONObject()
            e.add("packet", (readError.packetIndex ?? 0) + 1)
            if let offset = readError.byteOffset { e.add("byte_offset", Int(offset)) } else { e.addNull("byte_offset") }
            e.add("message", readError.message)
            o.add("read_error", e)
        } else {
            o.addNull("read_error")
        }
        if let flows {
            let rows = flows.flows.map { f -> String in
                var r = JSONObject()
                r.add("flow", Int(f.id))
                r.add("src", f.key.source)
                r.add("dst", f.key.destination)
                r.add("sport", Int(f.key.sourcePort))
                r.add("dport", Int(f.key.destinationPort))
                r.add("proto", Int(f.key.ipProtocol))
                r.add("packets", Int(f.packets))
                r.add("skbs", Int(f.skbs))
                r.add("truesize", Int(f.truesize))
                r.add("len", Int(f.len))
                r.add("truesize_len", f.len > 0 ? Double(f.truesize) / Double(f.len) : .nan)
                r.add("drops", Int(f.drops))
                return r.text
            }
            o.raw("by_flow", "[" + rows.joined(separator: ",") + "]")
        }
        return o.text
    }

    /// `--by flow` in text: one line per flow, in order of first packet.
    static func flowRows(_ flows: FlowTable) -> String {
        var text = "flows:                 \(flows.flows.count)\n"
        for f in flows.flows {
            let k = f.key
            let proto =
                switch k.ipProtocol {
                case 6: "tcp"
                case 17: "udp"
                case 1: "icmp"
                case 58: "icmp6"
                default: "proto \(k.ipProtocol)"
                }
            let ratio = f.len > 0 ? "\((Double(f.truesize) / Double(f.len) * 1000).rounded() / 1000)" : "-"
            text +=
                "  flow \(f.id) \(k.source).\(k.sourcePort) > \(k.destination).\(k.destinationPort) \(proto): "
                + "packets \(f.packets), skbs \(f.skbs), truesize \(f.truesize), len \(f.len), "
                + "truesize/len \(ratio), drops \(f.drops)\n"
        }
        return text
    }
}

extension JSONObject {
    mutating func add(_ key: String, _ value: Int) { int(key, value) }
    mutating func add(_ key: String, _ value: Bool) { raw(key, value ? "true" : "false") }
    mutating func add(_ key: String, _ value: String) { string(key, value) }
    mutating func add(_ key: String, _ value: JSONObject) { raw(key, value.text) }
    mutating func addNull(_ key: String) { null(key) }
    /// Rounded to 3 decimals; non-finite values become null.
    mutating func add(_ key: String, _ value: Double) {
        guard value.isFinite else { return null(key) }
        let r = (value * 1000).rounded() / 1000
        raw(key, r == r.rounded() && abs(r) < 1e15 ? String(Int(r)) : String(r))
    }
}
