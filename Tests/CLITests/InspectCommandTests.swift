import Foundation
import TestSupport
import Testing

/// `skbsim inspect` on the project's samples, and its exit statuses.
@Suite struct InspectCommandTests {
    static let validSamples: [(String, Int)] = [
        ("tcp-handshake.pcap", 11), ("tcp-bulk.pcap", 391), ("udp-dns.pcap", 6), ("icmp-echo.pcap", 8),
        ("ipv6-tcp.pcap", 10), ("vlan.pcap", 10), ("jumbo-9000.pcap", 37), ("linux-sll2.pcap", 5),
        ("linux-sll.pcap", 5), ("raw-ip.pcap", 5), ("null-loopback.pcap", 5), ("ns-timestamps.pcapng", 7),
    ]

    @Test(arguments: validSamples)
    func printsOneLinePerPacket(sample: String, packets: Int) throws {
        let result = try CLIRun.run(["inspect", Repository.sample(sample)])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        // tcpdump's header line on stderr; on stdout one line per packet, numbered from 1.
        #expect(result.stderr.hasPrefix("reading from file ") && result.stderr.split(separator: "\n").count == 1)
        #expect(result.stdoutLines.count == packets)
        #expect(result.stdoutLines.first?.hasPrefix("1 ") == true)
        #expect(result.stdoutLines.last?.hasPrefix("\(packets) ") == true)
    }

    @Test func firstHandshakeLineShowsKernelOffsets() throws {
        let result = try CLIRun.run(["inspect", "-c", "1", Repository.sample("tcp-handshake.pcap")])
        #expect(result.status == 0)
        #expect(
            result.stderr
                == "reading from file \(Repository.sample("tcp-handshake.pcap")), link-type EN10MB (Ethernet), snapshot length 262144\n"
        )
        #expect(
            result.stdoutLines.first
                == "1 00:00:00.000000000 caplen 74 len 74 IP 192.0.2.1.51000 > 198.51.100.10.443: Flags [S], seq 268435456, win 64240, length 0 | mac 0 network 14 transport 34 protocol 0x0800"
        )
    }

    @Test func filterAndCountSelectPackets() throws {
        let result = try CLIRun.run([
            "inspect", "-r", Repository.sample("udp-dns.pcap"), "-c", "2", "udp", "and", "ip6",
        ])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let packets = result.stdoutLines
        #expect(packets.count >= 1 && packets.count <= 2)
        #expect(packets.allSatisfy { $0.contains(" IP6 ") })
    }

    @Test func readsStandardInput() throws {
        let url = URL(fileURLWithPath: Repository.sample("ns-timestamps.pcapng"))
        let result = try CLIRun.run(["inspect", "-"], stdin: url)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stderr.hasPrefix("reading from file stdin, link-type EN10MB"))
        #expect(result.stdoutLines.first?.hasPrefix("1 00:00:00.123456789 ") == true)
    }

    @Test func truncatedCaptureExitsOneNamingFileAndPacket() throws {
        let path = Repository.sample("broken-truncated.pcap")
        let result = try CLIRun.run(["inspect", path])
        #expect(result.status == 1)
        #expect(
            result.stderr.hasSuffix(
                "\nskbsim: \(path): packet 4 at byte offset 286: truncated dump file; tried to read 466 captured bytes, only got 200\n"
            ))
        // The packets before the damage were printed, not lost.
        #expect(result.stdoutLines.count == 3)
    }

    @Test func badMagicExitsOne() throws {
        let path = Repository.sample("broken-bad-magic.pcap")
        let result = try CLIRun.run(["inspect", path])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("skbsim: \(path): "))
        #expect(result.stderr.contains("unknown file format"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test func missingFileExitsOne() throws {
        let result = try CLIRun.run(["inspect", "/nonexistent/capture.pcap"])
        #expect(result.status == 1)
        #expect(result.stderr == "skbsim: /nonexistent/capture.pcap: cannot open: No such file or directory\n")
    }

    @Test func filterThatDoesNotCompileExitsOne() throws {
        let path = Repository.sample("tcp-handshake.pcap")
        let result = try CLIRun.run(["inspect", path, "tcp", "and", "and"])
        #expect(result.status == 1)
        #expect(
            result.stderr
                == "skbsim: \(path): invalid filter \"tcp and and\": can't parse filter expression: syntax error\n")
    }

    @Test(arguments: [
        ["inspect"], ["inspect", "-c", "0", "x.pcap"], ["inspect", "-c", "many", "x.pcap"],
        ["--no-such-option", "x.pcap"], ["inspect", "-tttttt", "x.pcap"],
    ])
    func usageErrorsExitTwoWithOneLine(arguments: [String]) throws {
        let result = try CLIRun.run(arguments)
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("skbsim: "))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test func helpExitsZero() throws {
        let result = try CLIRun.run(["inspect", "--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("skbsim inspect samples/tcp-handshake.pcap"))
    }
}
