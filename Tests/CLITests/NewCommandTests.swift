import Capture
import Foundation
import KernelMemory
import SkbModel
import TestSupport
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// `skbsim layout`, `inspect --skb`, `pagemap` and `export` on the samples.
@Suite struct LayoutCommandTests {
    static func json(_ arguments: [String]) throws -> [String: Any] {
        let result = try CLIRun.run(["layout", "--json"] + arguments)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdoutLines.count == 1)
        return try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    @Test func netdevAllocSkb1500() throws {
        let j = try Self.json(["--path", "netdev-alloc-skb", "--len", "1500"])
        let head = try #require(j["head"] as? [String: Any])
        #expect(head["kind"] as? String == "page_frag")
        // Outside hard IRQ __netdev_alloc_skb takes napi_alloc_cache.page.
        #expect(head["cache"] as? String == "napi_alloc_cache")
        #expect(head["size"] as? Int == 1920)
        #expect(j["headroom"] as? Int == 64)
        #expect(j["linear"] as? Int == 1500)
        #expect(j["tailroom"] as? Int == 36)
        #expect(j["end"] as? Int == 1600)
        #expect(j["shinfo_size"] as? Int == 320)
        #expect(j["truesize"] as? Int == 2176)
        #expect(j["diagram"] as? String == "headroom 64 | linear 1500 | tailroom 36 | skb_shared_info 320")
    }

    @Test func allocSkbZero() throws {
        let j = try Self.json(["--path", "alloc-skb", "--len", "0"])
        let head = try #require(j["head"] as? [String: Any])
        #expect(head["kind"] as? String == "small_head_cache")
        #expect(head["size"] as? Int == 704)
        #expect(j["headroom"] as? Int == 0)
        #expect(j["end"] as? Int == 384)
        #expect(j["truesize"] as? Int == 960)
    }

    @Test func scatterGatherJumboHasFrags() throws {
        let j = try Self.json(["--path", "sg-copybreak", "--len", "9000"])
        #expect(j["nr_frags"] as? Int == 5)
        // Header split: Ethernet 14 + IPv4 20 + TCP 32 (timestamps) in the head.
        #expect(j["linear"] as? Int == 66)
        #expect(j["data_len"] as? Int == 8934)
        let frags = try #require(j["frags"] as? [[String: Any]])
        #expect(frags.reduce(0) { $0 + ($1["size"] as? Int ?? 0) } == 8934)
    }

    @Test func manyFragsSpillToFragList() throws {
        // 40000 bytes in ixgbe's 1536-byte buffers (MTU 1500): more than 17 frags.
        let j = try Self.json(["--path", "build-skb", "--len", "40000", "--mtu", "1500"])
        #expect(j["nr_frags"] as? Int == 17)
        let list = try #require(j["frag_list"] as? [[String: Any]])
        #expect(!list.isEmpty)
        #expect(j["len"] as? Int == 40000)
    }

    @Test func textHasDiagramAndPicture() throws {
        let result = try CLIRun.run(["layout", "--path", "netdev-alloc-skb", "--len", "1500"])
        #expect(result.status == 0)
        let lines = result.stdoutLines.map(String.init)
        #expect(lines.contains("headroom 64 | linear 1500 | tailroom 36 | skb_shared_info 320"))
        #expect(lines.contains("truesize    2176"))
        #expect(lines.contains("| headroom | data | tailroom | skb_shared_info |"))
        #expect(lines.contains("|       64 | 1500 |       36 |             320 |"))
        #expect(lines.contains { $0.contains("+ head   ") && $0.contains("page_frag (napi_alloc_cache") })
    }

