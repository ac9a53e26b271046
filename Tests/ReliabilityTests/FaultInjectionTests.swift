import Capture
import Foundation
import KernelMemory
import Release
import SampleKit
import SkbModel
import TestSupport
import Testing
import Trace

/// Page and slab allocation failures injected at random (seeded) and at
/// exact points (`nth`) into whole runs: every sample and a generated
/// capture of a few thousand mixed packets, on every rx path, GRO on and off.
///
/// For every run: it completes (no model BUG, no trap); each packet is
/// delivered, merged by GRO or dropped by the driver (`rx_dropped`: the
/// socket never overflows here, so nothing else drops); a failed receive
/// fires no drop tracepoint (there is no skb, or the driver frees the partly
/// built one with `dev_kfree_skb_any`); the checker has no report and
/// nothing leaks.
@Suite("fault injection through PacketRun")
struct FaultInjectionTests {
    /// The NIC paths (softirq, GFP_ATOMIC: every allocation can be failed);
    /// the tun paths have their own test below.
    static let nicPaths = RxPath.allCases.filter { !$0.isTunWrite }

    static let samples = [
        "tcp-handshake.pcap", "tcp-bulk.pcap", "udp-dns.pcap", "icmp-echo.pcap", "ipv6-tcp.pcap", "vlan.pcap",
        "jumbo-9000.pcap", "linux-sll2.pcap", "linux-sll.pcap", "raw-ip.pcap", "null-loopback.pcap",
        "ns-timestamps.pcapng",
    ]

    /// Counts what a run did besides its statistics.
    final class Tally: EventSink {
        /// frag_list members freed with their head (traced with the reason
        /// `skb_release_data` passes down: NOT_SPECIFIED or CONSUMED).
        var listMemberFrees = 0
        var otherDrops: [String] = []
        let table: SkbDropReasonTable
        init(table: SkbDropReasonTable) { self.table = table }
        func receive(_ e: SkbEvent) {
            guard e.kind == .drop || e.kind == .consume else { return }
            if "\(e.function)" == "kfree_skb_list_reason" {
                listMemberFrees += 1
            } else if e.kind == .drop && otherDrops.count < 5 {
                otherDrops.append("\(e.function): \(table.displayName(of: e.reason))")
            }
        }
    }

    struct Outcome {
        var stats: RunStatistics
        var merged: Int
        var injected: Int { stats.injectedPageFailures + stats.injectedSlabFailures }
        var rxDropped: Int { stats.rxDropped }
    }

    /// One whole run with the checks every run must pass.
    @discardableResult
    static func run(
        _ path: String, rx: RxPath, gro: Bool, page: FailureSpec?, slab: FailureSpec?, ring: Int? = 64,
        _ label: @autoclosure () -> String
    ) throws -> Outcome {
        var o = PacketRunOptions()
        o.rxPath = rx
        o.gro = gro
        o.pageFailure = page
        o.slabFailure = slab
        // By default the smallest rx ring (ixgbe's IXGBE_MIN_RXD): fewer
        // page allocations at open for the nth sweep to walk through.
        o.driver.ringSize = ring
        // Large enough that the socket never drops: every drop is an allocation failure.
        o.socketRcvbuf = 1 << 30
        let tally = Tally(table: o.dropReasons)
        o.sink = tally
        let run = try PacketRun(options: o)
        let reader = try CaptureReader(path: path)
        while let p = try reader.next() { run.process(p, linkType: reader.linkType) }
        let stats = run.finish()
        let merged = run.napi.gro.statistics.merged.reduce(0, +)
        let what = label()
        #expect(stats.verdict.isClean, "\(what): \(stats.verdict.fullText)")
        let others = tally.otherDrops
        #expect(others.count == 0, "\(what): drop tracepoints: \(others)")
        #expect(UInt64(tally.listMemberFrees) == stats.fragListMemberFrees, "\(what)")
        #expect(stats.totalDrops == 0, "\(what): \(stats.drops)")
        #expect(stats.rxDropped == stats.rxAllocFailed, "\(what)")
        // A frame finding the rx ring empty is missed by the NIC (no skb, not rx_dropped).
        let missed = stats.rxRingStatistics.noBuffer
        #expect(
            stats.packets == stats.delivered + merged + stats.rxDropped + missed,
            "\(what): \(stats.packets) packets, \(stats.delivered) delivered, \(merged) merged, \(stats.rxDropped) rx_dropped, \(missed) missed"
        )
        #expect(UInt64(stats.delivered) == stats.consumed, "\(what)")
        #expect(run.sim.liveCount == 0, "\(what)")
        if page == nil && slab == nil { #expect(stats.rxDropped == 0, "\(what)") }
        return Outcome(stats: stats, merged: merged)
    }

