import Foundation
import Release
import SkbModel
import TestSupport
import Testing
import Trace

/// `trace --format perfetto`: the protobuf trace decoded with the tests' own
/// wire reader and checked against the event stream that produced it.
@Suite struct PerfettoProtobufTests {
    /// Field numbers from google/perfetto protos/perfetto/trace/ (trace_packet.proto,
    /// track_event/track_event.proto, track_event/track_descriptor.proto,
    /// track_event/debug_annotation.proto, interned_data/interned_data.proto),
    /// written out here rather than taken from the sink.
    enum N {
        static let packet: UInt32 = 1
        static let timestamp: UInt32 = 8, sequenceID: UInt32 = 10, trackEvent: UInt32 = 11
        static let interned: UInt32 = 12, flags: UInt32 = 13, trackDescriptor: UInt32 = 60
        static let uuid: UInt32 = 1, name: UInt32 = 2, process: UInt32 = 3, thread: UInt32 = 4
        static let parent: UInt32 = 5, counter: UInt32 = 8
        static let type: UInt32 = 9, nameIID: UInt32 = 10, trackUUID: UInt32 = 11
        static let extraValues: UInt32 = 12, counterValue: UInt32 = 30, extraUUIDs: UInt32 = 31
        static let annotations: UInt32 = 4, categoryIIDs: UInt32 = 3
        static let clockSnapshot: UInt32 = 6, defaults: UInt32 = 59
    }

    struct Run {
        var bytes: [UInt8]
        var events: [SkbEvent]
        var json: Int
        var stats: RunStatistics
    }

    func run(_ sample: String, rxPath: RxPath, gro: Bool) throws -> Run {
        func once(_ format: TraceFormat) throws -> ([UInt8], [SkbEvent], RunStatistics) {
            let out = TraceOutput.memory()
            let recorder = EventRecorder()
            var o = PacketRunOptions()
            o.rxPath = rxPath
            o.gro = gro
            o.sink = EventFanout([format.makeSink(output: out, reasons: o.dropReasons), recorder])
            let stats = try PacketRun.run(path: Repository.sample(sample), options: o)
            out.flush()
            return (out.collected, recorder.events, stats)
        }
        let (bytes, events, stats) = try once(.perfetto)
        let json = try once(.perfettoJSON).0.count
        return Run(bytes: bytes, events: events, json: json, stats: stats)
    }

