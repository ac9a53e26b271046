#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where a sink's bytes go: a file descriptor, a file it creates, or memory.
///
/// Bytes are formatted straight into one buffer allocated up front (64 KiB by
/// default) and handed to `write(2)` when it fills, on `flush()` and on
/// `close()`; appending never allocates. A file descriptor passed in is not
/// closed unless asked (stdout stays open). Write errors do not trap: the
/// first one's errno is kept in `writeError` and further output is dropped.
public final class TraceOutput {
    private var storage: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private let capacity: Int
    private var fd: Int32
    private let ownsDescriptor: Bool
    private let toMemory: Bool
    private var closed = false

    /// Everything written so far, for a memory output (empty otherwise).
    public private(set) var collected: [UInt8] = []
    /// Bytes passed to `write(2)` or to `collected`.
    public private(set) var bytesWritten: UInt64 = 0
    /// The errno of the first failed write, 0 if none.
    public private(set) var writeError: Int32 = 0
    /// Sinks flush after each line (tcpdump `-l`, or standard output is a
    /// pipe that someone reads as it comes).
    public var lineBuffered = false

    /// Writes to `fileDescriptor`; closes it on `close()` only if `closeWhenDone`.
    public init(fileDescriptor: Int32, closeWhenDone: Bool = false, bufferSize: Int = 64 * 1024) {
        capacity = max(bufferSize, 4096)
        storage = .allocate(capacity: capacity)
        fd = fileDescriptor
        ownsDescriptor = closeWhenDone
        toMemory = false
    }

