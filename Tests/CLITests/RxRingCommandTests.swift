import Foundation
import TestSupport
import Testing

/// The rx ring through the CLI: `stats` names its geometry and counters,
/// `--mtu` picks ixgbe's 3 KiB buffers, `--rx-ring` sizes it.
@Suite struct RxRingCommandTests {
    /// samples/jumbo-9000.pcap at MTU 9000 on build-skb: each 9014-byte frame
    /// is three 3072-byte buffers in halves of order-1 pages (truesize 4352
    /// for the head, 4096 per frag), so the socket's peak is 12544.
    @Test func jumboOnIxgbe() throws {
        let r = try CLIRun.run([
            "stats", "--rx-path", "build-skb", "--mtu", "9000", "-r", Repository.sample("jumbo-9000.pcap"),
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let ring = try #require(r.stdoutLines.first { $0.hasPrefix("rx ring:") })
        #expect(ring.contains("512 × 3072-byte buffers in order-1 pages (ixgbe): 511 pages allocated"), "\(ring)")
        #expect(r.stdoutLines.contains("peak sk_rmem_alloc:    12544"), "\(r.stdout)")
        let j = try #require(
            try JSONSerialization.jsonObject(
                with: Data(
                    CLIRun.run([
                        "stats", "--json", "--rx-path", "build-skb", "--mtu", "9000", "--rx-ring", "100",
                        Repository.sample("jumbo-9000.pcap"),
                    ]).stdout.utf8)) as? [String: Any])
        let rx = try #require(j["rx_ring"] as? [String: Any])
        // 100 rounds up to 104 (a multiple of 8); 103 pages at open.
        #expect(rx["descriptors"] as? Int == 104 && rx["pages_allocated"] as? Int == 103)
        #expect(rx["buffer_bytes"] as? Int == 3072 && rx["page_order"] as? Int == 1 && rx["rx_offset"] as? Int == 192)
    }

    @Test func igbKeeps2KBuffers() throws {
        let r = try CLIRun.run([
            "stats", "--rx-path", "sg-copybreak", "--mtu", "9000", Repository.sample("jumbo-9000.pcap"),
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(
            r.stdoutLines.contains {
                $0.hasPrefix("rx ring:               256 × 2048-byte buffers in order-0 pages (igb legacy-rx)")
            })
    }

    @Test func noRingOnOtherPaths() throws {
        let r = try CLIRun.run(["stats", Repository.sample("jumbo-9000.pcap")])
        #expect(r.status == 0 && !r.stdoutLines.contains { $0.hasPrefix("rx ring:") })
    }

    @Test func badRingSize() throws {
        let r = try CLIRun.run([
            "stats", "--rx-path", "build-skb", "--rx-ring", "10", Repository.sample("jumbo-9000.pcap"),
        ])
        #expect(r.status != 0 && r.stderr.contains("--rx-ring must be between 64 and 4096, got 10"), "\(r.stderr)")
    }
}
