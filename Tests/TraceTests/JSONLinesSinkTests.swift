import Foundation
import Testing
import Trace

let jsonlGolden = [
    #"{"v":2,"seq":0,"kind":"skb_alloc","fn":"__napi_alloc_skb","pkt":12,"track":13,"flow":0,"skb":7,"skbaddr":"0xffff888000a1c000","ts_ns":1700000000123456789,"len":0,"data_len":0,"truesize":2176,"headroom":0,"nr_frags":0,"proto":0,"args":{"cache":"skbuff_cache","fclone":"SKB_FCLONE_UNAVAILABLE"}}"#,
    #"{"v":2,"seq":1,"kind":"head_alloc","fn":"page_frag_alloc","pkt":12,"track":13,"flow":0,"skb":7,"skbaddr":"0xffff888000a1c000","ts_ns":1700000000123456789,"len":0,"data_len":0,"truesize":2176,"headroom":0,"nr_frags":0,"proto":0,"args":{"head":"0xffff888003b40000","size":2048}}"#,
    #"{"v":2,"seq":2,"kind":"page_frag_counter","fn":"page_frag_alloc","pkt":12,"track":13,"flow":0,"skb":0,"skbaddr":"0x0","ts_ns":1700000000123456789,"len":0,"data_len":0,"truesize":0,"headroom":0,"nr_frags":0,"proto":0,"args":{"pages":1,"outstanding_bytes":2048}}"#,
    #"{"v":2,"seq":3,"kind":"reserve","fn":"skb_reserve","pkt":12,"track":13,"flow":0,"skb":7,"skbaddr":"0xffff888000a1c000","ts_ns":1700000000123456789,"len":0,"data_len":0,"truesize":2176,"headroom":64,"nr_frags":0,"proto":0,"args":{"bytes":64}}"#,
    #"{"v":2,"seq":4,"kind":"put","fn":"skb_put","pkt":12,"track":13,"flow":0,"skb":7,"skbaddr":"0xffff888000a1c000","ts_ns":1700000000123706789,"len":60,"data_len":0,"truesize":2176,"headroom":64,"nr_frags":0,"proto":2048,"args":{"bytes":60}}"#,
    #"{"v":2,"seq":5,"kind":"hook_verdict","fn":"nf_hook_slow","pkt":12,"track":13,"flow":0,"skb":7,"skbaddr":"0xffff888000a1c000","ts_ns":1700000000123706789,"len":60,"data_len":0,"truesize":2176,"headroom":64,"nr_frags":0,"proto":2048,"reason":"NETFILTER_DROP","reason_code":12,"args":{"hook":"NF_INET_LOCAL_IN","verdict":"NF_DROP"}}"#,
    #"{"v":2,"seq":6,"kind":"drop","fn":"kfree_skb_reason","pkt":12,"track":13,"flow":0,"skb":7,"skbaddr":"0xffff888000a1c000","ts_ns":1700000000123706789,"len":60,"data_len":0,"truesize":2176,"headroom":64,"nr_frags":0,"proto":2048,"reason":"NETFILTER_DROP","reason_code":12,"args":{}}"#,
    #"{"v":2,"seq":7,"kind":"head_free","fn":"skb_free_frag","pkt":12,"track":13,"flow":0,"skb":7,"skbaddr":"0xffff888000a1c000","ts_ns":1700000000123706789,"len":60,"data_len":0,"truesize":2176,"headroom":64,"nr_frags":0,"proto":2048,"args":{"head":"0xffff888003b40000","free_kind":"skb_free_frag","offset":0}}"#,
    #"{"v":2,"seq":8,"kind":"skb_free","fn":"kfree_skbmem","pkt":12,"track":13,"flow":0,"skb":7,"skbaddr":"0xffff888000a1c000","ts_ns":1700000000123706789,"len":60,"data_len":0,"truesize":2176,"headroom":64,"nr_frags":0,"proto":2048,"args":{"cache":"skbuff_cache","fclone":"SKB_FCLONE_UNAVAILABLE"}}"#,
    #"{"v":2,"seq":9,"kind":"page_frag_counter","fn":"page_frag_free","pkt":12,"track":13,"flow":0,"skb":0,"skbaddr":"0x0","ts_ns":1700000000123706789,"len":0,"data_len":0,"truesize":0,"headroom":0,"nr_frags":0,"proto":0,"args":{"pages":1,"outstanding_bytes":0}}"#,
    #"{"v":2,"seq":10,"kind":"skb_alloc","fn":"napi_build_skb","pkt":13,"track":14,"flow":0,"skb":8,"skbaddr":"0xffff888000a1c100","ts_ns":1700000000124456789,"len":0,"data_len":0,"truesize":768,"headroom":0,"nr_frags":0,"proto":0,"args":{"cache":"skbuff_cache","fclone":"SKB_FCLONE_UNAVAILABLE"}}"#,
    #"{"v":2,"seq":11,"kind":"pull","fn":"skb_pull","pkt":13,"track":14,"flow":0,"skb":8,"skbaddr":"0xffff888000a1c100","ts_ns":1700000000124456789,"len":1500,"data_len":0,"truesize":768,"headroom":78,"nr_frags":0,"proto":34525,"args":{"bytes":14}}"#,
    #"{"v":2,"seq":12,"kind":"gro_hold","fn":"dev_gro_receive","pkt":13,"track":14,"flow":0,"skb":8,"skbaddr":"0xffff888000a1c100","ts_ns":1700000000124456789,"len":1500,"data_len":0,"truesize":768,"headroom":78,"nr_frags":0,"proto":34525,"args":{"gso_size":1448}}"#,
    #"{"v":2,"seq":13,"kind":"skb_alloc","fn":"napi_build_skb","pkt":14,"track":15,"flow":0,"skb":9,"skbaddr":"0xffff888000a1c000","ts_ns":1700000000125456789,"len":0,"data_len":0,"truesize":768,"headroom":0,"nr_frags":0,"proto":0,"args":{"cache":"skbuff_cache","fclone":"SKB_FCLONE_UNAVAILABLE"}}"#,
    #"{"v":2,"seq":14,"kind":"consume","fn":"napi_consume_skb","pkt":14,"track":15,"flow":0,"skb":9,"skbaddr":"0xffff888000a1c000","ts_ns":1700000000125456789,"len":42,"data_len":0,"truesize":768,"headroom":0,"nr_frags":0,"proto":2054,"reason":"CONSUMED","reason_code":1,"args":{}}"#,
    #"{"v":2,"seq":15,"kind":"skb_free","fn":"napi_skb_cache_put","pkt":14,"track":15,"flow":0,"skb":9,"skbaddr":"0xffff888000a1c000","ts_ns":1700000000125456789,"len":42,"data_len":0,"truesize":768,"headroom":0,"nr_frags":0,"proto":2054,"args":{"cache":"skbuff_cache","fclone":"SKB_FCLONE_UNAVAILABLE"}}"#,
]

