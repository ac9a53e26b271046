import CBarePcap
import Capture
import KernelMemory
import MallocInterposerSwift

#if canImport(Glibc)
    import Glibc
#endif

/// One measured run.
struct StreamResult {
    var packets: Int
    var bytes: Int
    var nanoseconds: Int64
    /// Heap allocations (malloc, calloc, realloc, posix_memalign...) during the
    /// measured window; nil when the interposer is not active.
    var mallocs: Int?
    var check: Int = 0
    /// CPU time of the whole process (every thread) over the same window:
    /// with read-ahead two threads work, so it can exceed `nanoseconds`.
    var cpuNanoseconds: Int64 = 0
    /// CPU time of the measuring (consumer) thread alone.
    var mainThreadCpuNanoseconds: Int64 = 0
    /// Read-ahead only: batches the consumer filled itself (the reader
    /// thread was not at it) and all batches, over the whole file.
    var consumerBatches: (filled: Int, total: Int)? = nil

    var nsPerPacket: Double { Double(nanoseconds) / Double(max(packets, 1)) }
    var cpuNsPerPacket: Double { Double(cpuNanoseconds) / Double(max(packets, 1)) }
    var mainThreadCpuNsPerPacket: Double { Double(mainThreadCpuNanoseconds) / Double(max(packets, 1)) }
    /// Cores busy on average: process CPU time / wall-clock time.
    var cores: Double { Double(cpuNanoseconds) / Double(max(nanoseconds, 1)) }
    var packetsPerSecond: Double { Double(packets) * 1e9 / Double(max(nanoseconds, 1)) }
    var mallocsPerPacket: Double? { mallocs.map { Double($0) / Double(max(packets, 1)) } }
}

/// Counts heap allocations through ordo-one/malloc-interposer.
///
/// The interposer defines malloc & co in `libMallocInterposerSwift.so`;
/// it sees every allocation only when that library comes before libc in
/// symbol lookup (LD_PRELOAD, or linked ahead of libc). `isActive` checks
/// that by allocating on purpose; main() re-execs with LD_PRELOAD if not.
enum MallocCounter {
    static func start() {
        MallocInterposerSwift.reset()
        MallocInterposerSwift.hook()
    }

    static func stop() -> (mallocs: Int, frees: Int) {
        MallocInterposerSwift.unhook()
        let stats = MallocInterposerSwift.getStatistics()
        return (stats.mallocCount, stats.freeCount)
    }

    /// 1000 deliberate allocations must be counted as at least 1000.
    static let isActive: Bool = {
        start()
        for i in 0..<1000 {
            // Escapes into an opaque function, so it cannot be stack-promoted or elided.
            blackHole([Int](repeating: i, count: 8 + i))
        }
        let counted = stop().mallocs
        return counted >= 1000
    }()
}

@inline(never)
func blackHole<T>(_ value: T) {}

func monotonicNanos() -> Int64 { bare_monotonic_ns() }

/// CPU time used by the process so far, all threads (CLOCK_PROCESS_CPUTIME_ID).
func processCPUNanos() -> Int64 { cpuNanos(CLOCK_PROCESS_CPUTIME_ID) }

/// CPU time used by the calling thread so far (CLOCK_THREAD_CPUTIME_ID): unlike
/// wall time it does not count time the thread spent preempted on a busy machine.
func threadCPUNanos() -> Int64 { cpuNanos(CLOCK_THREAD_CPUTIME_ID) }

