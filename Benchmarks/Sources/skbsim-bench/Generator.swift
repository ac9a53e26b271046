import SampleKit

#if canImport(Glibc)
    import Glibc
#endif

/// What `CaptureGenerator.write` produced.
struct GeneratedCapture {
    var path: String
    var packets: Int
    var bytesOnDisk: Int
    var capturedBytes: Int
    /// Packets of at most 100 bytes, exactly 1514 bytes, and in between.
    var small = 0, full = 0, medium = 0
    /// TCP bulk-flow packets (data segments and their ACKs).
    var bulk = 0
}

/// Deterministic generator of a large Ethernet/IPv4 pcap (nanosecond
/// timestamps, snaplen 262144), written through an 8 MiB buffer.
///
/// Mix, per packet drawn from a seeded SplitMix64:
/// - 60 %: the TCP bulk stream: 8 flows (handshake first), trains of 8...64
///   packets from one flow at a time, each train a repeating D D A pattern of
///   1514-byte data segments (1448-byte payload, timestamps) and 66-byte pure
///   ACKs, with consistent sequence/ack numbers, IP IDs and TSvals (GRO-able).
///   That is 40 % of all packets at 1514 B and 20 % at 66 B.
/// - 20 %: UDP frames of 60...100 bytes (so 40 % are <= 100 B in all);
/// - 20 %: UDP frames of 101...1513 bytes.
/// Every checksum is valid. Frames are built once by SampleKit as templates;
/// per packet the generator copies a template and, for TCP, patches the
/// sequence numbers and recomputes the IP and TCP checksums.
struct CaptureGenerator {
    static let flows = 8

    private var rng: Rng
    private let udpTemplates: [[UInt8]]  // index = frame length - 60
    private var bulk: [BulkFlow]
    private var current = 0
    private var trainLeft = 0
    private var clock: UInt64 = 1_700_000_000_000_000_000

    init(seed: UInt64) {
        rng = Rng(seed: seed)
        let client = MACAddress(0x02_00_00_00_00_01)
        let server = MACAddress(0x02_00_00_00_00_02)
        udpTemplates = (60...1513).map { length in
            Packet(
                link: .ethernet(EthernetHeader(destination: server, source: client)),
                network: .ipv4(IPv4Header(source: IPv4Address(10, 0, 0, 1), destination: IPv4Address(10, 0, 0, 2))),
                transport: .udp(UDPHeader(sourcePort: 40000, destinationPort: 5353)),
                payload: TCPFlow.pattern(count: length - 42, seed: UInt32(length))
            ).encode()
        }
        bulk = (0..<Self.flows).map { i in
            BulkFlow(
                TCPFlow(
                    client: .init(
                        mac: client, address: .v4(IPv4Address(10, 0, 1, UInt8(i + 1))), port: UInt16(50000 + i)),
                    server: .init(mac: server, address: .v4(IPv4Address(10, 0, 2, 1)), port: 443)))
        }
    }

    /// Writes `packets` records to `path`.
    static func write(path: String, packets: Int, seed: UInt64 = 0x5EED_5EB) -> GeneratedCapture {
        var generator = CaptureGenerator(seed: seed)
        let out = BufferedFile(path: path)
        var header = [UInt8]()
        header.appendLE(UInt32(0xA1B2_3C4D))  // nanosecond pcap
        header.appendLE(UInt16(2))
        header.appendLE(UInt16(4))
        header.appendLE(UInt32(0))
        header.appendLE(UInt32(0))
        header.appendLE(UInt32(262_144))
        header.appendLE(UInt32(1))  // LINKTYPE_ETHERNET
        header.withUnsafeBytes { out.append($0) }
        var result = GeneratedCapture(path: path, packets: 0, bytesOnDisk: 0, capturedBytes: 0)
        // Handshakes first, so that the bulk flows are established ones.
        for i in 0..<flows {
            for frame in generator.bulk[i].flow.handshake() where result.packets < packets {
                generator.emit(frame, out, &result)
            }
        }
        while result.packets < packets {
            let r = generator.rng.next() % 100
            if r < 60 {
                generator.emitBulk(out, &result)
                result.bulk += 1
            } else {
                let length = r < 80 ? 60 + Int(generator.rng.next() % 41) : 101 + Int(generator.rng.next() % 1413)
                generator.emit(generator.udpTemplates[length - 60], out, &result)
            }
        }
        out.close()
        result.bytesOnDisk = out.written
        return result
    }

