import Foundation
import TestSupport
import Testing

@testable import Capture

/// `ReadAheadReader` against `CaptureReader` on the same files: the same
/// packets (indices, timestamps, lengths, byte offsets, bytes), then the same
/// end or the same error, whatever the batch sizes.
@Suite("read-ahead")
struct ReadAheadTests {
    /// What a consumer can observe of one packet.
    struct Seen: Equatable, CustomStringConvertible {
        var index: Int
        var deliveredIndex: Int
        var timestamp: Int64
        var captureLength: Int
        var wireLength: Int
        var byteOffset: Int64?
        var bytes: [UInt8]

        init(_ p: CapturedPacket) {
            index = p.index
            deliveredIndex = p.deliveredIndex
            timestamp = p.timestampNanoseconds
            captureLength = p.captureLength
            wireLength = p.wireLength
            byteOffset = p.byteOffset
            bytes = Array(p.bytes)
        }

        var description: String {
            "#\(index)/\(deliveredIndex) t=\(timestamp) \(captureLength)/\(wireLength) @\(byteOffset ?? -1)"
        }
    }

    /// A whole run of a source: its packets, how it ended, and whether the
    /// end repeats on the next call (nil again, or the same error).
    struct Outcome: Equatable {
        var packets: [Seen] = []
        var error: CaptureError?
        var endRepeats = false
    }

    static func drain(_ source: some PacketSource, limit: Int = .max) -> Outcome {
        var outcome = Outcome()
        do {
            while outcome.packets.count < limit, let packet = try source.next() {
                outcome.packets.append(Seen(packet))
            }
            if outcome.packets.count < limit { outcome.endRepeats = (try? source.next()) == nil }
        } catch {
            outcome.error = error
            do { _ = try source.next() } catch let again { outcome.endRepeats = again == error }
        }
        return outcome
    }

    /// Tiny to default: one packet per batch, a batch buffer smaller than any
    /// packet (it is raised to the snapshot length), and the default; plus
    /// the synchronous fallback.
    static let sizes: [(ReadAheadOptions, threaded: Bool)] = [
        (ReadAheadOptions(), true),
        (ReadAheadOptions(batchPackets: 1, batchBytes: 1, batches: 2), true),
        (ReadAheadOptions(batchPackets: 3, batchBytes: 200, batches: 3), true),
        (ReadAheadOptions(batchPackets: 7, batchBytes: 1 << 16, batches: 2), false),
    ]

    /// Compares a direct read of `path` with read-ahead reads at every size.
    static func expectSame(_ path: String, filter: String? = nil, open: (() throws -> CaptureReader)? = nil) throws {
        let make = open ?? { try CaptureReader(path: path, filter: filter) }
        let direct = try make()
        let expected = drain(direct)
        #expect(expected.endRepeats, "\(path)")
        for (options, threaded) in sizes {
            let reader = ReadAheadReader(try make(), options: options, threaded: threaded)
            #expect(reader.isThreaded == threaded)
            #expect(reader.linkType == direct.linkType && reader.linkTypeName == direct.linkTypeName)
            #expect(reader.snaplen == direct.snaplen && reader.format == direct.format)
            let got = drain(reader)
            #expect(got.packets.count == expected.packets.count, "\(path) \(options)")
            #expect(got == expected, "\(path) \(options)")
            #expect(reader.packetsDelivered == direct.packetsDelivered)
            #expect(reader.packetsRead == direct.packetsRead)
            #expect(reader.recordsTruncatedToSnaplen == direct.recordsTruncatedToSnaplen)
        }
    }

    @Test func samplesArePresent() {
        #expect(Repository.sampleFiles.count >= 10)
        #expect(Repository.sampleFiles.contains("broken-truncated.pcap"))
    }

    @Test(arguments: Repository.sampleFiles.filter { $0 != "broken-bad-magic.pcap" })
    func sameAsDirectOnSample(name: String) throws {
        try Self.expectSame(Repository.sample(name))
    }

    @Test func truncatedSampleFailsAfterItsGoodPackets() throws {
        let path = Repository.sample("broken-truncated.pcap")
        let outcome = Self.drain(try ReadAheadReader(path: path, options: ReadAheadOptions(batchPackets: 2)))
        let error = try #require(outcome.error)
        #expect(error.kind == .truncatedRecord)
        #expect(error.packetIndex == outcome.packets.count)
        #expect(outcome.endRepeats)
    }

