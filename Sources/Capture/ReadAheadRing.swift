import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// One packet in a batch: `CapturedPacket` with its bytes as an offset into
/// the batch's buffer.
@usableFromInline
struct ReadAheadRecord {
    @usableFromInline var index: Int
    @usableFromInline var deliveredIndex: Int
    @usableFromInline var timestamp: CaptureTimestamp
    @usableFromInline var wireLength: Int
    @usableFromInline var captureLength: Int
    /// Where the bytes start in `ReadAheadBatch.bytes`.
    @usableFromInline var offset: Int
    /// `CapturedPacket.byteOffset`, -1 for `nil`.
    @usableFromInline var byteOffset: Int64
}

/// How the capture ended: the reader's error, if any, and its final counters.
@usableFromInline
struct ReadAheadEnd {
    @usableFromInline var error: CaptureError?
    var packetsRead: Int
    var recordsTruncatedToSnaplen: Int
}

/// One slot of the ring. Owned by the reader thread between `free` and
/// `filled` and by the consumer between `filled` and `free`; the semaphores
/// order every access, so the fields need no atomics.
@usableFromInline
struct ReadAheadBatch {
    @usableFromInline var records: UnsafeMutablePointer<ReadAheadRecord>
    /// Each record's decoded headers (`ReadAheadOptions.decodeHeaders`), else nil.
    @usableFromInline var headers: UnsafeMutablePointer<PacketHeaders>?
    @usableFromInline var bytes: UnsafeMutableRawPointer
    var byteCapacity: Int
    @usableFromInline var count = 0
    var usedBytes = 0
    /// Set on the last batch, after its packets; `nil` while more follow.
    @usableFromInline var end: ReadAheadEnd?
}

/// The ring between libpcap's thread and the consumer: `batches` slots and
/// two counting semaphores (`free` slots, `filled` ones), taken and given
/// once per batch. glibc's semaphores only enter the kernel when a thread
/// has to sleep.
///
/// Batches are filled in ring order under `lock`, which guards the
/// `CaptureReader`, `nextToFill` and `finished`: by the reader thread, or
/// by the consumer itself when it finds no batch filled and the reader
/// thread is not filling one (it was not scheduled: on a busy machine the
/// consumer then reads as a `CaptureReader` would instead of sleeping).
/// Whoever fills a batch first takes a `free` token, so the ring never
/// overwrites the batch the consumer holds.
@usableFromInline
final class ReadAheadRing {
    let reader: CaptureReader
    @usableFromInline let batches: UnsafeMutablePointer<ReadAheadBatch>
    @usableFromInline let batchCount: Int
    let batchPackets: Int
    let free: UnsafeMutablePointer<sem_t>
    let filled: UnsafeMutablePointer<sem_t>
    /// Guards `reader`, `pending`, `nextToFill` and `finished`.
    let lock: UnsafeMutablePointer<pthread_mutex_t>
    /// The batch the next fill goes to.
    private var nextToFill = 0
    /// Whether the batch with the end has been filled.
    private var finished = false
    /// Batches the consumer filled itself (in `takeOrFill`); read by the
    /// consumer only.
    var consumerFills = 0
    /// Set by the consumer when it stops early.
    let cancelled = Atomic<Bool>(false)
    /// Reader-thread state: a packet read that did not fit in the previous
    /// batch. Its bytes are libpcap's, valid because `next()` is not called
    /// again before it is copied.
    private var pending: CapturedPacket?

    init(reader: CaptureReader, options: ReadAheadOptions) {
        self.reader = reader
        batchCount = options.batches
        batchPackets = options.batchPackets
        // Any valid record fits in an empty batch: its captured length is at
        // most the snapshot length and `maximumCaptureLength`.
        let largest = min(max(reader.snaplen, 0), CaptureReader.maximumCaptureLength)
        let byteCapacity = max(options.batchBytes, largest)
        batches = .allocate(capacity: options.batches)
        for i in 0..<options.batches {
            var headers: UnsafeMutablePointer<PacketHeaders>?
            if options.decodeHeaders {
                headers = .allocate(capacity: options.batchPackets)
                headers!.initialize(repeating: PacketHeaders(), count: options.batchPackets)
            }
            (batches + i).initialize(
                to: ReadAheadBatch(
                    records: .allocate(capacity: options.batchPackets),
                    headers: headers,
                    bytes: .allocate(byteCount: byteCapacity, alignment: 16),
                    byteCapacity: byteCapacity))
        }
        free = .allocate(capacity: 1)
        filled = .allocate(capacity: 1)
        sem_init(free, 0, UInt32(options.batches))
        sem_init(filled, 0, 0)
        lock = .allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
    }

