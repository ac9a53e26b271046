import Foundation
import TestSupport
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// `skbsim compare`: each configuration's numbers against a separate
/// `skbsim stats` run of the same options (another driver loop: the CLI's
/// `CaptureRun` with read-ahead), the matrix, determinism across thread
/// counts, the chart and bad configurations.
@Suite struct CompareCommandTests {
    static func compareJSON(_ arguments: [String]) throws -> (CLIRun, [String: Any]) {
        let result = try CLIRun.run(["compare", "--json"] + arguments)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let object = try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return (result, object)
    }

    static func configurations(_ j: [String: Any]) throws -> [[String: Any]] {
        try #require(j["configurations"] as? [[String: Any]])
    }

    @Test func eachConfigurationMatchesItsOwnStatsRun() throws {
        let flow = try RunFixtures.mergingFlow()
        let configs = [("old", ["--kernel", "6.12"]), ("new", ["--kernel", "6.18", "--gro"])]
        let (_, j) = try Self.compareJSON(
            configs.flatMap { ["--config", "\($0.0)=\($0.1.joined(separator: " "))"] } + [flow.path])
        let columns = try Self.configurations(j)
        #expect(columns.map { $0["name"] as? String } == ["old", "new"])
        #expect(j["baseline"] as? String == "old")
        var peaks: [Int] = []
        for (column, config) in zip(columns, configs) {
            let (stats, s) = try RunFixtures.statsJSON(config.1 + [flow.path])
            #expect(stats.status == 0)
            let m = try #require(column["metrics"] as? [String: Any])
            #expect(m["packets"] as? Int == s["packets"] as? Int)
            #expect(m["peak_memory_kib"] as? Int == (s["peak_memory_bytes"] as? Int).map { $0 / 1024 })
            #expect(m["delivered"] as? Int == s["delivered"] as? Int)
            #expect(m["skbs_allocated"] as? Int == s["skbs_allocated"] as? Int)
            let pf = try #require(s["page_frag"] as? [String: Any])
            #expect(m["page_frag_refills"] as? Int == pf["refills"] as? Int)
            #expect(m["page_frag_order3"] as? Int == pf["order3_pages"] as? Int)
            #expect(m["page_frag_reuses"] as? Int == pf["reuses"] as? Int)
            let ratio = try #require(s["truesize_len"] as? [String: Any])
            #expect(m["truesize_len_mean"] as? Double == ratio["mean"] as? Double)
            #expect(m["truesize_len_p99"] as? Double == ratio["p99"] as? Double)
            #expect(m["peak_sk_rmem_alloc"] as? Int == s["peak_sk_rmem_alloc"] as? Int)
            #expect(m["drops"] as? Int == (s["drops"] as? [String: Any])?["total"] as? Int)
            // skbs reaching netif_receive_skb: every packet without GRO; with
            // it, what the engine sent up (GRO_NORMAL plus flushed held skbs).
            if let gro = s["gro_stats"] as? [String: Any] {
                let up = (gro["normal"] as? Int ?? -1) + (gro["flushes"] as? Int ?? -1)
                #expect(m["skbs_after_gro"] as? Int == up)
                #expect(up < (s["packets"] as? Int ?? 0))
            } else {
                #expect(m["skbs_after_gro"] as? Int == s["packets"] as? Int)
            }
            // The timeline's highest bucket is the run's peak (both at packet ends).
            let timeline = try #require(column["timeline"] as? [String: Any])
            let memory = try #require(timeline["memory_bytes"] as? [Int])
            #expect(memory.max() == s["peak_memory_bytes"] as? Int)
            peaks.append(try #require(m["peak_memory_kib"] as? Int))
        }
        #expect(columns[0]["diff"] is NSNull)
        let diff = try #require(columns[1]["diff"] as? [String: Any])
        #expect(diff["peak_memory_kib"] as? Int == peaks[1] - peaks[0])
    }

    @Test func matrixIsTheCartesianProductInOrder() throws {
        let (_, j) = try Self.compareJSON([
            "--kernel", "6.12,6.18", "--gro", "off,on", Repository.sample("tcp-bulk.pcap"),
        ])
        let columns = try Self.configurations(j)
        #expect(columns.map { $0["name"] as? String } == ["6.12, no gro", "6.12, gro", "6.18, no gro", "6.18, gro"])
        #expect(
            columns.map { $0["options"] as? String } == [
                "--kernel 6.12", "--kernel 6.12 --gro", "--kernel 6.18", "--kernel 6.18 --gro",
            ])
        let kernels = columns.map { ($0["stats"] as? [String: Any])?["kernel"] as? String }
        #expect(kernels == ["6.12", "6.12", "6.18", "6.18"])
    }

