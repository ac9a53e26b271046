import SampleKit

/// The tests' own view of an untagged Ethernet frame's TCP/UDP checksum,
/// computed with SampleKit's byte-wise RFC 1071 `InternetChecksum` (the
/// reference; the model sums its own way, `CsumPartial`). IPv4 without
/// options or IPv6 without extension headers only.
public enum TransportChecksum {
    /// Where the segment is: IP header at 14, transport header, its length,
    /// protocol, the checksum field's offset; nil when not TCP/UDP.
    static func layout(_ f: [UInt8]) -> (th: Int, length: Int, proto: UInt8, field: Int)? {
        guard f.count >= 14 + 40 else { return nil }
        let v6 = f[12] == 0x86 && f[13] == 0xDD
        guard v6 || (f[12] == 0x08 && f[13] == 0x00 && f[14] == 0x45) else { return nil }
        let proto = v6 ? f[14 + 6] : f[14 + 9]
        guard proto == 6 || proto == 17 else { return nil }
        let th = v6 ? 54 : 34
        let length = v6 ? (Int(f[18]) << 8 | Int(f[19])) : (Int(f[16]) << 8 | Int(f[17])) - 20
        return (th, length, proto, th + (proto == 6 ? 16 : 6))
    }

    /// The reference checksum over the segment and pseudo-header (with the
    /// checksum field as it is): 0 when the frame's checksum is right.
    public static func residue(_ f: [UInt8]) -> UInt16? {
        guard let l = layout(f) else { return nil }
        var sum = InternetChecksum()
        let v6 = f[12] == 0x86
        sum.add(f[(v6 ? 22 : 26)..<(v6 ? 54 : 34)])  // source and destination addresses
        if v6 {
            sum.add([0, 0, UInt8(l.length >> 8), UInt8(l.length & 0xFF), 0, 0, 0, l.proto])
        } else {
            sum.add([0, l.proto, UInt8(l.length >> 8), UInt8(l.length & 0xFF)])
        }
        sum.add(f[l.th..<l.th + l.length])
        return sum.value
    }

    /// Whether the frame's TCP/UDP checksum is right (nil: not TCP/UDP).
    public static func isRight(_ f: [UInt8]) -> Bool? { residue(f).map { $0 == 0 } }

    /// Set the checksum field so that the checksum is right (after the test
    /// edited the segment).
    public static func fix(_ f: inout [UInt8]) {
        guard let l = layout(f) else { return }
        f[l.field] = 0
        f[l.field + 1] = 0
        guard let r = residue(f) else { return }
        f[l.field] = UInt8(r >> 8)
        f[l.field + 1] = UInt8(r & 0xFF)
    }

    /// Put what a capture on the sending host shows with TX checksum
    /// offload into the checksum field: the pseudo-header sum alone, folded
    /// and not complemented (`~tcp_v4_check(len, saddr, daddr, 0)`).
    public static func offloaded(_ f: inout [UInt8]) {
        guard let l = layout(f) else { return }
        var sum = InternetChecksum()
        let v6 = f[12] == 0x86
        sum.add(f[(v6 ? 22 : 26)..<(v6 ? 54 : 34)])
        sum.add(
            v6
                ? [0, 0, UInt8(l.length >> 8), UInt8(l.length & 0xFF), 0, 0, 0, l.proto]
                : [0, l.proto, UInt8(l.length >> 8), UInt8(l.length & 0xFF)])
        let folded = ~sum.value
        f[l.field] = UInt8(folded >> 8)
        f[l.field + 1] = UInt8(folded & 0xFF)
    }

    /// Flip one payload byte (the last of the segment): the checksum is
    /// then wrong, the headers untouched.
    public static func corrupt(_ f: inout [UInt8]) {
        guard let l = layout(f) else { return }
        f[l.th + l.length - 1] ^= 0x5A
    }
}

/// Frames for the checksum tests: a bulk TCP flow (IPv4 or IPv6) whose data
/// segment `corrupt` (1-based; nil: none) carries a wrong checksum, and
/// single UDP datagrams.
public enum ChecksumFrames {
    /// Handshake, `segments` full data segments server → client (no PSH,
    /// no ACKs in between), FIN. `data`: the frame index of each data
    /// segment, in order.
    public static func tcpFlow(v6: Bool, segments: Int, corrupt: Int?) -> (frames: [[UInt8]], data: [Int]) {
        var f =
            v6
            ? TCPFlow(
                client: .init(mac: TestHosts.clientMAC, address: .v6(TestHosts.client6), port: 51000),
                server: .init(
                    mac: TestHosts.serverMAC, address: .v6(IPv6Address(high: 0x2001_0db8_0000_0001, low: 2)), port: 443),
                timestamps: false)
            : TestHosts.bulkFlow()
        var frames = f.handshake()
        var data: [Int] = []
        for n in 1...segments {
            var frame = f.send(TCPFlow.pattern(count: f.segmentPayload, seed: UInt32(n)), from: .serverToClient)
            if n == corrupt { TransportChecksum.corrupt(&frame) }
            data.append(frames.count)
            frames.append(frame)
        }
        frames += f.close(from: .serverToClient)
        return (frames, data)
    }

    /// One UDP datagram of `payload` bytes client → server (port 53).
    public static func udp(v6: Bool, payload: Int, seed: UInt32 = 1) -> [UInt8] {
        let network: NetworkHeader =
            v6
            ? .ipv6(
                IPv6Header(source: TestHosts.client6, destination: IPv6Address(high: 0x2001_0db8_0000_0001, low: 2)))
            : .ipv4(IPv4Header(source: TestHosts.client4, destination: TestHosts.server4))
        return Packet(
            link: .ethernet(EthernetHeader(destination: TestHosts.serverMAC, source: TestHosts.clientMAC)),
            network: network, transport: .udp(UDPHeader(sourcePort: 40000, destinationPort: 53)),
            payload: TCPFlow.pattern(count: payload, seed: seed)
        ).encode()
    }

    /// A classic pcap of `frames`, 10 µs apart.
    public static func pcap(_ frames: [[UInt8]]) -> [UInt8] {
        var w = PcapWriter(linkType: 1)
        for (k, frame) in frames.enumerated() {
            w.append(frame, timestamp: 1_700_000_000_000_000_000 + UInt64(k) * 10_000)
        }
        return w.bytes
    }
}
