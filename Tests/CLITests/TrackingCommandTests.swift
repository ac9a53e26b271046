import Foundation
import SampleKit
import TestSupport
import Testing

/// Tracking ids, flows and filters of `skbsim trace`, `stats --by flow`,
/// and what `inspect --skb --gro` shows of super-packets.
@Suite struct TrackingCommandTests {
    /// Every object of a JSON Lines trace.
    static func objects(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        }
    }

    static func events(_ objects: [[String: Any]]) -> [[String: Any]] { objects.filter { $0["kind"] != nil } }

    static func args(_ event: [String: Any]) -> [String: Any] { event["args"] as? [String: Any] ?? [:] }

    /// The capture read independently of the model: per packet (numbered
    /// from 1) its 5-tuple, wire length and TCP payload length. IPv4 over
    /// Ethernet only (the fixtures' flows).
    struct Packet {
        var number: Int
        var tuple: String
        var wireLength: Int
        var payload: Int
    }

    static func readPcap(_ url: URL) throws -> [Packet] {
        let bytes = [UInt8](try Data(contentsOf: url))
        func le32(_ o: Int) -> Int {
            Int(bytes[o]) | Int(bytes[o + 1]) << 8 | Int(bytes[o + 2]) << 16 | Int(bytes[o + 3]) << 24
        }
        func be16(_ o: Int) -> Int { Int(bytes[o]) << 8 | Int(bytes[o + 1]) }
        var packets: [Packet] = []
        var o = 24
        while o + 16 <= bytes.count {
            let caplen = le32(o + 8)
            let wire = le32(o + 12)
            let f = o + 16
            #expect(be16(f + 12) == 0x0800)
            let ihl = Int(bytes[f + 14] & 0x0F) * 4
            let proto = Int(bytes[f + 23])
            let src = (0..<4).map { String(bytes[f + 26 + $0]) }.joined(separator: ".")
            let dst = (0..<4).map { String(bytes[f + 30 + $0]) }.joined(separator: ".")
            let l4 = f + 14 + ihl
            let tuple = "\(src) \(be16(l4)) \(dst) \(be16(l4 + 2)) \(proto)"
            let total = be16(f + 16)
            let doff = Int(bytes[l4 + 12] >> 4) * 4
            packets.append(
                Packet(number: packets.count + 1, tuple: tuple, wireLength: wire, payload: total - ihl - doff))
            o = f + caplen
        }
        return packets
    }

    static func trace(_ arguments: [String], _ capture: URL) throws -> [[String: Any]] {
        let result = try CLIRun.run(["trace", "--format", "jsonl"] + arguments + [capture.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        return try objects(result.stdout)
    }

    static let gro = ["--gro", "--rx-path", "napi-alloc-skb"]

    @Test func jsonlRoundTripsWithNamesTrackingIdsAndFlows() throws {
        let capture = try RunFixtures.mergingFlow(segments: 16)
        defer { try? FileManager.default.removeItem(at: capture) }
        let packets = try Self.readPcap(capture)
        let all = try Self.trace(Self.gro, capture)
        // Flow records come before the first event naming them, and name
        // the 5-tuples of the capture.
        var records: [Int: String] = [:]
        for object in all {
            #expect(object["v"] as? Int == 2)
            if object["kind"] == nil {
                let id = try #require(object["flow"] as? Int)
                let tuple =
                    "\(object["src"] as? String ?? "") \(object["sport"] as? Int ?? -1) \(object["dst"] as? String ?? "") \(object["dport"] as? Int ?? -1) \(object["proto"] as? Int ?? -1)"
                records[id] = tuple
                continue
            }
            // Memory counters belong to no skb: flow 0, the packet being processed.
            if (object["kind"] as? String)?.hasSuffix("_counter") == true {
                #expect(object["flow"] as? Int == 0)
                continue
            }
            let flow = try #require(object["flow"] as? Int)
            #expect(records[flow] != nil, "event names flow \(flow) before its record")
            let track = try #require(object["track"] as? Int)
            #expect(track == (object["pkt"] as? Int ?? -2) + 1)
            // The event's flow is the 5-tuple of the packet it tracks.
            if track >= 1 { #expect(records[flow] == packets[track - 1].tuple, "\(object)") }
            // Enumerations are names, never codes.
            let args = Self.args(object)
            for key in ["cache", "fclone", "strategy", "cause", "hook", "verdict", "destructor", "free_kind"] {
                if let value = args[key] { #expect(value is String, "\(key) in \(object)") }
            }
            if object["reason"] != nil {
                #expect(object["reason"] is String)
                #expect(object["reason_code"] is Int)
            }
        }
        #expect(Set(records.values) == Set(packets.map(\.tuple)))
        // Every data segment of the server is a member of exactly one
        // flushed super-packet (held or merged), and only those (the
        // request, alone with PSH, goes up as it is: GRO_NORMAL).
        let members = Self.events(all).filter { $0["kind"] as? String == "gro_member" }
            .map { Self.args($0)["track"] as? Int ?? 0 }
        let serverData = packets.filter { $0.payload > 0 && $0.tuple.hasPrefix("198.51.100.2 443") }
        #expect(members.sorted() == serverData.map(\.number))
        // Every merged packet's merge names the position it took.
        for merge in Self.events(all) where merge["kind"] as? String == "gro_merge" {
            #expect(Self.args(merge)["position"] is Int)
            #expect(Self.args(merge)["held_skb"] is Int)
        }
    }

    @Test func trackFollowsAMergedPacketIntoItsSuperPacket() throws {
        let capture = try RunFixtures.mergingFlow(segments: 16)
        defer { try? FileManager.default.removeItem(at: capture) }
        let packets = try Self.readPcap(capture)
        // The second data segment of the server: merged into the first's skb.
        let data = packets.filter { $0.payload > 0 && $0.tuple.hasPrefix("198.51.100.2 443") }
        let first = data[0].number
        let second = data[1].number
        let story = Self.events(try Self.trace(Self.gro + ["--track", "\(second)"], capture))
        let kinds = story.map { $0["kind"] as? String ?? "" }
        // Its own skb: built, merged, freed.
        #expect(story.first?["track"] as? Int == second)
        #expect(kinds.first == "skb_alloc")
        let merge = try #require(story.first { $0["kind"] as? String == "gro_merge" })
        #expect(merge["track"] as? Int == second)
        let held = try #require(Self.args(merge)["held_skb"] as? Int)
        #expect(Self.args(merge)["position"] as? Int == 0)
        // Then the super-packet: the first segment's skb, flushed, listing it.
        let flush = try #require(story.first { $0["kind"] as? String == "gro_flush" })
        #expect(flush["track"] as? Int == first)
        #expect(flush["skb"] as? Int == held)
        let listed = story.filter { $0["kind"] as? String == "gro_member" }.compactMap {
            Self.args($0)["track"] as? Int
        }
        #expect(listed.contains(second))
        #expect(listed.first == first)
        #expect(kinds.last == "skb_free")
        #expect(story.last?["skb"] as? Int == held)
        // Nothing of other packets' own skbs.
        for e in story {
            #expect(e["track"] as? Int == second || (e["skb"] as? Int == held && e["track"] as? Int == first))
        }
        // In order, without repeats.
        let seqs = story.compactMap { $0["seq"] as? Int }
        #expect(seqs == seqs.sorted() && Set(seqs).count == seqs.count)
    }

    @Test func filtersKeepWhatTheyNameInEveryFormat() throws {
        let capture = try RunFixtures.mergingFlow(segments: 16)
        defer { try? FileManager.default.removeItem(at: capture) }
        let everything = Self.events(try Self.trace(Self.gro, capture))
        let wanted: Set = ["gro_flush", "consume"]
        let kinds = Self.events(try Self.trace(Self.gro + ["--events", "gro_flush,consume"], capture))
        #expect(
            kinds.map { $0["seq"] as? Int }
                == everything.filter { wanted.contains($0["kind"] as? String ?? "") }.map { $0["seq"] as? Int })
        #expect(!kinds.isEmpty)
        let range = Self.events(try Self.trace(Self.gro + ["--packets", "2-3,7"], capture))
        #expect(Set(range.compactMap { $0["track"] as? Int }) == [2, 3, 7])
        #expect(range.count == everything.filter { [2, 3, 7].contains($0["track"] as? Int ?? 0) }.count)
        let limited = Self.events(try Self.trace(Self.gro + ["--max-events", "4"], capture))
        #expect(limited.map { $0["seq"] as? Int } == everything.prefix(4).map { $0["seq"] as? Int })
        // Text: the same events, one line each.
        let text = try CLIRun.run(["trace", "--events", "gro_flush,consume"] + Self.gro + [capture.path])
        #expect(text.status == 0)
        #expect(text.stdoutLines.count == kinds.count)
        #expect(text.stdoutLines.allSatisfy { $0.contains("napi_gro_complete(") || $0.contains("consume_skb") })
        // Bad values: one line naming the option, non-zero exit.
        for bad in [["--events", "gro_flsh"], ["--packets", "9-3"], ["--track", "x"], ["--max-events", "0"]] {
            let r = try CLIRun.run(["trace"] + bad + [capture.path])
            #expect(r.status != 0)
            #expect(r.stderrLines.count == 1, "\(r.stderr)")
            #expect(r.stderr.contains(bad[0]), "\(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
    }

    @Test func statsByFlowMatchesACountOfTheCapture() throws {
        // Two flows; the server's data segments carry a wrong TCP checksum,
        // so the model drops each of them (TCP_CSUM).
        var flow = TestHosts.bulkFlow()
        var frames = flow.handshake()
        frames.append(flow.send(Array("GET / HTTP/1.1\r\n\r\n".utf8), from: .clientToServer, push: true))
        var corrupted = 0
        for n in 1...6 {
            var frame = flow.send(TCPFlow.pattern(count: 700, seed: UInt32(n)), from: .serverToClient)
            frame[14 + 20 + 16] ^= 0x5A
            corrupted += 1
            frames.append(frame)
        }
        frames += flow.close(from: .serverToClient)
        var writer = PcapWriter(linkType: 1)
        for (i, frame) in frames.enumerated() {
            writer.append(frame, timestamp: 1_767_225_600_000_000_000 + UInt64(i) * 100_000)
        }
        let capture = temporaryFile("flows.pcap")
        try Data(writer.bytes).write(to: capture)
        defer { try? FileManager.default.removeItem(at: capture) }
        let packets = try Self.readPcap(capture)

        let (result, json) = try RunFixtures.statsJSON(["--by", "flow", capture.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let rows = try #require(json["by_flow"] as? [[String: Any]])
        var expected: [String: (packets: Int, len: Int)] = [:]
        for p in packets {
            // skb->len at netif_receive_skb: the frame less its Ethernet header.
            expected[p.tuple, default: (0, 0)].packets += 1
            expected[p.tuple, default: (0, 0)].len += p.wireLength - 14
        }
        #expect(rows.count == expected.count)
        for row in rows {
            let tuple =
                "\(row["src"] as? String ?? "") \(row["sport"] as? Int ?? -1) \(row["dst"] as? String ?? "") \(row["dport"] as? Int ?? -1) \(row["proto"] as? Int ?? -1)"
            let want = try #require(expected[tuple], "\(tuple)")
            #expect(row["packets"] as? Int == want.packets)
            // Without GRO every packet is one skb.
            #expect(row["skbs"] as? Int == want.packets)
            #expect(row["len"] as? Int == want.len)
            let fromServer = tuple.hasPrefix("198.51.100.2 443")
            #expect(row["drops"] as? Int == (fromServer ? corrupted : 0), "\(row)")
            #expect((row["truesize"] as? Int ?? 0) > want.len)
        }
        let drops = try #require((json["drops"] as? [String: Any])?["total"] as? Int)
        #expect(drops == corrupted)
        // Text: one row per flow.
        let text = try CLIRun.run(["stats", "--by", "flow", capture.path])
        #expect(text.stdoutLines.filter { $0.hasPrefix("  flow ") }.count == expected.count)
        #expect(text.stdoutLines.contains("flows:                 \(expected.count)"))
        // With GRO the data direction is fewer skbs than packets; the sum
        // over flows is what netif_receive_skb got.
        let (_, groJSON) = try RunFixtures.statsJSON(["--by", "flow"] + Self.gro + [capture.path])
        let groRows = try #require(groJSON["by_flow"] as? [[String: Any]])
        #expect(groRows.map { $0["packets"] as? Int ?? 0 }.reduce(0, +) == packets.count)
        let bad = try CLIRun.run(["stats", "--by", "flw", capture.path])
        #expect(bad.status != 0 && bad.stderrLines.count == 1)
    }

    @Test func inspectShowsTheSuperPacketOfTheFinalFlush() throws {
        let capture = try RunFixtures.mergingFlow(segments: 16)
        defer { try? FileManager.default.removeItem(at: capture) }
        let packets = try Self.readPcap(capture)
        let data = packets.filter { $0.payload > 0 && $0.tuple.hasPrefix("198.51.100.2 443") }
        // Stop inside the data: GRO still holds a super-packet after packet
        // 10, which only the end of the capture sends up.
        let result = try CLIRun.run(["inspect", "--skb", "-c", "10"] + Self.gro + [capture.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let lines = result.stdoutLines.map(String.init)
        let end = try #require(lines.firstIndex(of: "end of capture:"))
        #expect(
            lines[end + 1]
                == "    skb of packet \(data[0].number) (GRO, \(10 - data[0].number + 1) segment(s)), delivered now:")
        #expect(
            lines[(end + 1)...].contains { $0.contains("napi_gro_complete(gso_segs=") && $0.contains("cause=flush") })
        // The merged packets say where they went.
        #expect(
            lines.contains(
                "    skb: merged by GRO into the skb of packet \(data[0].number) (head_steal, frag 0), delivered with it"
            ))
        #expect(lines.contains("    skb: held by GRO (delivered later)"))
    }
}
