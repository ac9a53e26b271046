import Capture
import KernelMemory
import SampleKit
import TestSupport
import Testing

@testable import SkbModel

/// `skb_vlan_untag` as `__netif_receive_skb_core` runs it: the outer tag
/// leaves the data (into vlan_proto/vlan_tci), the addresses move up by 4,
/// protocol becomes the encapsulated one; an inner tag stays in-band.
@Suite struct VlanUntagTests {
    func frame(tags: [VLANTag]) -> [UInt8] {
        Packet(
            link: .ethernet(
                EthernetHeader(destination: TestHosts.serverMAC, source: TestHosts.clientMAC, vlanTags: tags)),
            network: .ipv4(IPv4Header(source: TestHosts.client4, destination: TestHosts.server4)),
            transport: .udp(UDPHeader(sourcePort: 1, destinationPort: 2)), payload: [1, 2, 3]
        ).encode()
    }

    func untag(_ bytes: [UInt8]) throws -> (SkbSim, SkbID, SkBuff) {
        let sim = SkbSim()
        var o = RxDriverOptions()
        o.rxVLANOffload = false  // the tag stays in the frame for skb_vlan_untag
        let driver = RxDriver(sim: sim, options: o)
        let skb = try #require(
            try bytes.withUnsafeBytes { b throws(SkbError) in try driver.receive(bytes: b, linkType: .ethernet) })
        #expect(try driver.hasVLANTag(skb) && sim.skb(skb).protocolType != 0x0800)
        #expect(try sim.skb_vlan_untag(skb))
        return (sim, skb, try sim.skb(skb))
    }

    @Test func singleTag() throws {
        let bytes = frame(tags: [VLANTag(vid: 100, pcp: 5)])
        let (sim, skb, s) = try untag(bytes)
        #expect(s.vlanProto == 0x8100 && s.vlanTCI == 0xa064 && s.protocolType == 0x0800)
        #expect(Int(s.len) == bytes.count - 18 && s.macLen == 14 && s.networkHeader == UInt16(s.data))
        #expect(try sim.bytes(skb) == Array(bytes[18...]))
        // The MAC header, moved up: destination and source, then the tag's EtherType slot.
        let mac = sim.memory.rawBytes(at: s.head + Int(s.macHeader), count: 12)
        #expect(mac == Array(bytes[0..<12]))
        #expect(s.protocolType == 0x0800)
    }

    @Test func innerTagStays() throws {
        let bytes = frame(tags: [.serviceTag(vid: 10), VLANTag(vid: 100)])
        let (sim, skb, s) = try untag(bytes)
        #expect(s.vlanProto == 0x88a8 && s.vlanTCI == 10 && s.protocolType == 0x8100)
        #expect(try sim.bytes(skb) == Array(bytes[18...]))
        #expect(try sim.skb_vlan_untag(skb))  // a tag is present: nothing more
        #expect(try sim.skb(skb).protocolType == 0x8100)
    }
}
