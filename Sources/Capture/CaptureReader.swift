import CMappedFile
import CPcap

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads packets from a pcap or pcapng file through libpcap.
///
/// One reader owns one `pcap_t` (and the `FILE` it reads) for its whole
/// life; both are closed in `deinit`. Timestamps are always nanosecond
/// precision. Iteration borrows libpcap's buffer and does not allocate per
/// packet: see `CapturedPacket` for how long a packet's bytes stay valid.
///
/// A BPF filter is compiled once and applied with `pcap_offline_filter`
/// rather than `pcap_setfilter`, so that the reader sees every record and
/// can report each packet's index in the file (`CapturedPacket.index`) as
/// well as its index among matching packets (`deliveredIndex`).
///
/// Every record is validated: its captured length must not exceed
/// `maximumCaptureLength`, the snapshot length, or its wire length. libpcap
/// 1.10 silently truncates a pcap record whose stored captured length
/// exceeds the snapshot length; on seekable pcap input the reader detects
/// that from the bytes libpcap consumed and applies an
/// `OversizedRecordPolicy`. On pipes it cannot, and byte offsets are unknown.
///
/// Not `Sendable`: libpcap handles are not thread-safe.
public final class CaptureReader {
    /// The largest captured length skbsim accepts (256 KiB, libpcap's
    /// `MAXIMUM_SNAPLEN`).
    public static let maximumCaptureLength = 262_144

    /// The file as given to `init(path:filter:)`; `-` is standard input.
    public let path: String
    public let format: CaptureFileFormat
    /// The link-layer type (`pcap_datalink`).
    public let linkType: LinkType
    /// libpcap's name for `linkType` (`LinkType.name`).
    public let linkTypeName: String
    /// The snapshot length libpcap uses for this file (`pcap_snapshot`).
    public let snaplen: Int
    /// The BPF filter expression, if any.
    public let filterExpression: String?
    /// Records read from the file so far, including those the filter rejected.
    public var packetsRead: Int { state.pointee.packetsRead }
    /// Packets returned to the caller so far.
    public var packetsDelivered: Int { state.pointee.packetsDelivered }
    /// Records whose stored captured length exceeded the snapshot length and
    /// that libpcap truncated (with `OversizedRecordPolicy.truncate`).
    public var recordsTruncatedToSnaplen: Int { state.pointee.recordsTruncatedToSnaplen }
    public let oversizedRecordPolicy: OversizedRecordPolicy

    private let handle: OpaquePointer
    private let stream: UnsafeMutablePointer<FILE>
    /// Allocated once; holds compiled code only when `filterExpression != nil`.
    private let program: UnsafeMutablePointer<bpf_program>
    /// Whether `ftello` works on the input (false for pipes).
    private let seekable: Bool
    /// The file's descriptor for `pread` (seekable input only, else nil).
    private let descriptor: Int32?
    /// pcap record header size, known for seekable pcap input.
    private let recordHeaderSize: Int?
    /// `recordHeaderSize` of a pcap file, 0 for pcapng (whose block ends
    /// must be asked of the stream): the fast path of `next()`.
    private let pcapRecordHeaderSize: Int
    /// The reader's mutable state, behind a pointer allocated once: the
    /// per-packet updates are then plain stores, without the dynamic
    /// exclusivity checks (`swift_beginAccess`) that stored properties of a
    /// class get.
    private let state: UnsafeMutablePointer<State>
    /// `stream`'s stdio buffer when the reader installed one (standard input).
    private let streamBuffer: UnsafeMutableRawPointer?

    private struct State {
        var packetsRead = 0
        var packetsDelivered = 0
        var recordsTruncatedToSnaplen = 0
        /// Byte offset where the next record starts (seekable input only,
        /// else -1): the stream position after the previous record.
        var nextRecordStart: Int64
        /// After a read error libpcap's position is undefined: every later
        /// `next()` rethrows the first error.
        var failure: CaptureError?
    }