    /// Creates (or truncates) the file at `path`, mode 0644, and writes to it.
    public convenience init(path: String, bufferSize: Int = 64 * 1024) throws(TraceOutputError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw TraceOutputError.cannotOpen(path: path, errno: errno) }
        self.init(fileDescriptor: fd, closeWhenDone: true, bufferSize: bufferSize)
    }

    /// Collects the output in `collected`; for tests and small runs.
    public init(memoryBufferSize bufferSize: Int = 64 * 1024) {
        capacity = max(bufferSize, 4096)
        storage = .allocate(capacity: capacity)
        fd = -1
        ownsDescriptor = false
        toMemory = true
    }

    /// A memory output.
    public static func memory() -> TraceOutput { TraceOutput(memoryBufferSize: 64 * 1024) }

    deinit {
        close()
        storage.deallocate()
    }

    /// `collected` as UTF-8 text (memory outputs; flush first).
    public var text: String { String(decoding: collected, as: UTF8.self) }

    /// Flushes a memory output and returns its text, emptying `collected`.
    public func takeText() -> String {
        flush()
        defer { collected.removeAll(keepingCapacity: true) }
        return text
    }

    /// Hands the buffered bytes to `write(2)` (or `collected`).
    public func flush() {
        guard count > 0 else { return }
        emit(UnsafeRawBufferPointer(start: storage, count: count))
        count = 0
    }

    /// Flushes, then closes the descriptor if this output owns it. Idempotent.
    public func close() {
        guard !closed else { return }
        flush()
        closed = true
        if ownsDescriptor, fd >= 0 {
            _ = Glibc_close(fd)
            fd = -1
        }
    }

    private func emit(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        if toMemory {
            collected.append(contentsOf: bytes)
            bytesWritten &+= UInt64(bytes.count)
            return
        }
        guard writeError == 0, !closed, fd >= 0 else { return }
        var offset = 0
        while offset < bytes.count {
            let n = Glibc_write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                writeError = errno
                return
            }
            offset += n
        }
        bytesWritten &+= UInt64(bytes.count)
    }

    /// Appends `text`'s UTF-8 bytes (a command's own lines written in
    /// order with a sink's on the same output).
    public func write(_ text: String) {
        var text = text
        text.withUTF8 { append(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Appends a literal.
    public func write(_ text: StaticString) { append(text) }

    /// Appends `value` in decimal.
    public func writeDecimal(_ value: Int) { appendDecimal(Int64(value)) }

    /// `write(text)` then a newline.
    public func writeLine(_ text: String) {
        write(text)
        appendByte(UInt8(ascii: "\n"))
    }

    // MARK: Appending (used by the sinks)

    /// Where the next byte goes.
    var bufferEnd: UnsafeMutablePointer<UInt8> {
        @inline(__always) get { storage + count }
    }

    /// Takes back a cursor from `beginRecord(maxBytes:)`.
    @inline(__always)
    func endRecord(_ cursor: ByteCursor) {
        count = cursor.p - storage
    }

    /// The most a record may reserve at once.
    var maxRecordBytes: Int { capacity }

    /// Makes room for `n` more bytes, flushing if needed. `n` must not exceed
    /// the buffer size; longer runs go through `append(bytes:)`.
    @inline(__always)
    func reserve(_ n: Int) {
        if count &+ n > capacity { flush() }
    }

    @inline(__always)
    func appendByte(_ byte: UInt8) {
        reserve(1)
        storage[count] = byte
        count &+= 1
    }

    /// Appends raw bytes of any length.
    func append(bytes: UnsafeRawBufferPointer) {
        if bytes.count > capacity / 2 {
            flush()
            emit(bytes)
            return
        }
        reserve(bytes.count)
        (storage + count).update(from: bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), count: bytes.count)
        count &+= bytes.count
    }

    @inline(__always)
    func append(_ string: StaticString) {
        if string.hasPointerRepresentation {
            append(bytes: UnsafeRawBufferPointer(start: string.utf8Start, count: string.utf8CodeUnitCount))
        } else {
            string.withUTF8Buffer { append(bytes: UnsafeRawBufferPointer($0)) }
        }
    }

    /// Unsigned decimal.
    func appendDecimal(_ value: UInt64) {
        reserve(20)
        var digits = 1
        var probe = value
        while probe >= 10 {
            probe /= 10
            digits &+= 1
        }
        var v = value
        var i = count &+ digits &- 1
        repeat {
            storage[i] = 0x30 &+ UInt8(truncatingIfNeeded: v % 10)
            v /= 10
            i &-= 1
        } while v != 0
        count &+= digits
    }

    /// Signed decimal.
    func appendDecimal(_ value: Int64) {
        if value < 0 {
            appendByte(UInt8(ascii: "-"))
            appendDecimal(UInt64(bitPattern: 0 &- value))
        } else {
            appendDecimal(UInt64(value))
        }
    }

    /// Decimal zero-padded to `width` digits (value must fit).
    func appendDecimal(_ value: UInt64, width: Int) {
        reserve(width)
        var v = value
        var i = count &+ width &- 1
        while i >= count {
            storage[i] = 0x30 &+ UInt8(truncatingIfNeeded: v % 10)
            v /= 10
            i &-= 1
        }
        count &+= width
    }

    /// Lowercase hex, zero-padded to `width` digits (more if needed), no prefix.
    func appendHex(_ value: UInt64, width: Int) {
        var digits = 1
        var probe = value >> 4
        while probe != 0 {
            probe >>= 4
            digits &+= 1
        }
        if digits < width { digits = width }
        reserve(digits)
        var v = value
        var i = count &+ digits &- 1
        while i >= count {
            let nibble = UInt8(truncatingIfNeeded: v & 0xf)
            storage[i] = nibble < 10 ? 0x30 &+ nibble : 0x57 &+ nibble
            v >>= 4
            i &-= 1
        }
        count &+= digits
    }

    /// The bytes of `string` inside a JSON string literal (without quotes),
    /// escaping `"`, `\` and control characters.
    func appendJSONEscaped(_ string: StaticString) {
        string.withUTF8Buffer { buffer in
            for byte in buffer {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                    appendByte(UInt8(ascii: "\\"))
                    appendByte(byte)
                case 0..<0x20:
                    append("\\u00")
                    appendHex(UInt64(byte), width: 2)
                default:
                    appendByte(byte)
                }
            }
        }
    }
}

/// `TraceOutput(path:)` failed.
public enum TraceOutputError: Error, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, errno: Int32)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let code): "cannot create \(path): \(String(cString: strerror(code)))"
        }
    }
}

@inline(__always)
private func Glibc_write(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
        Glibc.write(fd, buffer, count)
    #elseif canImport(Musl)
        Musl.write(fd, buffer, count)
    #else
        Darwin.write(fd, buffer, count)
    #endif
}

@inline(__always)
private func Glibc_close(_ fd: Int32) -> Int32 {
    #if canImport(Glibc)
        Glibc.close(fd)
    #elseif canImport(Musl)
        Musl.close(fd)
    #else
        Darwin.close(fd)
    #endif
}
