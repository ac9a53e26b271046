/// A failure to open, filter or read a capture file.
///
/// `description` is a one-line, tcpdump-like message that always names the
/// file, and for per-packet failures the packet's number in the file
/// (counted from 1, as tcpdump `-#` and Wireshark number packets: the failing
/// record is `packetIndex + 1`) and (when known) the byte offset of its record:
///
///     trace.pcap: cannot open: No such file or directory
///     trace.pcap: unsupported pcap savefile version 2.5
///     trace.pcap: packet 4 at byte offset 1234: truncated dump file; tried to read 100 captured bytes, only got 40
///     trace.pcap: invalid filter "tcp and and": can't parse filter expression: syntax error
///
/// Where the text comes from libpcap (`pcap_geterr` or the open error buffer)
/// it is kept verbatim in `message`.
public struct CaptureError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, for callers that need to tell failures apart.
    public enum Kind: Hashable, Sendable {
        /// The path does not exist.
        case fileNotFound
        /// The file exists but cannot be opened or read (permissions, a
        /// directory, an I/O error).
        case cannotOpen
        /// The file does not start with a pcap or pcapng magic number
        /// (libpcap: "unknown file format"). An empty file is
        /// `.truncatedFileHeader`, as libpcap reports it.
        case notACaptureFile
        /// A pcap or pcapng version libpcap does not support.
        case unsupportedVersion
        /// The file ends inside the pcap file header or the first pcapng
        /// blocks.
        case truncatedFileHeader
        /// The file header is present but inconsistent (bad block lengths,
        /// reserved bits set, ...).
        case malformedFileHeader
        /// The file ends inside a record header or a record body.
        case truncatedRecord
        /// A record's captured length is larger than the snapshot length,
        /// than `CaptureReader.maximumCaptureLength`, or than its wire length.
        case invalidCaptureLength
        /// Any other per-record failure libpcap reports.
        case malformedRecord
        /// The BPF filter expression does not compile for this file.
        case invalidFilter
    }

    public var kind: Kind
    /// The file as the caller named it; `-` is standard input.
    public var file: String
    /// 0-based index, among all records read from the file (before
    /// filtering), of the record that failed; `nil` for open/filter errors.
    public var packetIndex: Int?
    /// Byte offset in the file where reading of the failing record began;
    /// `nil` when the input is not seekable.
    public var byteOffset: Int64?
    /// `true` when `byteOffset` is exactly the record's first byte (pcap);
    /// `false` when libpcap may have skipped non-packet blocks after it
    /// (pcapng), so the offset is a lower bound.
    public var byteOffsetIsExact: Bool
    /// The filter expression, for `.invalidFilter`.
    public var filterExpression: String?
    /// The specific reason: libpcap's text where it produced one.
    public var message: String

    public init(
        kind: Kind,
        file: String,
        message: String,
        packetIndex: Int? = nil,
        byteOffset: Int64? = nil,
        byteOffsetIsExact: Bool = true,
        filterExpression: String? = nil
    ) {
        self.kind = kind
        self.file = file
        self.message = message
        self.packetIndex = packetIndex
        self.byteOffset = byteOffset
        self.byteOffsetIsExact = byteOffsetIsExact
        self.filterExpression = filterExpression
    }

    public var description: String {
        var text = file == "-" ? "stdin" : file
        if let packetIndex {
            text += ": packet \(packetIndex + 1)"
            if let byteOffset {
                text += byteOffsetIsExact ? " at byte offset \(byteOffset)" : " at or after byte offset \(byteOffset)"
            }
        }
        if let filterExpression {
            text += ": invalid filter \"\(filterExpression)\""
        }
        return text + ": " + message
    }
}

extension CaptureError.Kind {
    /// Classifies libpcap's text for a file that failed to open.
    static func forOpenFailure(_ message: String) -> Self {
        if message.contains("unknown file format") { return .notACaptureFile }
        if message.contains("archaic") || message.contains("version") { return .unsupportedVersion }
        if message.hasPrefix("truncated") { return .truncatedFileHeader }
        if message.hasPrefix("error reading") { return .cannotOpen }
        return .malformedFileHeader
    }

    /// Classifies libpcap's text for a record that failed to read.
    static func forReadFailure(_ message: String) -> Self {
        if message.contains("truncated") { return .truncatedRecord }
        if message.contains("capture length") { return .invalidCaptureLength }
        return .malformedRecord
    }
}
