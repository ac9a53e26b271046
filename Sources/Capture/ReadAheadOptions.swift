/// Sizes of a `ReadAheadReader`'s ring of batches.
///
/// Memory is bounded and allocated once at open: `batches` buffers of
/// `batchBytes` packet bytes (at least the snapshot length, so that any
/// valid record fits) plus `batches × batchPackets` packet records of 64
/// bytes. The defaults reserve 16 MiB of address space, of which only what
/// batches actually hold becomes resident (256 packets: about 0.2 MiB of a
/// typical mix, 0.4 MiB of full-size frames, per batch), whatever the
/// capture's size.
///
/// Why 16 batches: the ring should be larger than a core's L2 (1 MiB here),
/// so that the reader thread refills lines that have left the consumer's
/// cache rather than stealing them back from it one by one. With 4 batches
/// (~0.8 MiB in flight) both threads paid for that ping-pong: read → skb →
/// release went from 0.70× to 0.87× of the bare C loop with 16 (same run).
public struct ReadAheadOptions: Hashable, Sendable {
    /// Packets per batch: the reader thread hands over at most this many at once.
    public var batchPackets: Int
    /// Bytes of packet data per batch.
    public var batchBytes: Int
    /// Batches in the ring (at least 2): while the consumer reads one, the
    /// reader thread fills up to `batches - 1` others.
    public var batches: Int
    /// Also run `HeaderDecoder.decode(_:linkType:)` (the capture's link type,
    /// no host address) on the reader thread, so the consumer gets each
    /// packet's `PacketHeaders` ready (`PacketSource.decodedHeaders`)
    /// instead of decoding it itself. Adds `batchPackets` headers per batch.
    public var decodeHeaders: Bool

    public init(batchPackets: Int = 256, batchBytes: Int = 1 << 20, batches: Int = 16, decodeHeaders: Bool = false) {
        precondition(batchPackets >= 1 && batchBytes >= 1 && batches >= 2, "invalid read-ahead sizes")
        self.batchPackets = batchPackets
        self.batchBytes = batchBytes
        self.batches = batches
        self.decodeHeaders = decodeHeaders
    }
}
