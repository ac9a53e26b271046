/// One packet read from a capture: a non-owning view of libpcap's buffer.
///
/// Invariant: `bytes` points into memory owned by the `CaptureReader` that
/// produced the packet and is valid only until the next call to
/// `CaptureReader.next()` (or the end of the `forEachPacket` callback) and
/// never after the reader is deinitialised. Copy the bytes out if they must
/// live longer.
public struct CapturedPacket {
    /// 0-based index among all records read from the file, counting records
    /// the filter rejected. This is the index error messages use.
    public var index: Int
    /// 0-based index among delivered packets (those that passed the filter);
    /// equal to `index` when the reader has no filter.
    public var deliveredIndex: Int
    /// Capture time, nanosecond precision.
    public var timestamp: CaptureTimestamp
    /// Bytes captured (`caplen`); equals `bytes.count`.
    public var captureLength: Int
    /// Length of the packet on the wire (`len`); `captureLength <= wireLength`.
    public var wireLength: Int
    /// The captured bytes, starting at the link-layer header.
    public var bytes: UnsafeRawBufferPointer
    /// Byte offset in the file where reading of this packet began: the
    /// record header for pcap; for pcapng, the packet's block or a non-packet
    /// block libpcap skipped before it. `nil` when the input is not seekable.
    public var byteOffset: Int64?

    public init(
        index: Int,
        deliveredIndex: Int,
        timestamp: CaptureTimestamp,
        wireLength: Int,
        bytes: UnsafeRawBufferPointer,
        byteOffset: Int64? = nil
    ) {
        self.index = index
        self.deliveredIndex = deliveredIndex
        self.timestamp = timestamp
        self.captureLength = bytes.count
        self.wireLength = wireLength
        self.bytes = bytes
        self.byteOffset = byteOffset
    }

    /// Nanoseconds since the Unix epoch.
    public var timestampNanoseconds: Int64 { timestamp.nanosecondsSinceEpoch }
}
