import Foundation
import KernelMemory
import Release
import SkbModel
import Trace

enum Paths {
    /// <repo>/Tests/ReleaseTests/Support.swift → <repo>
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func sample(_ name: String) -> String { repo.appendingPathComponent("samples").appendingPathComponent(name).path }
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

/// A frame of `len` bytes: Ethernet + IPv4 header start, rest a pattern.
func frame(_ len: Int) -> [UInt8] {
    var b = [UInt8](repeating: 0, count: len)
    for i in 0..<len { b[i] = UInt8(truncatingIfNeeded: i &* 7 &+ 3) }
    b[12] = 0x08; b[13] = 0x00; b[14] = 0x45
    return b
}

extension SkbSim {
    /// Receive a synthetic frame on `path` in packet `index`.
    func receiveFrame(_ len: Int, path: RxPath, index: Int = 0) throws -> SkbID {
        beginPacket(index: index, timestampNanoseconds: 1_767_225_600_000_000_000 + Int64(index) * 1000)
        let f = frame(len)
        let skb = try f.withUnsafeBytes { try receive(bytes: $0, linkType: .ethernet, path: path) }
        guard let skb else { throw SkbError(.bug, "allocation failed") }
        return skb
    }
}

func kinds(_ r: EventRecorder, from: Int = 0) -> [String] { r.events[from...].map { "\($0.kind)" } }
