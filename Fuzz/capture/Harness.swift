// libFuzzer harness: arbitrary bytes as a capture file.
//
// The input is written to a file on tmpfs (/dev/shm when present) and opened
// by path with the public `CaptureReader(path:)`, exactly as
// `skbsim inspect FILE` opens a file: libpcap parses it, the reader validates every record, and each packet
// is decoded with every link type the decoder knows (not only the file's), then
// summarised and its timestamp formatted. Compiled together with
// Sources/Capture by scripts/fuzz.sh; not a SwiftPM target.
#if canImport(Glibc)
    import Glibc
#endif

/// One file for the whole run, truncated and rewritten for each input.
private let inputPath: String = {
    var info = stat()
    let directory = stat("/dev/shm", &info) == 0 ? "/dev/shm" : "/tmp"
    return "\(directory)/skbsim-fuzz-capture-\(getpid()).bin"
}()
nonisolated(unsafe) private var inputFile: Int32 = -1

private let linkTypes: [LinkType] = [
    .null, .ethernet, .raw, .loop, .linuxSLL, .ipv4, .ipv6, .linuxSLL2,
    LinkType(dlt: 14), LinkType(dlt: 101), LinkType(dlt: 147),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCapture(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    if inputFile < 0 {
        inputFile = open(inputPath, O_RDWR | O_CREAT | O_TRUNC, 0o600)
        precondition(inputFile >= 0, "cannot create \(inputPath): errno \(errno)")
        atexit { unlink(inputPath) }
    }
    precondition(ftruncate(inputFile, 0) == 0)
    var written = 0
    while written < size {
        let n = pwrite(inputFile, data! + written, size - written, off_t(written))
        precondition(n > 0, "pwrite failed: errno \(errno)")
        written += n
    }
    guard let reader = try? CaptureReader(path: inputPath) else { return 0 }
    var sink = reader.linkTypeName.utf8.count &+ reader.snaplen
    do {
        try reader.forEachPacket { packet in
            precondition(packet.bytes.count == packet.captureLength)
            precondition(packet.captureLength <= packet.wireLength)
            precondition(packet.captureLength <= CaptureReader.maximumCaptureLength)
            sink &+= packet.timestamp.timeOfDay.utf8.count &+ packet.timestamp.epochSeconds.utf8.count
            // Touch every byte so ASan sees the whole buffer libpcap handed out.
            for byte in packet.bytes { sink &+= Int(byte) }
            for linkType in [reader.linkType] + linkTypes {
                let headers = HeaderDecoder.decode(packet.bytes, linkType: linkType)
                sink &+= headers.summary(packet.bytes).utf8.count
            }
        }
    } catch let error as CaptureError {
        // Every failure must name the file and fit on one line.
        let text = error.description
        precondition(text.hasPrefix(inputPath + ": ") && !text.contains("\n"), text)
        sink &+= text.utf8.count
    } catch {
        preconditionFailure("unexpected error type: \(error)")
    }
    blackHole(sink)
    return 0
}

@inline(never) private func blackHole(_ value: Int) {
    withExtendedLifetime(value) {}
}
