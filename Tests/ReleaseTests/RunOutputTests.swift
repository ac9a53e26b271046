import Foundation
import Release
import SkbModel
import TestSupport
import Testing
import Trace

/// Golden trace output of whole runs. Regenerate with
/// `SKBSIM_UPDATE_GOLDEN=1 swift test --filter RunOutputTests`.
@Suite struct RunOutputTests {
    func trace(
        _ format: TraceFormat, sample: String = "icmp-echo.pcap", order: ReleaseOrder = .kernel
    ) throws -> (String, RunStatistics) {
        let out = TraceOutput.memory()
        var o = PacketRunOptions()
        o.releaseOrder = order
        // As `skbsim trace` runs: flows tracked, records in JSON Lines.
        o.flows = FlowTable()
        o.sink = format.makeSink(output: out, reasons: o.dropReasons, flows: o.flows)
        let stats = try PacketRun.run(path: Repository.sample(sample), options: o)
        return (out.text, stats)
    }

    @Test(arguments: [TraceFormat.text, .jsonl, .perfettoJSON])
    func golden(_ format: TraceFormat) throws {
        let (text, stats) = try trace(format)
        #expect(stats.verdict.isClean)
        let ext = format == .perfettoJSON ? "json" : format.rawValue
        let (ok, expected) = try matchesGolden(text, "icmp-echo.\(ext)")
        #expect(ok, "golden mismatch; first differing line: \(firstDiff(text, expected))")
        // Stable: a second run gives the same bytes.
        let again = try trace(format).0
        #expect(again == text)
    }

    /// GRO's tracking fields: merges with their position, the flush and its
    /// `gro_member` list, flow records (the first 12 packets of tcp-bulk).
    @Test func groTrackingGolden() throws {
        let out = TraceOutput.memory()
        var o = PacketRunOptions()
        o.rxPath = .napiAllocSkb
        o.gro = true
        o.flows = FlowTable()
        o.sink = TraceFormat.jsonl.makeSink(output: out, reasons: o.dropReasons, flows: o.flows)
        let stats = try PacketRun.run(path: Repository.sample("tcp-bulk.pcap"), options: o, limit: 12)
        #expect(stats.verdict.isClean)
        let (ok, expected) = try matchesGolden(out.text, "tcp-bulk.gro.jsonl")
        #expect(ok, "golden mismatch; first differing line: \(firstDiff(out.text, expected))")
        #expect(out.text.contains(#""kind":"gro_member""#))
    }

    @Test func seedOrderGolden() throws {
        let (text, stats) = try trace(.text, sample: "udp-dns.pcap", order: .seed)
        #expect(stats.verdict.isClean)
        let (ok, expected) = try matchesGolden(text, "udp-dns.seed.text")
        #expect(ok, "golden mismatch; first differing line: \(firstDiff(text, expected))")
    }

    @Test func perfettoParsesAndSpansBalance() throws {
        var o = PacketRunOptions()
        o.rxPath = .buildSkb
        o.kernelConfig.maxSkbFrags = 2
        let out = TraceOutput.memory()
        o.sink = TraceFormat.perfettoJSON.makeSink(output: out, reasons: o.dropReasons)
        let stats = try PacketRun.run(path: Repository.sample("jumbo-9000.pcap"), options: o)
        #expect(stats.verdict.isClean)
        let json = try JSONSerialization.jsonObject(with: Data(out.text.utf8)) as? [String: Any]
        let events = try #require(json?["traceEvents"] as? [[String: Any]])
        #expect(!events.isEmpty)
        var open: [Int: [String]] = [:]
        var lastTs: [Int: Double] = [:]
        for e in events {
            let ph = e["ph"] as? String ?? ""
            let tid = e["tid"] as? Int ?? -1
            if let ts = e["ts"] as? Double, ph == "B" || ph == "E" {
                #expect(ts >= lastTs[tid, default: 0])
                lastTs[tid] = ts
            }
            if ph == "B" { open[tid, default: []].append(e["name"] as? String ?? "") }
            if ph == "E" {
                #expect(open[tid]?.popLast() != nil, "E without B on tid \(tid)")
            }
        }
        let leftOpen = open.filter { !$0.value.isEmpty }
        #expect(leftOpen.isEmpty, "spans left open: \(leftOpen)")
    }

