import CMappedFile
import Foundation
import TestSupport
import Testing

@testable import Capture

#if canImport(Glibc)
    import Glibc
#endif

/// `CaptureReader(path:)` reads regular files through the mmap-window stream
/// (`skbsim_mapped_fopen`, 4 MiB windows). These compare it, packet by
/// packet and error by error, with the same file read through `fopen`.
@Suite("mmap-window capture stream")
struct MappedFileTests {
    let directory: TemporaryDirectory

    init() throws { directory = try TemporaryDirectory() }

    /// Every packet's index, timestamp, lengths, byte offset and bytes, and
    /// the error that ended the read (nil at a clean end).
    private func readAll(_ reader: CaptureReader) -> (packets: [[Int]], bytes: [[UInt8]], error: String?) {
        var packets: [[Int]] = []
        var bytes: [[UInt8]] = []
        do {
            while let p = try reader.next() {
                packets.append([
                    p.index, p.deliveredIndex, Int(p.timestamp.nanosecondsSinceEpoch),
                    p.captureLength, p.wireLength, Int(p.byteOffset ?? -1),
                ])
                bytes.append(Array(p.bytes))
            }
            return (packets, bytes, nil)
        } catch {
            return (packets, bytes, error.description)
        }
    }

    private func viaFopen(_ path: String, filter: String? = nil) throws -> CaptureReader {
        try CaptureReader(stream: try #require(fopen(path, "rb")), name: path, filter: filter)
    }

    /// ~9.6 MiB of 1,514-byte records: records straddle both 4 MiB window ends.
    private func largeCapture() -> [UInt8] {
        var file = CaptureBytes.pcapHeader()
        for i in 0..<6_400 {
            file += CaptureBytes.pcapRecord(
                seconds: UInt32(i), fraction: UInt32(i % 1_000_000),
                payload: CaptureBytes.pattern(1_514, start: UInt8(truncatingIfNeeded: i)))
        }
        return file
    }

    @Test func regularFileUsesTheMappedStream() throws {
        let path = try directory.write("small.pcap", CaptureBytes.pcapHeader())
        var descriptor: Int32 = -1
        let stream = try #require(skbsim_mapped_fopen(path, &descriptor))
        defer { fclose(stream) }
        #expect(descriptor >= 0)
        #expect(fileno(stream) == -1)  // a cookie stream: peeking goes through `descriptor`
    }

    @Test func nonRegularFileIsLeftToFopen() throws {
        var descriptor: Int32 = -1
        #expect(skbsim_mapped_fopen("/dev/null", &descriptor) == nil)
        #expect(errno == ENOTSUP)
        let empty = try directory.write("empty.pcap", [])
        #expect(skbsim_mapped_fopen(empty, &descriptor) == nil)
        #expect(errno == ENOTSUP)
        #expect(skbsim_mapped_fopen(directory.path + "/absent", &descriptor) == nil)
        #expect(errno == ENOENT)
    }

    @Test func largeFileMatchesFopenAcrossWindows() throws {
        let bytes = largeCapture()
        #expect(bytes.count > 2 * 4 << 20)
        let path = try directory.write("large.pcap", bytes)
        let mapped = readAll(try CaptureReader(path: path))
        let plain = readAll(try viaFopen(path))
        #expect(mapped.packets.count == 6_400)
        #expect(mapped.error == nil)
        #expect(mapped.packets == plain.packets)
        #expect(mapped.bytes == plain.bytes)
        // Byte offsets are the record starts: 24 + i * (16 + 1514).
        #expect(mapped.packets.last?[5] == 24 + 6_399 * 1_530)
    }

    @Test func truncationAtAWindowEndMatchesFopen() throws {
        let bytes = largeCapture()
        // Cut 100 bytes into the record that straddles the 4 MiB boundary, and
        // exactly at the boundary.
        for cut in [4 << 20, (4 << 20) + 100, bytes.count - 1] {
            let path = try directory.write("cut-\(cut).pcap", Array(bytes.prefix(cut)))
            let mapped = readAll(try CaptureReader(path: path))
            let plain = readAll(try viaFopen(path))
            #expect(mapped.error != nil, "cut at \(cut)")
            #expect(mapped.error == plain.error, "cut at \(cut)")
            #expect(mapped.packets == plain.packets, "cut at \(cut)")
            #expect(mapped.bytes == plain.bytes, "cut at \(cut)")
        }
    }

    @Test func filterAndPcapngMatchFopen() throws {
        var ng = CaptureBytes.pcapngSectionHeader() + CaptureBytes.pcapngInterface(tsresol: 9)
        for i in 0..<3_000 {
            ng += CaptureBytes.pcapngEnhancedPacket(
                timestamp: UInt64(i) * 1_000,
                payload: CaptureBytes.pattern(60 + i % 1_400, start: UInt8(truncatingIfNeeded: i)))
        }
        let ngPath = try directory.write("many.pcapng", ng)
        #expect(readAll(try CaptureReader(path: ngPath)).packets == readAll(try viaFopen(ngPath)).packets)
        let pcapPath = try directory.write("large.pcap", largeCapture())
        let filtered = readAll(try CaptureReader(path: pcapPath, filter: "greater 1000"))
        #expect(filtered.packets == readAll(try viaFopen(pcapPath, filter: "greater 1000")).packets)
        #expect(filtered.packets.count == 6_400)
    }
}
