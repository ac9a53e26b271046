import Foundation
import SampleKit
import TestSupport
import Testing

/// `stats --queues N`: RSS spreads the packets over N queues, each its own
/// CPU; the output is the same for any thread timing (queues on their own
/// threads vs all on one, `SKBSIM_QUEUES_INLINE=1`) and from run to run.
@Suite("CLI multi-queue")
struct MultiQueueCommandTests {
    /// The suite's key (Microsoft's RSS verification suite), for the
    /// reference hash below.
    static let key: [UInt8] = [
        0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca,
        0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b,
        0xbe, 0xac, 0x01, 0xfa,
    ]

    /// The Toeplitz hash bit by bit, straight from its definition: for each
    /// set input bit (MSB first), XOR the 32 key bits starting there.
    static func toeplitz(_ input: [UInt8]) -> UInt32 {
        func keyBit(_ i: Int) -> UInt32 { i / 8 < key.count ? UInt32(key[i / 8] >> (7 - i % 8) & 1) : 0 }
        var result: UInt32 = 0
        for bit in 0..<(input.count * 8) where input[bit / 8] >> (7 - bit % 8) & 1 == 1 {
            var window: UInt32 = 0
            for j in 0..<32 { window = window << 1 | keyBit(bit + j) }
            result ^= window
        }
        return result
    }

    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }
    static func be32(_ v: UInt32) -> [UInt8] { be16(UInt16(v >> 16)) + be16(UInt16(v & 0xffff)) }

    /// 600 packets of 40 TCP and UDP flows (IPv4 and IPv6, sizes 60…1514)
    /// and a few ARP frames (no hash: queue 0), with each packet's 4-tuple
    /// hash input (nil for ARP).
    static func capture() -> (pcap: [UInt8], inputs: [[UInt8]?]) {
        var frames: [[UInt8]] = []
        var inputs: [[UInt8]?] = []
        let eth = EthernetHeader(destination: TestHosts.serverMAC, source: TestHosts.clientMAC)
        for i in 0..<600 {
            if i % 97 == 0 {
                frames.append(
                    [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06]
                        + [0, 1, 8, 0, 6, 4, 0, 1] + [UInt8](repeating: 0, count: 20) + [UInt8](repeating: 0, count: 18)
                )
                inputs.append(nil)
                continue
            }
            let k = (i * 7) % 40
            let sport = UInt16(30000 + k * 13)
            let dport: UInt16 = k % 2 == 0 ? 80 : 53
            let payload = TCPFlow.pattern(count: [6, 200, 1400, 1460][i % 4] - (k % 4 == 3 ? 20 : 0), seed: UInt32(i))
            let transport: TransportHeader =
                k % 3 == 0
                ? .udp(UDPHeader(sourcePort: sport, destinationPort: dport))
                : .tcp(TCPHeader(sourcePort: sport, destinationPort: dport, sequenceNumber: UInt32(i) * 1460))
            let network: NetworkHeader
            var input: [UInt8]
            if k % 4 == 3 {
                let src = IPv6Address(high: 0x2001_0db8_0000_0000, low: UInt64(k) + 1)
                let dst = IPv6Address(high: 0x2001_0db8_0000_0001, low: 2)
                network = .ipv6(IPv6Header(source: src, destination: dst))
                input = be32(UInt32(src.high >> 32)) + be32(UInt32(src.high & 0xffff_ffff))
                input += be32(UInt32(src.low >> 32)) + be32(UInt32(src.low & 0xffff_ffff))
                input += be32(UInt32(dst.high >> 32)) + be32(UInt32(dst.high & 0xffff_ffff))
                input += be32(UInt32(dst.low >> 32)) + be32(UInt32(dst.low & 0xffff_ffff))
            } else {
                let src = IPv4Address(10, 1, UInt8(k / 10), UInt8(k + 1))
                network = .ipv4(IPv4Header(source: src, destination: TestHosts.server4))
                input = be32(src.value) + be32(TestHosts.server4.value)
            }
            input += be16(sport) + be16(dport)
            frames.append(
                Packet(link: .ethernet(eth), network: network, transport: transport, payload: payload).encode())
            inputs.append(input)
        }
        var w = PcapWriter(linkType: 1)
        for (k, frame) in frames.enumerated() {
            w.append(frame, timestamp: 1_700_000_000_000_000_000 + UInt64(k) * 10_000)
        }
        return (w.bytes, inputs)
    }

    static func write() throws -> (path: String, inputs: [[UInt8]?], directory: TemporaryDirectory) {
        let (pcap, inputs) = capture()
        let dir = try TemporaryDirectory()
        return (try dir.write("flows.pcap", pcap), inputs, dir)
    }

    @Test func oneQueueIsTodaysOutput() throws {
        let (path, _, dir) = try Self.write()
        for extra in [[], ["--gro"], ["--json"]] {
            let today = try CLIRun.run(["stats"] + extra + [path])
            let one = try CLIRun.run(["stats", "--queues", "1"] + extra + [path])
            #expect(today.status == 0, "\(today.stderr)")
            #expect(one.stdout == today.stdout && one.stderr == today.stderr && one.status == today.status)
        }
        _ = dir
    }

    @Test(arguments: [2, 4])
    func deterministicForAnyThreadTiming(queues: Int) throws {
        let (path, inputs, dir) = try Self.write()
        for extra in [[], ["--gro", "--rx-path", "napi-alloc-skb"], ["--json"]] {
            let args = ["stats", "--queues", String(queues)] + extra + [path]
            let first = try CLIRun.run(args)
            #expect(first.status == 0, "\(first.stderr)")
            for _ in 0..<2 { #expect(try CLIRun.run(args).stdout == first.stdout) }
            let inline = try CLIRun.run(args, environment: ["SKBSIM_QUEUES_INLINE": "1"])
            #expect(inline.stdout == first.stdout && inline.stderr == first.stderr && inline.status == first.status)
        }
        // Per-queue packet counts: the reference hash, the drivers' default
        // indirection table (128 entries, entry i = i % queues).
        var expected = [Int](repeating: 0, count: queues)
        for input in inputs { expected[input.map { Int(Self.toeplitz($0) & 127) % queues } ?? 0] += 1 }
        #expect(expected.filter { $0 > 0 }.count == queues, "the capture's flows should reach every queue: \(expected)")
        let json = try CLIRun.run(["stats", "--json", "--queues", String(queues), path])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        let q = object["queues"] as! [String: Any]
        let rows = q["per_queue"] as! [[String: Any]]
        #expect(rows.map { $0["packets"] as! Int } == expected)
        #expect(q["unhashed"] as? Int == inputs.filter { $0 == nil }.count)
        #expect(object["packets"] as? Int == inputs.count)
        // The totals add up the queues'.
        #expect(object["delivered"] as? Int == rows.map { $0["delivered"] as! Int }.reduce(0, +))
        #expect(
            (object["page_frag"] as! [String: Any])["refills"] as? Int
                == rows.map { $0["page_frag_refills"] as! Int }.reduce(0, +))
        let text = try CLIRun.run(["stats", "--queues", String(queues), path])
        #expect(text.stdout.contains("rx queues:             \(queues), Toeplitz RSS"))
        #expect(text.stdout.contains("  total"))
        _ = dir
    }

    /// A single queue and N queues see the same packets; with several the
    /// checker stays clean and the skbs are the same count without GRO.
    @Test func sameTrafficAsOneQueue() throws {
        let (path, _, dir) = try Self.write()
        let one =
            try JSONSerialization.jsonObject(with: Data(try CLIRun.run(["stats", "--json", path]).stdout.utf8))
            as! [String: Any]
        let four =
            try JSONSerialization.jsonObject(
                with: Data(try CLIRun.run(["stats", "--json", "--queues", "4", path]).stdout.utf8)) as! [String: Any]
        for key in ["packets", "bytes", "skbs_allocated", "delivered"] {
            #expect(one[key] as? Int == four[key] as? Int, "\(key)")
        }
        #expect((four["checker"] as! [String: Any])["clean"] as? Bool == true)
        _ = dir
    }

    /// A capture that ends in a read error: the same packets, statistics and
    /// one-line error (exit 1) on threads or inline; a bad filter fails first.
    @Test func readErrorsAndFilters() throws {
        for sample in ["broken-truncated.pcap", "broken-bad-magic.pcap", "vlan.pcap", "raw-ip.pcap"] {
            let args = ["stats", "--queues", "3", Repository.sample(sample)]
            let threads = try CLIRun.run(args)
            let inline = try CLIRun.run(args, environment: ["SKBSIM_QUEUES_INLINE": "1"])
            #expect((threads.status, threads.stdout, threads.stderr) == (inline.status, inline.stdout, inline.stderr))
            #expect(threads.status == (sample.hasPrefix("broken-") ? 1 : 0), "\(sample): \(threads.stderr)")
            if sample.hasPrefix("broken-") {
                #expect(threads.stderrLines.count == 1 && threads.stderr.contains(sample))
            }
        }
        let path = Repository.sample("tcp-bulk.pcap")
        let filtered = try CLIRun.run([
            "stats", "--json", "--queues", "2", "-c", "50", path, "tcp", "and", "greater", "1000",
        ])
        #expect(filtered.status == 0 && filtered.stdout.contains("\"packets\":50,"), "\(filtered.stderr)")
        let bad = try CLIRun.run(["stats", "--queues", "2", path, "udp", "and", "and"])
        #expect(bad.status == 1 && bad.stdout.isEmpty && bad.stderr.contains("invalid filter"))
    }

    @Test func badOptions() throws {
        let path = Repository.sample("tcp-bulk.pcap")
        for (args, message) in [
            (["--queues", "0"], "--queues must be 1…64"), (["--queues", "65"], "--queues must be 1…64"),
            (["--queues", "2", "--rss-key", "abc"], "--rss-key must be"),
        ] {
            let r = try CLIRun.run(["stats"] + args + [path])
            #expect(r.status != 0 && r.stderr.contains(message), "\(r.stderr)")
        }
        // Another key moves flows to other queues.
        let custom = try CLIRun.run(
            ["stats", "--json", "--queues", "2", "--rss-key", String(repeating: "3c", count: 40), path])
        #expect(custom.status == 0 && custom.stdout.contains("\"rss_key\":\"" + String(repeating: "3c", count: 40)))
    }
}
