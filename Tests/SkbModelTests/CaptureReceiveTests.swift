import Capture
import Foundation
import KernelMemory
import TestSupport
import Testing

@testable import SkbModel

/// Capture → skb on every committed sample, every RxPath: the driver model,
/// then eth_type_trans (net/ethernet/eth.c) and the header offsets the
/// receive path sets; everything freed without leaks.
@Suite struct CaptureReceiveTests {
    static let samples = Repository.sampleFiles.filter { !$0.hasPrefix("broken-bad-magic") }

    static let cases: [(String, RxPath)] = samples.flatMap { s in RxPath.allCases.map { (s, $0) } }

    /// Link-layer bytes eth_type_trans and friends pull.
    /// Where the skb starts in the captured frame and what the receive
    /// pulls: Ethernet keeps its header in the skb and eth_type_trans pulls
    /// ETH_HLEN; a cooked header (16 / 20 bytes) or a null/loop family
    /// (4) is the capture's pseudo-header, not in the skb, which then has
    /// no MAC header (mac_len 0, like raw IP).
    static func layout(_ link: LinkType, _ h: PacketHeaders) -> (pseudo: Int, pull: Int, macLen: Int) {
        guard h.macHeader != nil else { return (0, 0, 0) }
        switch link.dlt {
        case LinkType.ethernet.dlt: return (0, 14, h.macLength)
        case LinkType.linuxSLL.dlt: return (16 + 4 * h.vlanDepth, 0, 0)
        case LinkType.linuxSLL2.dlt: return (20 + 4 * h.vlanDepth, 0, 0)
        case LinkType.null.dlt, LinkType.loop.dlt: return (4, 0, 0)
        default: return (0, 0, 0)
        }
    }

    @Test(arguments: cases)
    func receiveEverySample(_ name: String, _ path: RxPath) throws {
        #expect(!Self.samples.isEmpty)
        let sim = SkbSim()
        let driver = RxDriver(sim: sim)
        let reader = try CaptureReader(path: Repository.sample(name))
        var skbs: [SkbID] = []
        var count = 0
        do {
            _ = try reader.forEachPacket { packet in
                var captured = Array(packet.bytes)
                var h = HeaderDecoder.decode(packet.bytes, linkType: reader.linkType)
                let skb = try #require(try driver.receive(packet, linkType: reader.linkType, path: path))
                let s = try sim.skb(skb)
                // An outer 802.1Q tag is stripped by the NIC (VLAN receive
                // offload, the driver's default; a TAP device has none): the
                // skb is the frame without those 4 bytes, the tag in vlan_tci.
                if reader.linkType == .ethernet, !path.isTunWrite, h.vlanDepth > 0, captured[12] == 0x81,
                    captured[13] == 0
                {
                    #expect(s.vlanProto == 0x8100 && s.vlanTCI == UInt16(captured[14]) << 8 | UInt16(captured[15]))
                    captured.removeSubrange(12..<16)
                    h = HeaderDecoder.decode(captured, linkType: .ethernet)
                } else if reader.linkType == .ethernet {
                    #expect(!s.vlanTagPresent)
                }
                let (pseudo, pull, macLen) = Self.layout(reader.linkType, h)
                #expect(try sim.bytes(skb) == Array(captured[(pseudo + pull)...]), "packet \(packet.index)")
                // mac_header = data before the pull; offsets are from head,
                // the decoder's from the captured frame (pseudo-header included).
                let base = Int(s.data) - pull
                if h.macHeader != nil { #expect(Int(s.macHeader) == base) }
                if let n = h.networkHeader { #expect(Int(s.networkHeader) == base + n - pseudo) }
                if let t = h.transportHeader {
                    #expect(Int(s.transportHeader) == base + t - pseudo)
                } else {
                    #expect(s.transportHeader == 0xFFFF)
                }
                #expect(s.protocolType == h.protocolType && s.pktType == h.pktType.rawValue && Int(s.macLen) == macLen)
                #expect(s.packet == Int32(packet.index) && s.timestampNanoseconds == packet.timestampNanoseconds)
                skbs.append(skb)
                count += 1
            }
        } catch let e as CaptureError where name.hasPrefix("broken-") {
            _ = e  // the truncated sample ends with a read error after its good records
        }
        #expect(count > 0)
        for skb in skbs { try sim.consume_skb(skb) }
        #expect(sim.liveCount == 0)
        #expect(sim.memory.checker.reports.isEmpty)
        try sim.memory.expectNoLeaks()
        sim.drainCaches()
        driver.drainRing()
    }

    // Failure injection: fail_page_alloc and failslab make some receives
    // fail; they come back nil (NOMEM drops) and nothing leaks.
    @Test(arguments: RxPath.allCases)
    func failureInjection(_ path: RxPath) throws {
        let sim = SkbSim()
        let driver = RxDriver(sim: sim)
        sim.memory.failSlab.probability = 0.2
        sim.memory.failPageAlloc.probability = 0.5
        sim.memory.failPageAlloc.minOrder = 0
        let reader = try CaptureReader(path: Repository.sample("jumbo-9000.pcap"))
        var skbs: [SkbID] = []
        _ = try reader.forEachPacket { packet in
            if let skb = try driver.receive(packet, linkType: reader.linkType, path: path) { skbs.append(skb) }
        }
        if path == .tunAllocSkb {
            // All GFP_KERNEL (a writing task may sleep): fail_page_alloc and
            // failslab ignore such allocations (ignore-gfp-wait, the default).
            #expect(driver.statistics.rxDropped == 0)
        } else {
            #expect(driver.statistics.rxDropped > 0)
        }
        for skb in skbs { try sim.kfree_skb_reason(skb, sim.reasons.nomem) }
        #expect(sim.memory.checker.reports.isEmpty)
        try sim.memory.expectNoLeaks()
    }
}
