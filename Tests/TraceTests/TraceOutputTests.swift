import Foundation
import TestSupport
import Testing
import Trace

@Test func fileOutputWritesInChunksAndOnClose() throws {
    let path = temporaryFile("trace.jsonl").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let output = try TraceOutput(path: path, bufferSize: 1024)
    let sink = JSONLinesEventSink(output: output)
    for round in 0..<200 {
        for var event in SampleEvents.all {
            event.sequence += UInt64(round * 16)
            sink.receive(event)
        }
    }
    sink.finish()
    output.close()
    #expect(output.writeError == 0)
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let lines = text.split(separator: "\n")
    #expect(lines.count == 200 * SampleEvents.all.count)
    #expect(UInt64(text.utf8.count) == output.bytesWritten)
    #expect(lines.last!.hasPrefix("{\"v\":2,\"seq\":3199,"))
}

@Test func openFailureIsReported() {
    #expect(throws: TraceOutputError.self) { try TraceOutput(path: "/nonexistent-dir/x.jsonl") }
}

@Test func decimalAndHexFormattingMatchTheStandardLibrary() {
    var values: [UInt64] = [0, 1, 9, 10, 99, 100, 101, 999, 1000, UInt64.max, UInt64.max - 1, 1 << 63]
    var p: UInt64 = 1
    for _ in 0..<19 {
        values += [p - 1, p, p + 1, p * 9 + 7]
        p *= 10
    }
    let output = TraceOutput.memory()
    let sink = JSONLinesEventSink(output: output)
    for v in values {
        sink.receive(
            SkbEvent(
                sequence: v, kind: .headAlloc, skbaddr: v, timestampNanoseconds: Int64(truncatingIfNeeded: v),
                arg0: v, arg1: v, function: "f"))
    }
    sink.finish()
    output.close()
    let lines = output.text.split(separator: "\n")
    for (line, v) in zip(lines, values) {
        #expect(
            line.hasPrefix(
                "{\"v\":2,\"seq\":\(v),\"kind\":\"head_alloc\",\"fn\":\"f\",\"pkt\":-1,\"track\":0,\"flow\":0,\"skb\":0,\"skbaddr\":\"0x\(String(v, radix: 16))\",\"ts_ns\":\(Int64(truncatingIfNeeded: v)),"
            ))
        #expect(line.hasSuffix("\"args\":{\"head\":\"0x\(String(v, radix: 16))\",\"size\":\(v)}}"))
    }
}
