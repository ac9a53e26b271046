import Capture
import Foundation
import SampleKit
import TestSupport
import Testing

/// `skbsim stats`, `skbsim trace`, the shared model options and `export --gro`,
/// all through the Release module's `PacketRun` driver.
enum RunFixtures {
    /// A bulk TCP transfer without the timestamp option, so that GRO merges
    /// its full-sized data segments: handshake, request, `segments` segments
    /// (PSH every 16th), close. 100 µs apart, Ethernet, microsecond pcap.
    static func mergingFlow(segments: Int = 64) throws -> URL {
        var flow = TestHosts.bulkFlow()
        var frames = flow.handshake()
        frames.append(flow.send(Array("GET / HTTP/1.1\r\n\r\n".utf8), from: .clientToServer, push: true))
        for n in 1...segments {
            frames.append(
                flow.send(
                    TCPFlow.pattern(count: flow.segmentPayload, seed: UInt32(n)), from: .serverToClient,
                    push: n % 16 == 0))
        }
        frames += flow.close(from: .serverToClient)
        var writer = PcapWriter(linkType: 1)
        for (i, frame) in frames.enumerated() {
            writer.append(frame, timestamp: 1_767_225_600_000_000_000 + UInt64(i) * 100_000)
        }
        let url = temporaryFile("flow.pcap")
        try Data(writer.bytes).write(to: url)
        return url
    }

    static func statsJSON(_ arguments: [String]) throws -> (CLIRun, [String: Any]) {
        let result = try CLIRun.run(["stats", "--json"] + arguments)
        #expect(result.stdoutLines.count == 1, "stdout: \(result.stdout)")
        let object = try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return (result, object)
    }
}

