import Foundation

/// Runs the built `skbsim` binary (it sits beside the test bundle) and
/// captures its exit status, standard output and standard error.
struct SkbsimProcess {
    var status: Int32
    var stdout: String
    var stderr: String

    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("skbsim")
    }

    /// The repository root, found from this file's path.
    static var repoRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func sample(_ name: String) -> String {
        repoRoot.appendingPathComponent("samples").appendingPathComponent(name).path
    }

    /// `environment`: variables set (or, with nil, removed) over the test's own.
    static func run(_ arguments: [String], stdin: URL? = nil, environment: [String: String?] = [:]) throws -> SkbsimProcess {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if !environment.isEmpty {
            var merged = ProcessInfo.processInfo.environment
            for (key, value) in environment { merged[key] = value }
            process.environment = merged
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        if let stdin { process.standardInput = try FileHandle(forReadingFrom: stdin) }
        try process.run()
        // Read both pipes before waiting so a large output cannot block the child.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return SkbsimProcess(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self)
        )
    }

    var stdoutLines: [Substring] { stdout.split(separator: "\n") }
}
