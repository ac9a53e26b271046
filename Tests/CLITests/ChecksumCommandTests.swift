import Foundation
import SampleKit
import TestSupport
import Testing

/// `--rx-csum` through the CLI: a wrong TCP/UDP checksum in a capture is not
/// merged by GRO and is dropped where the kernel drops it; `trust` takes the
/// capture's checksums as the NIC verified them.
@Suite struct ChecksumCommandTests {
    static func write(_ frames: [[UInt8]], _ name: String) throws -> URL {
        let url = temporaryFile(name)
        try Data(ChecksumFrames.pcap(frames)).write(to: url)
        return url
    }

    /// 20 segments, the 7th corrupted: `verify` drops it (TCP_CSUM) with and
    /// without GRO, GRO sends it up alone; `trust` merges all 20 and drops nothing.
    @Test(arguments: [false, true])
    func corruptTCPSegment(v6: Bool) throws {
        let url = try Self.write(ChecksumFrames.tcpFlow(v6: v6, segments: 20, corrupt: 7).frames, "csum-tcp.pcap")
        defer { try? FileManager.default.removeItem(at: url) }
        let plain = try CLIRun.run(["stats", url.path])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stdoutLines.contains("  TCP_CSUM: 1"))
        #expect(plain.stdout.contains("wrong (CHECKSUM_NONE)") && plain.stdout.contains(", 1 wrong"))

        let gro = try CLIRun.run(["stats", "--gro", url.path])
        #expect(gro.stdoutLines.contains("  TCP_CSUM: 1"))
        #expect(gro.stdoutLines.contains("gro bad checksums:     1 (not merged: sent up alone)"))
        // 1-6 merge (5 merges), 8-20 (12): the 7th neither merged nor held.
        #expect(gro.stdout.contains("gro merges:            17 "))

        let trust = try CLIRun.run(["stats", "--gro", "--rx-csum", "trust", url.path])
        #expect(!trust.stdout.contains("TCP_CSUM"))
        #expect(trust.stdout.contains("gro merges:            19 "))
        #expect(
            trust.stdoutLines.contains("rx checksums:          trust (every frame CHECKSUM_UNNECESSARY, not verified)"))
    }

    /// A wrong datagram of ≤ 76 UDP bytes is dropped before the socket; a
    /// longer one is queued (delivered, charged) and dropped when read.
    @Test(arguments: [false, true])
    func corruptUDPDatagrams(v6: Bool) throws {
        var short = ChecksumFrames.udp(v6: v6, payload: 40, seed: 2)
        var long = ChecksumFrames.udp(v6: v6, payload: 900, seed: 3)
        TransportChecksum.corrupt(&short)
        TransportChecksum.corrupt(&long)
        let good = ChecksumFrames.udp(v6: v6, payload: 900, seed: 4)
        let url = try Self.write([good, short, long, good], "csum-udp.pcap")
        defer { try? FileManager.default.removeItem(at: url) }
        let (result, json) = try RunFixtures.statsJSON([url.path])
        #expect(result.status == 0, "\(result.stderr)")
        let drops = try #require(json["drops"] as? [String: Any])
        #expect((drops["by_reason"] as? [String: Any])?["UDP_CSUM"] as? Int == 2)
        #expect(json["delivered"] as? Int == 3)  // the long bad one was queued
        #expect(json["consumed"] as? Int == 2)
        let csum = try #require(json["rx_checksums"] as? [String: Any])
        #expect(csum["wrong"] as? Int == 2 && csum["right"] as? Int == 2 && csum["mode"] as? String == "verify")
        let trust = try CLIRun.run(["stats", "--rx-csum", "trust", url.path])
        #expect(!trust.stdout.contains("UDP_CSUM"))
    }

    /// Checksums holding only the pseudo-header sum (a capture on the sending
    /// host with TX checksum offload) are wrong for `verify`, and stats says
    /// what they look like and what to do; `trust` takes them.
    @Test func senderSideCaptureIsRecognised() throws {
        var frames = ChecksumFrames.tcpFlow(v6: false, segments: 4, corrupt: nil).frames
        for k in frames.indices { TransportChecksum.offloaded(&frames[k]) }
        let url = try Self.write(frames, "csum-sender.pcap")
        defer { try? FileManager.default.removeItem(at: url) }
        let verify = try CLIRun.run(["stats", url.path])
        #expect(verify.stdout.contains(", \(frames.count) wrong (CHECKSUM_NONE)"))
        #expect(verify.stdoutLines.contains("  TCP_CSUM: \(frames.count)"))
        #expect(verify.stdout.contains("  \(frames.count) of them hold only the pseudo-header sum"))
        #expect(verify.stdout.contains("--rx-csum trust"))
        let trust = try CLIRun.run(["stats", "--rx-csum", "trust", url.path])
        #expect(trust.stdoutLines.contains("drops:                 0"))
    }

    @Test func badModeIsOneClearLine() throws {
        let result = try CLIRun.run(["stats", "--rx-csum", "maybe", Repository.sample("tcp-bulk.pcap")])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--rx-csum must be verify or trust, got 'maybe'"))
    }
}
