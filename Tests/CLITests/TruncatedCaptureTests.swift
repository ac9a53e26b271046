import Capture
import Foundation
import TestSupport
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Nothing read is lost: every command, given a capture cut short (inside a
/// record header, inside packet data, inside a pcapng block), finishes its
/// output for the good packets — statistics, a valid trace, a drawn page
/// map, a readable export — then prints one line naming the file, the
/// packet number (from 1) and the byte offset, and exits 1.
@Suite struct TruncatedCaptureTests {
    /// Where a cut falls.
    enum Cut: String, CaseIterable, CustomStringConvertible {
        case recordHeader = "inside a record header"
        case packetData = "inside packet data"
        case pcapngBlock = "inside a pcapng block"
        var description: String { rawValue }
    }

    /// A truncated copy of a sample: its path, the good packets before the
    /// cut, and the byte offset of the damaged record.
    struct Truncated {
        var path: String
        var goodPackets: Int
        var recordOffset: Int
        var original: String
    }

    /// Record start offsets of a pcap (16-byte record headers) or pcapng
    /// (Enhanced Packet Blocks) file.
    static func recordStarts(_ bytes: [UInt8], pcapng: Bool) -> [Int] {
        func le32(_ at: Int) -> Int {
            Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
        }
        var starts: [Int] = []
        if pcapng {
            var offset = 0
            while offset + 12 <= bytes.count {
                if le32(offset) == 6 { starts.append(offset) }
                offset += le32(offset + 4)
            }
        } else {
            var offset = 24
            while offset + 16 <= bytes.count {
                starts.append(offset)
                offset += 16 + le32(offset + 8)
            }
        }
        return starts
    }

    /// `sample` cut `cut` in its `record`-th record (0-based), in a temporary file.
    static func truncated(_ cut: Cut, record: Int = 200) throws -> Truncated {
        let sample = cut == .pcapngBlock ? "ns-timestamps.pcapng" : "tcp-bulk.pcap"
        let original = Repository.sample(sample)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: original)))
        let starts = recordStarts(bytes, pcapng: cut == .pcapngBlock)
        let index = cut == .pcapngBlock ? 4 : record
        try #require(starts.count > index + 1)
        let end: Int
        switch cut {
        case .recordHeader: end = starts[index] + 7
        case .packetData: end = starts[index] + 16 + 20
        case .pcapngBlock: end = starts[index] + 20
        }
        let url = temporaryFile("cut-\(cut).\(cut == .pcapngBlock ? "pcapng" : "pcap")")
        try Data(bytes[..<end]).write(to: url)
        return Truncated(path: url.path, goodPackets: index, recordOffset: starts[index], original: original)
    }

    /// The one error line: file, packet number from 1, byte offset.
    static func expectOneErrorLine(_ result: CLIRun, _ t: Truncated, sourceLocation: SourceLocation = #_sourceLocation)
    {
        #expect(result.status == 1, "stderr: \(result.stderr)", sourceLocation: sourceLocation)
        let lines = result.stderr.split(separator: "\n").filter { !$0.hasPrefix("reading from file ") }
        #expect(lines.count == 1, "stderr: \(result.stderr)", sourceLocation: sourceLocation)
        let at = t.path.hasSuffix(".pcapng") ? "at or after byte offset" : "at byte offset"
        #expect(
            lines.first?.hasPrefix("skbsim: \(t.path): packet \(t.goodPackets + 1) \(at) \(t.recordOffset): ") == true,
            "stderr: \(result.stderr)", sourceLocation: sourceLocation)
        #expect(lines.first?.contains("truncated") == true, sourceLocation: sourceLocation)
    }

    @Test(arguments: Cut.allCases)
    func inspectPrintsEveryGoodPacket(cut: Cut) throws {
        let t = try Self.truncated(cut)
        defer { try? FileManager.default.removeItem(atPath: t.path) }
        let result = try CLIRun.run(["inspect", t.path])
        Self.expectOneErrorLine(result, t)
        #expect(result.stdoutLines.count == t.goodPackets)
        let whole = try CLIRun.run(["inspect", "-c", "\(t.goodPackets)", t.original])
        #expect(result.stdout == whole.stdout)
    }

    /// The statistics of the good packets are printed, and are exactly those
    /// of the intact file read up to the cut (`-c N`).
    @Test(arguments: Cut.allCases)
    func statsPrintsTheGoodPacketsStatistics(cut: Cut) throws {
        let t = try Self.truncated(cut)
        defer { try? FileManager.default.removeItem(atPath: t.path) }
        let result = try CLIRun.run(["stats", "--gro", t.path])
        Self.expectOneErrorLine(result, t)
        let whole = try CLIRun.run(["stats", "--gro", "-c", "\(t.goodPackets)", t.original])
        #expect(whole.status == 0)
        let body = result.stdoutLines.filter { !$0.hasPrefix("capture:") && !$0.hasPrefix("read error:") }
        let wholeBody = whole.stdoutLines.filter { !$0.hasPrefix("capture:") }
        #expect(body == wholeBody)
        #expect(result.stdoutLines.contains("packets:               \(t.goodPackets)"))
        #expect(
            result.stdoutLines.contains {
                $0.hasPrefix("read error:            after \(t.goodPackets) packet(s): truncated")
            })
    }

    @Test(arguments: Cut.allCases)
    func statsJSONIsCompleteWithTheReadError(cut: Cut) throws {
        let t = try Self.truncated(cut)
        defer { try? FileManager.default.removeItem(atPath: t.path) }
        let (result, object) = try RunFixtures.statsJSON([t.path])
        Self.expectOneErrorLine(result, t)
        #expect(object["packets"] as? Int == t.goodPackets)
        let error = try #require(object["read_error"] as? [String: Any])
        #expect(error["packet"] as? Int == t.goodPackets + 1)
        #expect(error["byte_offset"] as? Int == t.recordOffset)
    }

    @Test(arguments: Cut.allCases, ["text", "jsonl", "perfetto-json"])
    func traceFileIsClosedAndValid(cut: Cut, format: String) throws {
        let t = try Self.truncated(cut)
        let out = temporaryFile("trace.\(format)")
        defer {
            try? FileManager.default.removeItem(atPath: t.path)
            try? FileManager.default.removeItem(at: out)
        }
        let result = try CLIRun.run(["trace", "--format", format, "-o", out.path, t.path])
        Self.expectOneErrorLine(result, t)
        let text = try String(contentsOf: out, encoding: .utf8)
        let whole = try CLIRun.run(["trace", "--format", format, "-o", "-", "-c", "\(t.goodPackets)", t.original])
        // The trace holds every event of the good packets, GRO flush and drain included.
        #expect(text == whole.stdout)
        switch format {
        case "perfetto-json":
            let object = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            #expect((object["traceEvents"] as? [Any])?.isEmpty == false)
        case "jsonl":
            for line in text.split(separator: "\n") {
                #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "\(line)")
            }
        default:
            #expect(text.hasSuffix("\n"))
        }
    }

    @Test(arguments: Cut.allCases)
    func pageMapIsDrawn(cut: Cut) throws {
        let t = try Self.truncated(cut)
        let out = temporaryFile("map.svg")
        defer {
            try? FileManager.default.removeItem(atPath: t.path)
            try? FileManager.default.removeItem(at: out)
        }
        let result = try CLIRun.run(["pagemap", "-o", out.path, t.path])
        Self.expectOneErrorLine(result, t)
        let svg = try Data(contentsOf: out)
        let parser = XMLParser(data: svg)
        #expect(parser.parse(), "the SVG does not parse")
        let text = String(decoding: svg, as: UTF8.self)
        #expect(text.contains("\(t.goodPackets) packets on netdev-alloc-skb"))
        #expect(text.contains("the capture ends early, at packet \(t.goodPackets + 1)"))
    }

    @Test(arguments: Cut.allCases)
    func exportIsWrittenAndReadable(cut: Cut) throws {
        let t = try Self.truncated(cut)
        let out = temporaryFile("export.pcap")
        defer {
            try? FileManager.default.removeItem(atPath: t.path)
            try? FileManager.default.removeItem(at: out)
        }
        let result = try CLIRun.run(["export", "-o", out.path, t.path])
        Self.expectOneErrorLine(result, t)
        let reader = try CaptureReader(path: out.path)
        var records = 0
        while try reader.next() != nil { records += 1 }
        #expect(records == t.goodPackets)
    }

    /// From standard input (no byte offsets): the statistics still come first.
    @Test func statsFromStandardInput() throws {
        let t = try Self.truncated(.packetData)
        defer { try? FileManager.default.removeItem(atPath: t.path) }
        let result = try CLIRun.run(["stats", "-"], stdin: URL(fileURLWithPath: t.path))
        #expect(result.status == 1)
        #expect(result.stdoutLines.contains("packets:               \(t.goodPackets)"))
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(
            result.stderr.hasPrefix(
                "skbsim: stdin: packet \(t.goodPackets + 1) at byte offset \(t.recordOffset): truncated"),
            "\(result.stderr)")
    }
}
