import Capture
import KernelMemory
import SkbModel

/// One capture file through one `PacketRun`, read on the calling thread:
/// the unit of work `compare` (one per configuration) and the many-capture
/// commands (one per file) run on their worker threads. Everything it touches
/// is its own (reader, simulation, counters), so runs on different threads
/// share nothing and each result depends only on its file and options.
public enum CaptureFileRun {
    /// What a run produced beyond `RunStatistics`.
    public struct Result: Sendable {
        public var statistics: RunStatistics
        public var linkTypeName: String
        /// The read error that ended the capture early, if any: the
        /// statistics are those of the packets before it.
        public var readError: CaptureError?
        /// Memory over capture time (empty unless asked for).
        public var timeline: RunTimeline
        /// skbs that reached `netif_receive_skb` (after GRO: a merged
        /// super-packet once); counted only with `timeline`.
        public var skbsAfterGRO: Int
        /// Objects each slab cache handed out during the run, in the
        /// caches' creation order (caches that handed out none left out).
        public var slabAllocations: [(cache: String, objects: Int)]
    }

    /// How far a run has read, for a progress display: called every
    /// `progressInterval` packets with the byte offset of the last one.
    public typealias Progress = (_ byteOffset: Int64) -> Void
    public static let progressInterval = 1024

    /// Runs `path` (never `-`: each run opens its own reader) with `options`.
    /// Throws a `CaptureError` when the file cannot be opened or read from
    /// its start, or a `PacketRunError`; a read error after some packets
    /// ends the input, not the run (`Result.readError`).
    public static func run(
        path: String, filter: String?, limit: Int?, options: PacketRunOptions, timeline: Bool = false,
        progress: Progress? = nil
    ) throws -> Result {
        let reader = try CaptureReader(path: path, filter: filter)
        var options = options
        let afterGRO = Counter()
        if timeline {
            let previous = options.onDeliver
            options.onDeliver = { sim, skb in
                afterGRO.value += 1
                previous?(sim, skb)
            }
        }
        let run = try PacketRun(options: options)
        let link = reader.linkType
        var line = RunTimeline(bucketCount: timeline ? RunTimeline.defaultBucketCount : 2)
        let memory = run.sim.memory
        let pageSize = memory.config.pageSize
        let caches = [run.sim.netdevAllocCache, run.sim.napiAllocCache, run.driver.ringCache]
        var readError: CaptureError?
        do {
            var sinceProgress = 0
            try reader.forEachPacket(limit: limit) { packet in
                run.process(packet, linkType: link)
                if timeline {
                    var refills = 0
                    for c in caches {
                        let s = memory.pageFragCache(c).stats
                        refills &+= s.refillsHighOrder &+ s.refillsOrder0
                    }
                    line.record(
                        timestampNanoseconds: packet.timestampNanoseconds,
                        memoryBytes: (memory.totalPages - memory.freePages) * pageSize, pageFragRefills: refills)
                }
                if let progress {
                    sinceProgress += 1
                    if sinceProgress == progressInterval {
                        sinceProgress = 0
                        if let offset = packet.byteOffset { progress(offset) }
                    }
                }
            }
        } catch let error as CaptureError {
            readError = error
        }
        let statistics = run.finish()
        var slab: [(String, Int)] = []
        for info in memory.slabInfos where info.allocations > 0 { slab.append((info.name, info.allocations)) }
        return Result(
            statistics: statistics, linkTypeName: reader.linkTypeName, readError: readError, timeline: line,
            skbsAfterGRO: afterGRO.value, slabAllocations: slab)
    }

    final class Counter {
        @exclusivity(unchecked) var value = 0
    }
}