    @Test(arguments: [
        ["layout", "--path", "nope", "--len", "1"], ["layout", "--path", "alloc-skb", "--len", "-1"],
        ["layout", "--path", "alloc-skb", "--len", "70000"], ["layout", "--path", "alloc-skb"],
        ["layout", "--path", "alloc-skb", "--len", "1", "--max-skb-frags", "16"],
        ["inspect", "--skb", "--rx-path", "dma", "x.pcap"], ["inspect", "--mtu", "0", "x.pcap"],
        ["inspect", "--max-skb-frags", "46", "x.pcap"], ["pagemap", "x.pcap"],
        ["pagemap", "-o", "m.svg", "--max-pages", "0", "x.pcap"],
        ["export", "x.pcap"], ["export", "-o", "o.pcap"],
    ])
    func usageErrorsExitTwoWithOneLine(arguments: [String]) throws {
        let result = try CLIRun.run(arguments)
        #expect(result.status == 2, "stderr: \(result.stderr)")
        #expect(result.stderr.hasPrefix("skbsim: "))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test(arguments: ["inspect", "layout", "pagemap", "export"])
    func helpShowsAnExample(subcommand: String) throws {
        let result = try CLIRun.run([subcommand, "--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Examples:"))
        #expect(result.stdout.contains("skbsim \(subcommand) "))
    }
}

@Suite struct InspectSkbTests {
    @Test func showsLayoutAndLifecycle() throws {
        let result = try CLIRun.run(["inspect", "--skb", "-c", "1", Repository.sample("tcp-handshake.pcap")])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let lines = result.stdoutLines.map(String.init)
        // The packet line is unchanged.
        #expect(
            lines[0]
                == "1 00:00:00.000000000 caplen 74 len 74 IP 192.0.2.1.51000 > 198.51.100.10.443: Flags [S], seq 268435456, win 64240, length 0 | mac 0 network 14 transport 34 protocol 0x0800"
        )
        #expect(
            lines[1] == "    skb: head small-head cache (skbuff_small_head), 704 bytes; len 60 data_len 0 truesize 960")
        #expect(lines[2] == "    layout: headroom 78 | linear 60 | tailroom 246 | skb_shared_info 320")
        #expect(lines[3] == "    frags: none")
        #expect(lines[4] == "    frag_list: none")
        #expect(lines[5] == "    ip_summed: CHECKSUM_UNNECESSARY (csum_level 0)")
        #expect(lines[6] == "    events:")
        #expect(lines.contains { $0.contains("eth_type_trans(") })
        // The TCP reader's free: sock_rfree, then the struct to the NAPI skb cache.
        #expect(lines.contains { $0.contains("tcp_eat_recv_skb(") })
        #expect(!lines.contains { $0.contains("consume_skb") })
        #expect(lines.last?.contains("napi_skb_cache_put(") == true)
    }

    @Test(arguments: ["netdev-alloc-skb", "napi-alloc-skb", "build-skb", "sg-copybreak"])
    func everyPathOnJumbo(path: String) throws {
        let result = try CLIRun.run(["inspect", "--skb", "--rx-path", path, Repository.sample("jumbo-9000.pcap")])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdoutLines.filter { $0.hasPrefix("    layout: ") }.count == 37)
    }
}

@Suite struct PageMapCommandTests {
    final class Counter: NSObject, XMLParserDelegate {
        var frags = 0, live = 0, pages = 0
        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            let classes = (attributes["class"] ?? "").split(separator: " ")
            if name == "rect" && classes.first == "frag" {
                frags += 1
                if classes.contains("live") { live += 1 }
            }
            if name == "g" && classes.first == "page" { pages += 1 }
        }
    }

    /// The model's own count of page_frag allocations over the same run.
    static func modelFragments(_ sample: String, _ path: RxPath) throws -> (allocations: Int, live: Int) {
        let sim = SkbSim()
        let driver = RxDriver(sim: sim, options: RxDriverOptions(path: path))
        let reader = try CaptureReader(path: Repository.sample(sample))
        try reader.forEachPacket { packet in
            if let skb = try driver.receive(packet, linkType: reader.linkType) { try sim.consume_skb(skb) }
        }
        let caches = [sim.netdevAllocCache, sim.napiAllocCache]
        // Ring buffers an skb kept: every buffer cleaned, less those copied
        // out whole and given back (none on build_skb; the copybreak path is
        // not drawn here).
        let ringBuffers = driver.ringStatistics.buffersReused + driver.ringStatistics.pagesReleased
        let allocations = caches.reduce(0) { $0 + sim.memory.pageFragCache($1).stats.allocations } + ringBuffers
        let live = sim.memory.leakReport().objects.filter { $0.owner.hasPrefix("page_frag:") }.count
        return (allocations, live)
    }

    @Test(arguments: [
        ("tcp-bulk.pcap", RxPath.netdevAllocSkb), ("tcp-bulk.pcap", .napiAllocSkb),
        ("jumbo-9000.pcap", .buildSkb), ("ipv6-tcp.pcap", .netdevAllocSkb),
    ])
    func oneBoxPerFragment(sample: String, path: RxPath) throws {
        let out = temporaryFile("pagemap.svg")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try CLIRun.run(["pagemap", "-o", out.path, "--rx-path", path.rawValue, Repository.sample(sample)])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let data = try Data(contentsOf: out)
        let parser = XMLParser(data: data)
        let counter = Counter()
        parser.delegate = counter
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        let model = try Self.modelFragments(sample, path)
        #expect(counter.frags == model.allocations)
        #expect(counter.live == model.live)
        #expect(counter.pages > 0)
    }

    @Test func deterministicAndSummarizesExtraPages() throws {
        let a = try CLIRun.run(["pagemap", "-o", "-", "--max-pages", "3", Repository.sample("tcp-bulk.pcap")])
        let b = try CLIRun.run(["pagemap", "-o", "-", "--max-pages", "3", Repository.sample("tcp-bulk.pcap")])
        #expect(a.status == 0)
        #expect(a.stdout == b.stdout)
        #expect(a.stdout.contains("more page uses"))
        #expect(a.stdout.components(separatedBy: "<g class=\"page\"").count - 1 == 3)
    }
}

