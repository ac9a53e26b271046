import CPcap
import Foundation

/// One run of the built `skbsim` binary with a time limit. Output goes to
/// files, not pipes, so a child that floods stdout cannot block and the
/// limit can be enforced by polling.
struct CLIRun {
    enum Outcome: Equatable {
        case exited(Int32)
        case signalled(Int32)
        /// Still running at the deadline; it was killed.
        case timedOut
    }

    var outcome: Outcome
    var stdout: String
    var stderr: String
    var seconds: Double

    var stdoutLines: [Substring] { stdout.isEmpty ? [] : stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast(stdout.hasSuffix("\n") ? 1 : 0).map { $0 } }
    var stderrLines: [Substring] { stderr.split(separator: "\n") }

    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("skbsim")
    }

    static var repoRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func run(_ arguments: [String], timeLimit: Double = 10, scratch: URL) throws -> CLIRun {
        let id = UUID().uuidString
        let outURL = scratch.appendingPathComponent("\(id).out")
        let errURL = scratch.appendingPathComponent("\(id).err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let start = Date()
        try process.run()
        var timedOut = false
        while process.isRunning {
            if Date().timeIntervalSince(start) > timeLimit {
                timedOut = true
                kill(process.processIdentifier, SIGKILL)
                break
            }
            usleep(5_000)
        }
        process.waitUntilExit()
        try out.close()
        try err.close()
        let outcome: Outcome =
            timedOut ? .timedOut
            : process.terminationReason == .uncaughtSignal
                ? .signalled(process.terminationStatus) : .exited(process.terminationStatus)
        return CLIRun(
            outcome: outcome,
            stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self),
            seconds: Date().timeIntervalSince(start))
    }
}

/// What libpcap alone makes of a file, without skbsim's checks: whether it
/// opens, and how many records `pcap_next_ex` delivers before it stops.
struct LibpcapView {
    var opens: Bool
    var records: Int

    init(path: String) {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let handle = pcap_open_offline(path, &errorBuffer) else {
            opens = false
            records = 0
            return
        }
        defer { pcap_close(handle) }
        opens = true
        var count = 0
        var header: UnsafeMutablePointer<pcap_pkthdr>? = nil
        var data: UnsafePointer<UInt8>? = nil
        while pcap_next_ex(handle, &header, &data) == 1 { count += 1 }
        records = count
    }
}
