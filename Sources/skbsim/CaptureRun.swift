import Capture
import KernelMemory
import SkbModel
import Trace

/// The CLI's own whole-capture loop — a **stand-in for the Release module's
/// packet-run driver**. When that driver lands, replace `CaptureRun.run` with
/// a call to it (open reader → per packet: beginPacket, receive, hand the skb
/// to `body`, consume → drain caches → leak/checker verdict); callers only see
/// `CaptureRun.run(capture:sim:progress:_:)` and `CaptureRun.Summary`.
///
/// Per packet: `sim.beginPacket`, `sim.receive(packet, linkType:)` on the
/// simulation's `options.rxPath`, `body(packet, skb, linkType)` (skb is nil when the
/// receive failed to allocate), then `consume_skb`, then `released(packet)`.
/// `opened` sees the reader before the first packet. At the end `beforeDrain`
/// runs (the last look at live memory), then the per-CPU
/// page_frag caches are drained and the memory is checked: a leak or a
/// checker report throws `InputError` carrying the kmemleak / KASAN text
/// (exit status 1).
enum CaptureRun {
    struct Summary {
        var linkType: LinkType
        var linkTypeName: String
        var packets = 0
        var rxNoMemDrops = 0
    }

    @discardableResult
    static func run(
        capture: CaptureOptions, sim: SkbSim, progress: Bool = true,
        opened: (CaptureReader) -> Void = { _ in },
        released: (CapturedPacket) throws -> Void = { _ in },
        beforeDrain: () -> Void = {},
        _ body: (CapturedPacket, SkbID?, LinkType) throws -> Void
    ) throws -> Summary {
        let reader = try capture.openReader()
        opened(reader)
        var summary = Summary(linkType: reader.linkType, linkTypeName: reader.linkTypeName)
        let bar = progress ? ProgressBar(label: reader.path == "-" ? "stdin" : reader.path, total: capture.count) : nil
        defer { bar?.finish() }
        summary.packets = try reader.forEachPacket(limit: capture.count) { packet in
            let skb = try sim.receive(packet, linkType: reader.linkType)
            try body(packet, skb, reader.linkType)
            if let skb { try sim.consume_skb(skb) }
            try released(packet)
            bar?.update(packet.deliveredIndex + 1)
        }
        sim.currentPacket = -1
        summary.rxNoMemDrops = sim.rxNoMemDrops
        bar?.finish()
        beforeDrain()
        sim.drainCaches()
        try verdict(sim)
        return summary
    }

    /// Exit-1 errors for checker reports and leaks.
    static func verdict(_ sim: SkbSim) throws {
        let reports = sim.memory.checker.reports
        if !reports.isEmpty {
            throw InputError(description: "the model reported \(reports.count) memory bug(s):\n" + reports.map(\.text).joined(separator: "\n"), report: true)
        }
        let leaks = sim.memory.leakReport()
        if !leaks.isEmpty { throw InputError(description: leaks.text, report: true) }
    }
}
