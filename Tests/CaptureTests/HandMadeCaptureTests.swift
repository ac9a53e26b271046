import Foundation
import TestSupport
import Testing

@testable import Capture

/// Captures written byte by byte by `CaptureBytes`, covering what the corpus
/// does not: exact timestamps, byte orders, and every kind of damage.
@Suite("hand-made captures")
struct HandMadeCaptureTests {
    let directory: TemporaryDirectory

    init() throws { directory = try TemporaryDirectory() }

    /// Opens `bytes` written to `name` and returns the error it throws,
    /// whether opening or reading fails.
    private func failure(
        _ name: String, _ bytes: [UInt8], oversizedRecords: OversizedRecordPolicy = .truncate
    ) throws -> (path: String, error: CaptureError) {
        let path = try directory.write(name, bytes)
        let error = try #require(throws: CaptureError.self) {
            let reader = try CaptureReader(path: path, oversizedRecords: oversizedRecords)
            try reader.forEachPacket { _ in }
        }
        return (path, error)
    }

    // MARK: Opening

    @Test func missingFile() throws {
        let path = directory.path + "/absent.pcap"
        let error = try #require(throws: CaptureError.self) { try CaptureReader(path: path) }
        #expect(error.kind == .fileNotFound)
        #expect(error.description == "\(path): cannot open: No such file or directory")
    }

    @Test func directoryIsNotReadable() throws {
        let error = try #require(throws: CaptureError.self) { try CaptureReader(path: directory.path) }
        #expect(error.kind == .cannotOpen)
        #expect(error.description == "\(directory.path): error reading dump file: Is a directory")
    }

    @Test func emptyFile() throws {
        let (path, error) = try failure("empty.pcap", [])
        #expect(error.kind == .truncatedFileHeader)
        #expect(error.description == "\(path): truncated dump file; tried to read 4 file header bytes, only got 0")
    }

    @Test func wrongMagic() throws {
        let (path, error) = try failure("text.pcap", Array("this is not a capture file".utf8))
        #expect(error.kind == .notACaptureFile)
        #expect(error.description == "\(path): unknown file format")
    }

    @Test func truncatedGlobalHeader() throws {
        let (path, error) = try failure("short.pcap", Array(CaptureBytes.pcapHeader().prefix(10)))
        #expect(error.kind == .truncatedFileHeader)
        #expect(error.packetIndex == nil)
        #expect(error.description == "\(path): truncated dump file; tried to read 24 file header bytes, only got 6")
    }

    @Test func truncatedPcapngSectionHeader() throws {
        let (path, error) = try failure("short.pcapng", Array(CaptureBytes.pcapngSectionHeader().prefix(20)))
        #expect(error.kind == .truncatedFileHeader)
        #expect(error.description == "\(path): truncated pcapng dump file; tried to read 16 bytes, only got 8")
    }

    @Test func reservedLinkTypeBits() throws {
        let (path, error) = try failure("reserved.pcap", CaptureBytes.pcapHeader(linkType: 0x0001_0001))
        #expect(error.kind == .malformedFileHeader)
        #expect(
            error.description
                == "\(path): link-layer type field 0x00010001 has reserved bits set (mask 0x03ff0000)")
    }

    // MARK: Damaged records

    @Test func truncatedRecordHeader() throws {
        let bytes =
            CaptureBytes.pcapHeader()
            + CaptureBytes.pcapRecord(seconds: 1, fraction: 0, payload: CaptureBytes.pattern(10))
            + [1, 0, 0]
        let (path, error) = try failure("record-header.pcap", bytes)
        #expect(error.kind == .truncatedRecord)
        #expect(error.packetIndex == 1)
        #expect(error.byteOffset == Int64(24 + 16 + 10))
        #expect(
            error.description
                == "\(path): packet 2 at byte offset 50: truncated dump file; tried to read 16 header bytes, only got 3"
        )
    }

    @Test func truncatedRecordBody() throws {
        let record = CaptureBytes.pcapRecord(seconds: 1, fraction: 0, payload: CaptureBytes.pattern(100))
        let (path, error) = try failure("record-body.pcap", CaptureBytes.pcapHeader() + record.prefix(16 + 40))
        #expect(error.kind == .truncatedRecord)
        #expect(
            error.description
                == "\(path): packet 1 at byte offset 24: truncated dump file; tried to read 100 captured bytes, only got 40"
        )
    }

    @Test func truncatedPcapngBlockReportsALowerBoundOffset() throws {
        let bytes =
            CaptureBytes.pcapngSectionHeader() + CaptureBytes.pcapngInterface(tsresol: 9)
            + CaptureBytes.pcapngEnhancedPacket(timestamp: 1, payload: CaptureBytes.pattern(60))
            + CaptureBytes.pcapngEnhancedPacket(timestamp: 2, payload: CaptureBytes.pattern(61)).dropLast(20)
        let (path, error) = try failure("block.pcapng", bytes)
        #expect(error.kind == .truncatedRecord)
        #expect(error.byteOffsetIsExact == false)
        #expect(
            error.description
                == "\(path): packet 2 at or after byte offset 152: truncated pcapng dump file; tried to read 88 bytes, only got 68"
        )
    }

    @Test func captureLengthAboveSnaplenIsTruncatedByDefault() throws {
        let bytes =
            CaptureBytes.pcapHeader(snaplen: 64)
            + CaptureBytes.pcapRecord(seconds: 1, fraction: 0, payload: CaptureBytes.pattern(100))
            + CaptureBytes.pcapRecord(seconds: 2, fraction: 0, payload: CaptureBytes.pattern(30))
        let reader = try CaptureReader(path: try directory.write("snaplen.pcap", bytes))
        var lengths: [[Int]] = []
        try reader.forEachPacket { packet in
            lengths.append([packet.captureLength, packet.wireLength, Int(packet.byteOffset ?? -1)])
            #expect(Array(packet.bytes) == CaptureBytes.pattern(packet.captureLength))
        }
        #expect(lengths == [[64, 100, 24], [30, 30, 140]])
        #expect(reader.recordsTruncatedToSnaplen == 1)
    }

    @Test func captureLengthAboveSnaplenIsRejectedOnRequest() throws {
        let bytes =
            CaptureBytes.pcapHeader(snaplen: 64)
            + CaptureBytes.pcapRecord(seconds: 1, fraction: 0, payload: CaptureBytes.pattern(100))
        let (path, error) = try failure("snaplen-strict.pcap", bytes, oversizedRecords: .reject)
        #expect(error.kind == .invalidCaptureLength)
        #expect(
            error.description
                == "\(path): packet 1 at byte offset 24: captured length 100 is larger than the snapshot length 64")
    }

    @Test func captureLengthAbove256KiB() throws {
        let bytes =
            CaptureBytes.pcapHeader(snaplen: 0x7FFF_FFFF)
            + CaptureBytes.pcapRecord(seconds: 1, fraction: 0, payload: [], captureLength: 300_000)
        let (path, error) = try failure("huge.pcap", bytes)
        #expect(error.kind == .invalidCaptureLength)
        #expect(
            error.description
                == "\(path): packet 1 at byte offset 24: invalid packet capture length 300000, bigger than maximum of 262144"
        )
    }

    @Test func captureLengthAboveWireLength() throws {
        let bytes =
            CaptureBytes.pcapHeader()
            + CaptureBytes.pcapRecord(seconds: 1, fraction: 0, payload: CaptureBytes.pattern(8))
            + CaptureBytes.pcapRecord(seconds: 1, fraction: 0, payload: CaptureBytes.pattern(100), wireLength: 60)
        let (path, error) = try failure("wire.pcap", bytes)
        #expect(error.kind == .invalidCaptureLength)
        #expect(error.packetIndex == 1)
        #expect(
            error.description
                == "\(path): packet 2 at byte offset 48: captured length 100 is larger than the wire length 60")
    }

    @Test func captureLengthZeroIsAnEmptyPacket() throws {
        let bytes =
            CaptureBytes.pcapHeader()
            + CaptureBytes.pcapRecord(seconds: 5, fraction: 0, payload: [], wireLength: 60)
        let reader = try CaptureReader(path: try directory.write("zero.pcap", bytes))
        let packet = try #require(try reader.next())
        #expect(packet.captureLength == 0)
        #expect(packet.bytes.isEmpty)
        #expect(packet.wireLength == 60)
        #expect(try reader.next() == nil)
    }

    // MARK: Valid files and timestamps

    @Test(arguments: [false, true])
    func microsecondPcap(bigEndian: Bool) throws {
        let fractions: [UInt32] = [1, 999_999, 500_000]
        var bytes = CaptureBytes.pcapHeader(linkType: 228, bigEndian: bigEndian)
        for (i, fraction) in fractions.enumerated() {
            bytes += CaptureBytes.pcapRecord(
                seconds: 1_700_000_000 + UInt32(i), fraction: fraction,
                payload: CaptureBytes.pattern(20 + i, start: UInt8(i)), wireLength: 1500, bigEndian: bigEndian)
        }
        let reader = try CaptureReader(path: try directory.write("usec-\(bigEndian).pcap", bytes))
        #expect(reader.format == .pcap)
        #expect(reader.linkType == .ipv4)
        #expect(reader.linkTypeName == "IPV4")
        #expect(reader.snaplen == 65_535)
        var seen: [(Int64, Int, Int)] = []
        try reader.forEachPacket { packet in
            seen.append((packet.timestampNanoseconds, packet.captureLength, packet.wireLength))
            #expect(Array(packet.bytes) == CaptureBytes.pattern(20 + packet.index, start: UInt8(packet.index)))
        }
        #expect(seen.map(\.0) == [1_700_000_000_000_001_000, 1_700_000_001_999_999_000, 1_700_000_002_500_000_000])
        #expect(seen.map(\.1) == [20, 21, 22])
        #expect(seen.map(\.2) == [1500, 1500, 1500])
    }

    @Test func nanosecondPcap() throws {
        let bytes =
            CaptureBytes.pcapHeader(magic: CaptureBytes.nanosecondMagic)
            + CaptureBytes.pcapRecord(seconds: 1_700_000_000, fraction: 123_456_789, payload: CaptureBytes.pattern(14))
            + CaptureBytes.pcapRecord(seconds: 1_700_000_001, fraction: 1, payload: CaptureBytes.pattern(14))
        let reader = try CaptureReader(path: try directory.write("nsec.pcap", bytes))
        var stamps: [String] = []
        try reader.forEachPacket { stamps.append($0.timestamp.epochSeconds + " " + $0.timestamp.timeOfDay) }
        #expect(stamps == ["1700000000.123456789 22:13:20.123456789", "1700000001.000000001 22:13:21.000000001"])
    }

    @Test(arguments: [
        (UInt8(9), UInt64(1_700_000_000_123_456_789), Int64(1_700_000_000_123_456_789)),
        (UInt8(6), UInt64(1_700_000_000_123_456), Int64(1_700_000_000_123_456_000)),
    ])
    func minimalPcapng(tsresol: UInt8, firstTimestamp: UInt64, expectedNanoseconds: Int64) throws {
        let bytes =
            CaptureBytes.pcapngSectionHeader()
            + CaptureBytes.pcapngInterface(linkType: 1, snaplen: 9000, tsresol: tsresol)
            + CaptureBytes.pcapngEnhancedPacket(timestamp: firstTimestamp, payload: CaptureBytes.pattern(60))
            + CaptureBytes.pcapngEnhancedPacket(
                timestamp: firstTimestamp + 1, payload: CaptureBytes.pattern(61), wireLength: 1514)
        let reader = try CaptureReader(path: try directory.write("minimal-\(tsresol).pcapng", bytes))
        #expect(reader.format == .pcapng)
        #expect(reader.linkType == .ethernet)
        #expect(reader.snaplen == 9000)
        var seen: [(Int64, Int, Int, Int64?)] = []
        try reader.forEachPacket {
            seen.append(($0.timestampNanoseconds, $0.captureLength, $0.wireLength, $0.byteOffset))
        }
        let step: Int64 = tsresol == 9 ? 1 : 1000
        #expect(seen.map(\.0) == [expectedNanoseconds, expectedNanoseconds + step])
        #expect(seen.map(\.1) == [60, 61])
        #expect(seen.map(\.2) == [60, 1514])
        // libpcap consumes the SHB (28 bytes) and the IDB (32) while opening.
        #expect(seen.map(\.3) == [60, 152])
    }

    // MARK: Streams

    @Test func readsFromAPipe() throws {
        let bytes =
            CaptureBytes.pcapHeader(magic: CaptureBytes.nanosecondMagic, bigEndian: true)
            + CaptureBytes.pcapRecord(seconds: 10, fraction: 20, payload: CaptureBytes.pattern(42), bigEndian: true)
        let reader = try CaptureReader(stream: try Self.pipeStream(bytes), name: "pipe")
        #expect(reader.format == .pcap)
        let packet = try #require(try reader.next())
        #expect(packet.timestampNanoseconds == 10_000_000_020)
        #expect(packet.byteOffset == nil)
        #expect(Array(packet.bytes) == CaptureBytes.pattern(42))
        #expect(try reader.next() == nil)
    }

    @Test func pipeErrorsHaveNoOffset() throws {
        let bytes =
            CaptureBytes.pcapHeader()
            + CaptureBytes.pcapRecord(seconds: 1, fraction: 0, payload: CaptureBytes.pattern(100)).prefix(50)
        let reader = try CaptureReader(stream: try Self.pipeStream(bytes), name: "-")
        let error = try #require(throws: CaptureError.self) { try reader.next() }
        #expect(error.byteOffset == nil)
        #expect(
            error.description == "stdin: packet 1: truncated dump file; tried to read 100 captured bytes, only got 34")
    }

    @Test func reservedLinkTypeBitsOnAPipe() throws {
        // No header peek on a pipe: the check relies on pcap_datalink, which
        // libpcap 1.10 reports unmasked (newer libpcap rejects the file itself).
        let error = try #require(throws: CaptureError.self) {
            try CaptureReader(stream: try Self.pipeStream(CaptureBytes.pcapHeader(linkType: 0x0030_0000)), name: "pipe")
        }
        #expect(error.kind == .malformedFileHeader)
        #expect(error.description.hasPrefix("pipe: "))
    }

    @Test func dashReadsStandardInput() throws {
        let bytes =
            CaptureBytes.pcapngSectionHeader() + CaptureBytes.pcapngInterface(tsresol: 9)
            + CaptureBytes.pcapngEnhancedPacket(timestamp: 7, payload: CaptureBytes.pattern(60))
        let pipe = try Self.pipeDescriptor(bytes)
        let saved = dup(STDIN_FILENO)
        dup2(pipe, STDIN_FILENO)
        close(pipe)
        defer {
            dup2(saved, STDIN_FILENO)
            close(saved)
        }
        let reader = try CaptureReader(path: "-")
        #expect(reader.format == .pcapng)
        #expect(reader.path == "-")
        let packet = try #require(try reader.next())
        #expect(packet.timestampNanoseconds == 7)
        #expect(try reader.next() == nil)
    }

    /// A read descriptor for a pipe holding `bytes` (small enough to fit the
    /// pipe buffer), with the write end closed.
    static func pipeDescriptor(_ bytes: [UInt8]) throws -> Int32 {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        let written = bytes.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
        close(fds[1])
        try #require(written == bytes.count)
        return fds[0]
    }

    static func pipeStream(_ bytes: [UInt8]) throws -> UnsafeMutablePointer<FILE> {
        try #require(fdopen(try pipeDescriptor(bytes), "rb"))
    }
}
