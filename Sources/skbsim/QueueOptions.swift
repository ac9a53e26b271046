import ArgumentParser
import SkbModel

#if canImport(Glibc)
    import Glibc
#endif

/// `--queues N` and `--rss-key HEX`: a multi-queue NIC with RSS, one CPU per
/// queue (`MultiQueueRun`).
struct QueueOptions: ParsableArguments {
    @Option(
        name: .customLong("queues"),
        help: ArgumentHelp(
            "Rx queues (1…64): each packet goes to a queue by its Toeplitz RSS hash; each queue is one CPU with its own "
                + "page_frag caches, napi_skb_cache, GRO lists and budget, simulated on its own thread. 1 (the default): one queue, no queue threads.",
            valueName: "N"))
    var queues: Int = 1

    @Option(
        name: .customLong("rss-key"),
        help: ArgumentHelp(
            "The RSS key in hex, at least 40 bytes (default: the 40-byte key of Microsoft's RSS verification suite, 6d5a56da…01fa).",
            valueName: "HEX"))
    var rssKeyText: String?

    func validate() throws {
        guard (1...64).contains(queues) else { throw ValidationError("--queues must be 1…64, got \(queues)") }
        if let rssKeyText, RSSHash(hex: rssKeyText) == nil {
            throw ValidationError(
                "--rss-key must be at least \(RSSHash.minimumKeyLength) bytes of hex (e.g. 6d5a56da255b…), got '\(rssKeyText)'"
            )
        }
    }

    /// The hash the NIC uses.
    var rss: RSSHash { rssKeyText.flatMap { RSSHash(hex: $0) } ?? RSSHash()! }

    /// Whether the queues run on their own threads: yes, unless the
    /// environment's `SKBSIM_QUEUES_INLINE=1` asks for one thread (the tests
    /// compare both byte for byte).
    static var parallel: Bool { getenv("SKBSIM_QUEUES_INLINE").map { String(cString: $0) != "1" } ?? true }
}