@Test func jsonLinesGolden() {
    let text = SampleEvents.render { JSONLinesEventSink(output: $0) }
    #expect(text.hasSuffix("\n"))
    let lines = text.split(separator: "\n").map(String.init)
    #expect(lines.count == jsonlGolden.count)
    for (line, want) in zip(lines, jsonlGolden) { #expect(line == want) }
}

/// The keys every object has, in order (docs/jsonl-schema.md).
let commonKeys = [
    "v", "seq", "kind", "fn", "pkt", "track", "flow", "skb", "skbaddr", "ts_ns", "len", "data_len", "truesize",
    "headroom", "nr_frags", "proto",
]

@Test func jsonLinesParseAndHaveTheDocumentedKeys() throws {
    let text = SampleEvents.render { JSONLinesEventSink(output: $0) }
    let events = SampleEvents.all
    for (index, line) in text.split(separator: "\n").enumerated() {
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let event = events[index]
        #expect(object["v"] as? Int == 2)
        #expect(object["seq"] as? Int == Int(event.sequence))
        #expect(object["kind"] as? String == event.kind.description)
        #expect(object["fn"] as? String == event.function.description)
        #expect(object["pkt"] as? Int == Int(event.packet))
        #expect(object["track"] as? Int == Int(event.packet) + 1)
        #expect(object["flow"] as? Int == 0)
        #expect(object["ts_ns"] as? Int64 == event.timestampNanoseconds)
        #expect(object["skbaddr"] as? String == "0x" + String(event.skbaddr, radix: 16))
        #expect(object["proto"] as? Int == Int(event.protocolType))
        // Key order: the common keys first, then reason (if any), then args.
        let keys = keyOrder(String(line))
        #expect(Array(keys.prefix(commonKeys.count)) == commonKeys)
        let rest = Array(keys.dropFirst(commonKeys.count))
        if event.kind.carriesReason || event.reason != 0 {
            #expect(rest == ["reason", "reason_code", "args"])
            #expect(object["reason_code"] as? Int == Int(event.reason))
            #expect(object["reason"] as? String == SkbDropReasonTable.default.displayName(of: event.reason))
        } else {
            #expect(rest == ["args"])
        }
        let args = try #require(object["args"] as? [String: Any])
        let (a0, a1) = event.kind.arguments
        let a2 = event.kind.extraArgument
        #expect(Set(args.keys) == Set([a0, a1, a2].compactMap { $0?.name.description }))
        for (argument, value) in [(a0, event.arg0), (a1, event.arg1), (a2, event.arg2)] {
            guard let argument else { continue }
            let written = args[argument.name.description]
            switch argument.format {
            case .decimal: #expect(written as? UInt64 == value)
            case .address: #expect(written as? String == "0x" + String(value, radix: 16))
            case .named(let enumeration):
                // A name, never a bare code; the name maps back to the value.
                let name = try #require(written as? String)
                #expect(enumeration.value(named: name) == value)
            }
        }
    }
}

@Test func jsonLinesEscapesFunctionNames() throws {
    let output = TraceOutput.memory()
    let sink = JSONLinesEventSink(output: output)
    sink.receive(SkbEvent(kind: .put, arg0: 1, function: "a\"b\\c\n"))
    sink.finish()
    output.close()
    let object = try #require(try JSONSerialization.jsonObject(with: Data(output.collected)) as? [String: Any])
    #expect(object["fn"] as? String == "a\"b\\c\n")
}

/// Top-level keys of a flat-ish JSON object line, in order of appearance.
func keyOrder(_ line: String) -> [String] {
    var keys: [String] = []
    var depth = 0
    var i = line.startIndex
    var inString = false
    var current = ""
    var expectingKey = false
    while i < line.endIndex {
        let c = line[i]
        if inString {
            if c == "\\" {
                i = line.index(after: i)
            } else if c == "\"" {
                inString = false
                if expectingKey && depth == 1 { keys.append(current) }
                expectingKey = false
            } else {
                current.append(c)
            }
        } else if c == "\"" {
            inString = true
            current = ""
        } else if c == "{" {
            depth += 1
            expectingKey = true
        } else if c == "}" {
            depth -= 1
        } else if c == "," {
            expectingKey = true
        } else if c == ":" {
            expectingKey = false
        }
        i = line.index(after: i)
    }
    return keys
}