    private mutating func nextTimestamp() -> UInt64 {
        clock += 1 + rng.next() % 2000
        return clock
    }

    private mutating func emit(_ frame: [UInt8], _ out: BufferedFile, _ result: inout GeneratedCapture) {
        frame.withUnsafeBytes { bytes in
            let record = out.reserve(16 + bytes.count)
            writeRecordHeader(record, timestamp: nextTimestamp(), length: bytes.count)
            (record + 16).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        }
        count(frame.count, &result)
    }

    private func count(_ length: Int, _ result: inout GeneratedCapture) {
        result.packets += 1
        result.capturedBytes += length
        if length <= 100 { result.small += 1 } else if length == 1514 { result.full += 1 } else { result.medium += 1 }
    }

    private mutating func emitBulk(_ out: BufferedFile, _ result: inout GeneratedCapture) {
        if trainLeft == 0 {
            current = (current + 1) % Self.flows
            trainLeft = 8 + Int(rng.next() % 57)
        }
        trainLeft -= 1
        let timestamp = nextTimestamp()
        let length = bulk[current].emit(into: out, timestamp: timestamp)
        count(length, &result)
    }
}

/// One established TCP bulk flow: server sends full segments, client ACKs
/// every second one.
struct BulkFlow {
    var flow: TCPFlow
    private var data: [UInt8] = []
    private var ack: [UInt8] = []
    private var step = 0
    private var serverSeq: UInt32 = 0
    private var clientSeq: UInt32 = 0
    private var serverID: UInt16 = 0
    private var clientID: UInt16 = 0
    private var tsval: UInt32 = 0

    init(_ flow: TCPFlow) { self.flow = flow }

