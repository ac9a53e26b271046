import Capture

#if canImport(Glibc)
    import Glibc
#endif

extension CaptureFileRun {
    /// Runs one capture under several configurations at once: the calling
    /// thread reads the file (libpcap, the filter, `limit`) into a ring of
    /// preallocated batches, and one thread per configuration runs every
    /// batch through its own `PacketRun`. A batch is refilled only when every
    /// configuration is done with it; nothing is allocated per packet. Each
    /// configuration sees exactly the packets, in order, that its own
    /// `CaptureFileRun.run` would read, so the results are those of `run`
    /// whatever the threads' timing — only the file is read once.
    /// Throws what opening the file throws; a read error after some packets
    /// ends every configuration's input (`Result.readError`). When threads
    /// cannot be started the configurations run one after the other.
    public static func runFannedOut(
        path: String, filter: String?, limit: Int?, options: [PacketRunOptions], timeline: Bool,
        progress: Progress? = nil
    ) throws -> [Result] {
        let reader = try CaptureReader(path: path, filter: filter)
        let consumers = try options.map { try Consumer(options: $0, timeline: timeline) }
        let ring = FanOutRing(consumers: consumers.count)
        let link = reader.linkType
        var threads: [pthread_t] = []
        for consumer in consumers {
            guard let t = FanOutThread.start({ ring.consume { consumer.process($0, linkType: link, decoded: $1) } })
            else { break }
            threads.append(t)
        }
        if threads.count < consumers.count {
            // Let the started ones end on an empty input, then run each alone.
            ring.stop(consumers: threads.count)
            for t in threads { pthread_join(t, nil) }
            return try options.map {
                try run(path: path, filter: filter, limit: limit, options: $0, timeline: timeline, progress: progress)
            }
        }
        var readError: CaptureError?
        var delivered = 0
        var sinceProgress = 0
        var batch = ring.acquireForFilling()
        do {
            while limit.map({ delivered < $0 }) ?? true, let packet = try reader.next() {
                delivered += 1
                if !batch.append(packet, linkType: link) {
                    ring.publish(last: false)
                    batch = ring.acquireForFilling()
                    // An empty batch holds any packet (`FanOutBatch.byteCapacity`).
                    _ = batch.append(packet, linkType: link)
                }
                if let progress {
                    sinceProgress += 1
                    if sinceProgress == progressInterval {
                        sinceProgress = 0
                        if let offset = packet.byteOffset { progress(offset) }
                    }
                }
            }
        } catch {
            readError = error
        }
        ring.publish(last: true)
        for t in threads { pthread_join(t, nil) }
        return consumers.map { $0.finish(linkTypeName: reader.linkTypeName, readError: readError) }
    }
}

/// A batch of packets copied out of libpcap's buffer: their bytes back to
/// back (8-byte aligned), their fields and their headers, decoded once on
/// the reading thread for every configuration (as `ReadAheadReader` does).
final class FanOutBatch {
    struct Record {
        var offset: Int
        var captureLength: Int
        var wireLength: Int
        var index: Int
        var deliveredIndex: Int
        var timestamp: Int64
        /// -1: none.
        var byteOffset: Int64
    }

    /// More than the largest record libpcap hands out (`CaptureReader.maximumCaptureLength`).
    /// Batches of 512 packets: small enough that a consumer reads what the
    /// reader has just written while it is still in cache, large enough
    /// that the hand-over (a mutex and a condition variable) is rare.
    static let byteCapacity = 1 << 20
    static let recordCapacity = 512
    let bytes = UnsafeMutableRawPointer.allocate(byteCount: byteCapacity, alignment: 16)
    let records = UnsafeMutablePointer<Record>.allocate(capacity: recordCapacity)
    let headers: UnsafeMutablePointer<PacketHeaders> = {
        let h = UnsafeMutablePointer<PacketHeaders>.allocate(capacity: recordCapacity)
        h.initialize(repeating: PacketHeaders(), count: recordCapacity)
        return h
    }()
    var used = 0
    var count = 0

    deinit {
        bytes.deallocate()
        records.deallocate()
        headers.deinitialize(count: Self.recordCapacity)
        headers.deallocate()
    }