    static let specs: [(page: FailureSpec?, slab: FailureSpec?)] = [
        (.probability(0.3, seed: 7), nil),
        (nil, .probability(0.2, seed: 3)),
        (.probability(0.05, seed: 11), .probability(0.05, seed: 12)),
        (.probability(0.5, seed: 1), .probability(0.5, seed: 2)),
    ]

    @Test("every sample × rx path × GRO × random failure rates", arguments: Self.nicPaths)
    func samplesRandomFailures(rx: RxPath) throws {
        var injected = 0
        var dropped = 0
        var runs = 0
        for name in Self.samples {
            for gro in [false, true] {
                for (page, slab) in Self.specs {
                    let r = try Self.run(
                        Repository.sample(name), rx: rx, gro: gro, page: page, slab: slab,
                        "\(name) \(rx.rawValue) gro \(gro) page \(String(describing: page)) slab \(String(describing: slab))"
                    )
                    injected += r.injected
                    dropped += r.rxDropped
                    runs += 1
                }
            }
        }
        #expect(
            injected > 0 && dropped > 0, "\(rx): \(runs) runs, \(injected) failures injected, \(dropped) rx_dropped")
        print(
            "fault injection, samples, \(rx.rawValue): \(runs) runs, \(injected) failures injected, \(dropped) rx_dropped"
        )
    }

    /// Every allocation of a run failed in turn, one per run (fail-nth), on
    /// small samples: every failure point of every rx path is reached.
    @Test("every single allocation failure point (nth) on small samples", arguments: Self.nicPaths)
    func everyFailurePoint(rx: RxPath) throws {
        var runs = 0
        var dropped = 0
        for name in ["icmp-echo.pcap", "tcp-handshake.pcap", "jumbo-9000.pcap"] {
            for gro in [false, true] {
                // Count the eligible calls of a clean run (an nth beyond them never fires).
                var o = PacketRunOptions()
                o.rxPath = rx
                o.gro = gro
                o.driver.ringSize = 64
                let counter = try PacketRun(options: o)
                counter.sim.memory.failSlab.failNth = Int.max
                counter.sim.memory.failPageAlloc.failNth = Int.max
                counter.sim.memory.failPageAlloc.minOrder = 0
                let reader = try CaptureReader(path: Repository.sample(name))
                while let p = try reader.next() { counter.process(p, linkType: reader.linkType) }
                _ = counter.finish()
                let slabCalls = counter.sim.memory.failSlab.eligibleCalls
                let pageCalls = counter.sim.memory.failPageAlloc.eligibleCalls
                #expect(slabCalls > 0 && pageCalls > 0)
                for n in 1...max(1, slabCalls) {
                    let r = try Self.run(
                        Repository.sample(name), rx: rx, gro: gro, page: nil, slab: .nth(n),
                        "\(name) \(rx.rawValue) gro \(gro) slab nth \(n)")
                    #expect(r.stats.injectedSlabFailures == 1)
                    dropped += r.rxDropped
                    runs += 1
                }
                for n in 1...max(1, pageCalls) {
                    let r = try Self.run(
                        Repository.sample(name), rx: rx, gro: gro, page: .nth(n), slab: nil,
                        "\(name) \(rx.rawValue) gro \(gro) page nth \(n)")
                    #expect(r.stats.injectedPageFailures == 1)
                    dropped += r.rxDropped
                    runs += 1
                }
            }
        }
        #expect(dropped > 0)
        print("fault injection, nth sweep, \(rx.rawValue): \(runs) runs, \(dropped) rx_dropped")
    }

    /// A few thousand mixed packets: four interleaved TCP flows (IPv4 with
    /// and without timestamps, IPv6, a 9000-byte-MTU IPv4 flow), UDP
    /// datagrams of every size up to 1472 bytes and ICMP echoes.
    static let mixedCapture: String = {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("skbsim-faults-\(getpid())")
        try? FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let path = scratch.appendingPathComponent("mixed.pcap").path
        let a = MACAddress(0x02_00_00_00_00_01)
        let b = MACAddress(0x02_00_00_00_00_02)
        func flow(_ n: UInt8, v6: Bool = false, mtu: Int = 1500, timestamps: Bool = true) -> TCPFlow {
            TCPFlow(
                client: .init(
                    mac: a,
                    address: v6
                        ? .v6(IPv6Address(high: 0x2001_0db8_0000_0000, low: UInt64(n)))
                        : .v4(IPv4Address(192, 0, 2, n)),
                    port: 50000 + UInt16(n)),
                server: .init(
                    mac: b,
                    address: v6
                        ? .v6(IPv6Address(high: 0x2001_0db8_0001_0000, low: 0x10)) : .v4(IPv4Address(198, 51, 100, 10)),
                    port: 443),
                mtu: mtu, timestamps: timestamps)
        }
        var flows = [flow(1), flow(2, timestamps: false), flow(3, v6: true), flow(4, mtu: 9000)]
        var writer = PcapWriter(linkType: 1, snapLength: 65535)
        var t = SampleCatalog.baseTimestamp
        func record(_ frame: [UInt8]) {
            writer.append(frame, timestamp: t)
            t += 7_000
        }
        for k in flows.indices {
            flows[k].now = t
            for f in flows[k].handshake() { record(f) }
        }
        for round in 0..<1100 {
            let k = round % flows.count
            flows[k].now = t
            let size = round % 13 == 0 ? 1 + round % 700 : flows[k].segmentPayload
            record(
                flows[k].send(
                    TCPFlow.pattern(count: size, seed: UInt32(round)), from: .serverToClient, push: round % 16 == 15))
            if round % 2 == 1 { record(flows[k].acknowledge(from: .clientToServer)) }
            if round % 3 == 0 {
                let udp = Packet(
                    link: .ethernet(EthernetHeader(destination: b, source: a)),
                    network: .ipv4(
                        IPv4Header(source: IPv4Address(192, 0, 2, 9), destination: IPv4Address(198, 51, 100, 53))),
                    transport: .udp(UDPHeader(sourcePort: 40000, destinationPort: 53)),
                    payload: TCPFlow.pattern(count: (round * 37) % 1473, seed: UInt32(round)))
                record(udp.encode())
            }
            if round % 10 == 0 {
                let echo = Packet(
                    link: .ethernet(EthernetHeader(destination: b, source: a)),
                    network: .ipv4(
                        IPv4Header(source: IPv4Address(192, 0, 2, 1), destination: IPv4Address(198, 51, 100, 10))),
                    transport: .echo(ICMPEcho(identifier: 7, sequence: UInt16(round))),
                    payload: TCPFlow.pattern(count: 56, seed: 1))
                record(echo.encode())
            }
        }
        for k in flows.indices {
            flows[k].now = t
            for f in flows[k].close(from: .serverToClient) { record(f) }
        }
        _ = FileManager.default.createFile(atPath: path, contents: Data(writer.bytes))
        return path
    }()

    @Test("a generated capture of mixed packets × rx path × GRO × seeds and rates", arguments: Self.nicPaths)
    func mixedCaptureRandomFailures(rx: RxPath) throws {
        let path = Self.mixedCapture
        let clean = try Self.run(path, rx: rx, gro: true, page: nil, slab: nil, "mixed \(rx.rawValue) no faults")
        #expect(clean.stats.packets > 2000)
        #expect(clean.merged > 0, "GRO merged nothing")
        var injected = 0
        var dropped = 0
        var runs = 0
        for gro in [false, true] {
            for (rate, seed) in [(0.01, UInt64(1)), (0.3, 3), (0.9, 4)] {
                for (page, slab) in [
                    (FailureSpec.probability(rate, seed: seed), nil),
                    (nil, FailureSpec.probability(rate, seed: seed)),
                    (.probability(rate / 2, seed: seed &+ 100), .probability(rate / 2, seed: seed &+ 200)),
                ] as [(FailureSpec?, FailureSpec?)] {
                    let r = try Self.run(
                        path, rx: rx, gro: gro, page: page, slab: slab,
                        "mixed \(rx.rawValue) gro \(gro) page \(String(describing: page)) slab \(String(describing: slab))"
                    )
                    #expect(r.stats.packets == clean.stats.packets)
                    if rate >= 0.3 {
                        #expect(r.rxDropped > 0, "mixed \(rx.rawValue) gro \(gro) rate \(rate): no drops")
                    }
                    injected += r.injected
                    dropped += r.rxDropped
                    runs += 1
                }
            }
            // Exact points spread over the run.
            for n in [1, 333, 2000] {
                for (page, slab) in [(FailureSpec.nth(n), nil), (nil, FailureSpec.nth(n))]
                    as [(FailureSpec?, FailureSpec?)]
                {
                    let r = try Self.run(
                        path, rx: rx, gro: gro, page: page, slab: slab, "mixed \(rx.rawValue) gro \(gro) nth \(n)")
                    #expect(r.injected <= 1)
                    injected += r.injected
                    dropped += r.rxDropped
                    runs += 1
                }
            }
        }
        #expect(injected > 0 && dropped > 0)
        print(
            "fault injection, mixed capture (\(clean.stats.packets) packets), \(rx.rawValue): \(runs) runs, \(injected) failures injected, \(dropped) rx_dropped"
        )
    }

    /// The tun paths allocate in the writing task: `tun_alloc_skb` only with
    /// GFP_KERNEL, which fail_page_alloc and failslab skip (ignore-gfp-wait,
    /// their default), except its high-order pages, which fall back to a
    /// lower order — no receive fails; `tun_build_skb` takes its
    /// struct from skbuff_cache with GFP_ATOMIC (`build_skb`) and its
    /// order-3 task_frag page without direct reclaim, which can fail (the
    /// order-0 fallback is GFP_KERNEL). Either way the run stays clean.
    @Test func tunPathsUnderFaultInjection() throws {
        let path = Self.mixedCapture
        for rx in [RxPath.tunBuildSkb, .tunAllocSkb] {
            var injected = 0
            var dropped = 0
            for (page, slab) in [
                (FailureSpec.probability(0.5, seed: 1), nil), (nil, FailureSpec.probability(0.5, seed: 2)),
            ] as [(FailureSpec?, FailureSpec?)] {
                let r = try Self.run(path, rx: rx, gro: true, page: page, slab: slab, "mixed \(rx.rawValue)")
                injected += r.injected
                dropped += r.rxDropped
            }
            if rx == .tunAllocSkb {
                // A high-order page of alloc_skb_with_frags (no direct reclaim) can fail: the order steps down.
                #expect(dropped == 0, "\(rx): \(injected) injected, \(dropped) rx_dropped")
            } else {
                #expect(injected > 0 && dropped > 0, "\(rx): \(injected) injected, \(dropped) rx_dropped")
            }
        }
    }

    /// The same seed gives the same run.
    @Test func seededRunsRepeat() throws {
        let path = Self.mixedCapture
        let a = try Self.run(
            path, rx: .scatterGather, gro: true, page: .probability(0.2, seed: 9), slab: .probability(0.2, seed: 10),
            "repeat 1")
        let b = try Self.run(
            path, rx: .scatterGather, gro: true, page: .probability(0.2, seed: 9), slab: .probability(0.2, seed: 10),
            "repeat 2")
        #expect(
            a.rxDropped == b.rxDropped && a.injected == b.injected && a.stats.delivered == b.stats.delivered
                && a.merged == b.merged)
    }

    /// `skbsim stats --fail-page-prob 0.3 --fault-seed 7 samples/tcp-bulk.pcap`
    /// through the binary. The flags come with the CLI's `stats` command;
    /// the test is skipped on a build without them.
    static let cliHasFaultFlags: Bool = {
        guard let help = try? CLIRun.run(["stats", "--help"]) else { return false }
        return help.outcome == .exited(0) && help.stdout.contains("--fail-page-prob")
    }()

    @Test("skbsim stats --fail-page-prob through the CLI", .enabled(if: FaultInjectionTests.cliHasFaultFlags))
    func cliStatsWithFaults() throws {
        for rx in Self.nicPaths {
            for gro in [false, true] {
                let args =
                    ["stats", "--fail-page-prob", "0.3", "--fault-seed", "7", "--rx-path", rx.rawValue]
                    + (gro ? ["--gro"] : [])
                    + [Repository.sample("tcp-bulk.pcap")]
                let r = try CLIRun.run(args, timeLimit: 60)
                #expect(r.outcome == .exited(0), "\(args): \(r.outcome) \(r.stderr)")
                #expect(r.stderr.isEmpty, "\(args): \(r.stderr)")
                // "rx_dropped (driver):   N (alloc_failed N)"
                let line = r.stdout.split(separator: "\n").first { $0.hasPrefix("rx_dropped (driver):") }
                let count =
                    line.flatMap { Int($0.dropFirst("rx_dropped (driver):".count).split(separator: " ").first ?? "") }
                    ?? 0
                // "rx ring: ...; N frames missed (rx_no_buffer_count)": ring refills failed.
                let ringLine = r.stdout.split(separator: "\n").first { $0.hasPrefix("rx ring:") }
                let missed =
                    ringLine.flatMap { l in
                        l.range(of: " frames missed").flatMap {
                            Int(l[..<$0.lowerBound].split(separator: " ").last ?? "")
                        }
                    } ?? 0
                // Failures were injected; on the ring paths a warm ring may absorb
                // them all (its pages are reused, refills are retried).
                #expect(r.stdout.contains("injected failures:     page "), "\(args): nothing injected in\n\(r.stdout)")
                #expect(r.stdout.contains("checker:               clean"), "\(args):\n\(r.stdout)")
                // The same run through the library gives the same drops.
                let lib = try Self.run(
                    Repository.sample("tcp-bulk.pcap"), rx: rx, gro: gro, page: .probability(0.3, seed: 7), slab: nil,
                    ring: nil, "library \(args)")
                #expect(lib.rxDropped == count, "\(args): CLI \(count) rx_dropped, library \(lib.rxDropped)")
                #expect(lib.stats.rxRingStatistics.noBuffer == missed, "\(args): CLI \(missed) missed")
            }
        }
    }
}
