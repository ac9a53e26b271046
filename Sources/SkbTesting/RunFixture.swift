import Capture
import KernelMemory
import Release
import SkbModel
import Trace

/// A whole packet run set up for a test: a `PacketRun` (rx path, optional
/// GRO, netfilter hooks, the receiving socket, the release pipeline) with an
/// ``SkbEventRecorder`` attached and every delivered skb's geometry recorded.
///
/// Feed it frames (``feed(_:linkType:)-([UInt8],_)``) or a capture
/// (``feed(capture:filter:)``), then ``finish()``: GRO is flushed, the socket
/// drained and closed, the page_frag caches drained and the memory scanned
/// for leaks; the `RunStatistics` that comes back holds the counts and the
/// checker's verdict (``expectClean(_:sourceLocation:)-(RunStatistics,_)``).
///
/// ```swift
/// let run = try RunFixture(rxPath: .netdevAllocSkb, gro: true)
/// run.feed(Self.segments(8))
/// let stats = run.finish()
/// expectClean(stats)
/// #expect(stats.packets == 8)
/// #expect(run.delivered.count == 1)
/// ```
public final class RunFixture {
    /// The packet-run driver; its `sim`, `driver`, `napi`, `pipeline` and
    /// `socket` are the run's.
    public let run: PacketRun
    /// Every event the run emitted.
    public let events: SkbEventRecorder
    /// What `netif_receive_skb` saw, in order: one entry per skb after the rx
    /// path and GRO (a GRO super-packet once, with its merged geometry).
    public private(set) var delivered: [DeliveredSkb] = []
    /// Index the next fed frame gets (captures keep their own numbering).
    private var nextPacket = 0

    /// The simulation the run drives.
    public var sim: SkbSim { run.sim }
    /// The release pipeline every free of the run goes through when the
    /// release order is not the kernel's (add `.custom` stages here).
    public var pipeline: ReleasePipeline { run.pipeline }

    /// A run on `rxPath`, with GRO on or off, `hooks` registered, the
    /// kernel's or the seed's release order; `configure` may change any
    /// other option (kernel config, socket buffer and queue depth, fault
    /// injection, an extra sink or `onDeliver`, ...). Throws when GRO is
    /// requested without an engine.
    public init(
        rxPath: RxPath = .netdevAllocSkb, gro: Bool = false, hooks: [NetfilterHook] = [],
        releaseOrder: ReleaseOrder = .kernel, configure: (inout PacketRunOptions) -> Void = { _ in }
    ) throws(PacketRunError) {
        var options = PacketRunOptions()
        options.rxPath = rxPath
        options.gro = gro
        options.hooks = hooks
        options.releaseOrder = releaseOrder
        configure(&options)
        let recorder = SkbEventRecorder()
        events = recorder
        options.sink = options.sink.map { EventFanout([recorder, $0]) } ?? recorder
        // `delivered` is filled through the run's packet tap; a tap the
        // caller set still runs, after it.
        let box = DeliveredBox()
        let userTap = options.onDeliver
        options.onDeliver = { sim, skb in
            box.append(DeliveredSkb(sim, skb))
            userTap?(sim, skb)
        }
        run = try PacketRun(options: options)
        deliveredBox = box
    }

    private let deliveredBox: DeliveredBox

    /// Receive one frame of `linkType` (a whole frame, as the NIC got it)
    /// as the next packet, then whatever GRO and the socket do with it. The
    /// frame takes the path a captured packet takes: a link type without a
    /// receive model is counted as not modelled (`RunStatistics.notModelled`).
    public func feed(_ frame: [UInt8], linkType: LinkType = .ethernet) {
        let index = nextPacket
        nextPacket += 1
        frame.withUnsafeBytes { bytes in
            // One microsecond apart: timestamps only label events.
            let packet = CapturedPacket(
                index: index, deliveredIndex: index,
                timestamp: CaptureTimestamp(nanosecondsSinceEpoch: Int64(index) * 1000), wireLength: bytes.count,
                bytes: bytes)
            run.process(packet, linkType: linkType)
        }
        syncDelivered()
    }

