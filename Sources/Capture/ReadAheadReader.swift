#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Reads a capture with libpcap on a background thread, a batch ahead of
/// the consumer.
///
/// The reader thread runs `CaptureReader.next()` (validation, BPF filter and
/// all) and copies each packet into a ring of preallocated batches (see
/// `ReadAheadOptions`); the consumer takes a whole batch at a time, so the
/// two threads synchronise once per batch, and nothing is allocated per
/// packet. The consumer sees exactly what a `CaptureReader` would give it:
/// the same packets, indices, timestamps, lengths and byte offsets, and the
/// same `CaptureError` after the last good packet. Open and filter errors
/// are thrown by `init`, on the calling thread.
///
/// When no batch is ready and the reader thread is not filling one (it has
/// not been scheduled), the consumer fills the next batch itself, so a
/// loaded machine costs it no more than reading directly.
///
/// A packet's `bytes` are valid until the next call to `next()`.
/// Releasing the reader before the end stops the thread and joins it (on a
/// pipe that can wait for libpcap's pending `read`). If no thread can be
/// started the reader fills its batches itself, on the consumer's thread.
///
/// Not `Sendable`: one consumer.
public final class ReadAheadReader: PacketSource {
    public let path: String
    public let format: CaptureFileFormat
    public let linkType: LinkType
    public let linkTypeName: String
    public let snaplen: Int
    public let filterExpression: String?
    public let options: ReadAheadOptions

    @usableFromInline let ring: ReadAheadRing
    @usableFromInline let cursor: UnsafeMutablePointer<Cursor>
    /// The reader thread; nil in synchronous mode.
    private var thread: pthread_t?

    /// The consumer's position, behind a pointer allocated once so that the
    /// per-packet updates are plain stores (no exclusivity checks).
    @usableFromInline
    struct Cursor {
        /// The batch the consumer holds, -1 before the first.
        @usableFromInline var batch = -1
        @usableFromInline var records: UnsafePointer<ReadAheadRecord>? = nil
        @usableFromInline var headers: UnsafePointer<PacketHeaders>? = nil
        @usableFromInline var bytes: UnsafeRawPointer? = nil
        @usableFromInline var position = 0
        @usableFromInline var count = 0
        /// Packets in the batches before the held one.
        @usableFromInline var deliveredBefore = 0
        /// Batches taken so far.
        @usableFromInline var batchesTaken = 0
        /// The end, once the held batch is the last.
        @usableFromInline var end: ReadAheadEnd? = nil
        init() {}
    }

    /// Opens `path` (`-` for standard input) like `CaptureReader` and starts
    /// reading it on a background thread.
    public convenience init(
        path: String, filter: String? = nil, oversizedRecords: OversizedRecordPolicy = .truncate,
        options: ReadAheadOptions = ReadAheadOptions()
    ) throws(CaptureError) {
        self.init(try CaptureReader(path: path, filter: filter, oversizedRecords: oversizedRecords), options: options)
    }

    /// Takes over `reader`, which must not be used by anyone else afterwards,
    /// and starts reading it on a background thread (`threaded: false`: on
    /// the consumer's thread, batch by batch).
    public init(_ reader: CaptureReader, options: ReadAheadOptions = ReadAheadOptions(), threaded: Bool = true) {
        path = reader.path
        format = reader.format
        linkType = reader.linkType
        linkTypeName = reader.linkTypeName
        snaplen = reader.snaplen
        filterExpression = reader.filterExpression
        self.options = options
        ring = ReadAheadRing(reader: reader, options: options)
        cursor = .allocate(capacity: 1)
        cursor.initialize(to: Cursor())
        if threaded { thread = Self.start(ring) }
    }

    deinit {
        if let thread {
            // Wake the reader thread if it waits for a free batch; it sees
            // the flag before filling another.
            ring.cancelled.store(true, ordering: .releasing)
            ReadAheadRing.post(ring.free)
            pthread_join(thread, nil)
        }
        cursor.deinitialize(count: 1)
        cursor.deallocate()
    }

    /// Whether a background thread reads the capture.
    public var isThreaded: Bool { thread != nil }

    /// Batches the consumer read itself because none was ready and the
    /// reader thread was not filling one (all of them in synchronous mode).
    public var batchesReadByConsumer: Int { ring.consumerFills }

