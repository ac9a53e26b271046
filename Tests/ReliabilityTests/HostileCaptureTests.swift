import Foundation
import TestSupport
import Testing

/// `skbsim inspect` on every sample, the libpcap test captures when present,
/// and hand-built hostile captures, each run as a separate process with a
/// time limit. For every file, whatever it contains:
///
/// - the process exits (no signal, no hang past `timeLimit`) with 0 or 1;
/// - exit 0: on stderr only tcpdump's `reading from file …` line; on stdout
///   one line per record libpcap delivers (never fewer), numbered from 1;
/// - exit 1: on stderr that line (when the file opened), then exactly one
///   line, `skbsim: <file>: <problem>`; the packet lines printed before it
///   are those before the failing record (the number the message names),
///   never more than libpcap delivered.
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
            #expect(
                run.stderrLines.last
                    == "skbsim: \(path): packet 4 at byte offset 286: truncated dump file; tried to read 466 captured bytes, only got 200"
            )
        case "broken-bad-magic.pcap":
            #expect(run.stderr == "skbsim: \(path): unknown file format\n")  // not opened: no header line
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
        let packetLines = run.stdoutLines
        switch capture.expected {
        case .packets(let count, let lineContains, let header):
            #expect(run.outcome == .exited(0), "stderr: \(run.stderr)")
            #expect(packetLines.count == count)
            for (line, text) in zip(packetLines, lineContains) {
                #expect(line.contains(text), "line: \(line)")
            }
            if let header {
                #expect(run.stderrLines.first?.hasSuffix(header) == true, "header: \(run.stderrLines.first ?? "")")
            }
        case .fails(let message, let after):
            #expect(run.outcome == .exited(1))
            #expect(
                run.stderrLines.last.map(String.init)
                    == "skbsim: \(path): \(message.replacingOccurrences(of: "-r FILE", with: "-r \(path)"))")
            #expect(packetLines.count == after)
        }
    }

    /// Runs `skbsim inspect path` and checks the invariants every file must meet.
    static func inspect(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> CLIRun {
        let run = try CLIRun.run(["inspect", path], timeLimit: timeLimit)
        let libpcap = LibpcapView(path: path)
        // Packets on stdout; on stderr tcpdump's "reading from file" line
        // when the file opened, then at most the one error line.
        let packetLines = run.stdoutLines
        let header = run.stderrLines.first?.hasPrefix("reading from file \(path), link-type ") == true
        let diagnostics = Array(run.stderrLines.dropFirst(header ? 1 : 0))
        switch run.outcome {
        case .timedOut:
            Issue.record("\(path): still running after \(timeLimit) s; killed", sourceLocation: sourceLocation)
        case .signalled(let signal):
            Issue.record("\(path): killed by signal \(signal); stderr: \(run.stderr)", sourceLocation: sourceLocation)
        case .exited(0):
            #expect(
                header && diagnostics.isEmpty, "\(path): exit 0 with stderr \(run.stderr)",
                sourceLocation: sourceLocation)
            #expect(libpcap.opens, "\(path): exit 0 but libpcap cannot open it", sourceLocation: sourceLocation)
            #expect(
                packetLines.count == libpcap.records,
                "\(path): \(packetLines.count) packet lines, libpcap delivers \(libpcap.records) records",
                sourceLocation: sourceLocation)
        case .exited(1):
            #expect(
                diagnostics.count == 1 && run.stderr.hasSuffix("\n"),
                "\(path): stderr is not the header and one line: \(run.stderr)", sourceLocation: sourceLocation)
            #expect(
                diagnostics.first?.hasPrefix("skbsim: \(path): ") == true, "\(path): \(run.stderr)",
                sourceLocation: sourceLocation)
            #expect(packetLines.count <= libpcap.records, sourceLocation: sourceLocation)
            if !libpcap.opens {
                #expect(run.stdout.isEmpty && !header, "\(path): \(run.stdout)", sourceLocation: sourceLocation)
            }
            // "…: packet K at …" (numbered from 1): exactly the K − 1 records before it were printed.
            if let line = diagnostics.first,
                let range = line.range(of: #": packet [0-9]+ "#, options: .regularExpression)
            {
                let number = Int(line[range].dropFirst(9).dropLast())
                #expect(number == packetLines.count + 1, "\(path): \(run.stderr)", sourceLocation: sourceLocation)
            }
        case .exited(let status):
            Issue.record("\(path): exit status \(status); stderr: \(run.stderr)", sourceLocation: sourceLocation)
        }
        for (index, line) in packetLines.enumerated() where !line.hasPrefix("\(index + 1) ") {
            Issue.record("\(path): packet line \(index + 1) is \(line)", sourceLocation: sourceLocation)
            break
        }
        #expect(run.seconds < timeLimit, sourceLocation: sourceLocation)
        return run
    }
}
