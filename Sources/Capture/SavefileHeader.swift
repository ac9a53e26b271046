/// What skbsim learns from the first bytes of a capture file before libpcap
/// parses it.
///
/// libpcap does not report the file's magic number, the raw link-type field
/// or the record header size, and libpcap 1.10 accepts a pcap link-type field
/// whose reserved bits are set. Peeking at the header fills those gaps. The
/// peek is only possible on seekable input (it uses `pread` at offset 0, so
/// the stream's position is untouched); for pipes the reader falls back to
/// what libpcap reports.
struct SavefileHeader: Equatable {
    /// Size in bytes of a pcap file header.
    static let pcapFileHeaderSize = 24

    var format: CaptureFileFormat
    /// Size in bytes of one record header; pcap only (16, or 24 for the
    /// "patched" Kuznetzov magic 0xa1b2cd34).
    var recordHeaderSize: Int?
    /// The 32-bit pcap link-type field as stored, including the upper bits
    /// that hold FCS information and reserved bits; pcap only.
    var linkTypeField: UInt32?

    /// Bits 16–25 of the pcap link-type field, which must be zero
    /// (libpcap's `LT_RESERVED1`).
    static let reservedLinkTypeBits: UInt32 = 0x03FF_0000

    /// Parses a file prefix; `nil` when the magic number is not one skbsim
    /// recognises (libpcap then produces its own error).
    init?(prefix: UnsafeRawBufferPointer) {
        guard prefix.count >= 4 else { return nil }
        let little = UInt32(littleEndian: prefix.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
        let big = UInt32(bigEndian: prefix.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
        let magic: UInt32
        let swapped: Bool
        switch (little, big) {
        case (0x0A0D_0D0A, _):
            // The pcapng SHB block type is a palindrome; byte order is given
            // by the byte-order magic that follows, which libpcap checks.
            self.format = .pcapng
            self.recordHeaderSize = nil
            self.linkTypeField = nil
            return
        case (0xA1B2_C3D4, _), (0xA1B2_3C4D, _), (0xA1B2_CD34, _):
            magic = little
            swapped = false
        case (_, 0xA1B2_C3D4), (_, 0xA1B2_3C4D), (_, 0xA1B2_CD34):
            magic = big
            swapped = true
        default:
            return nil
        }
        self.format = .pcap
        self.recordHeaderSize = magic == 0xA1B2_CD34 ? 24 : 16
        if prefix.count >= Self.pcapFileHeaderSize {
            let raw = prefix.loadUnaligned(fromByteOffset: 20, as: UInt32.self)
            self.linkTypeField = swapped ? UInt32(bigEndian: raw) : UInt32(littleEndian: raw)
        } else {
            self.linkTypeField = nil
        }
    }
}