@Suite struct StatsCommandTests {
    @Test(arguments: [
        ("icmp-echo.pcap", 8), ("udp-dns.pcap", 6), ("tcp-handshake.pcap", 11), ("vlan.pcap", 10),
        ("ipv6-tcp.pcap", 10), ("jumbo-9000.pcap", 37), ("linux-sll.pcap", 3), ("raw-ip.pcap", 5),
    ])
    func countsAreExactAndClean(sample: String, packets: Int) throws {
        let (result, j) = try RunFixtures.statsJSON([Repository.sample(sample)])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stderr.isEmpty)
        #expect(j["v"] as? Int == 1)
        #expect(j["packets"] as? Int == packets)
        // linux-sll.pcap: 2 of its 5 packets were sent by the capturing host (PACKET_OUTGOING).
        let skipped = try #require(j["not_modelled"] as? [String: Any])
        #expect(skipped["total"] as? Int == (sample == "linux-sll.pcap" ? 2 : 0))
        #expect(j["skbs_allocated"] as? Int == packets)
        #expect(j["delivered"] as? Int == packets)
        #expect(j["consumed"] as? Int == packets)
        #expect(j["gro"] as? Bool == false)
        #expect(j["gro_stats"] is NSNull)
        let drops = try #require(j["drops"] as? [String: Any])
        #expect(drops["total"] as? Int == 0)
        let checker = try #require(j["checker"] as? [String: Any])
        #expect(checker["clean"] as? Bool == true)
        #expect(checker["leaks"] as? Int == 0)
        let ratio = try #require(j["truesize_len"] as? [String: Any])
        #expect(ratio["count"] as? Int == packets)
        #expect((ratio["p50"] as? Double ?? 0) >= 1)
    }

    @Test func textNamesEveryFigure() throws {
        let result = try CLIRun.run(["stats", "--rx-path", "build-skb", Repository.sample("jumbo-9000.pcap")])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let lines = result.stdoutLines.map(String.init)
        for prefix in [
            "capture:", "rx path:               build-skb", "packets:               37", "skbs allocated:        37",
            "page_frag refills:", "page_frag bytes:", "truesize/len:          mean", "peak memory:",
            "drops:                 0",
            "checker:               clean",
        ] {
            #expect(lines.contains { $0.hasPrefix(prefix) }, "no line \(prefix)")
        }
    }

    @Test func groMergesAGeneratedFlow() throws {
        let flow = try RunFixtures.mergingFlow()
        defer { try? FileManager.default.removeItem(at: flow) }
        let (off, a) = try RunFixtures.statsJSON([flow.path])
        let (on, b) = try RunFixtures.statsJSON(["--gro", "--rx-path", "napi-alloc-skb", flow.path])
        #expect(off.status == 0 && on.status == 0, "stderr: \(on.stderr)")
        let packets = try #require(a["packets"] as? Int)
        #expect(b["packets"] as? Int == packets)
        #expect(a["delivered"] as? Int == packets)
        let gro = try #require(b["gro_stats"] as? [String: Any])
        let merges = try #require(gro["merges"] as? Int)
        #expect(merges > 0)
        // Every merged segment is one skb fewer going up.
        #expect(b["delivered"] as? Int == packets - merges)
        #expect((gro["flushes"] as? Int ?? 0) > 0)
        #expect((b["checker"] as? [String: Any])?["clean"] as? Bool == true)
        let text = try CLIRun.run(["stats", "--gro", "--rx-path", "napi-alloc-skb", flow.path])
        #expect(text.stdoutLines.contains { $0.hasPrefix("gro merges:            \(merges) ") })
    }

    /// samples/tcp-bulk.pcap is regenerated elsewhere so that GRO merges it;
    /// whatever it holds, a GRO run must be clean and account for every segment.
    @Test func groOnTheBulkSampleIsConsistent() throws {
        let (result, j) = try RunFixtures.statsJSON(["--gro", Repository.sample("tcp-bulk.pcap")])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let gro = try #require(j["gro_stats"] as? [String: Any])
        #expect(j["delivered"] as? Int == (j["packets"] as? Int ?? 0) - (gro["merges"] as? Int ?? 0))
        #expect((j["checker"] as? [String: Any])?["clean"] as? Bool == true)
    }

    /// A failed rx allocation is the driver's rx_dropped, not a drop tracepoint.
    @Test func pageFailuresAreDriverDropsAndLeakNothing() throws {
        let (result, j) = try RunFixtures.statsJSON([
            "--fail-page-prob", "0.9", "--fault-seed", "3", Repository.sample("tcp-bulk.pcap"),
        ])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let driver = try #require(j["rx_driver"] as? [String: Any])
        let dropped = try #require(driver["rx_dropped"] as? Int)
        #expect(dropped > 0 && driver["alloc_failed"] as? Int == dropped)
        #expect((j["drops"] as? [String: Any])?["total"] as? Int == 0)
        #expect((j["injected_failures"] as? [String: Any])?["page"] as? Int ?? 0 >= dropped)
        #expect(j["delivered"] as? Int == (j["packets"] as? Int ?? 0) - dropped)
        #expect((j["checker"] as? [String: Any])?["clean"] as? Bool == true)
        // The same seed gives the same run.
        let (_, again) = try RunFixtures.statsJSON([
            "--fail-page-prob", "0.9", "--fault-seed", "3", Repository.sample("tcp-bulk.pcap"),
        ])
        #expect((again["rx_driver"] as? [String: Any])?["rx_dropped"] as? Int == dropped)
    }

    @Test func slabFailureNthDropsOnePacket() throws {
        let (result, j) = try RunFixtures.statsJSON(["--fail-slab-nth", "1", Repository.sample("icmp-echo.pcap")])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect((j["rx_driver"] as? [String: Any])?["rx_dropped"] as? Int == 1)
        #expect(j["delivered"] as? Int == 7)
    }

    @Test func rcvbufDropsAndSocketQueueHoldsMemory() throws {
        let (small, a) = try RunFixtures.statsJSON(["--rcvbuf", "500", Repository.sample("icmp-echo.pcap")])
        #expect(small.status == 0, "stderr: \(small.stderr)")
        #expect(((a["drops"] as? [String: Any])?["by_reason"] as? [String: Any])?["SOCKET_RCVBUFF"] as? Int == 8)
        let (_, b) = try RunFixtures.statsJSON(["--socket-queue", "4", Repository.sample("icmp-echo.pcap")])
        #expect(b["peak_sk_rmem_alloc"] as? Int == 5 * 960)
    }

    @Test func optionsReachTheModel() throws {
        let (r, j) = try RunFixtures.statsJSON([
            "--drop-reasons", "6.8", "--release-order", "seed", "--memory", "64M", "--napi-budget", "8",
            Repository.sample("udp-dns.pcap"),
        ])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(j["kernel"] as? String == "6.8")
        #expect(j["release_order"] as? String == "seed")
    }
}

