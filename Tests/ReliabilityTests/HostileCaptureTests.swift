import Foundation
import TestSupport
import Testing

/// `skbsim inspect` on every sample, the libpcap test captures when present,
/// and hand-built hostile captures, each run as a separate process with a
/// time limit. For every file, whatever it contains:
///
/// - the process exits (no signal, no hang past `timeLimit`) with 0 or 1;
/// - exit 0: nothing on stderr, a header line, then one line per record
///   libpcap delivers (never fewer), numbered from 0;
/// - exit 1: exactly one stderr line, `skbsim: <file>: <problem>`; the packet
///   lines printed before it are those before the failing record (the
///   index the message names), never more than libpcap delivered.
@Suite("hostile captures through the CLI")
struct HostileCaptureTests {
    static let timeLimit = 10.0

    static var scratch: URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("skbsim-reliability-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static var sampleFiles: [String] {
        files(in: URL(fileURLWithPath: Repository.samplesDirectory))
    }

    /// libpcap's own test captures, shared beside the worktrees when present.
    static var libpcapCorpus: [String] {
        guard let directory = Corpus.directory else { return [] }
        return files(in: URL(fileURLWithPath: directory))
    }

    static func files(in directory: URL) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: directory.path) else { return [] }
        return walker.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }
            .map { directory.appendingPathComponent($0).path }
            .sorted()
    }

    @Test(arguments: sampleFiles)
    func sample(path: String) throws {
        let run = try Self.inspect(path)
        switch URL(fileURLWithPath: path).lastPathComponent {
        case "broken-truncated.pcap":
            #expect(run.stderr == "skbsim: \(path): packet 3 at byte offset 286: truncated dump file; tried to read 466 captured bytes, only got 200\n")
        case "broken-bad-magic.pcap":
            #expect(run.stderr == "skbsim: \(path): unknown file format\n")
        default:
            #expect(run.outcome == .exited(0), "\(run.stderr)")
        }
    }

    @Test(arguments: libpcapCorpus)
    func libpcapTestCapture(path: String) throws {
        _ = try Self.inspect(path)
    }

    @Test(arguments: HostileCapture.all)
    func hostile(capture: HostileCapture) throws {
        let path = Self.scratch.appendingPathComponent(capture.name).path
        try Data(capture.bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try Self.inspect(path)
        let packetLines = Array(run.allStdoutLines.dropFirst())
        switch capture.expected {
        case let .packets(count, lineContains, header):
            #expect(run.outcome == .exited(0), "stderr: \(run.stderr)")
            #expect(packetLines.count == count)
            for (line, text) in zip(packetLines, lineContains) {
                #expect(line.contains(text), "line: \(line)")
            }
            if let header {
                #expect(run.allStdoutLines.first?.hasSuffix(header) == true, "header: \(run.allStdoutLines.first ?? "")")
            }
        case let .fails(message, after):
            #expect(run.outcome == .exited(1))
            #expect(run.stderr == "skbsim: \(path): \(message)\n")
            #expect(packetLines.count == after)
        }
    }

    /// Runs `skbsim inspect path` and checks the invariants every file must meet.
    static func inspect(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> CLIRun {
        let run = try CLIRun.run(["inspect", path], timeLimit: timeLimit)
        let libpcap = LibpcapView(path: path)
        let packetLines = Array(run.allStdoutLines.dropFirst())
        switch run.outcome {
        case .timedOut:
            Issue.record("\(path): still running after \(timeLimit) s; killed", sourceLocation: sourceLocation)
        case .signalled(let signal):
            Issue.record("\(path): killed by signal \(signal); stderr: \(run.stderr)", sourceLocation: sourceLocation)
        case .exited(0):
            #expect(run.stderr.isEmpty, "\(path): exit 0 with stderr \(run.stderr)", sourceLocation: sourceLocation)
            #expect(libpcap.opens, "\(path): exit 0 but libpcap cannot open it", sourceLocation: sourceLocation)
            #expect(run.allStdoutLines.first?.hasPrefix("reading from file \(path), link-type ") == true,
                    sourceLocation: sourceLocation)
            #expect(packetLines.count == libpcap.records,
                    "\(path): \(packetLines.count) packet lines, libpcap delivers \(libpcap.records) records",
                    sourceLocation: sourceLocation)
        case .exited(1):
            #expect(run.stderrLines.count == 1 && run.stderr.hasSuffix("\n"),
                    "\(path): stderr is not one line: \(run.stderr)", sourceLocation: sourceLocation)
            #expect(run.stderr.hasPrefix("skbsim: \(path): "), "\(path): \(run.stderr)", sourceLocation: sourceLocation)
            #expect(packetLines.count <= libpcap.records, sourceLocation: sourceLocation)
            if !libpcap.opens {
                #expect(run.stdout.isEmpty, "\(path): \(run.stdout)", sourceLocation: sourceLocation)
            }
            // "…: packet K at …": exactly the K records before it were printed.
            if let range = run.stderr.range(of: #": packet [0-9]+ "#, options: .regularExpression) {
                let index = Int(run.stderr[range].dropFirst(9).dropLast())
                #expect(index == packetLines.count, "\(path): \(run.stderr)", sourceLocation: sourceLocation)
            }
        case .exited(let status):
            Issue.record("\(path): exit status \(status); stderr: \(run.stderr)", sourceLocation: sourceLocation)
        }
        for (index, line) in packetLines.enumerated() where !line.hasPrefix("\(index) ") {
            Issue.record("\(path): packet line \(index) is \(line)", sourceLocation: sourceLocation)
            break
        }
        #expect(run.seconds < timeLimit, sourceLocation: sourceLocation)
        return run
    }
}