    @Test func outputDoesNotDependOnTheThreadCount() throws {
        let dir = try TemporaryDirectory()
        let sample = Repository.sample("tcp-bulk.pcap")
        var outputs: [String] = []
        var charts: [String] = []
        for jobs in ["1", "2", "3"] {
            let svg = dir.url.appendingPathComponent("chart\(jobs).svg").path
            let args = ["compare", "--jobs", jobs, "--kernel", "6.12,6.18", "--rx-path", "build-skb,napi-alloc-skb"]
            let text = try CLIRun.run(args + ["--svg", svg, sample])
            #expect(text.status == 0, "stderr: \(text.stderr)")
            let json = try CLIRun.run(args + ["--json", sample])
            outputs.append(text.stdout + json.stdout)
            charts.append(try String(contentsOfFile: svg, encoding: .utf8))
        }
        #expect(outputs[0] == outputs[1] && outputs[1] == outputs[2])
        #expect(charts[0] == charts[1] && charts[1] == charts[2])
    }

    /// One capture is read once and fanned out to the configurations'
    /// threads (`--jobs` > 1) or read by each in turn (`--jobs 1`): the same
    /// output, across many ring batches (8 of 512 packets), with a filter
    /// and -c, and up to a read error.
    @Test func readingOnceGivesWhatReadingPerConfigurationGives() throws {
        let big = try RunFixtures.mergingFlow(segments: 20_000)
        let truncated = Repository.sample("broken-truncated.pcap")
        for args in [
            [big.path], ["-c", "17001", big.path, "tcp"], [big.path, "tcp[tcpflags] & tcp-push != 0"], [truncated],
        ] {
            var runs: [CLIRun] = []
            for jobs in ["1", "2"] {
                runs.append(
                    try CLIRun.run(
                        ["compare", "--json", "--jobs", jobs, "--gro", "off,on", "--rx-path", "napi-alloc-skb"] + args))
            }
            #expect(runs[0].stdout == runs[1].stdout, "\(args)")
            #expect(runs[0].stderr == runs[1].stderr, "\(args)")
            #expect(runs[0].status == runs[1].status)
            #expect(!runs[0].stdout.isEmpty)
        }
    }

    @Test func chartHasAxesALegendAndALinePerConfiguration() throws {
        let dir = try TemporaryDirectory()
        let svg = dir.url.appendingPathComponent("gro.svg").path
        let result = try CLIRun.run([
            "compare", "--config", "plain=", "--config", "gro=--gro", "--config", "x<y=--gro --napi-budget 8",
            "--svg", svg, try RunFixtures.mergingFlow().path,
        ])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let text = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(text.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"800\""))
        #expect(text.components(separatedBy: "<polyline").count - 1 == 6)
        #expect(text.contains("simulated memory in use (MiB)"))
        #expect(text.contains("page refills"))
        #expect(text.contains("capture time (µs)"))
        #expect(text.contains(">plain</text>") && text.contains(">gro</text>") && text.contains(">x&lt;y</text>"))
        // Well-formed: the parser reads it to the end.
        let parser = XMLParser(data: Data(text.utf8))
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
    }

    @Test(arguments: [
        (
            ["--config", "a=--kernel 6.99", "--config", "b="],
            "configuration 'a' (--kernel 6.99): --kernel must be one of"
        ),
        (["--config", "a=--no-such-option", "--config", "b="], "configuration 'a' (--no-such-option):"),
        (["--config", "a=--gro", "--config", "a=--mtu 9000"], "configuration 'a' is given twice"),
        (["--config", "=--gro", "--config", "b="], "--config must be NAME=OPTIONS"),
        (["--config", "a=--gro"], "compare needs two or more configurations"),
        (["--kernel", "6.12,6.18", "--config", "a=--gro"], "not both"),
        (["--gro", "off,maybe"], "--gro takes on and/or off"),
        (["--config", "a=--mtu '9000", "--config", "b="], "unbalanced quote"),
    ])
    func badConfigurationIsOneLineAndExitTwo(arguments: [String], message: String) throws {
        let result = try CLIRun.run(["compare"] + arguments + [Repository.sample("icmp-echo.pcap")])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderrLines.count == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains(message), "stderr: \(result.stderr)")
    }

    @Test func severalCapturesSumPerConfiguration() throws {
        let a = Repository.sample("tcp-bulk.pcap")
        let b = Repository.sample("udp-dns.pcap")
        let (_, j) = try Self.compareJSON(["--kernel", "6.12,6.18", a, b])
        for column in try Self.configurations(j) {
            let options = (column["options"] as? String ?? "").split(separator: " ").map(String.init)
            var packets = 0
            var peak = 0
            for file in [a, b] {
                let (_, s) = try RunFixtures.statsJSON(options + [file])
                packets += s["packets"] as? Int ?? 0
                peak = max(peak, (s["peak_memory_bytes"] as? Int ?? 0) / 1024)
            }
            let m = try #require(column["metrics"] as? [String: Any])
            #expect(m["packets"] as? Int == packets)
            #expect(m["peak_memory_kib"] as? Int == peak)
        }
        let files = try #require(j["files"] as? [[String: Any]])
        #expect(files.map { $0["capture"] as? String } == [a, b])
    }
}
