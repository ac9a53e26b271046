import Foundation
import KernelMemory
import Release
import SkbModel
import TestSupport
import Trace

enum Paths {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
}

/// Compare `actual` with Golden/<name>; with SKBSIM_UPDATE_GOLDEN=1 in the
/// environment, (re)write the file instead.
func matchesGolden(_ actual: String, _ name: String) throws -> (ok: Bool, expected: String) {
    let url = Paths.golden.appendingPathComponent(name)
    if ProcessInfo.processInfo.environment["SKBSIM_UPDATE_GOLDEN"] == "1" {
        try FileManager.default.createDirectory(at: Paths.golden, withIntermediateDirectories: true)
        try actual.write(to: url, atomically: true, encoding: .utf8)
        return (true, actual)
    }
    let expected = try String(contentsOf: url, encoding: .utf8)
    return (expected == actual, expected)
}

extension SkbSim {
    /// Receive a synthetic frame on `path` in packet `index`.
    func receiveFrame(_ len: Int, path: RxPath, index: Int = 0) throws -> SkbID {
        beginPacket(index: index, timestampNanoseconds: 1_767_225_600_000_000_000 + Int64(index) * 1000)
        let f = patternFrame(len)
        let skb = try f.withUnsafeBytes { try RxDriver(sim: self).receive(bytes: $0, linkType: .ethernet, path: path) }
        guard let skb else { throw SkbError(.bug, "allocation failed") }
        return skb
    }
}

func kinds(_ r: EventRecorder, from: Int = 0) -> [String] { r.events[from...].map { "\($0.kind)" } }