    /// Opens `path` (`-` for standard input), optionally with a
    /// tcpdump-style BPF filter expression.
    public convenience init(
        path: String, filter: String? = nil, oversizedRecords: OversizedRecordPolicy = .truncate
    ) throws(CaptureError) {
        // For stdin, read a duplicate of descriptor 0 so that the reader
        // owns (and closes) its stream like any other, leaving stdin open.
        var descriptor: Int32 = -1
        let stream = path == "-" ? Self.duplicateStandardInput() : Self.openFile(path, descriptor: &descriptor)
        guard let stream else {
            let code = errno
            throw CaptureError(
                kind: code == ENOENT ? .fileNotFound : .cannotOpen,
                file: path,
                message: "cannot open: " + String(cString: strerror(code))
            )
        }
        try self.init(
            stream: stream, name: path, filter: filter, oversizedRecords: oversizedRecords,
            descriptor: descriptor >= 0 ? descriptor : nil, streamBuffer: path == "-" ? Self.enlargeBuffer(stream) : nil
        )
    }

    /// A regular file through the mmap-window stream (`skbsim_mapped_fopen`:
    /// each stdio refill is a memcpy from the page cache, no `read` syscall);
    /// anything else (a FIFO, a device) with `fopen`. Either way libpcap
    /// parses the bytes.
    private static func openFile(_ path: String, descriptor: inout Int32) -> UnsafeMutablePointer<FILE>? {
        if let stream = skbsim_mapped_fopen(path, &descriptor) { return stream }
        guard errno == ENOTSUP else { return nil }
        descriptor = -1
        return fopen(path, "rb")
    }

    /// Reads from an already open stream, which the reader takes over: it is
    /// closed on failure and in `deinit`. `name` is used in messages. Only a
    /// stream positioned at offset 0 of a seekable file gets its header
    /// peeked at and byte offsets reported. `descriptor`: the file's
    /// descriptor when `fileno(stream)` has none (the mmap-window stream).
    init(
        stream: UnsafeMutablePointer<FILE>, name: String, filter: String? = nil,
        oversizedRecords: OversizedRecordPolicy = .truncate, descriptor: Int32? = nil,
        streamBuffer: UnsafeMutableRawPointer? = nil
    ) throws(CaptureError) {
        self.streamBuffer = streamBuffer
        let seekable = ftello(stream) == 0
        let header = seekable ? Self.peekHeader(descriptor ?? fileno(stream)) : nil

        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard
            let handle = pcap_fopen_offline_with_tstamp_precision(
                stream, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errorBuffer)
        else {
            // pcap_fopen_offline leaves the stream open on failure.
            fclose(stream)
            free(streamBuffer)
            let message = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw CaptureError(kind: .forOpenFailure(message), file: name, message: message)
        }

        let dlt = pcap_datalink(handle)
        // libpcap 1.10 accepts reserved link-type bits and even reports them
        // in pcap_datalink; newer versions reject the file. Reject it here.
        let linkTypeField = header?.linkTypeField ?? UInt32(bitPattern: dlt)
        if linkTypeField & SavefileHeader.reservedLinkTypeBits != 0 {
            pcap_close(handle)
            free(streamBuffer)
            throw CaptureError(
                kind: .malformedFileHeader, file: name,
                message: "link-layer type field 0x\(Self.hex(linkTypeField)) has reserved bits set (mask 0x03ff0000)"
            )
        }

        let program = UnsafeMutablePointer<bpf_program>.allocate(capacity: 1)
        program.initialize(to: bpf_program())
        if let filter {
            if pcap_compile(handle, program, filter, 1, PCAP_NETMASK_UNKNOWN) != 0 {
                let message = String(cString: pcap_geterr(handle))
                program.deallocate()
                pcap_close(handle)
                free(streamBuffer)
                throw CaptureError(kind: .invalidFilter, file: name, message: message, filterExpression: filter)
            }
        }

        self.path = name
        self.handle = handle
        self.stream = stream
        self.program = program
        self.seekable = seekable
        self.descriptor = seekable ? (descriptor ?? fileno(stream)) : nil
        self.filterExpression = filter
        self.oversizedRecordPolicy = oversizedRecords
        // libpcap reports pcapng sections as version 1.x and pcap as 2.x.
        self.format = header?.format ?? (pcap_major_version(handle) == 1 ? .pcapng : .pcap)
        self.recordHeaderSize = header?.recordHeaderSize
        self.pcapRecordHeaderSize = self.format == .pcap ? header?.recordHeaderSize ?? 0 : 0
        self.linkType = LinkType(dlt: dlt)
        self.linkTypeName = LinkType(dlt: dlt).name
        self.snaplen = Int(pcap_snapshot(handle))
        // libpcap has read the file header (pcapng: up to the first
        // interface description); the first record starts here.
        self.state = .allocate(capacity: 1)
        state.initialize(to: State(nextRecordStart: seekable ? Int64(ftello(stream)) : -1))
    }

