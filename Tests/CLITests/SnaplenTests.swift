import Capture
import Foundation
import TestSupport
import Testing

/// Captures cut by a snapshot length (`tcpdump -s 96`): the kernel received
/// every packet whole, so skbs are built at the wire length — the same skbs,
/// pages and statistics as from the whole capture — and the bytes past the
/// capture are marked; `--length captured` keeps the captured length.
@Suite struct SnaplenTests {
    /// `sample` rewritten as if captured with `-s snaplen` (pcap, little-endian).
    static func cut(_ sample: String, snaplen: Int) throws -> (url: URL, cutPackets: Int, capturedBytes: Int) {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Repository.sample(sample))))
        func le32(_ at: Int) -> Int {
            Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
        }
        func put32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        var out = Array(bytes[0..<16]) + put32(snaplen) + Array(bytes[20..<24])
        var offset = 24
        var cutPackets = 0
        var captured = 0
        while offset + 16 <= bytes.count {
            let caplen = le32(offset + 8)
            let wire = le32(offset + 12)
            let keep = min(caplen, snaplen)
            if keep < wire { cutPackets += 1 }
            captured += keep
            out +=
                Array(bytes[offset..<offset + 8]) + put32(keep) + put32(wire)
                + Array(bytes[(offset + 16)..<(offset + 16 + keep)])
            offset += 16 + caplen
        }
        let url = temporaryFile("\(sample)-s\(snaplen).pcap")
        try Data(out).write(to: url)
        return (url, cutPackets, captured)
    }

    static func statsBody(_ result: CLIRun) -> [Substring] {
        result.stdoutLines.filter {
            !$0.hasPrefix("capture:") && !$0.hasPrefix("cut by snaplen:") && !$0.hasPrefix("rx checksums:")
        }
    }

    /// Built at the wire length, the cut capture gives the whole capture's
    /// statistics on every rx path, with and without GRO.
    @Test(arguments: ["netdev-alloc-skb", "napi-alloc-skb", "build-skb", "sg-copybreak"], [false, true])
    func wireLengthGivesTheWholeCapturesNumbers(path: String, gro: Bool) throws {
        let (url, cutPackets, _) = try Self.cut("tcp-bulk.pcap", snaplen: 96)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(cutPackets > 200)
        let options = ["--rx-path", path] + (gro ? ["--gro"] : [])
        let cut = try CLIRun.run(["stats"] + options + [url.path])
        let whole = try CLIRun.run(["stats"] + options + [Repository.sample("tcp-bulk.pcap")])
        #expect(cut.status == 0 && whole.status == 0, "stderr: \(cut.stderr)")
        #expect(Self.statsBody(cut) == Self.statsBody(whole))
        #expect(
            cut.stdoutLines.contains(
                "cut by snaplen:        \(cutPackets) packet(s); skbs built at the wire length, the uncaptured bytes filled with 0xee"
            ))
        #expect(!whole.stdout.contains("cut by snaplen:"))
        // The cut segments' checksums cover bytes the capture lost: taken as
        // right (CHECKSUM_UNNECESSARY), so GRO and TCP treat them as the whole
        // capture's, and said so.
        #expect(cut.stdout.contains("0 wrong (CHECKSUM_NONE), \(cutPackets) not verifiable"))
        #expect(whole.stdout.contains("verify: 391 right, 0 wrong (CHECKSUM_NONE)\n"))
    }

    @Test func capturedLengthKeepsTheOldBehaviourAndSaysSo() throws {
        let (url, cutPackets, capturedBytes) = try Self.cut("tcp-bulk.pcap", snaplen: 96)
        defer { try? FileManager.default.removeItem(at: url) }
        let (result, json) = try RunFixtures.statsJSON(["--length", "captured", url.path])
        #expect(result.status == 0)
        #expect(json["bytes"] as? Int == capturedBytes)
        let cut = try #require(json["snaplen_cut"] as? [String: Any])
        #expect(cut["packets"] as? Int == cutPackets)
        #expect(cut["built_at"] as? String == "captured")
        let (_, wire) = try RunFixtures.statsJSON([url.path])
        #expect((wire["snaplen_cut"] as? [String: Any])?["built_at"] as? String == "wire")
        #expect((wire["bytes"] as? Int ?? 0) > capturedBytes)
        let text = try CLIRun.run(["stats", "--length", "captured", url.path])
        #expect(
            text.stdoutLines.contains(
                "cut by snaplen:        \(cutPackets) packet(s); skbs built at the captured length (--length captured), shorter than the kernel's"
            ))
    }

    @Test func inspectMarksCutPacketsAndTheUncapturedBytes() throws {
        let (url, _, _) = try Self.cut("tcp-bulk.pcap", snaplen: 96)
        defer { try? FileManager.default.removeItem(at: url) }
        let plain = try CLIRun.run(["inspect", "-c", "5", url.path])
        let fifth = try #require(plain.stdoutLines.last)
        #expect(
            fifth.hasPrefix(
                "5 00:00:00.000850000 caplen 96 len 1514 IP 198.51.100.10.443 > 192.0.2.1.51000: Flags [.], seq 536870913:536872361"
            ))
        #expect(fifth.hasSuffix(" [|1418 of 1514 bytes not captured]"))
        #expect(plain.stdoutLines.first?.contains("not captured") == false)
        let skb = try CLIRun.run(["inspect", "--skb", "-c", "5", url.path]).stdoutLines.map(String.init)
        let at = try #require(skb.firstIndex { $0.hasPrefix("5 ") })
        // The skb the kernel built for 1514 bytes on the wire: len 1500 after eth_type_trans.
        #expect(
            skb[at + 1]
                == "    skb: head page_frag (napi_alloc_cache, order-3 page), 1920 bytes; len 1500 data_len 0 truesize 2176"
        )
        #expect(
            skb.contains(
                "    uncaptured: bytes 96…1513 of the frame (1418 bytes past the snapshot length) are not the packet's: filled with 0xee"
            ))
        let captured = try CLIRun.run(["inspect", "--skb", "--length", "captured", "-c", "5", url.path]).stdoutLines
            .map(String.init)
        let at2 = try #require(captured.firstIndex { $0.hasPrefix("5 ") })
        #expect(captured[at2 + 1].contains("; len 82 data_len 0"))
        #expect(
            captured.contains(
                "    uncaptured: 1418 of 1514 bytes not captured; the skb holds the 96 captured (--length captured)"))
    }

    /// Export writes what was captured, not the fill: the same records as the cut file.
    @Test func exportWritesOnlyCapturedBytes() throws {
        let (url, _, _) = try Self.cut("tcp-bulk.pcap", snaplen: 96)
        let out = temporaryFile("export.pcap")
        defer {
            try? FileManager.default.removeItem(at: url)
            try? FileManager.default.removeItem(at: out)
        }
        let result = try CLIRun.run(["export", "-o", out.path, url.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        var original: [([UInt8], Int)] = []
        var exported: [([UInt8], Int)] = []
        try CaptureReader(path: url.path).forEachPacket { original.append((Array($0.bytes), $0.wireLength)) }
        try CaptureReader(path: out.path).forEachPacket { exported.append((Array($0.bytes), $0.wireLength)) }
        #expect(exported.count == original.count)
        #expect(exported.map(\.0) == original.map(\.0))
        #expect(exported.map(\.1) == original.map(\.1))
        #expect(!exported.contains { $0.0.contains(0xEE) && $0.0.count > 96 })
    }
}

/// Link types with their receive semantics: the cooked pseudo-header is not
/// part of the skb, packets the host sent are not received.
@Suite struct CookedCaptureTests {
    @Test(arguments: ["linux-sll.pcap", "linux-sll2.pcap"])
    func outgoingPacketsAreSkippedAndCounted(sample: String) throws {
        let path = Repository.sample(sample)
        let reader = try CaptureReader(path: path)
        var outgoing = 0
        var received = 0
        try reader.forEachPacket { packet in
            if HeaderDecoder.decode(packet.bytes, linkType: reader.linkType).pktType == .outgoing {
                outgoing += 1
            } else {
                received += 1
            }
        }
        try #require(outgoing > 0)
        let result = try CLIRun.run(["stats", path])
        #expect(result.status == 0)
        #expect(result.stdoutLines.contains("packets:               \(received)"))
        #expect(
            result.stdoutLines.contains(
                "not modelled:          \(outgoing) (PACKET_OUTGOING, sent by this host: \(outgoing))"))
        #expect(
            result.stdoutLines.contains {
                $0.hasPrefix("checker:")
                    && $0.hasSuffix(
                        " — \(outgoing) packet\(outgoing == 1 ? "" : "s") not modelled (PACKET_OUTGOING, sent by this host)"
                    )
            })
        let inspect = try CLIRun.run(["inspect", "--skb", path]).stdout
        #expect(inspect.contains("    skb: none (not modelled: PACKET_OUTGOING, sent by this host)"))
    }

    /// The skb of a cooked packet holds the packet from its network header:
    /// its len is the captured length less the cooked header.
    @Test(arguments: [("linux-sll.pcap", 16), ("linux-sll2.pcap", 20), ("null-loopback.pcap", 4)])
    func pseudoHeaderIsNotInTheSkb(sample: String, pseudo: Int) throws {
        let lines = try CLIRun.run(["inspect", "--skb", Repository.sample(sample)]).stdoutLines.map(String.init)
        var checked = 0
        for (i, line) in lines.enumerated() where !line.hasPrefix(" ") {
            guard i + 1 < lines.count, lines[i + 1].hasPrefix("    skb: head") else { continue }
            let caplen = Int(line.split(separator: " ")[3])!
            #expect(lines[i + 1].contains("; len \(caplen - pseudo) data_len 0"), "\(lines[i + 1])")
            checked += 1
        }
        #expect(checked > 0)
    }
}
