import Foundation
import TestSupport
import Testing
import Trace

/// Tracking ids, flow records, enumeration names and the event filter.
@Suite struct TrackingTests {
    static func parse(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    @Test func flowRecordsComeBeforeTheFirstEventOfTheirFlow() throws {
        let flows = FlowTable()
        let tcp = FlowTable.Key(
            ipv4Source: 0x0A00_0001, destination: 0x0A00_0002, sourcePort: 40000, destinationPort: 80, ipProtocol: 6)
        let v6 = FlowTable.Key(
            sourceHigh: 0x2001_0db8_0000_0000, sourceLow: 1, destinationHigh: 0x2001_0db8_0000_0000, destinationLow: 2,
            sourcePort: 53, destinationPort: 5353, ipProtocol: 17)
        #expect(flows.packet(tcp) == 1)
        #expect(flows.packet(v6) == 2)
        #expect(flows.packet(tcp) == 1)
        #expect(flows.flow(1)?.packets == 2)
        let output = TraceOutput.memory()
        let sink = JSONLinesEventSink(output: output, flows: flows)
        sink.receive(SkbEvent(sequence: 0, kind: .skbAlloc, packet: 0, flow: 1, function: "__alloc_skb"))
        sink.receive(SkbEvent(sequence: 1, kind: .skbAlloc, packet: 1, flow: 1, function: "__alloc_skb"))
        sink.receive(SkbEvent(sequence: 2, kind: .skbAlloc, packet: 2, flow: 2, function: "__alloc_skb"))
        sink.receive(SkbEvent(sequence: 3, kind: .consume, packet: 2, flow: 2, reason: 1, function: "consume_skb"))
        sink.finish()
        let objects = try Self.parse(output.takeText())
        #expect(objects.count == 6)
        // Record, event, event, record, event, event.
        #expect(objects.map { $0["seq"] == nil } == [true, false, false, true, false, false])
        #expect(objects[0]["v"] as? Int == 2)
        #expect(objects[0]["flow"] as? Int == 1)
        #expect(objects[0]["src"] as? String == "10.0.0.1")
        #expect(objects[0]["dst"] as? String == "10.0.0.2")
        #expect(objects[0]["sport"] as? Int == 40000)
        #expect(objects[0]["dport"] as? Int == 80)
        #expect(objects[0]["proto"] as? Int == 6)
        #expect(objects[3]["src"] as? String == "2001:db8:0:0:0:0:0:1")
        #expect(objects[3]["dst"] as? String == "2001:db8:0:0:0:0:0:2")
        #expect(objects[3]["proto"] as? Int == 17)
        #expect(objects[1]["flow"] as? Int == 1)
        #expect(objects[1]["track"] as? Int == 1)
        #expect(objects[5]["reason"] as? String == "CONSUMED")
        #expect(objects[5]["reason_code"] as? Int == 1)
    }

    @Test func everyEnumerationArgumentIsWrittenAsAName() throws {
        // Each kind with an enumeration argument, with every value it has.
        var events: [SkbEvent] = []
        for kind in SkbEventKind.allCases {
            let (a0, a1) = kind.arguments
            for (slot, argument) in [(0, a0), (1, a1)] {
                guard let argument, case .named(let enumeration) = argument.format else { continue }
                for value in 0..<enumeration.names.count {
                    var e = SkbEvent(sequence: UInt64(events.count), kind: kind, packet: 4, function: "f")
                    if slot == 0 { e.arg0 = UInt64(value) } else { e.arg1 = UInt64(value) }
                    events.append(e)
                }
            }
        }
        #expect(events.count > 30)
        let output = TraceOutput.memory()
        let sink = JSONLinesEventSink(output: output)
        for e in events { sink.receive(e) }
        sink.finish()
        let objects = try Self.parse(output.takeText())
        #expect(objects.count == events.count)
        for (object, event) in zip(objects, events) {
            let args = try #require(object["args"] as? [String: Any])
            let (a0, a1) = event.kind.arguments
            for (argument, value) in [(a0, event.arg0), (a1, event.arg1)] {
                guard let argument, case .named(let enumeration) = argument.format else { continue }
                let name = try #require(args[argument.name.description] as? String, "\(event.kind) \(argument.name)")
                #expect(name == enumeration.names[Int(value)].description)
            }
        }
        // The names a reader sees for version 1's example codes.
        #expect(SkbEventEnum.cause.name(of: 5)?.description == "tcp_options")
        #expect(SkbEventEnum.destructor.name(of: 5)?.description == "custom")
        #expect(SkbEventEnum.cause.name(of: 11) == nil)
    }

    @Test func enumerationNamesAreDistinctAndDocumented() throws {
        let doc = try String(
            contentsOf: Repository.root.appendingPathComponent("docs/jsonl-schema.md"), encoding: .utf8)
        for enumeration in SkbEventEnum.allCases {
            let names = enumeration.names.map(\.description)
            #expect(Set(names).count == names.count)
            // The switch the sinks use agrees with the list, and ends with it.
            for (value, name) in names.enumerated() {
                #expect(enumeration.name(of: UInt64(value))?.description == name)
            }
            #expect(enumeration.name(of: UInt64(names.count)) == nil)
            for (value, name) in names.enumerated() {
                #expect(
                    doc.contains("\(value) `\(name)`"), "docs/jsonl-schema.md lacks \(enumeration.key) \(value) \(name)"
                )
            }
        }
        for kind in SkbEventKind.allCases {
            #expect(doc.contains("`\(kind.description)`"), "docs/jsonl-schema.md lacks kind \(kind)")
        }
    }

