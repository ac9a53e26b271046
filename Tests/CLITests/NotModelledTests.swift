import Foundation
import SampleKit
import TestSupport
import Testing

/// What the model does not model is said, never modelled as something else:
/// link types without receive semantics are skipped and counted, and drops
/// that come from the simulated memory running out are told apart.
@Suite struct NotModelledTests {
    /// Three 802.11-with-radiotap frames (DLT 127).
    static func radiotap() throws -> URL {
        var writer = PcapWriter(linkType: 127)
        let frame: [UInt8] = [0, 0, 8, 0, 0, 0, 0, 0] + [UInt8](repeating: 0x42, count: 100)
        for i in 0..<3 { writer.append(frame, timestamp: 1_767_225_600_000_000_000 + UInt64(i) * 1000) }
        let url = temporaryFile("radiotap.pcap")
        try Data(writer.bytes).write(to: url)
        return url
    }

    @Test func statsCountsAndTheVerdictSaysSo() throws {
        let url = try Self.radiotap()
        defer { try? FileManager.default.removeItem(at: url) }
        let result = try CLIRun.run(["stats", url.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let lines = result.stdoutLines.map(String.init)
        #expect(lines.contains("capture:               \(url.path) (link-type IEEE802_11_RADIO)"))
        #expect(lines.contains("packets:               0"))
        #expect(lines.contains("skbs allocated:        0"))
        #expect(lines.contains("not modelled:          3 (link type IEEE802_11_RADIO: 3)"))
        #expect(
            lines.contains(
                "checker:               clean (no KASAN reports, kmemleak: no suspected memory leaks) — 3 packets not modelled (link type IEEE802_11_RADIO)"
            ))
        let (_, json) = try RunFixtures.statsJSON([url.path])
        let skipped = try #require(json["not_modelled"] as? [String: Any])
        #expect(skipped["total"] as? Int == 3)
        #expect((skipped["by_reason"] as? [String: Any])?["link type IEEE802_11_RADIO"] as? Int == 3)
        #expect(
            (json["checker"] as? [String: Any])?["summary"] as? String
                == "clean (no KASAN reports, kmemleak: no suspected memory leaks) — 3 packets not modelled (link type IEEE802_11_RADIO)"
        )
    }

    @Test func traceHasNoEventsAndSaysWhy() throws {
        let url = try Self.radiotap()
        defer { try? FileManager.default.removeItem(at: url) }
        let result = try CLIRun.run(["trace", url.path])
        #expect(result.status == 0)
        // Only the final drain, no packet's events.
        #expect(!result.stdout.contains("__alloc_skb"))
        #expect(
            result.stderr
                == "skbsim: warning: 3 packet(s) not modelled, not in the trace (link type IEEE802_11_RADIO: 3)\n")
    }

    @Test func inspectNamesTheLinkTypeAsLibpcapDoes() throws {
        let url = try Self.radiotap()
        defer { try? FileManager.default.removeItem(at: url) }
        let result = try CLIRun.run(["inspect", "--skb", "-c", "1", url.path])
        #expect(result.status == 0)
        #expect(
            result.stdoutLines.first
                == "1 00:00:00.000000000 caplen 108 len 108 link-type IEEE802_11_RADIO, length 108 [|unsupported link type IEEE802_11_RADIO] | mac ~0 network ~0 transport ~0 protocol 0x0000 [unsupported link type IEEE802_11_RADIO at 0]"
        )
        #expect(result.stdoutLines.dropFirst().first == "    skb: none (not modelled: link type IEEE802_11_RADIO)")
        #expect(!result.stdout.contains("unsupportedLinkType"))
    }

    /// A queue that never drains on 1 MiB of simulated RAM: allocations fail
    /// because the simulation ran out, and the run says so — in stats (text
    /// and JSON) and once on stderr — apart from injected failures.
    @Test func exhaustedSimulatedMemoryIsSaidOnce() throws {
        let url = try RunFixtures.mergingFlow(segments: 1200)
        defer { try? FileManager.default.removeItem(at: url) }
        let args = ["--socket-queue", "100000", "--rcvbuf", "1G", "--memory", "1M", url.path]
        let result = try CLIRun.run(["stats"] + args)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        // The driver's rx_dropped line: "rx_dropped (driver):   N (alloc_failed N)".
        let rxDropped = result.stdoutLines.first { $0.hasPrefix("rx_dropped (driver):   ") }
            .flatMap { Int($0.dropFirst("rx_dropped (driver):   ".count).prefix { $0.isNumber }) }
        let drops = try #require(rxDropped)
        #expect(drops > 0)
        let line = try #require(result.stdoutLines.first { $0.hasPrefix("simulated memory:      1 MiB exhausted: ") })
        #expect(
            line.contains(
                ", \(drops) rx_dropped come from the simulation's limit, not the kernel (raise it with --memory)"))
        #expect(!result.stdoutLines.contains { $0.hasPrefix("injected failures:") })
        let warnings = result.stderr.split(separator: "\n")
        #expect(warnings.count == 1)
        #expect(warnings.first?.hasPrefix("skbsim: warning: simulated memory (1 MiB) was exhausted: ") == true)
        #expect(
            warnings.first?.contains(" and the driver dropped \(drops) packet(s) (rx_dropped) because of it") == true)
        let (_, json) = try RunFixtures.statsJSON(args)
        let memory = try #require(json["simulated_memory"] as? [String: Any])
        #expect(memory["size_bytes"] as? Int == 1 << 20)
        #expect(memory["exhausted_rx_dropped"] as? Int == drops)
        #expect((memory["exhausted_allocation_failures"] as? Int ?? 0) > 0)
        // With enough memory nothing fails, and nothing is said.
        let roomy = try CLIRun.run(["stats", "--socket-queue", "100000", "--rcvbuf", "1G", "--memory", "64M", url.path])
        #expect(roomy.stderr.isEmpty)
        #expect(!roomy.stdout.contains("simulated memory:"))
        #expect(!roomy.stdout.contains("rx_dropped"))
    }

    /// Injected failures are not counted as exhaustion.
    @Test func injectedFailuresAreNotExhaustion() throws {
        let (result, json) = try RunFixtures.statsJSON([
            "--fail-slab-prob", "0.5", "--fault-seed", "3", Repository.sample("tcp-bulk.pcap"),
        ])
        #expect(result.status == 0)
        #expect(((json["injected_failures"] as? [String: Any])?["slab"] as? Int ?? 0) > 0)
        #expect((json["simulated_memory"] as? [String: Any])?["exhausted_rx_dropped"] as? Int == 0)
        #expect(result.stderr.isEmpty)
    }
}
