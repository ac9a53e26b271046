import Foundation

/// One run of the built `skbsim` binary (it sits beside the test bundle)
/// with a time limit. Output goes to files, not pipes, so a child that
/// floods stdout cannot block and the limit can be enforced by polling.
public struct CLIRun: Sendable {
    public enum Outcome: Equatable, Sendable {
        case exited(Int32)
        case signalled(Int32)
        /// Still running at the deadline; it was killed.
        case timedOut
    }

    public var outcome: Outcome
    public var stdout: String
    public var stderr: String
    public var seconds: Double

    /// The exit status, or the signal that ended the process.
    public var status: Int32 {
        switch outcome {
        case .exited(let code), .signalled(let code): code
        case .timedOut: SIGKILL
        }
    }

    /// The non-empty lines of standard output.
    public var stdoutLines: [Substring] { stdout.split(separator: "\n") }
    /// Every line of standard output, empty ones included.
    public var allStdoutLines: [Substring] {
        stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast(stdout.hasSuffix("\n") ? 1 : 0)
            .map { $0 }
    }
    public var stderrLines: [Substring] { stderr.split(separator: "\n") }

    public static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("skbsim")
    }

    /// Runs `skbsim arguments`, reading `stdin` (nothing when nil); killed
    /// after `timeLimit` seconds. `environment`: variables set (or, with
    /// nil, removed) over the test's own.
    public static func run(
        _ arguments: [String], stdin: URL? = nil, timeLimit: Double = 120, environment: [String: String?] = [:]
    ) throws -> CLIRun {
        let scratch = try TemporaryDirectory()
        let outURL = scratch.url.appendingPathComponent("out")
        let errURL = scratch.url.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if !environment.isEmpty {
            var merged = ProcessInfo.processInfo.environment
            for (key, value) in environment { merged[key] = value }
            process.environment = merged
        }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = try stdin.map { try FileHandle(forReadingFrom: $0) } ?? FileHandle.nullDevice
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
            timedOut
            ? .timedOut
            : process.terminationReason == .uncaughtSignal
                ? .signalled(process.terminationStatus) : .exited(process.terminationStatus)
        return CLIRun(
            outcome: outcome,
            stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self),
            seconds: Date().timeIntervalSince(start))
    }
}