    /// Copies `packet` in and decodes its headers; false when it does not fit.
    func append(_ packet: CapturedPacket, linkType: LinkType) -> Bool {
        let n = packet.bytes.count
        guard count < Self.recordCapacity, used + n <= Self.byteCapacity else { return false }
        if n > 0 { (bytes + used).copyMemory(from: packet.bytes.baseAddress!, byteCount: n) }
        (records + count).initialize(
            to: Record(
                offset: used, captureLength: n, wireLength: packet.wireLength, index: packet.index,
                deliveredIndex: packet.deliveredIndex, timestamp: packet.timestampNanoseconds,
                byteOffset: packet.byteOffset ?? -1))
        HeaderDecoder.decode(
            UnsafeRawBufferPointer(start: bytes + used, count: n), linkType: linkType, into: &headers[count])
        used = (used + n + 7) & ~7
        count += 1
        return true
    }

    @inline(__always)
    func packet(_ i: Int) -> CapturedPacket {
        let r = records[i]
        return CapturedPacket(
            index: r.index, deliveredIndex: r.deliveredIndex,
            timestamp: CaptureTimestamp(nanosecondsSinceEpoch: r.timestamp), wireLength: r.wireLength,
            bytes: UnsafeRawBufferPointer(start: bytes + r.offset, count: r.captureLength),
            byteOffset: r.byteOffset >= 0 ? r.byteOffset : nil)
    }
}

/// The ring between the reading thread and the configurations' threads:
/// batch `n` lives in slot `n % slots`; the reader refills a slot once every
/// consumer has released it. One mutex, two condition variables, one
/// hand-over per batch.
final class FanOutRing: @unchecked Sendable {
    static let slotCount = 8
    let consumers: Int
    private let batches = (0..<FanOutRing.slotCount).map { _ in FanOutBatch() }
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let filled = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let freed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Per slot: consumers still to finish its batch.
    private var pending = Array(repeating: 0, count: FanOutRing.slotCount)
    /// Batches published so far; the number of the last one once known.
    private var published = 0
    private var last = -1
    private var filling = 0

    init(consumers: Int) {
        self.consumers = consumers
        pthread_mutex_init(lock, nil)
        pthread_cond_init(filled, nil)
        pthread_cond_init(freed, nil)
    }

    deinit {
        pthread_cond_destroy(filled)
        pthread_cond_destroy(freed)
        pthread_mutex_destroy(lock)
        lock.deallocate()
        filled.deallocate()
        freed.deallocate()
    }

    /// The reader: the next batch to fill, emptied, once its consumers are done.
    func acquireForFilling() -> FanOutBatch {
        let slot = filling % Self.slotCount
        pthread_mutex_lock(lock)
        while pending[slot] > 0 { pthread_cond_wait(freed, lock) }
        pthread_mutex_unlock(lock)
        let batch = batches[slot]
        batch.used = 0
        batch.count = 0
        return batch
    }

    /// The reader: the batch being filled is ready (`last`: and the input ends with it).
    func publish(last isLast: Bool, consumers count: Int? = nil) {
        pthread_mutex_lock(lock)
        pending[filling % Self.slotCount] = count ?? consumers
        if isLast { last = filling }
        filling += 1
        published = filling
        pthread_cond_broadcast(filled)
        pthread_mutex_unlock(lock)
    }

    /// Ends the input at once for `consumers` started consumers.
    func stop(consumers count: Int) {
        _ = acquireForFilling()
        publish(last: true, consumers: count)
    }

    /// A consumer: every packet of every batch, in order, to the end.
    func consume(_ body: (CapturedPacket, UnsafePointer<PacketHeaders>) -> Void) {
        var n = 0
        while true {
            pthread_mutex_lock(lock)
            while published <= n { pthread_cond_wait(filled, lock) }
            let isLast = last == n
            pthread_mutex_unlock(lock)
            let slot = n % Self.slotCount
            let batch = batches[slot]
            for i in 0..<batch.count { body(batch.packet(i), batch.headers + i) }
            pthread_mutex_lock(lock)
            pending[slot] -= 1
            if pending[slot] == 0 { pthread_cond_broadcast(freed) }
            pthread_mutex_unlock(lock)
            if isLast { return }
            n += 1
        }
    }
}

/// A POSIX thread running a closure.
enum FanOutThread {
    final class Body: @unchecked Sendable {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    /// nil when the system refuses a thread.
    static func start(_ body: @escaping () -> Void) -> pthread_t? {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var id = pthread_t()
        guard pthread_create(&id, nil, fanOutThreadMain, context) == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            return nil
        }
        return id
    }
}

private func fanOutThreadMain(_ raw: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    Unmanaged<FanOutThread.Body>.fromOpaque(raw!).takeRetainedValue().run()
    return nil
}
