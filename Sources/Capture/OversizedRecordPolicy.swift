/// What the reader does with a pcap record whose stored captured length
/// exceeds the file's snapshot length (but not 256 KiB, which is always an
/// error).
///
/// libpcap 1.10 (and so tcpdump) reads such a record and silently truncates
/// it to the snapshot length; libpcap's own test corpus contains files like
/// that. The reader can only see the stored length on seekable pcap input,
/// where it compares the bytes libpcap consumed with the length it reported.
public enum OversizedRecordPolicy: Hashable, Sendable {
    /// Deliver the packet truncated to the snapshot length, as tcpdump does,
    /// and count it in `CaptureReader.recordsTruncatedToSnaplen`.
    case truncate
    /// Fail with `CaptureError.Kind.invalidCaptureLength`.
    case reject
}