    @Test(arguments: [
        ("tcp-bulk.pcap", RxPath.napiAllocSkb, true), ("jumbo-9000.pcap", .scatterGather, false),
        ("icmp-echo.pcap", .netdevAllocSkb, false),
    ])
    func decodesToTheEventStream(sample: String, rxPath: RxPath, gro: Bool) throws {
        let r = try run(sample, rxPath: rxPath, gro: gro)
        #expect(r.stats.verdict.isClean)
        let top = try WireReader.fields(r.bytes[...])
        #expect(!top.isEmpty)
        #expect(top.allSatisfy { $0.number == N.packet && $0.wireType == 2 })

        var described: [UInt64: [WireField]] = [:]
        var names: [UInt64: String] = [:]
        var depth: [UInt64: Int] = [:]
        var clock: UInt64 = 0
        var instants: [(track: UInt64, name: String)] = []
        var counters: [(uuid: UInt64, value: Int64, extra: (uuid: UInt64, value: Int64)?)] = []
        for (index, field) in top.enumerated() {
            let packet = try field.message()
            #expect(packet.first(N.sequenceID)?.value == 1)
            #expect(packet.first(N.flags)?.value == (index == 0 ? 1 : 2))
            if index == 0 {
                // clock 64, incremental, 0 at BOOTTIME 0, the sequence's default clock.
                let clocks = try #require(try packet.first(N.clockSnapshot)?.message().all(1))
                let user = try #require(try clocks.first { try $0.message().first(1)?.value == 64 }?.message())
                #expect(user.first(3)?.value == 1 && user.first(2)?.value == 0)
                #expect(try clocks.contains { try $0.message().first(1)?.value == 6 })
                #expect(try packet.first(N.defaults)?.message().first(58)?.value == 64)
                continue
            }
            if let interned = packet.first(N.interned) {
                for entry in try interned.message().all(2) {
                    let e = try entry.message()
                    let iid = try #require(e.first(1)?.value)
                    #expect(names[iid] == nil, "event name iid \(iid) defined twice")
                    names[iid] = e.first(2)?.string
                }
            }
            if let descriptor = packet.first(N.trackDescriptor) {
                let d = try descriptor.message()
                let uuid = try #require(d.first(N.uuid)?.value)
                #expect(described[uuid] == nil)
                described[uuid] = d
                if uuid == 1 {
                    #expect(index == 1)
                    #expect(try d.first(N.process)?.message().first(1)?.value == 1)
                } else {
                    #expect(d.first(N.parent)?.value == 1)
                    #expect(d.first(N.thread) != nil || d.first(N.counter) != nil)
                }
                continue
            }
            let te = try #require(try packet.first(N.trackEvent)?.message())
            // Timestamps are deltas on the incremental clock: never negative.
            let delta = try #require(packet.first(N.timestamp)?.value)
            #expect(delta < 1 << 62, "negative time step")
            clock &+= delta
            let track = try #require(te.first(N.trackUUID)?.value)
            let trackDescriptor = try #require(described[track], "track \(track) used before it was described")
            switch te.first(N.type)?.value {
            case 1:
                #expect(names[te.first(N.nameIID)?.value ?? 0] != nil)
                depth[track, default: 0] += 1
                #expect(depth[track, default: 0] == 1, "an skb's life begins inside another")
            case 2:
                depth[track, default: 0] -= 1
                #expect(depth[track, default: 0] >= 0, "slice end without a begin on track \(track)")
            case 3:
                #expect(depth[track, default: 0] == 1, "an instant outside its skb's life slice")
                instants.append((track, try #require(names[te.first(N.nameIID)?.value ?? 0])))
            case 4:
                #expect(trackDescriptor.first(N.counter) != nil)
                var extra: (UInt64, Int64)? = nil
                if let extraUUID = te.first(N.extraUUIDs)?.value {
                    #expect(described[extraUUID]?.first(N.counter) != nil)
                    extra = (extraUUID, try #require(te.first(N.extraValues)).signed)
                }
                counters.append((track, try #require(te.first(N.counterValue)).signed, extra))
            default: Issue.record("unexpected TrackEvent type \(String(describing: te.first(N.type)?.value))")
            }
        }
        // Every slice closed (skbs alive at the end are closed by finish()).
        #expect(depth.values.allSatisfy { $0 == 0 })

        // One instant per skb event, in order, on the skb's track, named
        // by the kernel function (drops and consumes by their tracepoint).
        let steps = r.events.filter { !$0.kind.isCounter }
        #expect(instants.count == steps.count)
        for (instant, event) in zip(instants, steps) {
            #expect(instant.track == 1024 + UInt64(event.skb))
            let expected =
                event.kind == .drop ? "kfree_skb" : event.kind == .consume ? "consume_skb" : event.function.description
            #expect(instant.name == expected)
        }
        // Replaying the counter packets gives every counter's value after
        // each of its changes, in order; a counter's two series are two
        // tracks, uuids n and n + 1.
        let values = r.events.filter { $0.kind.isCounter }
        #expect(!values.isEmpty)
        var state: [UInt64: Int64] = [:]
        var trackOf: [String: UInt64] = [:]
        var expected: [String: (UInt64, UInt64)] = [:]
        var position = 0
        for e in values {
            let key = "\(e.kind) \(e.skb)"
            if let before = expected[key], before == (e.arg0, e.arg1) { continue }
            expected[key] = (e.arg0, e.arg1)
            try #require(position < counters.count, "no counter packet for \(key) = \(e.arg0), \(e.arg1)")
            let c = counters[position]
            position += 1
            state[c.uuid] = c.value
            if let extra = c.extra { state[extra.uuid] = extra.value }
            let first = trackOf[key] ?? (c.uuid & 1 == 0 ? c.uuid : c.uuid - 1)
            trackOf[key] = first
            #expect(c.uuid == first || c.uuid == first + 1)
            #expect(state[first] == Int64(e.arg0) && state[first + 1] == Int64(e.arg1), "\(key)")
        }
        #expect(position == counters.count)
        // The point of the format: at least 5x smaller than the JSON.
        #expect(r.bytes.count * 5 <= r.json, "protobuf \(r.bytes.count) bytes, JSON \(r.json)")
    }
}

extension PerfettoProtobufTests {
    /// A run with no events is still a whole trace: the clock and the process track.
    @Test func anEmptyRunIsAValidTrace() throws {
        let out = TraceOutput.memory()
        let sink = PerfettoProtobufEventSink(output: out)
        sink.finish()
        sink.finish()
        out.flush()
        let packets = try WireReader.fields(out.collected[...]).map { try $0.message() }
        #expect(packets.count == 2)
        #expect(packets.first?.first(N.clockSnapshot) != nil)
        #expect(try packets.last?.first(N.trackDescriptor)?.message().first(N.uuid)?.value == 1)
    }
}
