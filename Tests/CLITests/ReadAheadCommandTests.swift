import Foundation
import TestSupport
import Testing

/// Read-ahead (the default) and `--no-read-ahead` give byte-identical output,
/// errors and exit status in every command that reads a capture.
@Suite("CLI read-ahead")
struct ReadAheadCommandTests {
    static let commands: [[String]] = [
        ["stats", "--json"],
        ["stats", "--gro", "--rx-path", "napi-alloc-skb"],
        ["trace", "--format", "jsonl"],
        ["inspect"],
        ["inspect", "--skb", "--gro"],
        ["export", "-o", "-"],
        ["pagemap", "-o", "-"],
    ]

    static let samples = [
        "tcp-bulk.pcap", "udp-dns.pcap", "jumbo-9000.pcap", "ns-timestamps.pcapng", "broken-truncated.pcap",
        "broken-bad-magic.pcap",
    ]

    @Test(arguments: commands)
    func sameOutputWithAndWithoutReadAhead(command: [String]) throws {
        for sample in Self.samples {
            let path = Repository.sample(sample)
            let ahead = try CLIRun.run(command + [path])
            let direct = try CLIRun.run(command + ["--no-read-ahead", path])
            #expect(ahead.status == direct.status, "\(command) \(sample)")
            #expect(ahead.stdout == direct.stdout, "\(command) \(sample)")
            #expect(ahead.stderr == direct.stderr, "\(command) \(sample)")
            if sample.hasPrefix("broken-") {
                #expect(ahead.status == 1 && ahead.stderr.contains(sample), "\(command) \(sample): \(ahead.stderr)")
            } else {
                #expect(ahead.status == 0 && !ahead.stdout.isEmpty, "\(command) \(sample): \(ahead.stderr)")
            }
        }
    }

    @Test func countAndFilterAndStdin() throws {
        let path = Repository.sample("tcp-bulk.pcap")
        let arguments = ["stats", "--json", "-c", "100", "-r", path, "tcp", "and", "greater", "1000"]
        let ahead = try CLIRun.run(arguments)
        #expect(ahead.status == 0)
        #expect(ahead.stdout == (try CLIRun.run(arguments + ["--no-read-ahead"])).stdout)
        #expect(ahead.stdout.contains("\"packets\":100"), "\(ahead.stdout)")
        let stdin = try CLIRun.run(
            ["stats", "--json", "-c", "100", "-", "tcp", "and", "greater", "1000"], stdin: URL(fileURLWithPath: path))
        #expect(stdin.stdout == ahead.stdout.replacingOccurrences(of: path, with: "stdin"))
    }

    @Test func badFilterFailsAtOpen() throws {
        let path = Repository.sample("udp-dns.pcap")
        let ahead = try CLIRun.run(["stats", path, "udp", "and", "and"])
        let direct = try CLIRun.run(["stats", "--no-read-ahead", path, "udp", "and", "and"])
        #expect(ahead.status == 1 && ahead.stdout.isEmpty)
        #expect(ahead.stderr.contains("invalid filter"))
        #expect((ahead.status, ahead.stdout, ahead.stderr) == (direct.status, direct.stdout, direct.stderr))
    }
}
