import Foundation
import Testing

/// libpcap's own test captures, kept outside the repository in
/// `shared/corpus-libpcap` beside the checkout (or two levels up for git
/// worktrees). Tests that need it are skipped when it is absent.
public enum Corpus {
    public static let directory: String? = {
        let candidates = [
            Repository.root.appendingPathComponent("../shared/corpus-libpcap"),
            Repository.root.appendingPathComponent("../../shared/corpus-libpcap"),
        ]
        var isDirectory: ObjCBool = false
        return candidates.map { $0.standardizedFileURL.path }.first {
            FileManager.default.fileExists(atPath: $0, isDirectory: &isDirectory) && isDirectory.boolValue
        }
    }()

    public static var available: Bool { directory != nil }

    public static let skipReason: Comment =
        "libpcap test corpus not found at ../shared/corpus-libpcap or ../../shared/corpus-libpcap relative to the repository"

    public static func path(_ name: String) -> String { directory! + "/" + name }

    /// Every capture in `filter/`, sorted; empty when the corpus is absent.
    public static var filterFiles: [String] {
        guard let directory,
            let names = try? FileManager.default.contentsOfDirectory(atPath: directory + "/filter")
        else { return [] }
        return names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
    }
}
