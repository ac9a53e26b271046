import Capture

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// One rx queue's ring between the reader (which hashes each packet to its
/// queue, like the NIC) and the thread simulating the queue's CPU: batches
/// of copied packets, in capture order, handed over with two counting
/// semaphores (`free`, `filled`) once per batch.
///
/// One producer, one consumer. A batch is the producer's between taking a
/// `free` token and posting `filled`, then the consumer's until it posts
/// `free`; the semaphores order every access, so the fields need no atomics.
/// Memory is allocated once: `batchCount` × (`batchBytes` + `batchPackets`
/// records), whatever the capture's size.
final class RxQueueChannel {
    struct Record {
        var index: Int
        var deliveredIndex: Int
        var timestamp: CaptureTimestamp
        var wireLength: Int
        var captureLength: Int
        var offset: Int
        var byteOffset: Int64
    }

    struct Batch {
        var records: UnsafeMutablePointer<Record>
        var bytes: UnsafeMutableRawPointer
        var byteCapacity: Int
        var count = 0
        var usedBytes = 0
        /// The producer closed the channel after this batch's packets.
        var last = false
    }

    let batches: UnsafeMutablePointer<Batch>
    let batchCount: Int
    let batchPackets: Int
    let free: UnsafeMutablePointer<sem_t>
    let filled: UnsafeMutablePointer<sem_t>
    /// Producer: the batch being filled, and whether it holds it.
    private var fillIndex = 0
    private var holding = false

    init(batchCount: Int = 8, batchPackets: Int = 256, batchBytes: Int = 256 << 10) {
        self.batchCount = batchCount
        self.batchPackets = batchPackets
        batches = .allocate(capacity: batchCount)
        for i in 0..<batchCount {
            (batches + i).initialize(
                to: Batch(
                    records: .allocate(capacity: batchPackets), bytes: .allocate(byteCount: batchBytes, alignment: 16),
                    byteCapacity: batchBytes))
        }
        free = .allocate(capacity: 1)
        filled = .allocate(capacity: 1)
        sem_init(free, 0, UInt32(batchCount))
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

    private static func wait(_ s: UnsafeMutablePointer<sem_t>) {
        while sem_wait(s) != 0 { precondition(errno == EINTR, "sem_wait failed: errno \(errno)") }
    }

    /// Producer: takes the next free batch.
    private func take() {
        Self.wait(free)
        let b = batches + fillIndex
        b.pointee.count = 0
        b.pointee.usedBytes = 0
        b.pointee.last = false
        holding = true
    }

    /// Producer: hands the held batch to the consumer.
    private func handOver() {
        holding = false
        fillIndex = fillIndex + 1 == batchCount ? 0 : fillIndex + 1
        sem_post(filled)
    }

    /// Producer: copies `packet` into the channel.
    func append(_ packet: CapturedPacket) {
        if !holding { take() }
        var b = batches + fillIndex
        let length = packet.captureLength
        var start = (b.pointee.usedBytes + 15) & ~15
        if b.pointee.count == batchPackets || (start + length > b.pointee.byteCapacity && b.pointee.count > 0) {
            handOver()
            take()
            b = batches + fillIndex
            start = 0
        }
        if length > b.pointee.byteCapacity {
            // Only an empty batch gets here (a record larger than a batch).
            b.pointee.bytes.deallocate()
            b.pointee.bytes = .allocate(byteCount: length, alignment: 16)
            b.pointee.byteCapacity = length
        }
        if length > 0 { (b.pointee.bytes + start).copyMemory(from: packet.bytes.baseAddress!, byteCount: length) }
        b.pointee.records[b.pointee.count] = Record(
            index: packet.index, deliveredIndex: packet.deliveredIndex, timestamp: packet.timestamp,
            wireLength: packet.wireLength, captureLength: length, offset: start, byteOffset: packet.byteOffset ?? -1)
        b.pointee.count += 1
        b.pointee.usedBytes = start + length
    }

    /// Producer: no more packets; the consumer ends after the held batch.
    func close() {
        if !holding { take() }
        batches[fillIndex].last = true
        handOver()
    }

    /// Consumer: `body` for every packet, in the order appended, until the
    /// producer closes the channel.
    func consume(_ body: (CapturedPacket) -> Void) {
        var index = 0
        while true {
            Self.wait(filled)
            let b = batches[index]
            for i in 0..<b.count {
                let r = b.records[i]
                body(
                    CapturedPacket(
                        index: r.index, deliveredIndex: r.deliveredIndex, timestamp: r.timestamp,
                        wireLength: r.wireLength,
                        bytes: UnsafeRawBufferPointer(start: b.bytes + r.offset, count: r.captureLength),
                        byteOffset: r.byteOffset >= 0 ? r.byteOffset : nil))
            }
            let last = b.last
            sem_post(free)
            if last { return }
            index = index + 1 == batchCount ? 0 : index + 1
        }
    }
}