    @Test func openErrorsAreThrownByInit() throws {
        let path = Repository.sample("broken-bad-magic.pcap")
        let direct = #expect(throws: CaptureError.self) { try CaptureReader(path: path) }
        let ahead = #expect(throws: CaptureError.self) { try ReadAheadReader(path: path) }
        #expect(direct != nil && ahead == direct)
        let missing = Repository.sample("absent.pcap")
        #expect(throws: try #require(#expect(throws: CaptureError.self) { try CaptureReader(path: missing) })) {
            try ReadAheadReader(path: missing)
        }
    }

    @Test func filterErrorsAreThrownByInit() throws {
        let path = Repository.sample("tcp-handshake.pcap")
        let direct = try #require(
            #expect(throws: CaptureError.self) { try CaptureReader(path: path, filter: "tcp and and") })
        #expect(direct.kind == .invalidFilter)
        #expect(throws: direct) { try ReadAheadReader(path: path, filter: "tcp and and") }
    }

    @Test func filteredSampleKeepsFileIndices() throws {
        try Self.expectSame(Repository.sample("udp-dns.pcap"), filter: "udp port 53")
        try Self.expectSame(Repository.sample("tcp-bulk.pcap"), filter: "tcp[tcpflags] & tcp-push != 0")
    }

    // MARK: Hand-made damage, across batch boundaries

    /// `good` records of varied sizes, then `tail` (damage).
    static func capture(good: Int, tail: [UInt8]) -> [UInt8] {
        var bytes = CaptureBytes.pcapHeader(magic: CaptureBytes.nanosecondMagic)
        for i in 0..<good {
            let size = 14 + (i * 37) % 1500
            bytes += CaptureBytes.pcapRecord(
                seconds: UInt32(i), fraction: UInt32(i * 1000 + 1),
                payload: CaptureBytes.pattern(size, start: UInt8(truncatingIfNeeded: i)),
                wireLength: UInt32(size + i % 3))
        }
        return bytes + tail
    }

    @Test(arguments: [0, 1, 2, 3, 6, 7, 255, 256, 257, 1000])
    func truncatedRecordBodySurfacesAtTheSamePacket(good: Int) throws {
        let directory = try TemporaryDirectory()
        let truncated = CaptureBytes.pcapRecord(seconds: 9, fraction: 0, payload: CaptureBytes.pattern(100)).prefix(
            16 + 40)
        let path = try directory.write("body.pcap", Self.capture(good: good, tail: Array(truncated)))
        try Self.expectSame(path)
        let outcome = Self.drain(try ReadAheadReader(path: path))
        #expect(outcome.packets.count == good)
        #expect(outcome.error?.packetIndex == good)
        #expect(outcome.error?.kind == .truncatedRecord)
    }

    @Test(arguments: [0, 5, 256, 513])
    func truncatedRecordHeaderAndInvalidLength(good: Int) throws {
        let directory = try TemporaryDirectory()
        try Self.expectSame(try directory.write("header.pcap", Self.capture(good: good, tail: [1, 0, 0])))
        // caplen > wire length: a length error from the reader's own checks.
        let bad = CaptureBytes.pcapRecord(seconds: 1, fraction: 0, payload: CaptureBytes.pattern(50), wireLength: 20)
        try Self.expectSame(try directory.write("length.pcap", Self.capture(good: good, tail: bad + bad)))
    }

    @Test func pipeInput() throws {
        let bytes = Self.capture(
            good: 40,
            tail: Array(CaptureBytes.pcapRecord(seconds: 1, fraction: 0, payload: CaptureBytes.pattern(100)).prefix(30))
        )
        // No byte offsets on a pipe; the same error after the same packets.
        try Self.expectSame(
            "pipe", open: { try CaptureReader(stream: try HandMadeCaptureTests.pipeStream(bytes), name: "-") })
        let outcome = Self.drain(
            ReadAheadReader(try CaptureReader(stream: try HandMadeCaptureTests.pipeStream(bytes), name: "-")))
        #expect(outcome.packets.count == 40 && outcome.packets.allSatisfy { $0.byteOffset == nil })
        #expect(outcome.error?.description.hasPrefix("stdin: packet 41: truncated dump file") == true)
    }

    /// Consumers of different speeds, so that batches are filled by the
    /// reader thread and, when it is not at it, by the consumer itself.
    @Test func slowAndFastConsumersSeeTheSamePackets() throws {
        let directory = try TemporaryDirectory()
        let bytes = Self.capture(good: 2000, tail: [1, 0, 0])
        let path = try directory.write("mixed.pcap", bytes)
        let expected = Self.drain(try CaptureReader(path: path))
        var consumerFills = 0
        for round in 0..<24 {
            let reader = try ReadAheadReader(
                path: path,
                options: ReadAheadOptions(batchPackets: 1 + round % 4, batchBytes: 4096, batches: 2 + round % 3))
            var outcome = Outcome()
            do {
                while let packet = try reader.next() {
                    outcome.packets.append(Seen(packet))
                    // Every few packets, give the reader thread time to run.
                    if round % 2 == 1 && packet.index % 97 == 0 { usleep(200) }
                }
            } catch {
                outcome.error = error
                do { _ = try reader.next() } catch let again { outcome.endRepeats = again == error }
            }
            #expect(outcome == expected, "round \(round)")
            consumerFills += reader.batchesReadByConsumer
        }
        // Not asserted (it depends on scheduling): how often the consumer read.
        print("read-ahead stress: \(consumerFills) batches read by the consumer")
    }

    @Test func synchronousModeReadsEveryBatchOnTheConsumer() throws {
        let path = Repository.sample("tcp-bulk.pcap")
        let reader = ReadAheadReader(
            try CaptureReader(path: path), options: ReadAheadOptions(batchPackets: 10), threaded: false)
        let packets = Self.drain(reader).packets.count
        #expect(packets > 0 && reader.batchesReadByConsumer == (packets + 9) / 10 + (packets % 10 == 0 ? 1 : 0))
    }

    // MARK: Headers decoded on the reader thread

    /// With `decodeHeaders`, every packet's `decodedHeaders` is what
    /// `HeaderDecoder` gives on the consumer's side, at every batch size and
    /// with the consumer filling batches itself; without it, and from a
    /// `CaptureReader`, there are none.
    @Test(arguments: [1, 7, 256])
    func decodedHeadersMatchTheDecoder(batchPackets: Int) throws {
        for name in Repository.sampleFiles where !name.hasPrefix("broken-") {
            let path = Repository.sample(name)
            for threaded in [true, false] {
                let reader = ReadAheadReader(
                    try CaptureReader(path: path),
                    options: ReadAheadOptions(batchPackets: batchPackets, batches: 2, decodeHeaders: true),
                    threaded: threaded)
                #expect(reader.decodedHeaders == nil)
                var count = 0
                while let packet = try reader.next() {
                    let decoded = try #require(reader.decodedHeaders, "\(name) #\(packet.index)")
                    #expect(
                        decoded.pointee == HeaderDecoder.decode(packet.bytes, linkType: reader.linkType),
                        "\(name) #\(packet.index)")
                    count += 1
                }
                #expect(count > 0)
            }
            let plain = ReadAheadReader(try CaptureReader(path: path))
            _ = try plain.next()
            #expect(plain.decodedHeaders == nil)
            let direct = try CaptureReader(path: path)
            _ = try direct.next()
            #expect(direct.decodedHeaders == nil)
        }
    }

    // MARK: Early stop

    /// Stopping early joins the reader thread: it drops its reference to the
    /// ring when it exits, so the ring is gone once the reader is.
    @Test(arguments: [0, 1, 300, 2999])
    func earlyStopEndsTheThread(after count: Int) throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("many.pcap", Self.capture(good: 3000, tail: []))
        weak var ring: ReadAheadRing?
        do {
            let reader = try ReadAheadReader(path: path, options: ReadAheadOptions(batchPackets: 16, batches: 3))
            ring = reader.ring
            let outcome = Self.drain(reader, limit: count)
            #expect(outcome.packets.count == count)
            #expect(outcome.packets.last.map { $0.index == count - 1 } ?? true)
            #expect(reader.packetsDelivered == count)
        }
        #expect(ring == nil)
    }

    @Test func forEachPacketLimitMatchesDirect() throws {
        let path = Repository.sample("tcp-bulk.pcap")
        var direct: [Int] = []
        var ahead: [Int] = []
        let n = try CaptureReader(path: path).forEachPacket(limit: 100) { direct.append($0.index) }
        let m = try (ReadAheadReader(path: path, options: ReadAheadOptions(batchPackets: 32)) as any PacketSource)
            .forEachPacket(limit: 100) { ahead.append($0.index) }
        #expect(n == 100 && m == 100 && ahead == direct)
    }

    // MARK: libpcap's corpus

    static var corpusFiles: [String] {
        guard let directory = Corpus.directory else { return [] }
        let top = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }
        return (top + Corpus.filterFiles.map { "filter/" + $0 }).sorted()
    }

    @Test(.enabled(if: Corpus.available, Corpus.skipReason), arguments: corpusFiles)
    func sameAsDirectOnCorpus(name: String) throws {
        let path = Corpus.path(name)
        // Files libpcap refuses: the same open error.
        let direct: CaptureReader
        do { direct = try CaptureReader(path: path) } catch {
            #expect(throws: error) { try ReadAheadReader(path: path) }
            return
        }
        _ = direct
        try Self.expectSame(path)
    }

    @Test(
        .enabled(if: Corpus.available, Corpus.skipReason),
        arguments: [
            ("gateway_or_not.pcap", "icmp"), ("arcnet-rfc1201-arp-icmp-http.pcap", "tcp"),
            ("AH-IPcomp-IPv6.pcap", "ip6"),
        ])
    func sameAsDirectOnCorpusWithFilter(name: String, filter: String) throws {
        try Self.expectSame(Corpus.path("filter/" + name), filter: filter)
    }

    @Test(.enabled(if: Corpus.available, Corpus.skipReason))
    func oversizedRecordRejectedOnRequest() throws {
        let path = Corpus.path("filter/slip-sliplink_print-oobr.pcap")
        try Self.expectSame(path, open: { try CaptureReader(path: path, oversizedRecords: .reject) })
    }
}
