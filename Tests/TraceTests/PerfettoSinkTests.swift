import Foundation
import Testing
import Trace

private func perfetto(_ events: [SkbEvent]) -> [UInt8] {
    let output = TraceOutput.memory()
    let sink = PerfettoEventSink(output: output)
    for event in events { sink.receive(event) }
    sink.finish()
    output.close()
    return output.collected
}

private func traceEvents(_ bytes: [UInt8]) throws -> [[String: Any]] {
    let root = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    #expect(root["displayTimeUnit"] as? String == "ns")
    return try #require(root["traceEvents"] as? [[String: Any]])
}

@Test func perfettoParsesAndEverySpanCloses() throws {
    let events = try traceEvents(perfetto(SampleEvents.all))
    var stacks: [Int: [(String, Double)]] = [:]
    var lastTs: [Int: Double] = [:]
    var aliveAtEnd: [String] = []
    for e in events {
        let ph = try #require(e["ph"] as? String)
        #expect(e["pid"] as? Int == 1)
        guard ph != "M" else { continue }
        let ts = try #require(e["ts"] as? Double)
        #expect(ts >= 0)
        if ph == "C" { continue }
        let tid = try #require(e["tid"] as? Int)
        #expect(ts >= lastTs[tid, default: 0], "time goes forward on each track")
        lastTs[tid] = ts
        let name = try #require(e["name"] as? String)
        switch ph {
        case "B": stacks[tid, default: []].append((name, ts))
        case "E":
            let popped = stacks[tid]?.popLast()
            let open = try #require(popped)
            #expect(open.0 == name)
            #expect(ts > open.1)
            if let args = e["args"] as? [String: Any], args["alive_at_end"] as? Bool == true {
                #expect(args["note"] as? String == "alive at end of run")
                aliveAtEnd.append(name)
            }
        case "X": #expect((e["dur"] as? Double ?? -1) > 0)
        case "i": #expect(e["s"] as? String == "t")
        default: Issue.record("unexpected ph \(ph)")
        }
    }
    #expect(stacks.values.allSatisfy { $0.isEmpty })
    #expect(aliveAtEnd == ["skb 8"])
}

@Test func perfettoHasMetadataCountersAndInstants() throws {
    let events = try traceEvents(perfetto(SampleEvents.all))
    let meta = events.filter { $0["ph"] as? String == "M" }
    let names = meta.compactMap { ($0["args"] as? [String: Any])?["name"] as? String }
    #expect(names == ["skbsim", "skb 7", "skb 8", "skb 9"])
    #expect(meta.first?["name"] as? String == "process_name")
    let counters = events.filter { $0["ph"] as? String == "C" }
    #expect(counters.count == 2)
    #expect(counters.allSatisfy { $0["name"] as? String == "page_frag 0" })
    let last = try #require(counters.last?["args"] as? [String: Any])
    #expect(last["pages"] as? Int == 1)
    #expect(last["outstanding_bytes"] as? Int == 0)
    let instants = events.filter { $0["ph"] as? String == "i" }
    #expect(instants.map { $0["name"] as? String } == ["kfree_skb", "consume_skb"])
    let drop = try #require(instants.first?["args"] as? [String: Any])
    #expect(drop["reason"] as? String == "NETFILTER_DROP")
    #expect(drop["reason_value"] as? Int == 12)  // NETFILTER_DROP in 6.18
    let stages = Set(events.filter { $0["ph"] as? String == "B" }.compactMap { $0["name"] as? String })
    #expect(stages.isSuperset(of: ["alloc", "ops", "gro_hold", "release"]))
}

@Test func perfettoIsDeterministicAndEmptyRunsAreValid() throws {
    #expect(perfetto(SampleEvents.all) == perfetto(SampleEvents.all))
    let empty = try traceEvents(perfetto([]))
    #expect(empty.count == 1)
}

@Test func perfettoTimeAxisKeepsOrderWhenCaptureTimeGoesBack() throws {
    var events = SampleEvents.all
    events[10].timestampNanoseconds = SampleEvents.t0 - 5_000  // out-of-order capture
    let ts = try traceEvents(perfetto(events)).filter { ["X", "i", "C"].contains($0["ph"] as? String) }
        .compactMap { $0["ts"] as? Double }
    #expect(ts.count == events.count)
    #expect(zip(ts, ts.dropFirst()).allSatisfy { $0 < $1 })
}
