/// The flows of a run: each distinct 5-tuple gets an id, from 1, in the
/// order its first packet was seen, and per-flow counters (`stats --by flow`).
///
/// Filled by the packet-run driver only when someone asked for flows (a
/// trace sink, `stats --by flow`): with no table the per-packet path does
/// no lookup. Id 0 means "no flow": the table is off or the packet has no
/// IP header.
public final class FlowTable {
    /// A 5-tuple: addresses as 128-bit values, IPv4 as IPv4-mapped
    /// (`::ffff:a.b.c.d`); ports 0 when the protocol has none.
    public struct Key: Hashable, Sendable {
        public var sourceHigh: UInt64
        public var sourceLow: UInt64
        public var destinationHigh: UInt64
        public var destinationLow: UInt64
        public var sourcePort: UInt16
        public var destinationPort: UInt16
        public var ipProtocol: UInt8

        public init(
            sourceHigh: UInt64, sourceLow: UInt64, destinationHigh: UInt64, destinationLow: UInt64,
            sourcePort: UInt16, destinationPort: UInt16, ipProtocol: UInt8
        ) {
            self.sourceHigh = sourceHigh
            self.sourceLow = sourceLow
            self.destinationHigh = destinationHigh
            self.destinationLow = destinationLow
            self.sourcePort = sourcePort
            self.destinationPort = destinationPort
            self.ipProtocol = ipProtocol
        }

        /// An IPv4 5-tuple (host-order addresses).
        public init(
            ipv4Source: UInt32, destination: UInt32, sourcePort: UInt16, destinationPort: UInt16, ipProtocol: UInt8
        ) {
            self.init(
                sourceHigh: 0, sourceLow: 0x0000_FFFF_0000_0000 | UInt64(ipv4Source), destinationHigh: 0,
                destinationLow: 0x0000_FFFF_0000_0000 | UInt64(destination), sourcePort: sourcePort,
                destinationPort: destinationPort, ipProtocol: ipProtocol)
        }

        public var source: String { Self.text(sourceHigh, sourceLow) }
        public var destination: String { Self.text(destinationHigh, destinationLow) }

        /// Dotted quad for an IPv4-mapped address, else eight hex groups
        /// joined by `:` (RFC 4291 2.2 form 1, not compressed).
        static func text(_ high: UInt64, _ low: UInt64) -> String {
            if high == 0 && low >> 32 == 0x0000_FFFF {
                return (0..<4).map { String((low >> (24 - 8 * $0)) & 0xFF) }.joined(separator: ".")
            }
            return (0..<8).map { g in
                let word = g < 4 ? high : low
                return String((word >> (48 - 16 * (g % 4))) & 0xFFFF, radix: 16)
            }.joined(separator: ":")
        }
    }

    /// One flow and what the run did with its packets.
    public struct Flow: Sendable, Equatable {
        public let id: UInt32
        public let key: Key
        /// Captured packets of the flow the model received.
        public internal(set) var packets: UInt64 = 0
        /// skbs of the flow `netif_receive_skb` got (after GRO: a
        /// super-packet counts once).
        public internal(set) var skbs: UInt64 = 0
        /// Sums of `skb->truesize` and `skb->len` of those skbs, as delivered.
        public internal(set) var truesize: UInt64 = 0
        public internal(set) var len: UInt64 = 0
        /// `kfree_skb` drops (not consumes) of the flow's skbs, frag_list members excluded.
        public internal(set) var drops: UInt64 = 0
    }

    private var ids: [Key: UInt32] = [:]
    /// The flows, by id - 1.
    public private(set) var flows: [Flow] = []

    public init() {}

    /// The id of `key`'s flow (created on first sight), counting one packet.
    public func packet(_ key: Key) -> UInt32 {
        if let id = ids[key] {
            flows[Int(id) - 1].packets &+= 1
            return id
        }
        let id = UInt32(flows.count + 1)
        ids[key] = id
        var flow = Flow(id: id, key: key)
        flow.packets = 1
        flows.append(flow)
        return id
    }

    /// The flow with id `id` (from 1); nil for 0 or an unknown id.
    public func flow(_ id: UInt32) -> Flow? {
        id >= 1 && Int(id) <= flows.count ? flows[Int(id) - 1] : nil
    }

    /// Counts an skb of flow `id` reaching `netif_receive_skb`.
    public func delivered(_ id: UInt32, truesize: UInt32, len: UInt32) {
        guard id >= 1 && Int(id) <= flows.count else { return }
        flows[Int(id) - 1].skbs &+= 1
        flows[Int(id) - 1].truesize &+= UInt64(truesize)
        flows[Int(id) - 1].len &+= UInt64(len)
    }

    /// Counts a `kfree_skb` drop of an skb of flow `id`.
    public func dropped(_ id: UInt32) {
        guard id >= 1 && Int(id) <= flows.count else { return }
        flows[Int(id) - 1].drops &+= 1
    }
}