@Suite struct ExportCommandTests {
    @Test(arguments: [
        ("tcp-bulk.pcap", "netdev-alloc-skb"), ("jumbo-9000.pcap", "sg-copybreak"), ("jumbo-9000.pcap", "build-skb"),
        ("vlan.pcap", "napi-alloc-skb"), ("linux-sll.pcap", "netdev-alloc-skb"), ("linux-sll2.pcap", "build-skb"),
        ("raw-ip.pcap", "netdev-alloc-skb"), ("null-loopback.pcap", "sg-copybreak"),
        ("ns-timestamps.pcapng", "netdev-alloc-skb"),
    ])
    func roundTripsThroughLibpcap(sample: String, path: String) throws {
        let out = temporaryFile("export.pcap")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try CLIRun.run(["export", "-o", out.path, "--rx-path", path, Repository.sample(sample)])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        var original: [(Int64, [UInt8], Int)] = []
        let input = try CaptureReader(path: Repository.sample(sample))
        // Packets the host sent (PACKET_OUTGOING in a cooked header) were never received: no skb, not exported.
        try input.forEachPacket { packet in
            guard HeaderDecoder.decode(packet.bytes, linkType: input.linkType).pktType != .outgoing else { return }
            original.append((packet.timestampNanoseconds, Array(packet.bytes), packet.wireLength))
        }
        if sample.hasPrefix("linux-sll") { #expect(original.count == 3) }
        var exported: [(Int64, [UInt8], Int)] = []
        let reader = try CaptureReader(path: out.path)
        #expect(reader.linkType == input.linkType)
        #expect(reader.snaplen == 262_144)
        try reader.forEachPacket { exported.append(($0.timestampNanoseconds, Array($0.bytes), $0.wireLength)) }
        #expect(exported.count == original.count)
        for (e, o) in zip(exported, original) {
            #expect(e.0 == o.0)
            #expect(e.1.count == o.1.count)
            #expect(e.1 == o.1)
            #expect(e.2 == o.2)
        }
    }
}

/// docs/skb-layout.md's table must be what the model says.
@Suite struct SkbLayoutDocTests {
    @Test func tableMatchesTheModel() throws {
        let doc = try String(contentsOf: Repository.root.appendingPathComponent("docs/skb-layout.md"), encoding: .utf8)
        let table = try #require(
            doc.components(separatedBy: "<!-- layout-table:begin -->").dropFirst().first?
                .components(separatedBy: "<!-- layout-table:end -->").first)
        let rows = table.split(separator: "\n").filter { $0.hasPrefix("| `") }
        #expect(rows.count >= 8)
        for row in rows {
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let path = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            let j = try LayoutCommandTests.json(["--path", path, "--len", cells[1]])
            let head = try #require(j["head"] as? [String: Any])
            var kind = head["kind"] as! String
            if let cache = head["cache"] as? String { kind += " " + cache }
            if kind == "kmalloc_large", let order = head["order"] as? Int { kind += " order-\(order)" }
            let frags = (j["frag_list"] as? [Any])?.count ?? -1
            let expected = [
                "\(cells[0])", cells[1], kind, "\(head["size"]!)", "\(j["headroom"]!)", "\(j["linear"]!)",
                "\(j["tailroom"]!)", "\(j["end"]!)", "\(j["shinfo_size"]!)", "\(j["nr_frags"]!)", "\(frags)",
                "\(j["truesize"]!)",
            ]
            #expect(cells == expected, "row \(row)")
        }
    }

    /// The kmalloc threshold the page states ("≤ N bytes with the pad") is the
    /// model's: a frame of N − NET_SKB_PAD bytes gets a small head, one byte
    /// more a page fragment (it used to say 320; it is 384).
    @Test func kmallocThresholdIsTheModels() throws {
        let doc = try String(contentsOf: Repository.root.appendingPathComponent("docs/skb-layout.md"), encoding: .utf8)
        let marker = "Short frames (≤ "
        let after = try #require(doc.components(separatedBy: marker).dropFirst().first)
        let bound = try #require(Int(after.prefix { $0.isNumber }))
        #expect(bound == KernelConfig().sizes.rxKmallocBoundSmallHead)
        let pad = KernelConfig().netSkbPad
        let at = try LayoutCommandTests.json(["--path", "netdev-alloc-skb", "--len", "\(bound - pad)"])
        let above = try LayoutCommandTests.json(["--path", "netdev-alloc-skb", "--len", "\(bound - pad + 1)"])
        #expect((at["head"] as? [String: Any])?["kind"] as? String == "small_head_cache")
        #expect((above["head"] as? [String: Any])?["kind"] as? String == "page_frag")
    }
}
