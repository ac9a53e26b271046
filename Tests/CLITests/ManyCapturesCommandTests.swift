import Foundation
import TestSupport
import Testing

/// `skbsim stats` over several captures and directories: per-file rows
/// equal to single-file runs, the combined summary, the same output for
/// any `--jobs`, bad files among good ones, CSV.
@Suite struct ManyCapturesCommandTests {
    static let files = ["tcp-bulk.pcap", "udp-dns.pcap", "vlan.pcap", "jumbo-9000.pcap"].map(Repository.sample)

    static func objects(_ stdout: String) throws -> [[String: Any]] {
        try stdout.split(separator: "\n").map {
            try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    @Test func perFileLinesAreTheSingleFileOutputAndTheLastCombinesThem() throws {
        let many = try CLIRun.run(["stats", "--json"] + Self.files)
        #expect(many.status == 0, "stderr: \(many.stderr)")
        let lines = many.stdoutLines
        #expect(lines.count == Self.files.count + 1)
        var packets = 0
        var bytes = 0
        var delivered = 0
        var drops = 0
        var refills = 0
        var ratioCount = 0
        var weightedMean = 0.0
        var peak = 0
        for (i, file) in Self.files.enumerated() {
            let single = try CLIRun.run(["stats", "--json", file])
            #expect(String(lines[i]) + "\n" == single.stdout)
            let s = try #require(JSONSerialization.jsonObject(with: Data(single.stdout.utf8)) as? [String: Any])
            packets += s["packets"] as? Int ?? 0
            bytes += s["bytes"] as? Int ?? 0
            delivered += s["delivered"] as? Int ?? 0
            drops += (s["drops"] as? [String: Any])?["total"] as? Int ?? 0
            refills += (s["page_frag"] as? [String: Any])?["refills"] as? Int ?? 0
            let ratio = s["truesize_len"] as? [String: Any] ?? [:]
            ratioCount += ratio["count"] as? Int ?? 0
            weightedMean += (ratio["mean"] as? Double ?? 0) * Double(ratio["count"] as? Int ?? 0)
            peak = max(peak, s["peak_memory_bytes"] as? Int ?? 0)
        }
        let combined = try #require(try Self.objects(many.stdout).last)
        #expect(combined["capture"] is NSNull)
        #expect(combined["files"] as? Int == Self.files.count)
        #expect(combined["packets"] as? Int == packets)
        #expect(combined["bytes"] as? Int == bytes)
        #expect(combined["delivered"] as? Int == delivered)
        #expect((combined["drops"] as? [String: Any])?["total"] as? Int == drops)
        #expect((combined["page_frag"] as? [String: Any])?["refills"] as? Int == refills)
        #expect(combined["peak_memory_bytes"] as? Int == peak)
        let ratio = try #require(combined["truesize_len"] as? [String: Any])
        #expect(ratio["count"] as? Int == ratioCount)
        // Each file's mean is rounded to 3 decimals.
        #expect(abs((ratio["mean"] as? Double ?? 0) - weightedMean / Double(ratioCount)) < 0.002)
    }

    @Test func outputIsTheSameForAnyNumberOfJobs() throws {
        for format in [[], ["--json"], ["--csv"], ["--gro", "--json"]] {
            var outputs: [String] = []
            for jobs in ["1", "2", "4"] {
                let r = try CLIRun.run(["stats", "--jobs", jobs] + format + Self.files)
                #expect(r.status == 0, "stderr: \(r.stderr)")
                #expect(r.stderr.isEmpty)
                outputs.append(r.stdout)
            }
            #expect(outputs[0] == outputs[1] && outputs[1] == outputs[2], "\(format)")
        }
    }

    @Test func directoriesExpandRecursivelyInPathOrder() throws {
        let dir = try TemporaryDirectory()
        let root = dir.url.path
        try FileManager.default.createDirectory(atPath: root + "/b/inner", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/a", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.files[0], toPath: root + "/b/inner/z.pcap")
        try FileManager.default.copyItem(atPath: Self.files[1], toPath: root + "/a/y.pcap")
        try FileManager.default.copyItem(
            atPath: Repository.sample("ns-timestamps.pcapng"), toPath: root + "/b/x.PCAPNG")
        try Data("not a capture".utf8).write(to: URL(fileURLWithPath: root + "/b/notes.txt"))
        let r = try CLIRun.run(["stats", "--csv", root, "tcp or udp"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let captures = r.stdoutLines.dropFirst().map {
            String($0.split(separator: ",", omittingEmptySubsequences: false)[0])
        }
        #expect(captures == [root + "/a/y.pcap", root + "/b/inner/z.pcap", root + "/b/x.PCAPNG", ""])
        let empty = try TemporaryDirectory()
        let none = try CLIRun.run(["stats", empty.url.path, Self.files[0]])
        #expect(none.status == 1)
        #expect(none.stderr.contains("\(empty.url.path): no capture files in this directory"))
    }

    @Test func aBadFileIsOneLineAndTheOthersAreStillPrinted() throws {
        let bad = Repository.sample("broken-bad-magic.pcap")
        let r = try CLIRun.run(["stats", "--json", Self.files[0], bad, Self.files[1]])
        #expect(r.status == 1)
        #expect(r.stderrLines.count == 1, "stderr: \(r.stderr)")
        #expect(r.stderr.contains(bad))
        let objects = try Self.objects(r.stdout)
        #expect(objects.map { $0["capture"] as? String } == [Self.files[0], Self.files[1], nil])
        #expect(objects.last?["files"] as? Int == 2)
        let text = try CLIRun.run(["stats", Self.files[0], bad])
        #expect(text.status == 1)
        #expect(text.stdout.contains("1 could not be read"))
        #expect(text.stdout.contains("combined (1 capture(s)"))
    }

    @Test func csvHasAHeaderAndOneRowPerCaptureWithTheSameColumns() throws {
        let r = try CLIRun.run(["stats", "--csv", Self.files[0], Self.files[1]])
        #expect(r.status == 0)
        let rows = r.stdoutLines.map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        #expect(rows.count == 4)
        #expect(rows[0].first == "capture" && rows[0].contains("peak_memory_bytes"))
        #expect(Set(rows.map(\.count)).count == 1)
        let single = try CLIRun.run(["stats", "--csv", Self.files[0]])
        #expect(single.stdoutLines == Array(r.stdoutLines.prefix(2)))
    }
}