    /// Batches taken so far, however they were filled.
    public var batchesRead: Int { cursor.pointee.batchesTaken }

    /// Packets returned so far.
    public var packetsDelivered: Int { cursor.pointee.deliveredBefore + cursor.pointee.position }

    /// Records read from the file, including those the filter rejected:
    /// exact once `next()` has returned `nil` or thrown; before that, up to
    /// the last packet returned.
    public var packetsRead: Int {
        if let end = cursor.pointee.end, cursor.pointee.position == cursor.pointee.count { return end.packetsRead }
        let c = cursor.pointee
        return c.position > 0 ? c.records.unsafelyUnwrapped[c.position - 1].index + 1 : 0
    }

    /// `CaptureReader.recordsTruncatedToSnaplen`, known once `next()` has
    /// returned `nil` or thrown; nil before.
    public var recordsTruncatedToSnaplen: Int? {
        guard let end = cursor.pointee.end, cursor.pointee.position == cursor.pointee.count else { return nil }
        return end.recordsTruncatedToSnaplen
    }

    /// The next packet that passes the filter, or `nil` at the end of the
    /// file. Its bytes are valid until the next call.
    @inlinable
    public func next() throws(CaptureError) -> CapturedPacket? {
        let position = cursor.pointee.position
        if position < cursor.pointee.count {
            cursor.pointee.position = position + 1
            return packet(at: position)
        }
        return try nextBatch()
    }

    @inlinable @inline(__always)
    func packet(at position: Int) -> CapturedPacket {
        let record = cursor.pointee.records.unsafelyUnwrapped[position]
        return CapturedPacket(
            index: record.index,
            deliveredIndex: record.deliveredIndex,
            timestamp: record.timestamp,
            wireLength: record.wireLength,
            bytes: UnsafeRawBufferPointer(
                start: cursor.pointee.bytes.unsafelyUnwrapped + record.offset,
                count: record.captureLength),
            byteOffset: record.byteOffset >= 0 ? record.byteOffset : nil
        )
    }

    /// With `ReadAheadOptions.decodeHeaders`: the headers of the packet the
    /// last `next()` returned, decoded on the reader thread; valid until the
    /// next call. nil without that option or before the first packet.
    @inlinable
    public var decodedHeaders: UnsafePointer<PacketHeaders>? {
        guard let headers = cursor.pointee.headers, cursor.pointee.position > 0 else { return nil }
        return headers + (cursor.pointee.position - 1)
    }

    /// Hands the consumed batch back and takes the next one; at the end
    /// returns nil or throws, every time it is called again.
    @usableFromInline
    func nextBatch() throws(CaptureError) -> CapturedPacket? {
        while true {
            if let end = cursor.pointee.end {
                if let error = end.error { throw error }
                return nil
            }
            let held = cursor.pointee.batch
            let next = held + 1 == ring.batchCount ? 0 : held + 1
            if thread != nil {
                if held >= 0 { ReadAheadRing.post(ring.free) }
                if !ring.takeOrFill(next) { ReadAheadRing.wait(ring.filled) }
            } else {
                _ = ring.fillNext()
                ring.consumerFills += 1
            }
            let batch = ring.batches[next]
            cursor.pointee.deliveredBefore += cursor.pointee.count
            cursor.pointee.batchesTaken += 1
            cursor.pointee.batch = next
            cursor.pointee.records = UnsafePointer(batch.records)
            cursor.pointee.headers = batch.headers.map { UnsafePointer($0) }
            cursor.pointee.bytes = UnsafeRawPointer(batch.bytes)
            cursor.pointee.count = batch.count
            cursor.pointee.end = batch.end
            if batch.count > 0 {
                cursor.pointee.position = 1
                return packet(at: 0)
            }
            cursor.pointee.position = 0
        }
    }

    private static func start(_ ring: ReadAheadRing) -> pthread_t? {
        let context = Unmanaged.passRetained(ring).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(
            &thread, nil,
            { context in
                let ring = Unmanaged<ReadAheadRing>.fromOpaque(context!).takeRetainedValue()
                ring.produce()
                return nil
            }, context)
        guard status == 0 else {
            Unmanaged<ReadAheadRing>.fromOpaque(context).release()
            return nil
        }
        return thread
    }
}

@available(*, unavailable, message: "one consumer")
extension ReadAheadReader: Sendable {}