    mutating func emit(into out: BufferedFile, timestamp: UInt64) -> Int {
        if data.isEmpty {
            // Templates from the flow after its handshake.
            serverSeq = flow.serverNext
            clientSeq = flow.clientNext
            data = flow.send(TCPFlow.pattern(count: flow.segmentPayload, seed: 7), from: .serverToClient)
            ack = flow.acknowledge(from: .clientToServer)
            serverID = 0x4000
            clientID = 0x1000
            tsval = 2_000_000
        }
        let isData = step != 2
        step = (step + 1) % 3
        let template = isData ? data : ack
        let record = out.reserve(16 + template.count)
        writeRecordHeader(record, timestamp: timestamp, length: template.count)
        let frame = record + 16
        template.withUnsafeBytes { frame.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        tsval &+= 1
        if isData {
            patchTCP(
                frame, count: template.count, ipID: serverID, seq: serverSeq, ack: clientSeq, tsval: tsval,
                tsecr: tsval &- 1)
            serverID &+= 1
            serverSeq &+= UInt32(flow.segmentPayload)
        } else {
            patchTCP(
                frame, count: template.count, ipID: clientID, seq: clientSeq, ack: serverSeq, tsval: tsval,
                tsecr: tsval &- 1)
            clientID &+= 1
        }
        return template.count
    }
}

/// Rewrites IP ID, sequence, acknowledgment and timestamp option of an
/// Ethernet/IPv4/TCP frame (timestamps as NOP NOP TS) and recomputes both checksums.
func patchTCP(
    _ frame: UnsafeMutableRawPointer, count: Int, ipID: UInt16, seq: UInt32, ack: UInt32, tsval: UInt32, tsecr: UInt32
) {
    let ip = frame + 14
    let ihl = Int(ip.load(fromByteOffset: 0, as: UInt8.self) & 0x0F) * 4
    let tcp = ip + ihl
    let tcpLength = count - 14 - ihl
    ip.storeBytes(of: ipID.bigEndian, toByteOffset: 4, as: UInt16.self)
    ip.storeBytes(of: UInt16(0), toByteOffset: 10, as: UInt16.self)
    ip.storeBytes(
        of: checksum(UnsafeRawBufferPointer(start: ip, count: ihl), initial: 0).bigEndian, toByteOffset: 10,
        as: UInt16.self)
    tcp.storeBytes(of: seq.bigEndian, toByteOffset: 4, as: UInt32.self)
    tcp.storeBytes(of: ack.bigEndian, toByteOffset: 8, as: UInt32.self)
    precondition(tcp.load(fromByteOffset: 22, as: UInt8.self) == 8, "expected NOP NOP TS options")
    tcp.storeBytes(of: tsval.bigEndian, toByteOffset: 24, as: UInt32.self)
    tcp.storeBytes(of: tsecr.bigEndian, toByteOffset: 28, as: UInt32.self)
    tcp.storeBytes(of: UInt16(0), toByteOffset: 16, as: UInt16.self)
    // Pseudo-header: source, destination, zero, protocol, TCP length.
    var pseudo: UInt64 = 6 + UInt64(tcpLength)
    for offset in stride(from: 12, to: 20, by: 2) {
        pseudo += UInt64(UInt16(bigEndian: ip.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }
    let sum = checksum(UnsafeRawBufferPointer(start: tcp, count: tcpLength), initial: pseudo)
    tcp.storeBytes(of: sum.bigEndian, toByteOffset: 16, as: UInt16.self)
}

/// The Internet checksum (RFC 1071) of `bytes` plus an initial partial sum.
func checksum(_ bytes: UnsafeRawBufferPointer, initial: UInt64) -> UInt16 {
    var sum = initial
    var i = 0
    let n = bytes.count
    while i + 1 < n {
        sum += UInt64(UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt16.self)))
        i += 2
    }
    if i < n { sum += UInt64(bytes[i]) << 8 }
    while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
    return ~UInt16(sum)
}

func writeRecordHeader(_ record: UnsafeMutableRawPointer, timestamp: UInt64, length: Int) {
    record.storeBytes(
        of: UInt32(truncatingIfNeeded: timestamp / 1_000_000_000).littleEndian, toByteOffset: 0, as: UInt32.self)
    record.storeBytes(of: UInt32(timestamp % 1_000_000_000).littleEndian, toByteOffset: 4, as: UInt32.self)
    record.storeBytes(of: UInt32(length).littleEndian, toByteOffset: 8, as: UInt32.self)
    record.storeBytes(of: UInt32(length).littleEndian, toByteOffset: 12, as: UInt32.self)
}

/// SplitMix64.
struct Rng {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// An `fopen`ed file written through a large buffer; `reserve` hands out
/// space in the buffer, flushing first when it is full.
final class BufferedFile {
    static let capacity = 8 << 20
    private let file: UnsafeMutablePointer<FILE>
    private let buffer = UnsafeMutableRawPointer.allocate(byteCount: BufferedFile.capacity, alignment: 16)
    private var used = 0
    private(set) var written = 0

    init(path: String) {
        guard let file = fopen(path, "wb") else {
            fatalError("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        self.file = file
    }

    func reserve(_ count: Int) -> UnsafeMutableRawPointer {
        precondition(count <= Self.capacity)
        if used + count > Self.capacity { flush() }
        defer { used += count }
        return buffer + used
    }

    func append(_ bytes: UnsafeRawBufferPointer) {
        reserve(bytes.count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
    }

    private func flush() {
        guard used > 0 else { return }
        guard fwrite(buffer, 1, used, file) == used else {
            fatalError("write failed: \(String(cString: strerror(errno)))")
        }
        written += used
        used = 0
    }

    func close() {
        flush()
        fclose(file)
        buffer.deallocate()
    }
}

extension [UInt8] {
    mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
