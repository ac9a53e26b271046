/// Sizes of a `ReadAheadReader`'s ring of batches.
///
/// Memory is bounded and allocated once at open: `batches` buffers of
/// `batchBytes` packet bytes (at least the snapshot length, so that any
/// valid record fits) plus `batches × batchPackets` packet records of 64
/// bytes. The defaults take about 4 MiB of address space, whatever the
/// capture's size.
public struct ReadAheadOptions: Hashable, Sendable {
    /// Packets per batch: the reader thread hands over at most this many at once.
    public var batchPackets: Int
    /// Bytes of packet data per batch.
    public var batchBytes: Int
    /// Batches in the ring (at least 2): while the consumer reads one, the
    /// reader thread fills up to `batches - 1` others.
    public var batches: Int

    public init(batchPackets: Int = 256, batchBytes: Int = 1 << 20, batches: Int = 4) {
        precondition(batchPackets >= 1 && batchBytes >= 1 && batches >= 2, "invalid read-ahead sizes")
        self.batchPackets = batchPackets
        self.batchBytes = batchBytes
        self.batches = batches
    }
}
