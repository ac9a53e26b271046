import Foundation
import Testing
import Trace

@Test func fileOutputWritesInChunksAndOnClose() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("skbsim-trace-\(getpid()).jsonl").path
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
    #expect(lines.last!.hasPrefix("{\"v\":1,\"seq\":3199,"))
}

@Test func openFailureIsReported() {
    #expect(throws: TraceOutputError.self) { try TraceOutput(path: "/nonexistent-dir/x.jsonl") }
}
