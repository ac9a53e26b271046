/// A reader of capture packets, in file order: `CaptureReader` (libpcap on
/// the calling thread) or `ReadAheadReader` (libpcap on a background thread).
///
/// Both deliver the same packets with the same fields and throw the same
/// `CaptureError`s at the same point of the sequence; a packet's `bytes` are
/// valid until the next call to `next()`. Not thread-safe: one consumer.
public protocol PacketSource: AnyObject {
    /// The file as given when opening; `-` is standard input.
    var path: String { get }
    var format: CaptureFileFormat { get }
    var linkType: LinkType { get }
    /// libpcap's name for `linkType`.
    var linkTypeName: String { get }
    /// The snapshot length (`pcap_snapshot`).
    var snaplen: Int { get }
    var filterExpression: String? { get }
    /// The next packet that passes the filter, or `nil` at the end of the
    /// file; after an error every later call throws it again.
    func next() throws(CaptureError) -> CapturedPacket?
    /// `HeaderDecoder.decode(packet.bytes, linkType: linkType)` of the packet
    /// the last `next()` returned, when the source has already computed it
    /// (a `ReadAheadReader` with `decodeHeaders`); valid until the next
    /// call. nil otherwise: decode it yourself.
    var decodedHeaders: UnsafePointer<PacketHeaders>? { get }
}

extension CaptureReader {
    /// `CaptureReader` never decodes.
    @inlinable public var decodedHeaders: UnsafePointer<PacketHeaders>? { nil }
}

extension PacketSource {
    /// Calls `body` for each packet that passes the filter, at most `limit`
    /// of them (like tcpdump `-c`); returns how many were delivered.
    ///
    /// Throws a `CaptureError` when reading fails, or whatever `body` throws.
    /// `body` must not keep `packet.bytes` beyond its return.
    @inlinable
    @discardableResult
    public func forEachPacket(limit: Int? = nil, _ body: (CapturedPacket) throws -> Void) throws -> Int {
        var delivered = 0
        while limit.map({ delivered < $0 }) ?? true, let packet = try next() {
            try body(packet)
            delivered += 1
        }
        return delivered
    }
}

extension CaptureReader: PacketSource {}
