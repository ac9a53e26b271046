import Foundation
import Testing

/// libpcap's own test captures, kept outside the repository in
/// `shared/corpus-libpcap` beside the checkout (or two levels up for git
/// worktrees). Tests that need it are skipped when it is absent.
enum Corpus {
    static let directory: String? = {
        // <repo>/Tests/CaptureTests/Corpus.swift → <repo>
        let repo = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [
            repo.appendingPathComponent("../shared/corpus-libpcap"),
            repo.appendingPathComponent("../../shared/corpus-libpcap"),
        ]
        var isDirectory: ObjCBool = false
        return candidates.map { $0.standardizedFileURL.path }.first {
            FileManager.default.fileExists(atPath: $0, isDirectory: &isDirectory) && isDirectory.boolValue
        }
    }()

    static var available: Bool { directory != nil }

    static let skipReason: Comment =
        "libpcap test corpus not found at ../shared/corpus-libpcap or ../../shared/corpus-libpcap relative to the repository"

    static func path(_ name: String) -> String { directory! + "/" + name }

    /// Every capture in `filter/`, sorted; empty when the corpus is absent.
    static var filterFiles: [String] {
        guard let directory,
            let names = try? FileManager.default.contentsOfDirectory(atPath: directory + "/filter")
        else { return [] }
        return names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
    }
}