    deinit {
        for i in 0..<batchCount {
            batches[i].records.deallocate()
            if let headers = batches[i].headers {
                headers.deinitialize(count: batchPackets)
                headers.deallocate()
            }
            batches[i].bytes.deallocate()
        }
        batches.deinitialize(count: batchCount)
        batches.deallocate()
        sem_destroy(free)
        sem_destroy(filled)
        free.deallocate()
        filled.deallocate()
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    @usableFromInline
    static func wait(_ semaphore: UnsafeMutablePointer<sem_t>) {
        while sem_wait(semaphore) != 0 {
            precondition(errno == EINTR, "sem_wait failed: errno \(errno)")
        }
    }

    @usableFromInline
    static func post(_ semaphore: UnsafeMutablePointer<sem_t>) {
        sem_post(semaphore)
    }

    /// The reader thread: fill each free batch in turn until the capture
    /// ends, fails or the consumer cancels.
    func produce() {
        while true {
            Self.wait(free)
            pthread_mutex_lock(lock)
            if finished || cancelled.load(ordering: .acquiring) {
                pthread_mutex_unlock(lock)
                return
            }
            let done = fillNext()
            pthread_mutex_unlock(lock)
            Self.post(filled)
            if done { return }
        }
    }

    /// The consumer's turn: batch `i` is the one it needs next. Returns
    /// true once it is filled and owned by the consumer: filled by the reader
    /// thread (a `filled` token), or by the consumer here when the reader
    /// thread is not at it; false when the reader thread is filling it
    /// (then wait for `filled`).
    @usableFromInline
    func takeOrFill(_ i: Int) -> Bool {
        if sem_trywait(filled) == 0 { return true }
        guard pthread_mutex_trylock(lock) == 0 else { return false }
        defer { pthread_mutex_unlock(lock) }
        // nextToFill == i: no batch is filled and not taken. The free token
        // may be held by the reader thread, about to fill `i` itself.
        guard !finished && nextToFill == i && sem_trywait(free) == 0 else { return false }
        _ = fillNext()
        consumerFills += 1
        return true
    }

    /// Fills `nextToFill` (with `lock` held, or in synchronous mode); true
    /// when that batch ends the capture.
    @usableFromInline
    func fillNext() -> Bool {
        let i = nextToFill
        fill(i)
        nextToFill = i + 1 == batchCount ? 0 : i + 1
        finished = batches[i].end != nil
        return finished
    }

    /// Reads packets into batch `i` until it is full, the next packet does
    /// not fit, or the capture ends (then `end` is set after the packets,
    /// so the error surfaces at the same place in the sequence).
    private func fill(_ i: Int) {
        let batch = batches + i
        batch.pointee.count = 0
        batch.pointee.usedBytes = 0
        batch.pointee.end = nil
        if let packet = pending {
            pending = nil
            let appended = append(packet, to: batch)
            assert(appended)
        }
        while batch.pointee.count < batchPackets {
            let packet: CapturedPacket
            do throws(CaptureError) {
                guard let next = try reader.next() else {
                    batch.pointee.end = ReadAheadEnd(
                        error: nil, packetsRead: reader.packetsRead,
                        recordsTruncatedToSnaplen: reader.recordsTruncatedToSnaplen)
                    return
                }
                packet = next
            } catch {
                batch.pointee.end = ReadAheadEnd(
                    error: error, packetsRead: reader.packetsRead,
                    recordsTruncatedToSnaplen: reader.recordsTruncatedToSnaplen)
                return
            }
            if !append(packet, to: batch) {
                pending = packet
                return
            }
        }
    }

    /// Copies `packet` into the batch; false if it does not fit (only when
    /// the batch is not empty: an empty one grows, which valid records never
    /// need).
    private func append(_ packet: CapturedPacket, to batch: UnsafeMutablePointer<ReadAheadBatch>) -> Bool {
        let length = packet.captureLength
        let start = (batch.pointee.usedBytes + 15) & ~15
        if start + length > batch.pointee.byteCapacity {
            if batch.pointee.count > 0 { return false }
            batch.pointee.bytes.deallocate()
            batch.pointee.bytes = .allocate(byteCount: length, alignment: 16)
            batch.pointee.byteCapacity = length
        }
        if length > 0 {
            (batch.pointee.bytes + start).copyMemory(from: packet.bytes.baseAddress!, byteCount: length)
        }
        if let headers = batch.pointee.headers {
            HeaderDecoder.decode(packet.bytes, linkType: reader.linkType, into: &headers[batch.pointee.count])
        }
        batch.pointee.records[batch.pointee.count] = ReadAheadRecord(
            index: packet.index, deliveredIndex: packet.deliveredIndex, timestamp: packet.timestamp,
            wireLength: packet.wireLength, captureLength: length, offset: start,
            byteOffset: packet.byteOffset ?? -1)
        batch.pointee.count += 1
        batch.pointee.usedBytes = start + length
        return true
    }
}