@Suite struct TraceCommandTests {
    /// The text trace of the first packet of samples/icmp-echo.pcap, its
    /// memory counters (slab caches, socket, RAM in use) included.
    static let icmpFirstPacket = """
        #0 pkt 0 track 1 flow 1 skb 0 ffff888000000000 00:00:00.000000000 __alloc_skb(cache=skbuff_cache, fclone=SKB_FCLONE_UNAVAILABLE) len 0 data_len 0 truesize 960 headroom 0 nr_frags 0 proto 0x0000
        #1 pkt 0 slab_cache 13 00:00:00.000000000 kmem_cache(active_objects=1, bytes=4096) name=skbuff_cache
        #2 pkt 0 slab_cache 15 00:00:00.000000000 kmem_cache(active_objects=1, bytes=16384) name=skbuff_small_head
        #3 pkt 0 memory 0 00:00:00.000000000 nr_free_pages(used_pages=5, used_bytes=20480) name=memory
        #4 pkt 0 track 1 flow 1 skb 0 ffff888000000000 00:00:00.000000000 kmalloc_reserve(head=0xffff888000004000, size=704) len 0 data_len 0 truesize 960 headroom 0 nr_frags 0 proto 0x0000
        #5 pkt 0 track 1 flow 1 skb 0 ffff888000000000 00:00:00.000000000 skb_reserve(+64) len 0 data_len 0 truesize 960 headroom 64 nr_frags 0 proto 0x0000
        #6 pkt 0 track 1 flow 1 skb 0 ffff888000000000 00:00:00.000000000 __skb_put(+98) len 98 data_len 0 truesize 960 headroom 64 nr_frags 0 proto 0x0000
        #7 pkt 0 track 1 flow 1 skb 0 ffff888000000000 00:00:00.000000000 memcpy(bytes=98, offset=64) len 98 data_len 0 truesize 960 headroom 64 nr_frags 0 proto 0x0000
        #8 pkt 0 track 1 flow 1 skb 0 ffff888000000000 00:00:00.000000000 skb_pull(-14) len 84 data_len 0 truesize 960 headroom 78 nr_frags 0 proto 0x0800
        #9 pkt 0 track 1 flow 1 skb 0 ffff888000000000 00:00:00.000000000 eth_type_trans(network_header=78, transport_header=98) len 84 data_len 0 truesize 960 headroom 78 nr_frags 0 proto 0x0800
        #10 pkt 0 track 1 flow 1 skb 0 ffff888000000000 00:00:00.000000000 consume_skb location=consume_skb
        #11 pkt 0 socket 0 00:00:00.000000000 sk_rmem_alloc(rmem_alloc=960, queued=0) name=socket 0
        #12 pkt 0 track 1 flow 1 skb 0 ffff888000000000 00:00:00.000000000 skb_release_head_state(destructor=sock_rfree) len 84 data_len 0 truesize 960 headroom 78 nr_frags 0 proto 0x0800
        #13 pkt 0 track 1 flow 1 skb 0 ffff888000000000 00:00:00.000000000 skb_kfree_head(head=0xffff888000004000, free_kind=kfree, offset=0) len 84 data_len 0 truesize 960 headroom 78 nr_frags 0 proto 0x0800
        #14 pkt 0 socket 0 00:00:00.000000000 sk_rmem_alloc(rmem_alloc=0, queued=0) name=socket 0
        #15 pkt 0 track 1 flow 1 skb 0 ffff888000000000 00:00:00.000000000 kfree_skbmem(cache=skbuff_cache, fclone=SKB_FCLONE_UNAVAILABLE) len 84 data_len 0 truesize 960 headroom 78 nr_frags 0 proto 0x0800
        #16 pkt 0 slab_cache 15 00:00:00.000000000 kmem_cache(active_objects=0, bytes=16384) name=skbuff_small_head
        #17 pkt 0 slab_cache 13 00:00:00.000000000 kmem_cache(active_objects=0, bytes=4096) name=skbuff_cache

        """

