import Capture
import SkbModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A multi-queue NIC: each packet is hashed to an rx queue with RSS
/// (`RSSHash`, `RSSIndirectionTable`) and each queue is one CPU with its own
/// NAPI context, simulated by its own `PacketRun`: its own `SkbSim` and
/// `MemorySystem` (the per-CPU page_frag caches `netdev_alloc_cache` /
/// `napi_alloc_cache`, the per-CPU `napi_skb_cache`, a per-CPU arena of
/// simulated RAM of `memorySize`), its own GRO lists and NAPI budget.
///
/// The reader (the caller of `process`) hashes each packet and hands it to
/// its queue in capture order; each queue runs its packets in that order on
/// its own thread (`parallel`) or inline on the caller's (`parallel:
/// false`). A queue's results depend only on its packets, so the
/// statistics are the same for any thread timing; they are merged in queue
/// order (`MultiQueueStatistics`).
///
/// What is shared in the kernel and is not here: the receiving sockets (the
/// kernel's `sk_rmem_alloc` of a socket fed by several CPUs is one atomic;
/// here each queue has its own socket, as if each queue's flows had their
/// own) and the buddy allocator's zone (each queue has its own arena, so the
/// total peak is the sum of the queues' peaks: an upper bound of the
/// kernel's). Event sinks, `onDeliver` and `beforeDrain` are not supported
/// (their order across queues would depend on thread timing).
public final class MultiQueueRun {
    /// One packet run per queue, in queue order. With `parallel` each
    /// queue's thread builds its own (a memory system's initialisation is
    /// most of a queue's start-up, so the queues start in parallel, off the
    /// reader's thread) and finishes it: `runs` is empty until `finish()`.
    public private(set) var runs: [PacketRun]
    public let rss: RSSHash
    public let indirection: RSSIndirectionTable
    public let linkType: LinkType
    public let parallel: Bool
    let channels: [RxQueueChannel]
    private var workers: [QueueWorker] = []
    private var threads: [pthread_t] = []
    private let queueCount: Int
    /// Packets handed to each queue.
    public var packetsPerQueue: [Int] { Array(UnsafeBufferPointer(start: counts, count: queueCount)) }
    /// Packets the NIC computed no hash for (non-IP): queue `indir[0]`.
    public private(set) var unhashed: Int {
        get { counts[queueCount] }
        set { counts[queueCount] = newValue }
    }
    /// Per-packet counters (each queue's, then `unhashed`) behind one
    /// pointer: plain stores on the reader's per-packet path.
    private let counts: UnsafeMutablePointer<Int>
    /// The channels without retain/release per packet (`channels` keeps them).
    private let channelRefs: UnsafeMutablePointer<Unmanaged<RxQueueChannel>>
    private var finished: MultiQueueStatistics?

    public init(
        options: PacketRunOptions, queues: Int, rss: RSSHash, linkType: LinkType, parallel: Bool = true,
        indirectionTableSize: Int = 128
    ) throws(PacketRunError) {
        precondition(queues >= 1, "at least one queue")
        precondition(
            options.sink == nil && options.onDeliver == nil && options.beforeDrain == nil,
            "MultiQueueRun: no event sink or observers (their order would depend on thread timing)")
        // PacketRun.init's one refusal, checked here for the queues' threads.
        if options.gro && options.groEntryPoints == nil { throw .groUnavailable }
        var runs: [PacketRun] = []
        if !parallel { for _ in 0..<queues { runs.append(try PacketRun(options: options)) } }
        self.runs = runs
        queueCount = queues
        self.rss = rss
        indirection = RSSIndirectionTable(queues: queues, size: indirectionTableSize)
        self.linkType = linkType
        self.parallel = parallel
        counts = .allocate(capacity: queues + 1)
        counts.initialize(repeating: 0, count: queues + 1)
        channels = parallel ? (0..<queues).map { _ in RxQueueChannel() } : []
        channelRefs = .allocate(capacity: max(channels.count, 1))
        for (i, c) in channels.enumerated() { (channelRefs + i).initialize(to: .passUnretained(c)) }
        if parallel {
            for q in 0..<queues {
                let worker = QueueWorker(options: options, channel: channels[q], linkType: linkType)
                guard let t = Self.start(worker) else { preconditionFailure("MultiQueueRun: pthread_create failed") }
                workers.append(worker)
                threads.append(t)
            }
        }
    }

    deinit {
        if finished == nil && parallel {
            for c in channels { c.close() }
            for t in threads { pthread_join(t, nil) }
        }
        counts.deallocate()
        channelRefs.deallocate()
    }

