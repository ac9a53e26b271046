import KernelProbe

/// One skb delivered after GRO, as both sides report it: the bytes from
/// the network header on (the kernel's packet tap has the MAC header
/// pushed back; the model's skb has it pulled), `skb->len` from there and
/// `skb->truesize`.
struct DeliveredSkb {
    /// `skb->protocol` (after VLAN untagging on the kernel's side).
    var protocolType: UInt16
    /// The first bytes from the network header.
    var network: [UInt8]
    /// `skb->len` from the network header.
    var length: Int
    var truesize: Int
    /// The model's skb shape (nil for the kernel's: a packet tap does not show it).
    var shape: String?

    /// A kernel delivery: the 14-byte Ethernet header comes first.
    init(kernel d: LiveDelivery) {
        protocolType = d.head.count >= 14 ? UInt16(d.head[12]) << 8 | UInt16(d.head[13]) : 0
        network = Array(d.head.dropFirst(14))
        length = d.length - 14
        truesize = d.truesize
    }

    init(protocolType: UInt16, network: [UInt8], length: Int, truesize: Int, shape: String?) {
        self.protocolType = protocolType
        self.network = network
        self.length = length
        self.truesize = truesize
        self.shape = shape
    }

    /// The poll marker `Verify` writes first in each poll.
    var isPollMarker: Bool {
        protocolType == LivePollMarker.etherType && network.starts(with: LivePollMarker.magic)
    }

    /// The flow (addresses, protocol, ports) and, for TCP, the first sequence number.
    var flowAndSequence: (flow: String, sequence: UInt32?) {
        let b = network
        func u16(_ o: Int) -> Int { o + 1 < b.count ? Int(b[o]) << 8 | Int(b[o + 1]) : 0 }
        func u32(_ o: Int) -> UInt32? {
            o + 3 < b.count
                ? UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3]) : nil
        }
        var proto = -1
        var src = ""
        var dst = ""
        var l4 = 0
        switch protocolType {
        case 0x0800 where b.count >= 20:
            src = b[12..<16].map(String.init).joined(separator: ".")
            dst = b[16..<20].map(String.init).joined(separator: ".")
            proto = Int(b[9])
            l4 = Int(b[0] & 0x0f) * 4
            // A fragment past the first carries no ports.
            if u16(6) & 0x1fff != 0 { return ("IPv4 \(src) > \(dst) proto \(proto) fragments", nil) }
        case 0x86dd where b.count >= 40:
            func v6(_ o: Int) -> String {
                stride(from: o, to: o + 16, by: 2).map { String(u16($0), radix: 16) }.joined(separator: ":")
            }
            src = "[" + v6(8) + "]"
            dst = "[" + v6(24) + "]"
            proto = Int(b[6])
            l4 = 40
        default:
            return ("ethertype 0x" + String(protocolType, radix: 16), nil)
        }
        let name = proto == 6 ? "TCP" : proto == 17 ? "UDP" : "proto \(proto)"
        guard proto == 6 || proto == 17, l4 + 4 <= b.count else { return ("\(name) \(src) > \(dst)", nil) }
        let flow = "\(name) \(src):\(u16(l4)) > \(dst):\(u16(l4 + 2))"
        return (flow, proto == 6 ? u32(l4 + 4) : nil)
    }

    /// One line for a difference report.
    func describe() -> String {
        let seq = flowAndSequence.sequence.map { " seq \($0)" } ?? ""
        return "len \(length)\(seq) truesize \(truesize)" + (shape.map { " (\($0))" } ?? "")
    }
}

/// The frame `Verify` writes at the start of each NAPI poll: an EtherType
/// no protocol handles (IEEE 802 local experimental, 0x88B5), so GRO
/// passes it up unheld (`dev_gro_receive` finds no offload: GRO_NORMAL)
/// and the stack drops it after the packet tap saw it.
enum LivePollMarker {
    static let etherType: UInt16 = 0x88b5
    static let magic = Array("skbsim-poll".utf8)

    static func frame(_ index: Int) -> [UInt8] {
        var f: [UInt8] = [0x02, 0x73, 0x6b, 0x62, 0x00, 0x00, 0x02, 0x73, 0x6b, 0x62, 0x00, 0x01, 0x88, 0xb5]
        f += magic
        f += withUnsafeBytes(of: UInt32(index).bigEndian, Array.init)
        while f.count < 60 { f.append(0) }
        return f
    }
}

/// Kernel and model deliveries side by side, per flow.
struct LiveComparison {
    struct Flow {
        var name: String
        var kernel: [DeliveredSkb] = []
        var model: [DeliveredSkb] = []
        var packetsAgree = 0
        var truesizesAgree = 0
    }

    struct Difference {
        var flow: String
        var position: Int
        var kernel: DeliveredSkb?
        var model: DeliveredSkb?
    }

    var flows: [Flow] = []
    var differences: [Difference] = []
    var kernelCount = 0
    var modelCount = 0

    init(kernel: [DeliveredSkb], model: [DeliveredSkb]) {
        var index: [String: Int] = [:]
        func add(_ d: DeliveredSkb, kernelSide: Bool) {
            if d.isPollMarker { return }
            let name = d.flowAndSequence.flow
            if index[name] == nil {
                index[name] = flows.count
                flows.append(Flow(name: name))
            }
            let k = index[name] ?? 0
            if kernelSide { flows[k].kernel.append(d) } else { flows[k].model.append(d) }
        }
        for d in kernel { add(d, kernelSide: true) }
        for d in model { add(d, kernelSide: false) }
        for k in flows.indices {
            let f = flows[k]
            kernelCount += f.kernel.count
            modelCount += f.model.count
            for p in 0..<max(f.kernel.count, f.model.count) {
                let a = p < f.kernel.count ? f.kernel[p] : nil
                let b = p < f.model.count ? f.model[p] : nil
                var same = false
                if let a, let b, a.length == b.length, a.flowAndSequence.sequence == b.flowAndSequence.sequence {
                    flows[k].packetsAgree += 1
                    same = a.truesize == b.truesize
                    if same { flows[k].truesizesAgree += 1 }
                }
                if !same { differences.append(Difference(flow: f.name, position: p, kernel: a, model: b)) }
            }
        }
    }

    var packetsAgree: Int { flows.reduce(0) { $0 + $1.packetsAgree } }
    var truesizesAgree: Int { flows.reduce(0) { $0 + $1.truesizesAgree } }
    /// Skbs either side delivered (the larger count per flow).
    var total: Int { flows.reduce(0) { $0 + max($1.kernel.count, $1.model.count) } }
}
