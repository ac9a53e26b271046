import Foundation
import Release
import SkbModel
import TestSupport
import Testing
import Trace

/// The memory counter events of whole runs, checked against the skb
/// events of the same run (what was allocated and freed) rather than
/// against the allocator's own counts.
@Suite struct MemoryCounterTests {
    final class Recorder: EventSink {
        var events: [SkbEvent] = []
        var names: [String: String] = [:]
        func receive(_ event: SkbEvent) { events.append(event) }
        func describeCounter(_ kind: SkbEventKind, id: UInt32, name: String) {
            #expect(names["\(kind) \(id)"] == nil, "counter named twice")
            names["\(kind) \(id)"] = name
        }
        /// The values of the counter named `name`, in order.
        func series(_ kind: SkbEventKind, _ name: String) -> [(UInt64, UInt64)] {
            events.filter { $0.kind == kind && names["\(kind) \($0.skb)"] == name }.map { ($0.arg0, $0.arg1) }
        }
    }

    func run(_ sample: String, _ rxPath: RxPath) throws -> (Recorder, RunStatistics) {
        let recorder = Recorder()
        var o = PacketRunOptions()
        o.rxPath = rxPath
        o.sink = recorder
        let stats = try PacketRun.run(path: Repository.sample(sample), options: o)
        #expect(stats.verdict.isClean)
        return (recorder, stats)
    }

    /// Running totals of +/- steps, consecutive repeats collapsed: what an
    /// on-change counter must show.
    func changes(_ steps: [Int]) -> [Int] {
        var out: [Int] = []
        var total = 0
        for s in steps {
            total += s
            if out.last != total { out.append(total) }
        }
        return out
    }

    @Test func everyCounterIsNamedBeforeItsFirstValueAndSequenceHasNoGaps() throws {
        let (r, _) = try run("tcp-bulk.pcap", .napiAllocSkb)
        #expect(r.events.enumerated().allSatisfy { UInt64($0.offset) == $0.element.sequence })
        for e in r.events where e.kind.isCounter {
            #expect(r.names["\(e.kind) \(e.skb)"] != nil)
        }
        let kinds = Set(r.events.filter(\.kind.isCounter).map(\.kind))
        #expect(kinds == [.pageFragCounter, .slabCounter, .socketCounter, .memoryCounter])
    }

    /// skbuff_cache's active objects: +1 per sk_buff allocated from it,
    /// -1 per one freed to it (netdev_alloc_skb: no NAPI skb cache).
    @Test func slabCounterFollowsTheSkbStructs() throws {
        let (r, _) = try run("icmp-echo.pcap", .netdevAllocSkb)
        let steps = r.events.compactMap { e -> Int? in
            guard e.arg0 == 0 else { return nil }
            return e.kind == .skbAlloc ? 1 : e.kind == .skbFree ? -1 : nil
        }
        let objects = r.series(.slabCounter, "skbuff_cache").map { Int($0.0) }
        #expect(!objects.isEmpty)
        #expect(objects == changes(steps))
    }

    /// napi_alloc_cache's outstanding bytes: + each page_frag head's size
    /// (`head_alloc` arg1), - that size when the head is freed as a
    /// page_frag (`head_free` arg1 0); pages held never 0 while bytes are out.
    @Test func pageFragCounterFollowsTheHeads() throws {
        let (r, _) = try run("tcp-bulk.pcap", .napiAllocSkb)
        var headSize: [UInt32: Int] = [:]
        var steps: [Int] = []
        for e in r.events {
            if e.kind == .headAlloc && e.function.description == "page_frag_alloc" {
                headSize[e.skb] = Int(e.arg1)
                steps.append(Int(e.arg1))
            } else if e.kind == .headFree && e.arg1 == 0, let size = headSize.removeValue(forKey: e.skb) {
                steps.append(-size)
            }
        }
        let series = r.series(.pageFragCounter, "napi_alloc_cache")
        #expect(!steps.isEmpty)
        #expect(series.map { Int($0.1) }.reduce(into: [Int]()) { if $0.last != $1 { $0.append($1) } } == changes(steps))
        #expect(series.allSatisfy { $0.1 == 0 || $0.0 > 0 })
        // Drained at the end: no page left, nothing out.
        #expect(series.last.map { $0 == (0, 0) } == true)
    }

    @Test func socketAndMemoryCountersAgreeWithTheStatistics() throws {
        let (r, stats) = try run("tcp-bulk.pcap", .napiAllocSkb)
        let socket = r.series(.socketCounter, "socket 0")
        #expect(socket.map(\.0).max() == UInt64(stats.peakSocketRmem))
        #expect(socket.last.map { $0 == (0, 0) } == true)
        let memory = r.series(.memoryCounter, "memory")
        #expect(memory.allSatisfy { $0.1 == $0.0 * 4096 })
        // The statistics sample the peak once per packet; the counter sees every change.
        #expect((memory.map(\.1).max() ?? 0) >= UInt64(stats.peakMemoryBytes))
        #expect(stats.peakMemoryBytes > 0)
    }

    @Test func noSinkNoCounters() throws {
        // The same run without a sink emits nothing and computes the same statistics.
        var o = PacketRunOptions()
        o.rxPath = .napiAllocSkb
        let quiet = try PacketRun.run(path: Repository.sample("tcp-bulk.pcap"), options: o)
        let (_, traced) = try run("tcp-bulk.pcap", .napiAllocSkb)
        #expect(quiet.peakMemoryBytes == traced.peakMemoryBytes)
        #expect(quiet.packets == traced.packets && quiet.pageFragBytesHandedOut == traced.pageFragBytesHandedOut)
    }
}