    @Test func textGoldenForOnePacket() throws {
        let result = try CLIRun.run(["trace", "-c", "1", Repository.sample("icmp-echo.pcap")])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout == Self.icmpFirstPacket)
    }

    /// The CLI runs the same driver as the Release module's goldens.
    @Test(arguments: [("text", "icmp-echo.text"), ("jsonl", "icmp-echo.jsonl"), ("perfetto-json", "icmp-echo.json")])
    func matchesTheReleaseGoldens(format: String, golden: String) throws {
        let out = temporaryFile("trace")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try CLIRun.run(["trace", "--format", format, "-o", out.path, Repository.sample("icmp-echo.pcap")])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.isEmpty)
        let expected = try String(
            contentsOf: Repository.root.appendingPathComponent("Tests/ReleaseTests/Golden/\(golden)"), encoding: .utf8)
        #expect(try String(contentsOf: out, encoding: .utf8) == expected)
    }

    @Test func jsonlLinesParseWithVersionTwo() throws {
        let result = try CLIRun.run([
            "trace", "--format", "jsonl", "--rx-path", "sg-copybreak", Repository.sample("jumbo-9000.pcap"),
        ])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let lines = result.stdoutLines
        #expect(lines.count > 37)
        for line in lines {
            let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            #expect(object["v"] as? Int == 2)
            // An event, or a flow record (no kind).
            #expect(object["kind"] is String || object["src"] is String)
        }
    }

    @Test func perfettoParsesAsATraceDocument() throws {
        let flow = try RunFixtures.mergingFlow(segments: 16)
        defer { try? FileManager.default.removeItem(at: flow) }
        let result = try CLIRun.run(["trace", "--format", "perfetto-json", "--gro", flow.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let doc = try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let events = try #require(doc["traceEvents"] as? [[String: Any]])
        #expect(!events.isEmpty)
        #expect(events.allSatisfy { $0["ph"] is String })
    }

    /// docs/release-pipeline.md: the seed order calls the (non-existent)
    /// per-frag destructors before skb->destructor; the kernel order does not.
    @Test func seedOrderAddsPerFragDestructors() throws {
        let args = ["trace", "--rx-path", "sg-copybreak", "-c", "5", Repository.sample("jumbo-9000.pcap")]
        let kernel = try CLIRun.run(args)
        let seed = try CLIRun.run(args + ["--release-order", "seed"])
        #expect(kernel.status == 0 && seed.status == 0)
        // The step after "skb ID ADDRESS TIME"; "" for counter lines (no skb).
        func fn(_ line: Substring) -> Substring {
            let t = line.split(separator: " ")
            guard let i = t.firstIndex(of: "skb"), i + 4 < t.count else { return "" }
            return t[i + 4].prefix { $0 != "(" }
        }
        #expect(!kernel.stdoutLines.contains { fn($0) == "shinfo->destructor[i]" })
        // Packet 4 is the first 9000-byte frame: 5 frags on sg-copybreak.
        // The skb events (not the memory counters) of packet 4.
        let seedFns = seed.stdoutLines.filter { $0.contains(" pkt 4 track ") }.map(fn)
        let kernelFns = kernel.stdoutLines.filter { $0.contains(" pkt 4 track ") }.map(fn)
        #expect(seedFns.filter { $0 == "shinfo->destructor[i]" }.count == 5)
        let firstDestructor = try #require(seedFns.firstIndex(of: "shinfo->destructor[i]"))
        #expect(seedFns[firstDestructor + 5] == "skb_release_head_state")
        // The same skb is built; the kernel's TCP reader frees it with
        // tcp_eat_recv_skb (sock_rfree, then the NAPI skb cache, no
        // tracepoint), the seed order with consume_skb through its stages.
        let built = kernelFns.firstIndex(of: "tcp_eat_recv_skb") ?? kernelFns.count
        #expect(Array(seedFns.prefix(built)) == Array(kernelFns.prefix(built)))
        #expect(
            Array(kernelFns[built...]) == ["tcp_eat_recv_skb"] + Array(repeating: "__skb_frag_unref", count: 5) + [
                "skb_kfree_head", "napi_skb_cache_put",
            ])
        #expect(
            Array(seedFns.filter { $0 != "shinfo->destructor[i]" }[built...])
                == ["consume_skb", "skb_release_head_state"] + Array(repeating: "__skb_frag_unref", count: 5) + [
                    "skb_kfree_head", "kfree_skbmem",
                ])
    }

    @Test func leakOrBugIsNotHiddenByOutput() throws {
        // A clean run over stdin with -o - : exit 0, nothing on stderr.
        let url = URL(fileURLWithPath: Repository.sample("udp-dns.pcap"))
        let result = try CLIRun.run(["trace", "-o", "-", "-"], stdin: url)
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty)
        #expect(result.stdoutLines.count > 6)
    }

    @Test func unwritableOutputExitsOne() throws {
        let result = try CLIRun.run(["trace", "-o", "/nonexistent/dir/t.txt", Repository.sample("icmp-echo.pcap")])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("skbsim: /nonexistent/dir/t.txt: cannot create"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }
}

