import Foundation
import TestSupport
import Testing

/// tcpdump's habits: diagnostics on stderr, numbering from 1, `-t` … `-ttttt`
/// in local time (TZ) or UTC, `-e`, `-l` and line buffering on pipes,
/// `--version`, `skbsim -r FILE` / `skbsim FILE` running `inspect`.
@Suite struct TcpdumpHabitsTests {
    static let handshake = Repository.sample("tcp-handshake.pcap")
    /// The first packet of tcp-handshake.pcap is at 2026-01-01 00:00:00 UTC,
    /// the second 250 µs later, the third 500 µs after the first.
    static let rest =
        "caplen 74 len 74 IP 192.0.2.1.51000 > 198.51.100.10.443: Flags [S], seq 268435456, win 64240, length 0 | mac 0 network 14 transport 34 protocol 0x0800"

    static func inspect(_ options: [String], tz: String? = "UTC", count: Int = 3) throws -> [String] {
        let result = try CLIRun.run(["inspect", "-c", "\(count)"] + options + [handshake], environment: ["TZ": tz])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        return result.stdoutLines.map(String.init)
    }

    @Test func diagnosticsGoToStandardError() throws {
        let result = try CLIRun.run(["inspect", Self.handshake])
        // `| wc -l` counts packets: the header is on stderr.
        #expect(result.stdoutLines.count == 11)
        #expect(
            result.stderr
                == "reading from file \(Self.handshake), link-type EN10MB (Ethernet), snapshot length 262144\n")
    }

    @Test(arguments: [
        ([String](), "1 00:00:00.000000000 "),
        (["-t"], "1 "),
        (["-tt"], "1 1767225600.000000000 "),
        (["-ttt"], "1 00:00:00.000000000 "),
        (["-tttt"], "1 2026-01-01 00:00:00.000000000 "),
        (["-ttttt"], "1 00:00:00.000000000 "),
        (["-t", "-t", "-t", "-t"], "1 2026-01-01 00:00:00.000000000 "),
    ])
    func timeFormats(options: [String], prefix: String) throws {
        let lines = try Self.inspect(options)
        #expect(lines.first == prefix + Self.rest)
    }

    @Test func relativeFormatsCountFromPreviousAndFirstPacket() throws {
        let previous = try Self.inspect(["-ttt"]).map { $0.split(separator: " ")[1] }
        let first = try Self.inspect(["-ttttt"]).map { $0.split(separator: " ")[1] }
        #expect(previous == ["00:00:00.000000000", "00:00:00.000250000", "00:00:00.000250000"])
        #expect(first == ["00:00:00.000000000", "00:00:00.000250000", "00:00:00.000500000"])
    }

    /// Local time honours TZ (New York is UTC−5 on 1 January); --utc ignores it.
    @Test func localTimeHonoursTZAndUTCOptionIgnoresIt() throws {
        #expect(try Self.inspect([], tz: "America/New_York", count: 1) == ["1 19:00:00.000000000 " + Self.rest])
        #expect(
            try Self.inspect(["-tttt"], tz: "America/New_York", count: 1) == [
                "1 2025-12-31 19:00:00.000000000 " + Self.rest
            ])
        #expect(
            try Self.inspect(["-tttt"], tz: "Asia/Kolkata", count: 1) == [
                "1 2026-01-01 05:30:00.000000000 " + Self.rest
            ])
        #expect(
            try Self.inspect(["-tttt", "--utc"], tz: "America/New_York", count: 1) == [
                "1 2026-01-01 00:00:00.000000000 " + Self.rest
            ])
        // Seconds since the epoch do not depend on the zone.
        #expect(try Self.inspect(["-tt"], tz: "America/New_York", count: 1) == ["1 1767225600.000000000 " + Self.rest])
    }

    @Test func traceTextUsesTheSameTimes() throws {
        let result = try CLIRun.run(
            ["trace", "-c", "1", "-tttt", Self.handshake], environment: ["TZ": "America/New_York"])
        #expect(result.status == 0)
        #expect(result.stdoutLines.first?.contains(" 2025-12-31 19:00:00.000000000 __alloc_skb(") == true)
        let none = try CLIRun.run(["trace", "-c", "1", "-t", Self.handshake])
        #expect(
            none.stdoutLines.first
                == "#0 pkt 0 track 1 flow 1 skb 0 ffff888000000000 __alloc_skb(cache=skbuff_cache, fclone=SKB_FCLONE_UNAVAILABLE) len 0 data_len 0 truesize 960 headroom 0 nr_frags 0 proto 0x0000"
        )
    }

    @Test func linkLevelHeader() throws {
        let ethernet = try Self.inspect(["-e"], count: 1)
        #expect(
            ethernet.first
                == "1 00:00:00.000000000 caplen 74 len 74 02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype IPv4 (0x0800), length 74: IP 192.0.2.1.51000 > 198.51.100.10.443: Flags [S], seq 268435456, win 64240, length 0 | mac 0 network 14 transport 34 protocol 0x0800"
        )
        let sll = try CLIRun.run(["inspect", "-e", "-c", "1", Repository.sample("linux-sll.pcap")])
        #expect(sll.stdoutLines.first?.contains(" ethertype IPv4 (0x0800), length ") == true, "\(sll.stdout)")
        let null = try CLIRun.run(["inspect", "-e", "-c", "1", Repository.sample("null-loopback.pcap")])
        #expect(null.stdoutLines.first?.contains(" AF IPv") == true, "\(null.stdout)")
    }

    @Test func versionNamesSkbsimAndLibpcap() throws {
        let result = try CLIRun.run(["--version"])
        #expect(result.status == 0)
        #expect(result.stdoutLines.count == 2)
        #expect(result.stdoutLines.first?.hasPrefix("skbsim version ") == true)
        #expect(result.stdoutLines.last?.hasPrefix("libpcap version 1.") == true)
    }

    /// `skbsim -r FILE [EXPR]` and `skbsim FILE` are `skbsim inspect …`.
    @Test(arguments: [["-r", handshake, "tcp", "and", "port", "443"], [handshake], ["-c", "2", handshake, "tcp"]])
    func withoutSubcommandRunsInspect(arguments: [String]) throws {
        let bare = try CLIRun.run(arguments)
        let inspect = try CLIRun.run(["inspect"] + arguments)
        #expect(bare.status == 0, "stderr: \(bare.stderr)")
        #expect(bare.stdout == inspect.stdout && bare.stderr == inspect.stderr)
        #expect(!bare.stdout.isEmpty)
    }

    @Test(arguments: ["inspect", "stats", "trace", "pagemap", "export"])
    func usageLineNamesFileAndExpression(subcommand: String) throws {
        let result = try CLIRun.run([subcommand, "--help"])
        #expect(result.status == 0)
        let usage = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("USAGE: ") })
        #expect(usage.hasPrefix("USAGE: skbsim \(subcommand) "))
        #expect(usage.hasSuffix("[-c COUNT] (-r FILE | FILE) [EXPRESSION ...]"), "\(usage)")
        #expect(!result.stdout.contains("<FILE] [EXPRESSION>"))
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScriptIsGenerated(shell: String) throws {
        let result = try CLIRun.run(["--generate-completion-script", shell])
        #expect(result.status == 0)
        #expect(result.stdout.contains("inspect") && result.stdout.contains("pagemap"))
    }

    /// `-r -` through a pipe: a packet's line arrives while the writer still
    /// holds the pipe open (line buffered on a pipe; `-l` forces it).
    @Test(arguments: [[String](), ["-l"]])
    func linesArriveAsPacketsDo(options: [String]) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.handshake)))
        // Header and the first record (16 + 74 bytes).
        let firstRecord = Array(bytes[..<(24 + 16 + 74)])
        let process = Process()
        process.executableURL = CLIRun.binary
        process.arguments = ["inspect", "-r", "-"] + options
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(Data(firstRecord))
        let arrived = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var received = Data()
        let reading = Thread {
            received = output.fileHandleForReading.availableData
            arrived.signal()
        }
        reading.start()
        let inTime = arrived.wait(timeout: .now() + 10) == .success
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        if !inTime { _ = arrived.wait(timeout: .now() + 10) }
        #expect(inTime, "no line before the input ended")
        #expect(String(decoding: received, as: UTF8.self).hasPrefix("1 00:00:00.000000000 caplen 74 len 74 "))
    }
}
