import Testing
import Trace

@Test func fanoutDeliversToEverySinkInOrder() {
    let a = EventRecorder()
    let b = EventRecorder()
    let fanout = EventFanout([a, b])
    fanout.receive(SkbEvent(sequence: 0, kind: .skbAlloc, function: "__alloc_skb"))
    fanout.receive(SkbEvent(sequence: 1, kind: .put, arg0: 60, function: "skb_put"))
    #expect(a.events.map(\.kind) == [.skbAlloc, .put])
    #expect(b.events == a.events)
    #expect(a.events[1].function.description == "skb_put")
}

@Test func everyKindHasADistinctName() {
    let names = Set(SkbEventKind.allCases.map(\.description))
    #expect(names.count == SkbEventKind.allCases.count)
}