@Suite struct GROExportTests {
    @Test func exportWritesSuperPacketsThatReadBack() throws {
        let flow = try RunFixtures.mergingFlow()
        let out = temporaryFile("gro.pcap")
        defer {
            try? FileManager.default.removeItem(at: flow)
            try? FileManager.default.removeItem(at: out)
        }
        let result = try CLIRun.run(["export", "--gro", "--rx-path", "napi-alloc-skb", "-o", out.path, flow.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        var original: [[UInt8]] = []
        try CaptureReader(path: flow.path).forEachPacket { original.append(Array($0.bytes)) }
        var exported: [(bytes: [UInt8], wire: Int, ts: Int64)] = []
        let reader = try CaptureReader(path: out.path)
        #expect(reader.linkType == .ethernet)
        try reader.forEachPacket { exported.append((Array($0.bytes), $0.wireLength, $0.timestampNanoseconds)) }
        let (_, stats) = try RunFixtures.statsJSON(["--gro", "--rx-path", "napi-alloc-skb", flow.path])
        #expect(exported.count == stats["delivered"] as? Int)
        #expect(exported.count < original.count)
        let big = exported.filter { $0.bytes.count > 1514 }
        #expect(!big.isEmpty)
        #expect(big.allSatisfy { $0.wire == $0.bytes.count })
        // Same bytes on the wire, headers aside: total TCP payload is kept.
        func payload(_ frame: [UInt8]) -> Int {
            let ihl = Int(frame[14] & 0x0f) * 4
            let total = Int(frame[16]) << 8 | Int(frame[17])
            let doff = Int(frame[14 + ihl + 12] >> 4) * 4
            return total - ihl - doff
        }
        #expect(exported.map { payload($0.bytes) }.reduce(0, +) == original.map(payload).reduce(0, +))
        // A super-packet's IPv4 total length covers it whole (inet_gro_complete).
        for e in big { #expect(Int(e.bytes[16]) << 8 | Int(e.bytes[17]) == e.bytes.count - 14) }
        #expect(zip(exported, exported.dropFirst()).allSatisfy { $0.ts <= $1.ts })
    }

    @Test func inspectSkbShowsGROSuperPackets() throws {
        let flow = try RunFixtures.mergingFlow(segments: 16)
        defer { try? FileManager.default.removeItem(at: flow) }
        let result = try CLIRun.run(["inspect", "--skb", "--gro", "--rx-path", "napi-alloc-skb", flow.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdoutLines.contains { $0.hasPrefix("    skb: held by GRO") })
        #expect(result.stdoutLines.contains { $0.hasPrefix("    skb: merged by GRO into the skb of packet ") })
        #expect(
            result.stdoutLines.contains {
                $0.hasPrefix("    skb of packet ") && $0.contains("segment(s)), delivered now:")
            })
    }

    @Test func pagemapRunsWithGRO() throws {
        let flow = try RunFixtures.mergingFlow(segments: 16)
        defer { try? FileManager.default.removeItem(at: flow) }
        let result = try CLIRun.run(["pagemap", "-o", "-", "--gro", "--rx-path", "napi-alloc-skb", flow.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.contains("with GRO"))
        #expect(result.stdout.contains("<rect class=\"frag "))
    }
}

@Suite struct RunOptionUsageTests {
    @Test(arguments: [
        ["stats"], ["stats", "--rx-path", "dma", "x.pcap"], ["stats", "--napi-budget", "0", "x.pcap"],
        ["stats", "--release-order", "random", "x.pcap"], ["stats", "--memory", "lots", "x.pcap"],
        ["stats", "--memory", "100", "x.pcap"], ["stats", "--memory", "8G", "x.pcap"],
        ["stats", "--memory", "1000001", "x.pcap"],
        ["stats", "--fail-page-nth", "0", "x.pcap"], ["stats", "--fail-page-prob", "1.5", "x.pcap"],
        ["stats", "--fail-slab-prob", "-0.1", "x.pcap"],
        ["stats", "--fail-slab-nth", "2", "--fail-slab-prob", "0.5", "x.pcap"],
        ["stats", "--fault-seed", "-1", "x.pcap"], ["stats", "--drop-reasons", "5.10", "x.pcap"],
        ["stats", "--socket-queue", "-1", "x.pcap"], ["stats", "--rcvbuf", "0", "x.pcap"],
        ["stats", "--rcvbuf", "big", "x.pcap"],
        ["stats", "--mtu", "50", "x.pcap"], ["stats", "--max-skb-frags", "99", "x.pcap"],
        ["stats", "--json=yes", "x.pcap"],
        ["trace", "--format", "pcap", "x.pcap"], ["trace", "-c", "0", "x.pcap"], ["trace"],
        ["export", "--gro", "--napi-budget", "x", "-o", "o.pcap", "x.pcap"],
        ["inspect", "--skb", "--memory", "1K", "x.pcap"],
        ["pagemap", "-o", "m.svg", "--release-order", "", "x.pcap"],
    ])
    func exitTwoWithOneLine(arguments: [String]) throws {
        let result = try CLIRun.run(arguments)
        #expect(result.status == 2, "stderr: \(result.stderr)")
        #expect(result.stderr.hasPrefix("skbsim: "))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test(arguments: ["stats", "trace"])
    func helpShowsAnExample(subcommand: String) throws {
        let result = try CLIRun.run([subcommand, "--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Examples:"))
        #expect(result.stdout.contains("skbsim \(subcommand) "))
        for option in [
            "--gro", "--napi-budget", "--release-order", "--memory", "--fail-page-prob", "--fault-seed",
            "--drop-reasons",
            "--socket-queue", "--rcvbuf",
        ] {
            #expect(result.stdout.contains(option), "\(option) missing")
        }
    }

    @Test func missingCaptureExitsOne() throws {
        let result = try CLIRun.run(["stats", "/nonexistent/capture.pcap"])
        #expect(result.status == 1)
        #expect(result.stderr == "skbsim: /nonexistent/capture.pcap: cannot open: No such file or directory\n")
    }
}
