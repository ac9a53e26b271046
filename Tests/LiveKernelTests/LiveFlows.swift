import SampleKit
import TestSupport

/// Captures built with SampleKit for `skbsim verify --live`: every frame
/// with correct IPv4 header and TCP checksums (the builders compute them).
enum LiveFlows {
    /// A pcap (LINKTYPE_ETHERNET) of `frames`, 10 µs apart.
    static func pcap(_ frames: [[UInt8]]) -> [UInt8] {
        var w = PcapWriter(linkType: 1, precision: .nanoseconds)
        for (k, f) in frames.enumerated() { w.append(f, timestamp: 1_700_000_000_000_000_000 + UInt64(k) * 10_000) }
        return w.bytes
    }

    /// Flow `k` between the test hosts: IPv4 (or IPv6) client port 40000 + k.
    static func flow(_ k: Int, ipv6: Bool = false, vlan: UInt16? = nil) -> TCPFlow {
        let server: IPAddress =
            ipv6 ? .v6(IPv6Address(high: 0x2001_0db8_0000_0000, low: 2)) : .v4(TestHosts.server4)
        return TCPFlow(
            client: .init(
                mac: TestHosts.clientMAC, address: ipv6 ? .v6(TestHosts.client6) : .v4(TestHosts.client4),
                port: UInt16(40000 + k)),
            server: .init(mac: TestHosts.serverMAC, address: server, port: 443),
            clientISN: 0x1000_0000 &+ UInt32(k) &* 0x0100_0000,
            vlanTags: vlan.map { [VLANTag(vid: $0)] } ?? [])
    }

    /// `flows` bulk flows interleaved segment by segment (more flows than
    /// GRO's MAX_GRO_SKBS per bucket when > 8), each `segments` full
    /// segments long, PSH on every `pushEvery`-th, the server's ACK every
    /// 4 segments. `ipv6`: IPv6 instead of IPv4.
    static func interleaved(
        flows count: Int, segments: Int, pushEvery: Int = 7, ipv6: Bool = false, vlan: UInt16? = nil
    ) -> [[UInt8]] {
        var flows = (0..<count).map { flow($0, ipv6: ipv6, vlan: vlan) }
        var frames: [[UInt8]] = []
        for k in flows.indices { frames += flows[k].handshake() }
        for s in 0..<segments {
            for k in flows.indices {
                let payload = TCPFlow.pattern(count: flows[k].segmentPayload, seed: UInt32(s * 64 + k))
                frames.append(flows[k].send(payload, from: .clientToServer, push: (s + 1) % pushEvery == 0))
                if s % 4 == 3 { frames.append(flows[k].acknowledge(from: .serverToClient)) }
            }
        }
        for k in flows.indices { frames += flows[k].close(from: .clientToServer) }
        return frames
    }

    /// One flow whose segments change what GRO compares: the timestamp
    /// option's value moves on (a new millisecond) every 5 segments, a
    /// short segment every 9, and every 11th pair is sent out of order.
    static func irregular(ipv6: Bool = false) -> [[UInt8]] {
        var f = flow(3, ipv6: ipv6)
        var frames = f.handshake()
        var k = 0
        while k < 60 {
            if k % 5 == 4 { f.now += 1_000_000 }
            let size = k % 9 == 8 ? 300 + k : f.segmentPayload
            if k % 11 == 10 {
                let a = f.send(TCPFlow.pattern(count: f.segmentPayload, seed: UInt32(k)), from: .clientToServer)
                let b = f.send(TCPFlow.pattern(count: f.segmentPayload, seed: UInt32(k + 1)), from: .clientToServer)
                frames += [b, a]
                k += 2
                continue
            }
            frames.append(f.send(TCPFlow.pattern(count: size, seed: UInt32(k)), from: .clientToServer))
            k += 1
        }
        frames += f.close(from: .clientToServer)
        return frames
    }

    /// UDP datagrams (no UDP GRO socket: GRO passes them up unmerged) whose
    /// Ethernet frames are `lengths` bytes long: the sizes around
    /// `tun_can_build_skb`'s page limit (3456), `tun_alloc_skb`'s linear
    /// limit (PAGE_SIZE − NET_SKB_PAD: 4031/4032) and its page orders.
    static func udpFrames(lengths: [Int]) -> [[UInt8]] {
        lengths.enumerated().map { k, length in
            Packet(
                link: .ethernet(EthernetHeader(destination: TestHosts.serverMAC, source: TestHosts.clientMAC)),
                network: .ipv4(
                    IPv4Header(
                        source: TestHosts.client4, destination: TestHosts.server4, identification: UInt16(k),
                        dontFragment: true)),
                transport: .udp(UDPHeader(sourcePort: 40000, destinationPort: 5000)),
                payload: TCPFlow.pattern(count: length - 42, seed: UInt32(k))
            ).encode()
        }
    }

    /// `frames` with every IPv4 packet's ID set to `id` (the header checksum
    /// recomputed): a sender with fixed IDs (DF set, as TCPFlow's are).
    static func fixedIPv4ID(_ frames: [[UInt8]], id: UInt16 = 0) -> [[UInt8]] {
        frames.map { frame in
            var f = frame
            var ip = 14
            while ip + 2 <= f.count, f[ip - 2] == 0x81, f[ip - 1] == 0x00 { ip += 4 }
            guard ip + 20 <= f.count, f[ip - 2] == 0x08, f[ip - 1] == 0x00 else { return f }
            let ihl = Int(f[ip] & 0x0f) * 4
            f[ip + 4] = UInt8(id >> 8)
            f[ip + 5] = UInt8(id & 0xff)
            f[ip + 10] = 0
            f[ip + 11] = 0
            var sum = InternetChecksum()
            sum.add(f[ip..<ip + ihl])
            f[ip + 10] = UInt8(sum.value >> 8)
            f[ip + 11] = UInt8(sum.value & 0xff)
            return f
        }
    }
}
