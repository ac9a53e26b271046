import Capture
import KernelMemory
import SampleKit
import TestSupport
import Testing

@testable import SkbModel

/// Frames through `receive` + `napi_gro_receive`, collecting delivered
/// skbs; a poll ends every `budget` packets (nil: only the final flush).
struct GRORun {
    let sim: SkbSim
    let driver: RxDriver
    let napi: Napi
    let budget: Int?
    var delivered: [SkbID] = []
    /// Truesize of each packet's skb as the driver built it, by packet index.
    var truesize: [Int: Int] = [:]

    init(
        path: RxPath, gro: GROOptions, budget: Int? = 64, headerSplit: Bool = false,
        checksum: RxChecksumMode = .verify
    ) {
        var o = RxDriverOptions(path: path)
        o.copybreakHeaderSplit = headerSplit
        o.checksum = checksum
        sim = SkbSim()
        driver = RxDriver(sim: sim, options: o)
        napi = Napi(sim: sim, gro: gro, budget: budget ?? 64)
        self.budget = budget
    }

    mutating func run(_ frames: [[UInt8]], linkType: LinkType = .ethernet) throws {
        for (index, frame) in frames.enumerated() {
            sim.beginPacket(index: index, timestampNanoseconds: Int64(index) * 12_000)
            let skb = try #require(
                try frame.withUnsafeBytes { b throws(SkbError) in try driver.receive(bytes: b, linkType: linkType) })
            truesize[index] = Int(try sim.skb(skb).truesize)
            try napi.napi_gro_receive(skb) { delivered.append($0) }
            if budget != nil && napi.pollWorkDone() { try napi.napi_complete_done { delivered.append($0) } }
        }
        try napi.napi_gro_flush { delivered.append($0) }
    }

    /// Free everything delivered; the memory must be clean.
    func finish() throws {
        for skb in delivered { try sim.consume_skb(skb) }
        #expect(sim.liveCount == 0)
        #expect(sim.memory.checker.reports.isEmpty)
        try sim.memory.expectNoLeaks()
    }
}

enum GROFlows {
    /// tcp-bulk.pcap's shape: handshake, request, `segments` full segments
    /// (PSH every `pshEvery`, ACK every 2nd), FIN close. `drop` omits data
    /// segments by number (1-based) after they are generated (a seq gap).
    static func bulk(
        segments: Int = 256, pshEvery: Int = 16, acks: Bool = true, mtu: Int = 1500,
        timestamps: Bool = false, drop: Set<Int> = []
    ) -> (frames: [[UInt8]], data: [Int], payloads: [Int: [UInt8]]) {
        var f = TestHosts.bulkFlow(mtu: mtu, timestamps: timestamps)
        var frames = f.handshake()
        frames.append(f.send(Array("GET /large HTTP/1.1\r\n\r\n".utf8), from: .clientToServer, push: true))
        var data: [Int] = []
        var payloads: [Int: [UInt8]] = [:]
        for n in 1...segments {
            let payload = TCPFlow.pattern(count: f.segmentPayload, seed: UInt32(n))
            let frame = f.send(payload, from: .serverToClient, push: pshEvery > 0 && n % pshEvery == 0)
            if !drop.contains(n) {
                payloads[frames.count] = payload
                data.append(frames.count)
                frames.append(frame)
            }
            if acks && n % 2 == 0 { frames.append(f.acknowledge(from: .clientToServer)) }
        }
        frames += f.close(from: .serverToClient)
        return (frames, data, payloads)
    }

    /// Reference batching for a flow whose data segments all merge: a batch
    /// ends on PSH (`tcp_gro_receive` out_check_final), at the end of every
    /// `budget`-packet poll, and at the end. Returns batches of packet indices.
    static func batches(_ frames: [[UInt8]], data: [Int], budget: Int) -> [[Int]] {
        let dataSet = Set(data)
        var out: [[Int]] = []
        var cur: [Int] = []
        for i in frames.indices {
            if dataSet.contains(i) {
                cur.append(i)
                let h = HeaderDecoder.decode(frames[i], linkType: .ethernet)
                if h.tcp!.flags.contains(.psh) {
                    out.append(cur)
                    cur = []
                }
            }
            if budget > 0 && (i + 1) % budget == 0 && !cur.isEmpty {
                out.append(cur)
                cur = []
            }
        }
        if !cur.isEmpty { out.append(cur) }
        return out
    }
}