private func cpuNanos(_ clock: clockid_t) -> Int64 {
    var ts = timespec()
    clock_gettime(clock, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

/// (1) The C baseline; `mapped`: (1m), the same loop over the mmap-window
/// stream `CaptureReader` reads regular files through. Its CPU time includes
/// opening the file (outside its clock), a few microseconds.
func measureBare(path: String, mapped: Bool = false) -> StreamResult {
    var packets: UInt64 = 0
    var bytes: UInt64 = 0
    let cpu = processCPUNanos()
    let threadCpu = threadCPUNanos()
    let ns = mapped ? bare_pcap_loop_mapped(path, &packets, &bytes) : bare_pcap_loop(path, &packets, &bytes)
    let threadCpuElapsed = threadCPUNanos() - threadCpu
    let cpuElapsed = processCPUNanos() - cpu
    precondition(ns >= 0, "bare_pcap_loop failed on \(path)")
    return StreamResult(
        packets: Int(packets), bytes: Int(bytes), nanoseconds: ns, mallocs: nil, cpuNanoseconds: cpuElapsed,
        mainThreadCpuNanoseconds: threadCpuElapsed)
}

/// Streams a capture through a `PacketPipeline`.
struct StreamingBench {
    var path: String
    /// Packets processed before the clock and the malloc counters start.
    var warmup: Int
    var countMallocs: Bool
    /// Read with `ReadAheadReader` (libpcap on a second thread) instead of
    /// `CaptureReader`; the reader thread's mallocs and CPU time count too.
    var readAhead = false

    /// Opens the capture, warms up on the first `warmup` packets, then times
    /// (and counts mallocs over) the rest of the file and `finish()`.
    func measure<P: PacketPipeline>(_ make: (PipelineContext) -> P) throws -> StreamResult {
        if readAhead {
            // As the CLI does: the reader thread decodes the headers too.
            var ring = ReadAheadOptions(decodeHeaders: true)
            if let e = getenv("SKBSIM_BENCH_RA") {  // "packets,bytes,batches": ring-size experiments
                let v = String(cString: e).split(separator: ",").compactMap { Int($0) }
                if v.count == 3 {
                    ring = ReadAheadOptions(batchPackets: v[0], batchBytes: v[1], batches: v[2], decodeHeaders: true)
                }
            }
            return try measure(ReadAheadReader(path: path, options: ring), make)
        }
        return try measure(CaptureReader(path: path), make)
    }

    func measure<Source: PacketSource, P: PacketPipeline>(
        _ reader: Source, _ make: (PipelineContext) -> P
    ) throws -> StreamResult {
        var pipeline = make(PipelineContext(path: path, linkType: reader.linkType, snaplen: reader.snaplen))
        var warmed = 0
        while warmed < warmup, let packet = try reader.next() {
            pipeline.process(packet, decoded: reader.decodedHeaders)
            warmed += 1
        }
        if countMallocs { MallocCounter.start() }
        let cpu = processCPUNanos()
        let threadCpu = threadCPUNanos()
        let start = monotonicNanos()
        var packets = 0
        var bytes = 0
        while let packet = try reader.next() {
            pipeline.process(packet, decoded: reader.decodedHeaders)
            packets += 1
            bytes &+= packet.captureLength
        }
        let check = pipeline.finish()
        let elapsed = monotonicNanos() - start
        let threadCpuElapsed = threadCPUNanos() - threadCpu
        let cpuElapsed = processCPUNanos() - cpu
        let mallocs = countMallocs ? MallocCounter.stop().mallocs : nil
        if let problem = pipeline.verify() {
            fatalError("\(P.self) failed its checks: \(problem)")
        }
        var result = StreamResult(
            packets: packets, bytes: bytes, nanoseconds: elapsed, mallocs: mallocs, check: check,
            cpuNanoseconds: cpuElapsed, mainThreadCpuNanoseconds: threadCpuElapsed)
        if let ahead = reader as? ReadAheadReader {
            result.consumerBatches = (ahead.batchesReadByConsumer, ahead.batchesRead)
        }
        return result
    }
}

/// One (5) row: wall-clock and thread-CPU time of the same run.
struct PairResult {
    var stream: StreamResult
    var cpuNanoseconds: Int64
    var cpuNsPerPair: Double { Double(cpuNanoseconds) / Double(max(stream.packets, 1)) }
}

/// The measured loop of (5), out of line so that what is measured (and
/// what callgrind attributes to it: `--toggle-collect='*pageFragPairLoop*'`)
/// is exactly the alloc+free pairs, compiled as a caller outside
/// KernelMemory would see them.
@inline(never)
func pageFragPairLoop(_ memory: MemorySystem, _ nc: PageFragCacheID, fragsz: Int, pairs: Int) -> UInt64 {
    var acc: UInt64 = 0
    for _ in 0..<pairs {
        let addr = memory.page_frag_alloc(nc, fragsz, .GFP_ATOMIC).unsafelyUnwrapped
        acc &+= addr.raw
        memory.page_frag_free(addr)
    }
    return acc
}

/// (5) `pairs` page_frag_alloc + page_frag_free of `fragsz` bytes, after one
/// warm-up pair that takes the cache's first page.
func measurePageFragPairs(fragsz: Int, pairs: Int, countMallocs: Bool) -> PairResult {
    let memory = MemorySystem()
    let nc = memory.pageFragCacheCreate(name: "netdev_alloc_cache")
    if let a = memory.page_frag_alloc(nc, fragsz, .GFP_ATOMIC) { memory.page_frag_free(a) }
    if countMallocs { MallocCounter.start() }
    let start = monotonicNanos()
    let cpuStart = threadCPUNanos()
    let acc = pageFragPairLoop(memory, nc, fragsz: fragsz, pairs: pairs)
    let cpu = threadCPUNanos() - cpuStart
    let elapsed = monotonicNanos() - start
    let mallocs = countMallocs ? MallocCounter.stop().mallocs : nil
    memory.page_frag_cache_drain(nc)
    precondition(
        memory.leakReport().isEmpty && memory.checker.reports.isEmpty, "page_frag pairs leaked or were reported")
    return PairResult(
        stream: StreamResult(
            packets: pairs, bytes: pairs * fragsz, nanoseconds: elapsed, mallocs: mallocs,
            check: Int(truncatingIfNeeded: acc)),
        cpuNanoseconds: cpu)
}
