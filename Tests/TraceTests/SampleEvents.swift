import Trace

/// A fixed event stream: packet 12 is allocated, grows, is dropped by
/// netfilter and freed; packet 13's skb is held by GRO and still alive at the
/// end; packet 14's skb is consumed.
enum SampleEvents {
    static let t0: Int64 = 1_700_000_000_123_456_789
    static let nf = SkbDropReasonTable.default.value(named: "NETFILTER_DROP")!

    static var all: [SkbEvent] {
        var events: [SkbEvent] = []
        func add(
            _ kind: SkbEventKind, pkt: Int32, skb: UInt32, addr: UInt64, dt: Int64, len: UInt32 = 0,
            truesize: UInt32 = 0, headroom: UInt32 = 0, proto: UInt16 = 0, reason: UInt32 = 0,
            arg0: UInt64 = 0, arg1: UInt64 = 0, fn: StaticString
        ) {
            events.append(
                SkbEvent(
                    sequence: UInt64(events.count), kind: kind, packet: pkt, skb: skb, skbaddr: addr,
                    timestampNanoseconds: t0 + dt, len: len, truesize: truesize, headroom: headroom,
                    protocolType: proto, reason: reason, arg0: arg0, arg1: arg1, function: fn))
        }
        let a7: UInt64 = 0xffff_8880_00a1_c000
        let a8: UInt64 = 0xffff_8880_00a1_c100
        add(.skbAlloc, pkt: 12, skb: 7, addr: a7, dt: 0, truesize: 2176, fn: "__napi_alloc_skb")
        add(
            .headAlloc, pkt: 12, skb: 7, addr: a7, dt: 0, truesize: 2176, arg0: 0xffff_8880_03b4_0000, arg1: 2048,
            fn: "page_frag_alloc")
        add(.pageFragCounter, pkt: 12, skb: 0, addr: 0, dt: 0, arg0: 1, arg1: 2048, fn: "page_frag_alloc")
        add(.reserve, pkt: 12, skb: 7, addr: a7, dt: 0, truesize: 2176, headroom: 64, arg0: 64, fn: "skb_reserve")
        add(
            .put, pkt: 12, skb: 7, addr: a7, dt: 250_000, len: 60, truesize: 2176, headroom: 64, proto: 0x0800,
            arg0: 60, fn: "skb_put")
        add(
            .hookVerdict, pkt: 12, skb: 7, addr: a7, dt: 250_000, len: 60, truesize: 2176, headroom: 64, proto: 0x0800,
            reason: nf, arg0: 1, arg1: 1, fn: "nf_hook_slow")
        add(
            .drop, pkt: 12, skb: 7, addr: a7, dt: 250_000, len: 60, truesize: 2176, headroom: 64, proto: 0x0800,
            reason: nf, fn: "kfree_skb_reason")
        add(
            .headFree, pkt: 12, skb: 7, addr: a7, dt: 250_000, len: 60, truesize: 2176, headroom: 64, proto: 0x0800,
            arg0: 0xffff_8880_03b4_0000, arg1: 0, fn: "skb_free_frag")
        add(
            .skbFree, pkt: 12, skb: 7, addr: a7, dt: 250_000, len: 60, truesize: 2176, headroom: 64, proto: 0x0800,
            fn: "kfree_skbmem")
        add(.pageFragCounter, pkt: 12, skb: 0, addr: 0, dt: 250_000, arg0: 1, arg1: 0, fn: "page_frag_free")
        add(.skbAlloc, pkt: 13, skb: 8, addr: a8, dt: 1_000_000, truesize: 768, fn: "napi_build_skb")
        add(
            .pull, pkt: 13, skb: 8, addr: a8, dt: 1_000_000, len: 1500, truesize: 768, headroom: 78, proto: 0x86dd,
            arg0: 14, fn: "skb_pull")
        add(
            .groHold, pkt: 13, skb: 8, addr: a8, dt: 1_000_000, len: 1500, truesize: 768, headroom: 78, proto: 0x86dd,
            arg0: 1448, fn: "dev_gro_receive")
        add(.skbAlloc, pkt: 14, skb: 9, addr: a7, dt: 2_000_000, truesize: 768, fn: "napi_build_skb")
        add(
            .consume, pkt: 14, skb: 9, addr: a7, dt: 2_000_000, len: 42, truesize: 768, proto: 0x0806, reason: 1,
            fn: "napi_consume_skb")
        add(
            .skbFree, pkt: 14, skb: 9, addr: a7, dt: 2_000_000, len: 42, truesize: 768, proto: 0x0806,
            fn: "napi_skb_cache_put")
        return events
    }

    /// Runs `all` through a sink built on a memory output and returns its text.
    static func render(_ make: (TraceOutput) -> any EventSink) -> String {
        let output = TraceOutput.memory()
        let sink = make(output)
        for event in all { sink.receive(event) }
        sink.finish()
        output.close()
        return output.text
    }
}
