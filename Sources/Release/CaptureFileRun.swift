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
        let consumer = try Consumer(options: options, timeline: timeline)
        let link = reader.linkType
        var readError: CaptureError?
        do {
            var sinceProgress = 0
            try reader.forEachPacket(limit: limit) { packet in
                consumer.process(packet, linkType: link)
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
        return consumer.finish(linkTypeName: reader.linkTypeName, readError: readError)
    }

    /// One `PacketRun` fed packet by packet, with the timeline and the
    /// count of skbs after GRO when asked for.
    final class Consumer {
        let run: PacketRun
        let timeline: Bool
        let afterGRO = Counter()
        @exclusivity(unchecked) var line: RunTimeline
        let memory: MemorySystem
        let pageSize: Int
        let caches: (PageFragCacheID, PageFragCacheID)

        init(options: PacketRunOptions, timeline: Bool) throws {
            var options = options
            if timeline {
                let previous = options.onDeliver
                let counter = afterGRO
                options.onDeliver = { sim, skb in
                    counter.value += 1
                    previous?(sim, skb)
                }
            }
            run = try PacketRun(options: options)
            self.timeline = timeline
            line = RunTimeline(bucketCount: timeline ? RunTimeline.defaultBucketCount : 2)
            memory = run.sim.memory
            pageSize = memory.config.pageSize
            caches = (run.sim.netdevAllocCache, run.sim.napiAllocCache)
        }

        @inline(__always)
        func process(
            _ packet: CapturedPacket, linkType: LinkType, decoded: UnsafePointer<PacketHeaders>? = nil
        ) {
            run.process(packet, linkType: linkType, decoded: decoded)
            if timeline { sample(packet.timestampNanoseconds) }
        }

        func sample(_ t: Int64) {
            let a = memory.pageFragCache(caches.0).stats
            let b = memory.pageFragCache(caches.1).stats
            // The rx ring's pages (build-skb, sg-copybreak) are refills too.
            let refills =
                a.refillsHighOrder &+ a.refillsOrder0 &+ b.refillsHighOrder &+ b.refillsOrder0
                &+ run.driver.ringStatistics.pagesAllocated
            line.record(
                timestampNanoseconds: t, memoryBytes: (memory.totalPages - memory.freePages) * pageSize,
                pageFragRefills: refills)
        }

        func finish(linkTypeName: String, readError: CaptureError?) -> Result {
            let statistics = run.finish()
            var slab: [(String, Int)] = []
            for info in memory.slabInfos where info.allocations > 0 { slab.append((info.name, info.allocations)) }
            return Result(
                statistics: statistics, linkTypeName: linkTypeName, readError: readError, timeline: line,
                skbsAfterGRO: afterGRO.value, slabAllocations: slab)
        }
    }

    final class Counter {
        @exclusivity(unchecked) var value = 0
    }
}