    @Test func faultInjectionOverAWholeRun() throws {
        var o = PacketRunOptions()
        o.slabFailure = .probability(0.2, seed: 42)
        o.pageFailure = .probability(0.2, seed: 7)
        o.rxPath = .buildSkb
        let rec = EventRecorder()
        o.sink = rec
        let stats = try PacketRun.run(path: Repository.sample("tcp-bulk.pcap"), options: o)
        #expect(stats.packets == 391)
        // Failed receives are the driver's rx_dropped, never a drop tracepoint.
        #expect(stats.rxDropped > 0 && stats.totalDrops == 0)
        #expect(stats.rxDropped + stats.delivered == 391)
        #expect(!rec.events.contains { $0.kind == .drop })
        #expect(stats.verdict.isClean, "\(stats.verdict.fullText)")
        // Same seed, same run.
        let again = try PacketRun.run(
            path: Repository.sample("tcp-bulk.pcap"),
            options: {
                var c = o
                c.sink = nil
                return c
            }())
        #expect(again.rxDropped == stats.rxDropped)
    }

    @Test func failNthAndOldKernelProfile() throws {
        var o = PacketRunOptions()
        o.slabFailure = .nth(3)
        o.dropReasons = .linux6_8
        let stats = try PacketRun.run(path: Repository.sample("icmp-echo.pcap"), options: o)
        #expect(stats.kernel == "6.8" && stats.rxDropped == 1 && stats.totalDrops == 0 && stats.verdict.isClean)
    }

    @Test func everySampleEveryPathIsClean() throws {
        for sample in [
            "tcp-handshake.pcap", "udp-dns.pcap", "ipv6-tcp.pcap", "vlan.pcap", "linux-sll2.pcap", "raw-ip.pcap",
            "null-loopback.pcap", "ns-timestamps.pcapng",
        ] {
            for path in RxPath.allCases {
                for order in ReleaseOrder.allCases {
                    var o = PacketRunOptions()
                    o.rxPath = path
                    o.releaseOrder = order
                    o.socketQueueDepth = 3
                    let st = try PacketRun.run(path: Repository.sample(sample), options: o)
                    #expect(st.verdict.isClean, "\(sample) \(path) \(order): \(st.verdict.fullText)")
                    #expect(UInt64(st.delivered) == st.consumed)
                }
            }
        }
    }

    @Test func groOnWithoutEngineIsAnError() {
        var o = PacketRunOptions()
        o.gro = true
        o.groEntryPoints = nil
        #expect(throws: PacketRunError.self) { _ = try PacketRun(options: o) }
    }

    @Test func groOnWithAPassThroughEngine() throws {
        var o = PacketRunOptions()
        o.gro = true
        var received = 0
        var flushes = 0
        o.groEntryPoints = GROEntryPoints(
            receive: { _, skb, deliver throws(SkbError) in
                received += 1
                try deliver(skb)
            },
            flush: { _, _ in flushes += 1 })
        o.napiBudget = 4
        let stats = try PacketRun.run(path: Repository.sample("icmp-echo.pcap"), options: o)
        #expect(received == 8 && flushes == 3 && stats.delivered == 8 && stats.verdict.isClean)
    }

    @Test func statsExample() throws {
        var o = PacketRunOptions()
        o.rxPath = .buildSkb
        let stats = try PacketRun.run(path: Repository.sample("tcp-bulk.pcap"), options: o)
        let text = "\(stats)"
        #expect(text.contains("packets:               391"))
        #expect(text.contains("checker:               clean"))
        print(text)
    }
}

func firstDiff(_ a: String, _ b: String) -> String {
    let x = a.split(separator: "\n", omittingEmptySubsequences: false)
    let y = b.split(separator: "\n", omittingEmptySubsequences: false)
    for i in 0..<max(x.count, y.count) {
        let l = i < x.count ? String(x[i]) : "<eof>"
        let r = i < y.count ? String(y[i]) : "<eof>"
        if l != r { return "line \(i + 1): got \(l) expected \(r)" }
    }
    return "none"
}
