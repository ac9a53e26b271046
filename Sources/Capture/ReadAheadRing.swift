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
    @usableFromInline var bytes: UnsafeMutableRawPointer
    var byteCapacity: Int
    @usableFromInline var count = 0
    var usedBytes = 0
    /// Set on the last batch, after its packets; `nil` while more follow.
    @usableFromInline var end: ReadAheadEnd?
}

/// The ring between libpcap's thread and the consumer: `batches` slots and
/// two counting semaphores (`free` slots for the reader thread, `filled`
/// ones for the consumer), taken and given once per batch. glibc's
/// semaphores only enter the kernel when a thread has to sleep.
///
/// The `CaptureReader` is used by exactly one thread at a time: the reader
/// thread while it runs, or the consumer (synchronous mode, when no thread
/// could be started); `ReadAheadReader.deinit` joins the thread first.
@usableFromInline
final class ReadAheadRing {
    let reader: CaptureReader
    @usableFromInline let batches: UnsafeMutablePointer<ReadAheadBatch>
    @usableFromInline let batchCount: Int
    let batchPackets: Int
    let free: UnsafeMutablePointer<sem_t>
    let filled: UnsafeMutablePointer<sem_t>
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
            (batches + i).initialize(to: ReadAheadBatch(
                records: .allocate(capacity: options.batchPackets),
                bytes: .allocate(byteCount: byteCapacity, alignment: 16),
                byteCapacity: byteCapacity))
        }
        free = .allocate(capacity: 1)
        filled = .allocate(capacity: 1)
        sem_init(free, 0, UInt32(options.batches))
        sem_init(filled, 0, 0)
    }

    deinit {
        for i in 0..<batchCount {
            batches[i].records.deallocate()
            batches[i].bytes.deallocate()
        }
        batches.deinitialize(count: batchCount)
        batches.deallocate()
        sem_destroy(free)
        sem_destroy(filled)
        free.deallocate()
        filled.deallocate()
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
        var i = 0
        while true {
            Self.wait(free)
            if cancelled.load(ordering: .acquiring) { return }
            fill(i)
            let done = batches[i].end != nil
            Self.post(filled)
            if done { return }
            i = i + 1 == batchCount ? 0 : i + 1
        }
    }

    /// Reads packets into batch `i` until it is full, the next packet does
    /// not fit, or the capture ends (then `end` is set after the packets,
    /// so the error surfaces at the same place in the sequence).
    @usableFromInline
    func fill(_ i: Int) {
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
                    batch.pointee.end = ReadAheadEnd(error: nil, packetsRead: reader.packetsRead,
                                                     recordsTruncatedToSnaplen: reader.recordsTruncatedToSnaplen)
                    return
                }
                packet = next
            } catch {
                batch.pointee.end = ReadAheadEnd(error: error, packetsRead: reader.packetsRead,
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
        batch.pointee.records[batch.pointee.count] = ReadAheadRecord(
            index: packet.index, deliveredIndex: packet.deliveredIndex, timestamp: packet.timestamp,
            wireLength: packet.wireLength, captureLength: length, offset: start,
            byteOffset: packet.byteOffset ?? -1)
        batch.pointee.count += 1
        batch.pointee.usedBytes = start + length
        return true
    }
}