    // MARK: Filter

    /// Packet 1 is held by GRO in slot 0; packet 2 (slot 1) is merged into
    /// it and freed; packet 3 (slot 1 again) is unrelated; the super-packet
    /// is flushed, lists its members and is freed; then slot 0 is reused by
    /// packet 4.
    static var groStory: [SkbEvent] {
        var events: [SkbEvent] = []
        func add(_ kind: SkbEventKind, pkt: Int32, skb: UInt32, arg0: UInt64 = 0, arg1: UInt64 = 0, arg2: UInt64 = 0) {
            events.append(
                SkbEvent(
                    sequence: UInt64(events.count), kind: kind, packet: pkt, skb: skb, arg0: arg0, arg1: arg1,
                    arg2: arg2, function: "f"))
        }
        add(.skbAlloc, pkt: 0, skb: 0)
        add(.groHold, pkt: 0, skb: 0, arg0: 1448)
        add(.skbAlloc, pkt: 1, skb: 1)
        add(.groMerge, pkt: 1, skb: 1, arg0: 0, arg1: 1, arg2: 0)
        add(.skbFree, pkt: 1, skb: 1, arg0: 2)
        add(.skbAlloc, pkt: 2, skb: 1)
        add(.consume, pkt: 2, skb: 1)
        add(.skbFree, pkt: 2, skb: 1)
        add(.pageFragCounter, pkt: 2, skb: 0, arg0: 1)
        add(.groFlush, pkt: 0, skb: 0, arg0: 2, arg1: 0)
        add(.groMember, pkt: 0, skb: 0, arg0: 1, arg1: 3)
        add(.groMember, pkt: 0, skb: 0, arg0: 2, arg1: 1)
        add(.fragUnref, pkt: 0, skb: 0, arg0: 0x1000, arg1: 0, arg2: 2048)
        add(.skbFree, pkt: 0, skb: 0)
        add(.skbAlloc, pkt: 3, skb: 0)
        return events
    }

    static func filtered(_ criteria: EventFilter.Criteria, _ events: [SkbEvent] = groStory) -> [UInt64] {
        let recorder = EventRecorder()
        let filter = EventFilter(next: recorder, criteria: criteria)
        for e in events { filter.receive(e) }
        filter.finish()
        return recorder.events.map(\.sequence)
    }

    @Test func trackFollowsAMergedPacketIntoItsSuperPacket() {
        // Packet 2's own skb, then the held skb from the merge to its free;
        // not packet 3 (same slot 1 later), not the counter, not slot 0's next skb.
        #expect(Self.filtered(.init(track: 2)) == [2, 3, 4, 9, 10, 11, 12, 13])
        // The held packet: its own events only.
        #expect(Self.filtered(.init(track: 1)) == [0, 1, 9, 10, 11, 12, 13])
        #expect(Self.filtered(.init(track: 3)) == [5, 6, 7])
        #expect(Self.filtered(.init(track: 4)) == [14])
    }

    @Test func kindsPacketsAndLimitCombine() throws {
        let kinds = try EventFilter.parseKinds("skb_alloc,gro_member")
        #expect(Self.filtered(.init(kinds: kinds)) == [0, 2, 5, 10, 11, 14])
        let ranges = try EventFilter.parseRanges("2-3")
        #expect(Self.filtered(.init(packets: ranges)) == [2, 3, 4, 5, 6, 7, 8])
        #expect(Self.filtered(.init(kinds: kinds, packets: ranges)) == [2, 5])
        #expect(Self.filtered(.init(kinds: kinds, maxEvents: 2)) == [0, 2])
        #expect(Self.filtered(.init(kinds: kinds, track: 2)) == [2, 10, 11])
        #expect(Self.filtered(.init()) == Array(0..<15))
    }

    @Test func badFilterValuesSayWhatAndWhere() {
        #expect(throws: EventFilterError.self) { try EventFilter.parseKinds("skb_alloc,nope") }
        #expect(throws: EventFilterError.self) { try EventFilter.parseKinds("") }
        #expect(throws: EventFilterError.self) { try EventFilter.parseRanges("5-2") }
        #expect(throws: EventFilterError.self) { try EventFilter.parseRanges("0") }
        #expect(throws: EventFilterError.self) { try EventFilter.parseRanges("1-2-3") }
        #expect(throws: EventFilterError.self) { try EventFilter.parseRanges("a") }
        #expect(throws: EventFilterError.self) { try EventFilter.parseTrack("0") }
        #expect(throws: EventFilterError.self) { try EventFilter.parseMaxEvents("-1") }
        #expect((try? EventFilter.parseRanges("10-20, 35")) == [10...20, 35...35])
        do {
            _ = try EventFilter.parseKinds("nope")
        } catch {
            #expect(error.description.hasPrefix("--events: unknown event kind 'nope'"))
        }
    }
}