    deinit {
        state.deinitialize(count: 1)
        state.deallocate()
        if filterExpression != nil { pcap_freecode(program) }
        program.deallocate()
        // Also closes `stream`, then its buffer can go.
        pcap_close(handle)
        free(streamBuffer)
    }

    /// The next packet that passes the filter, or `nil` at the end of the
    /// file. The returned packet's bytes are valid until the next call.
    public func next() throws(CaptureError) -> CapturedPacket? {
        if let failure = state.pointee.failure { throw failure }
        var header: UnsafeMutablePointer<pcap_pkthdr>? = nil
        var data: UnsafePointer<UInt8>? = nil
        while true {
            let start = state.pointee.nextRecordStart
            let status = pcap_next_ex(handle, &header, &data)
            guard status == 1, let header else {
                if status == PCAP_ERROR_BREAK { return nil }  // end of file
                let message =
                    status == PCAP_ERROR
                    ? String(cString: pcap_geterr(handle)) : "pcap_next_ex returned \(status)"
                throw fail(.forReadFailure(message), message, recordStart: start)
            }
            let index = state.pointee.packetsRead
            state.pointee.packetsRead = index + 1
            let captureLength = Int(header.pointee.caplen)
            let wireLength = Int(header.pointee.len)
            if _fastPath(
                pcapRecordHeaderSize > 0 && start >= 0 && captureLength < snaplen && captureLength <= wireLength
                    && captureLength <= Self.maximumCaptureLength)
            {
                // What lengthProblem concludes for a valid pcap record shorter
                // than the snapshot length, without the call.
                let end = start + Int64(pcapRecordHeaderSize + captureLength)
                assert(end == Int64(ftello(stream)), "record end \(end) != stream position \(ftello(stream))")
                state.pointee.nextRecordStart = end
            } else if let problem = lengthProblem(captureLength, wireLength, recordStart: start) {
                throw fail(.invalidCaptureLength, problem, recordStart: start, index: index)
            }
            if filterExpression != nil && pcap_offline_filter(program, header, data) == 0 {
                continue
            }
            let deliveredIndex = state.pointee.packetsDelivered
            state.pointee.packetsDelivered = deliveredIndex + 1
            let ts = header.pointee.ts
            return CapturedPacket(
                index: index,
                deliveredIndex: deliveredIndex,
                // With nanosecond precision libpcap stores nanoseconds in tv_usec.
                timestamp: CaptureTimestamp(seconds: Int64(ts.tv_sec), nanoseconds: Int64(ts.tv_usec)),
                wireLength: wireLength,
                bytes: UnsafeRawBufferPointer(start: data, count: captureLength),
                byteOffset: start >= 0 ? Int64(start) : nil
            )
        }
    }