    /// Receive each frame in order.
    public func feed(_ frames: [[UInt8]], linkType: LinkType = .ethernet) {
        for frame in frames { feed(frame, linkType: linkType) }
    }

    /// Receive every packet of the capture file at `path` (pcap or pcapng,
    /// read through libpcap, optionally filtered with a BPF expression),
    /// exactly as `skbsim stats` does; packets of a link type without a
    /// receive model are counted as not modelled.
    public func feed(capture path: String, filter: String? = nil) throws(CaptureError) {
        let reader = try CaptureReader(path: path, filter: filter)
        let link = reader.linkType
        while let packet = try reader.next() { run.process(packet, linkType: link) }
        syncDelivered()
    }

    /// End the run (idempotent): flush GRO, drain and close the socket,
    /// drain the caches, scan for leaks. The statistics carry the checker's
    /// verdict; `expectClean(_:)` fails a test with its full text.
    @discardableResult
    public func finish() -> RunStatistics {
        let stats = run.finish()
        syncDelivered()
        return stats
    }

    private func syncDelivered() { delivered = deliveredBox.items }
}

/// Reference storage the run's tap appends to (the tap cannot capture the
/// fixture before its init ends).
private final class DeliveredBox {
    var items: [DeliveredSkb] = []
    func append(_ item: DeliveredSkb) { items.append(item) }
}

/// The geometry of one skb as `netif_receive_skb` saw it.
public struct DeliveredSkb: Sendable, Hashable, CustomStringConvertible {
    /// The capture packet (or fed frame) index the skb was built for; a GRO
    /// super-packet carries its first segment's.
    public var packet: Int
    /// `skb->len`: linear plus paged bytes, link header already pulled.
    public var len: Int
    /// `skb->data_len`: bytes in frags and frag_list.
    public var dataLen: Int
    /// `skb_headlen(skb)`.
    public var headlen: Int
    /// `skb->truesize`.
    public var truesize: Int
    /// `skb->protocol` (host order): 0x0800 IPv4, 0x86DD IPv6, ...
    public var protocolType: UInt16
    /// `skb_shinfo(skb)->nr_frags`.
    public var nrFrags: Int
    /// `skb_shinfo(skb)->gso_size`: the MSS of a GRO super-packet, else 0.
    public var gsoSize: Int
    /// `skb_shinfo(skb)->gso_segs`: how many segments GRO merged, else 0 or 1.
    public var gsoSegs: Int
    /// Members of `skb_shinfo(skb)->frag_list`.
    public var fragListCount: Int
    /// `skb->head_frag`: the head is a page fragment.
    public var headFrag: Bool

    /// A snapshot of `skb` now.
    public init(_ sim: SkbSim, _ skb: SkbID) {
        let s = (try? sim.skb(skb)) ?? SkBuff()
        packet = Int(s.packet)
        len = Int(s.len)
        dataLen = Int(s.dataLen)
        headlen = Int(s.headlen)
        truesize = Int(s.truesize)
        protocolType = s.protocolType
        headFrag = s.headFrag
        if let shinfo = try? sim.shinfo(skb) {
            nrFrags = shinfo.nrFrags
            gsoSize = Int(shinfo.gsoSize)
            gsoSegs = Int(shinfo.gsoSegs)
            fragListCount = shinfo.fragList.map { sim.fragListCount($0) } ?? 0
        } else {
            nrFrags = 0
            gsoSize = 0
            gsoSegs = 0
            fragListCount = 0
        }
    }

    public var description: String {
        "packet \(packet): len \(len) (linear \(headlen), paged \(dataLen)), truesize \(truesize), "
            + "nr_frags \(nrFrags), frag_list \(fragListCount), gso_size \(gsoSize), gso_segs \(gsoSegs)"
    }
}
