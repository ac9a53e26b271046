import Testing
import Trace

@Test func textSinkGolden() {
    let lines = SampleEvents.render { TextEventSink(output: $0) }.split(
        separator: "\n", omittingEmptySubsequences: false)
    let expected = [
        "#0 pkt 12 track 13 skb 7 ffff888000a1c000 00:00:00.000000000 __napi_alloc_skb(cache=skbuff_cache, fclone=SKB_FCLONE_UNAVAILABLE) len 0 data_len 0 truesize 2176 headroom 0 nr_frags 0 proto 0x0000",
        "#1 pkt 12 track 13 skb 7 ffff888000a1c000 00:00:00.000000000 page_frag_alloc(head=0xffff888003b40000, size=2048) len 0 data_len 0 truesize 2176 headroom 0 nr_frags 0 proto 0x0000",
        "#2 pkt 12 page_frag_cache 0 00:00:00.000000000 page_frag_alloc(pages=1, outstanding_bytes=2048)",
        "#3 pkt 12 track 13 skb 7 ffff888000a1c000 00:00:00.000000000 skb_reserve(+64) len 0 data_len 0 truesize 2176 headroom 64 nr_frags 0 proto 0x0000",
        "#4 pkt 12 track 13 skb 7 ffff888000a1c000 00:00:00.000250000 skb_put(+60) len 60 data_len 0 truesize 2176 headroom 64 nr_frags 0 proto 0x0800",
        "#5 pkt 12 track 13 skb 7 ffff888000a1c000 00:00:00.000250000 nf_hook_slow(hook=NF_INET_LOCAL_IN, verdict=NF_DROP) len 60 data_len 0 truesize 2176 headroom 64 nr_frags 0 proto 0x0800 reason: NETFILTER_DROP",
        "#6 pkt 12 track 13 skb 7 ffff888000a1c000 00:00:00.000250000 kfree_skb location=kfree_skb_reason protocol=2048 reason: NETFILTER_DROP",
        "#7 pkt 12 track 13 skb 7 ffff888000a1c000 00:00:00.000250000 skb_free_frag(head=0xffff888003b40000, free_kind=skb_free_frag, offset=0) len 60 data_len 0 truesize 2176 headroom 64 nr_frags 0 proto 0x0800",
        "#8 pkt 12 track 13 skb 7 ffff888000a1c000 00:00:00.000250000 kfree_skbmem(cache=skbuff_cache, fclone=SKB_FCLONE_UNAVAILABLE) len 60 data_len 0 truesize 2176 headroom 64 nr_frags 0 proto 0x0800",
        "#9 pkt 12 page_frag_cache 0 00:00:00.000250000 page_frag_free(pages=1, outstanding_bytes=0)",
        "#10 pkt 13 track 14 skb 8 ffff888000a1c100 00:00:00.001000000 napi_build_skb(cache=skbuff_cache, fclone=SKB_FCLONE_UNAVAILABLE) len 0 data_len 0 truesize 768 headroom 0 nr_frags 0 proto 0x0000",
        "#11 pkt 13 track 14 skb 8 ffff888000a1c100 00:00:00.001000000 skb_pull(-14) len 1500 data_len 0 truesize 768 headroom 78 nr_frags 0 proto 0x86dd",
        "#12 pkt 13 track 14 skb 8 ffff888000a1c100 00:00:00.001000000 dev_gro_receive(gso_size=1448) len 1500 data_len 0 truesize 768 headroom 78 nr_frags 0 proto 0x86dd",
        "#13 pkt 14 track 15 skb 9 ffff888000a1c000 00:00:00.002000000 napi_build_skb(cache=skbuff_cache, fclone=SKB_FCLONE_UNAVAILABLE) len 0 data_len 0 truesize 768 headroom 0 nr_frags 0 proto 0x0000",
        "#14 pkt 14 track 15 skb 9 ffff888000a1c000 00:00:00.002000000 consume_skb location=napi_consume_skb",
        "#15 pkt 14 track 15 skb 9 ffff888000a1c000 00:00:00.002000000 napi_skb_cache_put(cache=skbuff_cache, fclone=SKB_FCLONE_UNAVAILABLE) len 42 data_len 0 truesize 768 headroom 0 nr_frags 0 proto 0x0806",
        "",
    ]
    #expect(lines.count == expected.count)
    for (line, want) in zip(lines, expected) { #expect(String(line) == want) }
}

@Test func textSinkTimeOfDayAndEdgeCases() {
    let output = TraceOutput.memory()
    let sink = TextEventSink(output: output, reasons: .linux6_8, timeFormat: .timeOfDay)
    // 1_700_000_000 s is 22:13:20 UTC.
    sink.receive(
        SkbEvent(
            kind: .drop, packet: -1, skb: 1, skbaddr: 0x1234, timestampNanoseconds: 1_700_000_000_000_000_042,
            protocolType: 0x0800, reason: 63, function: "kfree_skb_reason"))
    sink.receive(
        SkbEvent(
            sequence: 1, kind: .drop, skb: 1, timestampNanoseconds: 1_700_000_000_000_000_042,
            reason: 0x1_0002, function: "ieee80211_rx"))
    sink.receive(
        SkbEvent(sequence: 2, kind: .headersSet, skb: 1, arg0: 14, arg1: 0xFFFF, function: "skb_reset_network_header"))
    sink.finish()
    output.close()
    #expect(
        output.text == """
            #0 pkt - track 0 skb 1 0000000000001234 22:13:20.000000042 kfree_skb location=kfree_skb_reason protocol=2048 reason: NOMEM
            #1 pkt - track 0 skb 1 0000000000000000 22:13:20.000000042 kfree_skb location=ieee80211_rx protocol=0 reason: 0x10002
            #2 pkt - track 0 skb 1 0000000000000000 00:00:00.000000000 skb_reset_network_header(network_header=14, transport_header=65535) len 0 data_len 0 truesize 0 headroom 0 nr_frags 0 proto 0x0000

            """)
}
