import Capture
import KernelMemory
import Release
import SampleKit
import SkbModel
import TestSupport
import Testing

/// VLAN-tagged frames: the NIC's tag offload, `skb_vlan_untag`,
/// `vlan_do_receive` and the OTHERHOST drop. Expected values come from the
/// frames themselves (the same frame without its tag, the bytes on the
/// wire), not from the model's code.
@Suite struct VLANReceiveTests {
    static func udpFrame(tags: [VLANTag], payload: Int = 100) -> [UInt8] {
        Packet(
            link: .ethernet(
                EthernetHeader(destination: TestHosts.serverMAC, source: TestHosts.clientMAC, vlanTags: tags)),
            network: .ipv4(IPv4Header(source: TestHosts.client4, destination: TestHosts.server4)),
            transport: .udp(UDPHeader(sourcePort: 40000, destinationPort: 53)),
            payload: TCPFlow.pattern(count: payload, seed: 7)
        ).encode()
    }

    /// An ARP request in an 802.1Q tag (VID `vid`).
    static func arpFrame(vid: UInt16) -> [UInt8] {
        var f: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02, 0, 0, 0, 0, 1]
        f += [0x81, 0x00, UInt8(vid >> 8), UInt8(vid & 0xFF), 0x08, 0x06]
        f += [0, 1, 0x08, 0, 6, 4, 0, 1, 0x02, 0, 0, 0, 0, 1, 192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 192, 0, 2, 2]
        return f + [UInt8](repeating: 0, count: 18)
    }

    /// Receives `frame` on a fresh driver (no GRO, no socket).
    static func receive(_ frame: [UInt8], offload: Bool, path: RxPath = .napiAllocSkb) throws -> (SkbSim, SkbID) {
        var o = RxDriverOptions(path: path)
        o.rxVLANOffload = offload
        let sim = SkbSim()
        let driver = RxDriver(sim: sim, options: o)
        sim.beginPacket(index: 0, timestampNanoseconds: 0)
        let skb = try #require(
            try frame.withUnsafeBytes { b throws(SkbError) in try driver.receive(bytes: b, linkType: .ethernet) })
        return (sim, skb)
    }

    /// A run through `PacketRun` (socket, release, checker) of `frames`.
    static func run(
        _ frames: [[UInt8]], offload: Bool = true, devices: VLANDevices = .all, gro: Bool = false
    )
        throws -> RunStatistics
    {
        var o = PacketRunOptions()
        o.driver.rxVLANOffload = offload
        o.vlanDevices = devices
        o.gro = gro
        let run = try PacketRun(options: o)
        for (n, f) in frames.enumerated() {
            run.sim.beginPacket(index: n, timestampNanoseconds: Int64(n) * 1000)
            f.withUnsafeBytes { run.process(bytes: $0, linkType: .ethernet) }
        }
        return run.finish()
    }

    @Test func theNICStripsTheOuterTagBeforeTheSkbIsBuilt() throws {
        let tagged = Self.udpFrame(tags: [VLANTag(vid: 100, pcp: 5)], payload: 1400)
        let untagged = Self.udpFrame(tags: [], payload: 1400)
        let (sim, skb) = try Self.receive(tagged, offload: true)
        let (plainSim, plain) = try Self.receive(untagged, offload: true)
        let s = try sim.skb(skb)
        let p = try plainSim.skb(plain)
        // The skb is the untagged frame's: same length, same memory.
        #expect(s.len == UInt32(untagged.count - 14))
        #expect(s.truesize == p.truesize)
        #expect(s.protocolType == 0x0800)
        #expect(s.macLen == 14)
        #expect(s.vlanProto == 0x8100)
        #expect(s.vlanTCI == 5 << 13 | 100)
        #expect(try sim.bytes(skb) == Array(untagged[14...]))
    }

    @Test func withoutOffloadSkbVlanUntagPopsTheTagInSoftware() throws {
        let tagged = Self.udpFrame(tags: [VLANTag(vid: 100)], payload: 300)
        let (sim, skb) = try Self.receive(tagged, offload: false)
        let before = try sim.skb(skb)
        // eth_type_trans left the tag in the data: protocol 0x8100.
        #expect(before.protocolType == 0x8100)
        #expect(before.len == UInt32(tagged.count - 14))
        #expect(try sim.netifReceiveVLAN(skb, devices: .all) == .viaDevice)
        let after = try sim.skb(skb)
        #expect(after.len == UInt32(tagged.count - 18))
        #expect(after.truesize == before.truesize)
        #expect(after.protocolType == 0x0800)
        #expect(after.vlanTagPresent == false)  // vlan_do_receive cleared it
        #expect(Int(after.macHeader) == Int(before.macHeader) + 4)
        #expect(after.macLen == 14)
        #expect(after.networkHeader == UInt16(after.data))
        // skb_reorder_vlan_header moved the MAC addresses over the tag: the
        // bytes from mac_header on are the untagged frame's.
        let mac = sim.memory.rawBytes(at: after.head + Int(after.macHeader), count: 14 + Int(after.len))
        #expect(mac == Self.udpFrame(tags: [], payload: 300))
    }

    @Test func aVIDWithoutDeviceIsDroppedAsOtherHost() throws {
        let frames = [
            Self.udpFrame(tags: [VLANTag(vid: 100)]), Self.udpFrame(tags: [VLANTag(vid: 200)]),
            Self.udpFrame(tags: [VLANTag(vid: 0, pcp: 3)]), Self.arpFrame(vid: 200),
        ]
        for offload in [true, false] {
            let s = try Self.run(frames, offload: offload, devices: VLANDevices(dot1q: [100]))
            // VID 100 has a device, VID 0 is a priority tag: both delivered.
            #expect(s.delivered == 2)
            #expect(s.dropCount("OTHERHOST") == 1)  // ip_rcv_core
            #expect(s.totalDrops == 1)  // arp_rcv consumes an OTHERHOST frame
            #expect(s.vlan.otherHost == 2)
            #expect(s.vlan.viaDevice == 2)
            #expect(s.vlan.hardwareStripped == (offload ? 4 : 0))
            #expect(s.vlan.inBand == (offload ? 0 : 4))
            #expect(s.verdict.isClean)
        }
        let all = try Self.run(frames)
        #expect(all.delivered == 4)
        #expect(all.totalDrops == 0)
    }

    @Test func qinqOuterServiceTagStaysInTheFrame() throws {
        let frame = Self.udpFrame(tags: [.serviceTag(vid: 10), VLANTag(vid: 100)])
        let (sim, skb) = try Self.receive(frame, offload: true)
        // NETIF_F_HW_VLAN_STAG_RX is off: the 802.1AD tag is not stripped.
        #expect(try sim.skb(skb).protocolType == 0x88A8)
        #expect(try sim.skb(skb).vlanTagPresent == false)
        #expect(try sim.netifReceiveVLAN(skb, devices: .all) == .viaDevice)
        #expect(try sim.skb(skb).len == UInt32(frame.count - 22))
        #expect(try sim.skb(skb).protocolType == 0x0800)

        let outerOnly = try Self.run([frame], devices: VLANDevices(dot1q: [], dot1ad: [10]))
        #expect(outerOnly.dropCount("OTHERHOST") == 1)
        let innerOnly = try Self.run([frame], devices: VLANDevices(dot1q: [100]))
        // No device for the outer tag: OTHERHOST, and the inner tag's type
        // has no protocol handler.
        #expect(innerOnly.dropCount("UNHANDLED_PROTO") == 1)
        #expect(try Self.run([frame]).delivered == 1)
    }

    @Test func groMergesATaggedFlowButNotAcrossVIDs() throws {
        // One TCP stream: segments 1…8 tagged VID 100, 9…16 VID 200 (the
        // sequence numbers continue, so only vlan_all tells them apart).
        var f = TestHosts.bulkFlow()
        var frames: [[UInt8]] = []
        for n in 1...16 {
            f.vlanTags = [VLANTag(vid: n <= 8 ? 100 : 200)]
            frames.append(f.send(TCPFlow.pattern(count: f.segmentPayload, seed: UInt32(n)), from: .serverToClient))
        }
        let s = try Self.run(frames, gro: true)
        #expect(s.delivered == 2)  // gro_list_prepare: p->vlan_all ^ skb->vlan_all
        #expect(s.groMerges == 14)
        #expect(s.verdict.isClean)
        // The same stream untagged is one super-packet.
        var g = TestHosts.bulkFlow()
        let plain = (1...16).map {
            g.send(TCPFlow.pattern(count: g.segmentPayload, seed: UInt32($0)), from: .serverToClient)
        }
        #expect(try Self.run(plain, gro: true).delivered == 1)
        // In-band tags: vlan_gro_receive is not modelled; each frame goes up alone.
        let inBand = try Self.run(Array(frames[0..<8]), offload: false, gro: true)
        #expect(inBand.delivered == 8)
        #expect(inBand.description.contains("not modelled:          GRO of frames with in-band tags"))
    }

    @Test func devicesParseTheCommandLineForms() {
        #expect(VLANDevices(parsing: "all") == .all)
        #expect(VLANDevices(parsing: "none") == VLANDevices.none)
        let list = VLANDevices(parsing: "100,200,ad:300")
        #expect(list?.contains(proto: 0x8100, vid: 200) == true)
        #expect(list?.contains(proto: 0x8100, vid: 300) == false)
        #expect(list?.contains(proto: 0x88A8, vid: 300) == true)
        #expect(VLANDevices(parsing: "4096") == nil)
        #expect(VLANDevices(parsing: "1,,2") == nil)
        #expect(VLANDevices(parsing: "vlan10") == nil)
    }
}
