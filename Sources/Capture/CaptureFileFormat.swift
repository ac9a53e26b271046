/// The container format of a capture file.
public enum CaptureFileFormat: String, Hashable, Sendable, CustomStringConvertible {
    /// The classic libpcap format: a 24-byte file header, then records of a
    /// 16-byte header followed by `caplen` bytes.
    case pcap
    /// pcapng: a sequence of blocks, starting with a Section Header Block.
    case pcapng

    public var description: String { rawValue }
}