    /// The queue the NIC delivers `packet` to.
    public func queue(of packet: CapturedPacket) -> Int {
        guard let hash = rss.hash(frame: packet.bytes, linkType: linkType) else { return indirection.queue(hash: 0) }
        return indirection.queue(hash: hash)
    }

    /// One captured packet, in capture order (the caller's thread).
    public func process(_ packet: CapturedPacket) {
        let q: Int
        if let hash = rss.hash(frame: packet.bytes, linkType: linkType) {
            q = indirection.queue(hash: hash)
        } else {
            unhashed += 1
            q = indirection.queue(hash: 0)
        }
        counts[q] += 1
        if parallel {
            channelRefs[q]._withUnsafeGuaranteedRef { $0.append(packet) }
        } else {
            runs[q].process(packet, linkType: linkType)
        }
    }

    /// End of capture: each queue finishes (GRO flush, socket drain, leak
    /// scan) and the statistics are merged in queue order. Idempotent.
    @discardableResult
    public func finish() -> MultiQueueStatistics {
        if let finished { return finished }
        let perQueue: [RunStatistics]
        if parallel {
            for c in channels { c.close() }
            for t in threads { pthread_join(t, nil) }
            // Joined: the workers' results are visible here.
            runs = workers.map { $0.run! }
            perQueue = workers.map { $0.statistics! }
        } else {
            perQueue = runs.map { $0.finish() }
        }
        let s = MultiQueueStatistics(
            perQueue: perQueue, total: Self.merge(perQueue, runs: runs), unhashed: unhashed, rss: rss,
            indirection: indirection)
        finished = s
        return s
    }

    /// The queue's thread: builds its `PacketRun`, runs its packets through
    /// it in order, then finishes it.
    final class QueueWorker {
        let options: PacketRunOptions
        let channel: RxQueueChannel
        let linkType: LinkType
        /// Set by the thread; read after it is joined.
        var run: PacketRun?
        var statistics: RunStatistics?
        init(options: PacketRunOptions, channel: RxQueueChannel, linkType: LinkType) {
            self.options = options
            self.channel = channel
            self.linkType = linkType
        }
        func work() {
            let run: PacketRun
            do { run = try PacketRun(options: options) } catch {
                preconditionFailure("MultiQueueRun: \(error) (checked before the threads started)")
            }
            let linkType = self.linkType
            channel.consume { run.process($0, linkType: linkType) }
            statistics = run.finish()
            self.run = run
        }
    }

    private static func start(_ worker: QueueWorker) -> pthread_t? {
        let context = Unmanaged.passRetained(worker).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(
            &thread, nil,
            { context in
                let worker = Unmanaged<QueueWorker>.fromOpaque(context!).takeRetainedValue()
                worker.work()
                return nil
            }, context)
        guard status == 0 else {
            Unmanaged<QueueWorker>.fromOpaque(context).release()
            return nil
        }
        return thread
    }

    /// The whole NIC's statistics from its queues', in queue order: counts
    /// add up, the truesize/len histograms merge, drops are re-listed in
    /// reason-value order; the peak memory is the sum of the queues' peaks
    /// (an upper bound: the queues' peaks need not coincide) and the peak
    /// `sk_rmem_alloc` the largest queue socket's.
    static func merge(_ queues: [RunStatistics], runs: [PacketRun]) -> RunStatistics {
        var t = queues[0]
        for s in queues.dropFirst() {
            let peak = t.peakMemoryBytes
            t.add(s)
            // The queues run at once: their memory peaks add up (an upper bound).
            t.peakMemoryBytes = peak + s.peakMemoryBytes
        }
        t.verdict.notModelled = t.notModelled
        // Drops in reason-value order, as one run lists them.
        let table = runs[0].sim.dropReasonTable
        var byReason: [UInt64] = []
        for run in runs {
            let counts = run.sim.dropCounts.byReason
            if byReason.count < counts.count { byReason += Array(repeating: 0, count: counts.count - byReason.count) }
            for (v, n) in counts.enumerated() { byReason[v] += n }
        }
        t.drops = byReason.enumerated().filter { $0.offset >= 2 && $0.element > 0 }.map {
            (table.displayName(of: UInt32($0.offset)), $0.element)
        }
        return t
    }
}

/// Statistics of a `MultiQueueRun`: each queue's and the merged total.
public struct MultiQueueStatistics: Sendable {
    public var perQueue: [RunStatistics]
    public var total: RunStatistics
    /// Packets without an RSS hash (non-IP), delivered to queue `indir[0]`.
    public var unhashed: Int
    public var rss: RSSHash
    public var indirection: RSSIndirectionTable
}