    /// Why a record with these lengths is invalid, or `nil` if it is fine.
    /// Counts records libpcap truncated to the snapshot length, and sets
    /// where the next record starts.
    ///
    /// On seekable input the position after each record is needed; `ftello`
    /// (a locked libio call) is avoided where it is known without it. In a
    /// pcap file records are contiguous, and libpcap consumes exactly the
    /// record header and the stored captured length, except for a record
    /// longer than the snapshot length, which it truncates to exactly
    /// `snaplen` bytes (sf-pcap.c, `pcap_next_packet`). So the stream is
    /// asked only when `captureLength == snaplen`; pcapng blocks are asked
    /// every time.
    private func lengthProblem(_ captureLength: Int, _ wireLength: Int, recordStart: Int64) -> String? {
        if captureLength > Self.maximumCaptureLength {
            return "captured length \(captureLength) is larger than the maximum of \(Self.maximumCaptureLength)"
        }
        if captureLength > snaplen {
            return "captured length \(captureLength) is larger than the snapshot length \(snaplen)"
        }
        if recordStart >= 0 {
            if let recordHeaderSize, format == .pcap, captureLength < snaplen {
                let end = recordStart + Int64(recordHeaderSize + captureLength)
                assert(end == Int64(ftello(stream)), "record end \(end) != stream position \(ftello(stream))")
                state.pointee.nextRecordStart = end
            } else {
                let end = Int64(ftello(stream))
                state.pointee.nextRecordStart = end
                // libpcap truncates records longer than the snapshot length to it;
                // the bytes it consumed reveal the length stored in the file.
                if let recordHeaderSize, format == .pcap, end >= 0 {
                    let storedLength = Int(end - recordStart) - recordHeaderSize
                    if storedLength > captureLength {
                        if oversizedRecordPolicy == .reject {
                            return "captured length \(storedLength) is larger than the snapshot length \(snaplen)"
                        }
                        state.pointee.recordsTruncatedToSnaplen += 1
                    }
                }
            }
        }
        if captureLength > wireLength {
            return "captured length \(captureLength) is larger than the wire length \(wireLength)"
        }
        return nil
    }

    private func fail(
        _ kind: CaptureError.Kind, _ message: String, recordStart: Int64, index: Int? = nil
    ) -> CaptureError {
        let error = CaptureError(
            kind: kind, file: path,
            message: CaptureError.mixedInterfacesMessage(message, file: path, descriptor: descriptor) ?? message,
            packetIndex: index ?? state.pointee.packetsRead,
            byteOffset: recordStart >= 0 ? Int64(recordStart) : nil,
            byteOffsetIsExact: format == .pcap
        )
        state.pointee.failure = error
        return error
    }

    /// A stream over a duplicate of descriptor 0, or `nil` with `errno` set.
    private static func duplicateStandardInput() -> UnsafeMutablePointer<FILE>? {
        let descriptor = dup(STDIN_FILENO)
        guard descriptor >= 0 else { return nil }
        guard let stream = fdopen(descriptor, "rb") else {
            let code = errno
            close(descriptor)
            errno = code
            return nil
        }
        return stream
    }

    /// stdio buffer size for standard input. glibc sizes a stream's buffer
    /// by `st_blksize`, 4 KiB for a pipe: one read(2) per 4 KiB of capture.
    /// With this one a read takes whatever the pipe holds (64 KiB by default).
    static let standardInputBufferSize = 1 << 18

    /// A buffer of `standardInputBufferSize` installed on `stream` (glibc
    /// ignores the size of `setvbuf` without a buffer); the reader frees it
    /// after closing the stream.
    private static func enlargeBuffer(_ stream: UnsafeMutablePointer<FILE>) -> UnsafeMutableRawPointer? {
        guard let buffer = malloc(standardInputBufferSize) else { return nil }
        guard setvbuf(stream, buffer.assumingMemoryBound(to: CChar.self), _IOFBF, standardInputBufferSize) == 0 else {
            free(buffer)
            return nil
        }
        return buffer
    }

    /// The first bytes of the file, read with `pread` so that the stream's
    /// position (which libpcap is about to use) does not move.
    private static func peekHeader(_ descriptor: Int32) -> SavefileHeader? {
        var prefix: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes
        return withUnsafeMutableBytes(of: &prefix) { buffer in
            let count = pread(descriptor, buffer.baseAddress, buffer.count, 0)
            guard count > 0 else { return nil }
            return SavefileHeader(prefix: UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}

@available(*, unavailable, message: "libpcap handles are not thread-safe")
extension CaptureReader: Sendable {}
