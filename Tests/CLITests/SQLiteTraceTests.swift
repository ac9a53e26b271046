import Foundation
import TestSupport
import Testing
import TraceStore

/// `trace --format sqlite`: the database read back through SQLite, the
/// five questions of docs/sqlite-schema.md (taken from the doc itself)
/// answered and checked against `stats --json` and the JSON Lines trace
/// of the same run.
@Suite struct SQLiteTraceTests {
    static let options = ["--gro", "--socket-queue", "4", "--rcvbuf", "30000", Repository.sample("tcp-bulk.pcap")]

    /// The ```sql blocks of docs/sqlite-schema.md, in order.
    static func documentedQueries() throws -> [String] {
        let doc = try String(
            contentsOf: Repository.root.appendingPathComponent("docs/sqlite-schema.md"), encoding: .utf8)
        var queries: [String] = []
        var current: [Substring]? = nil
        for line in doc.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "```sql" {
                current = []
            } else if line == "```", let c = current {
                queries.append(c.joined(separator: "\n"))
                current = nil
            } else if current != nil {
                current!.append(line)
            }
        }
        return queries
    }

    @Test func theFiveQuestionsAgreeWithTheRunsStatistics() throws {
        let db = temporaryFile("run.db")
        defer { try? FileManager.default.removeItem(at: db) }
        let traced = try CLIRun.run(["trace", "--format", "sqlite", "-o", db.path] + Self.options)
        #expect(traced.status == 0, "stderr: \(traced.stderr)")
        #expect(traced.stdout.isEmpty)
        let statsRun = try CLIRun.run(["stats", "--json"] + Self.options)
        let stats = try #require(JSONSerialization.jsonObject(with: Data(statsRun.stdout.utf8)) as? [String: Any])
        let packets = try #require(stats["packets"] as? Int)
        let drops = try #require((stats["drops"] as? [String: Any])?["by_reason"] as? [String: Int])
        let merges = try #require((stats["gro_stats"] as? [String: Any])?["merges"] as? Int)
        let pageFrag = try #require(stats["page_frag"] as? [String: Any])
        #expect(!drops.isEmpty && merges > 0, "the run must have drops and merges to test anything")

        let database = try SQLiteDatabase(path: db.path)
        let q = try Self.documentedQueries()
        try #require(q.count == 5)

        // 1. Truesize per flow: every skb life of the run is in one flow.
        let byFlow = try database.rows(q[0])
        #expect(byFlow.count == 2)
        #expect(byFlow.reduce(0) { $0 + ($1[2].int ?? 0) } == Int64(try #require(stats["skbs_allocated"] as? Int)))
        let truesizes = byFlow.map { $0[3].int ?? 0 }
        #expect(truesizes == truesizes.sorted(by: >) && truesizes.allSatisfy { $0 > 0 })

        // 2. Drops by reason and location = stats' drops by reason.
        var dropped: [String: Int] = [:]
        for row in try database.rows(q[1]) { dropped[row[0].string ?? "?", default: 0] += Int(row[2].int ?? 0) }
        #expect(dropped == drops)

        // 3. page_frag pages alive: some, never more than the refills made.
        let pages = try database.rows(q[2])
        #expect(!pages.isEmpty)
        let refills = try #require(pageFrag["refills"] as? Int)
        let maxAlive = pages.map { $0[2].int ?? 0 }.max() ?? 0
        #expect(maxAlive > 0 && maxAlive <= Int64(refills))
        #expect((pages.map { $0[3].int ?? 0 }.max() ?? 0) <= Int64(try #require(pageFrag["bytes_handed_out"] as? Int)))

        // 4. GRO merge ratio: the merges add up to the engine's count, the packets to the capture's.
        let ratio = try database.rows(q[3])
        #expect(ratio.reduce(0) { $0 + ($1[1].int ?? 0) } == Int64(packets))
        #expect(ratio.reduce(0) { $0 + ($1[2].int ?? 0) } == Int64(merges))
        #expect(ratio.contains { ($0[3].double ?? 0) > 1 })

        // 5. The life of packet 5: the same events as the JSON Lines trace
        // has for packet 5's skb and for the skb that absorbed it.
        let life = try database.rows(q[4])
        let jsonl = try CLIRun.run(["trace", "--format", "jsonl"] + Self.options)
        let objects = try jsonl.stdoutLines.map {
            try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let own = objects.filter { $0["pkt"] as? Int == 5 && !(($0["kind"] as? String) ?? "").hasSuffix("_counter") }
        let merge = try #require(own.first { $0["kind"] as? String == "gro_merge" }, "packet 5 is merged by GRO")
        let held = try #require((merge["args"] as? [String: Any])?["held_skb"] as? Int)
        #expect(life.first?[2].string == "skb_alloc")
        // Every event of packet 5's own skb is there, in order.
        let lifeSeqs = life.map { $0[0].int ?? -1 }
        let ownSeqs = own.map { Int64($0["seq"] as? Int ?? -2) }
        #expect(ownSeqs.allSatisfy(lifeSeqs.contains))
        // The rest are the absorbing skb's, ending with its free.
        let rest = life.filter { !ownSeqs.contains($0[0].int ?? -1) }
        #expect(!rest.isEmpty && rest.allSatisfy { $0[4].int == Int64(held) })
        #expect(rest.last?[2].string == "skb_free")
        #expect(lifeSeqs == lifeSeqs.sorted())

        // Every JSONL event is one row of events, pages or counters; its
        // flow records are the flows table's rows.
        let rows = try database.rows(
            "SELECT (SELECT COUNT(*) FROM events) + (SELECT COUNT(*) FROM pages) + (SELECT COUNT(*) FROM counters)")
        let jsonlEvents = objects.filter { $0["kind"] != nil }
        #expect(rows.first?.first?.int == Int64(jsonlEvents.count))
        let flowRecords = objects.filter { $0["kind"] == nil }
        #expect(try database.rows("SELECT COUNT(*) FROM flows").first?.first?.int == Int64(flowRecords.count))
        // The events' flow ids are the flows table's.
        let mismatched = try database.rows(
            "SELECT COUNT(*) FROM events e JOIN packets p ON p.pkt = e.pkt WHERE e.flow != 0 AND e.flow != p.flow")
        #expect(mismatched.first?.first?.int == 0)
        #expect(try database.rows("SELECT value FROM meta WHERE key = 'schema_version'").first?.first == .text("1"))
    }

    @Test func sqliteNeedsAnOutputFile() throws {
        let result = try CLIRun.run(["trace", "--format", "sqlite", Repository.sample("icmp-echo.pcap")])
        #expect(result.status != 0)
        #expect(result.stderr.contains("-o FILE"))
    }

    @Test func anUnwritableDatabaseIsOneClearLine() throws {
        let result = try CLIRun.run([
            "trace", "--format", "sqlite", "-o", "/nonexistent-dir/run.db", Repository.sample("icmp-echo.pcap"),
        ])
        #expect(result.status != 0)
        #expect(result.stderr.contains("/nonexistent-dir/run.db"))
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    }
}
