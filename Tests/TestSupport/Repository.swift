import Foundation

/// Paths in the checkout the tests run from, found from this file's path
/// (`<repo>/Tests/TestSupport/Repository.swift`).
public enum Repository {
    /// The repository root.
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `<repo>/samples`, the captures SampleKit generates.
    public static let samplesDirectory = root.appendingPathComponent("samples").path

    /// The path of `samples/<name>`.
    public static func sample(_ name: String) -> String { samplesDirectory + "/" + name }

    /// The names of the pcap and pcapng files in `samples/`, sorted.
    public static var sampleFiles: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: samplesDirectory)) ?? [])
            .filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
    }
}
