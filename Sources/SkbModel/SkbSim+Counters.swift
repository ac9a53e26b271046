import KernelMemory
import Trace

/// The last values the sink was given for each memory counter, so a counter
/// event goes out only when its value changed.
struct MemoryCounterState {
    /// `memory.eventCount` at the last look: no allocation or free since
    /// then means no memory counter can have moved.
    var memoryEvent: UInt64 = .max
    var pageFrag: [(pages: Int, bytes: Int)] = []
    var slab: [(objects: Int, bytes: Int)] = []
    var sockets: [(rmem: Int, queued: Int)] = []
    var usedPages = -1
}

extension SkbSim {
    /// Emits a counter event (`pageFragCounter`, `slabCounter`,
    /// `socketCounter`, `memoryCounter`) for every memory counter whose value
    /// changed since the sink last heard of it; the first time a counter is
    /// seen its track is named (`EventSink.describeCounter`). Called after
    /// each skb event and at the end of each packet, only with a sink
    /// attached that wants counters: without one, tracing stays a nil check.
    public func emitCounterChanges() {
        guard let sink else { return }
        emitCounterChanges(sink)
    }

    @usableFromInline func emitCounterChanges(_ sink: any EventSink) {
        guard sink.wantsCounters else { return }
        let n = sockets.count
        if counters.sockets.count < n {
            counters.sockets.append(
                contentsOf: repeatElement((rmem: -1, queued: -1), count: n - counters.sockets.count))
        }
        for i in 0..<n {
            let s = sockets.table[i]
            if s.rmemAlloc != counters.sockets[i].rmem || s.queued != counters.sockets[i].queued {
                if counters.sockets[i].rmem < 0 {
                    // A socket that never held anything stays off the trace.
                    if s.rmemAlloc == 0 && s.queued == 0 { continue }
                    sink.describeCounter(.socketCounter, id: UInt32(i), name: "socket \(i)")
                }
                counters.sockets[i] = (s.rmemAlloc, s.queued)
                emitCounter(sink, .socketCounter, UInt32(i), UInt64(max(s.rmemAlloc, 0)), UInt64(s.queued))
            }
        }
        let event = memory.eventCount
        guard event != counters.memoryEvent else { return }
        counters.memoryEvent = event
        let caches = memory.pageFragCacheCount
        if counters.pageFrag.count < caches {
            counters.pageFrag.append(
                contentsOf: repeatElement((pages: -1, bytes: -1), count: caches - counters.pageFrag.count))
        }
        for c in 0..<caches {
            let u = memory.pageFragUsage(PageFragCacheID(raw: UInt16(c)))
            guard u.pages != counters.pageFrag[c].pages || u.outstandingBytes != counters.pageFrag[c].bytes else {
                continue
            }
            if counters.pageFrag[c].pages < 0 {
                // A cache that never held a page stays off the trace.
                if u.pages == 0 && u.outstandingBytes == 0 { continue }
                sink.describeCounter(
                    .pageFragCounter, id: UInt32(c), name: memory.pageFragCacheName(PageFragCacheID(raw: UInt16(c))))
            }
            counters.pageFrag[c] = (u.pages, u.outstandingBytes)
            emitCounter(sink, .pageFragCounter, UInt32(c), UInt64(u.pages), UInt64(max(u.outstandingBytes, 0)))
        }
        let slabs = memory.slabCacheCount
        if counters.slab.count < slabs {
            counters.slab.append(
                contentsOf: repeatElement((objects: -1, bytes: -1), count: slabs - counters.slab.count))
        }
        for c in 0..<slabs {
            let u = memory.slabUsage(KmemCacheID(raw: UInt16(c)))
            guard u.activeObjects != counters.slab[c].objects || u.bytes != counters.slab[c].bytes else { continue }
            if counters.slab[c].objects < 0 {
                if u.activeObjects == 0 && u.bytes == 0 { continue }
                sink.describeCounter(
                    .slabCounter, id: UInt32(c), name: memory.slabCacheName(KmemCacheID(raw: UInt16(c))))
            }
            counters.slab[c] = (u.activeObjects, u.bytes)
            emitCounter(sink, .slabCounter, UInt32(c), UInt64(u.activeObjects), UInt64(u.bytes))
        }
        let used = memory.usedPages
        if used != counters.usedPages {
            if counters.usedPages < 0 { sink.describeCounter(.memoryCounter, id: 0, name: "memory") }
            counters.usedPages = used
            emitCounter(sink, .memoryCounter, 0, UInt64(used), UInt64(used &* memory.config.pageSize))
        }
    }

    private func emitCounter(_ sink: any EventSink, _ kind: SkbEventKind, _ id: UInt32, _ arg0: UInt64, _ arg1: UInt64)
    {
        let e = SkbEvent(
            sequence: sequence, kind: kind, packet: Int32(truncatingIfNeeded: currentPacket), skb: id,
            timestampNanoseconds: currentTimestamp, arg0: arg0, arg1: arg1, function: kind.counterSource)
        sequence &+= 1
        sink.receive(e)
    }
}
