import Capture
import SkbModel
import Testing

/// `RSSHash` against the published values of Microsoft's RSS verification
/// suite ("Verifying the RSS Hash Calculation"; the same tables are in the
/// 82599 datasheet §7.1.2.8.3 and DPDK's `app/test/test_thash.c`): the
/// reference is those constants, not a second implementation.
@Suite("RSS Toeplitz hash")
struct RSSHashTests {
    /// (destination, destination port, source, source port, IPv4 hash, IPv4+TCP hash)
    static let ipv4: [([UInt8], UInt16, [UInt8], UInt16, UInt32, UInt32)] = [
        ([161, 142, 100, 80], 1766, [66, 9, 149, 187], 2794, 0x323e_8fc2, 0x51cc_c178),
        ([65, 69, 140, 83], 4739, [199, 92, 111, 2], 14230, 0xd718_262a, 0xc626_b0ea),
        ([12, 22, 207, 184], 38024, [24, 19, 198, 95], 12898, 0xd2d0_a5de, 0x5c2b_394a),
        ([209, 142, 163, 6], 2217, [38, 27, 205, 30], 48228, 0x8298_9176, 0xafc7_327f),
        ([202, 188, 127, 2], 1303, [153, 39, 163, 191], 44251, 0x5d18_09c5, 0x10e8_28a2),
    ]

    /// (destination, destination port, source, source port, IPv6 hash, IPv6+TCP hash)
    static let ipv6: [([UInt8], UInt16, [UInt8], UInt16, UInt32, UInt32)] = [
        (
            v6("3ffe:2501:0200:0003:0000:0000:0000:0001"), 1766, v6("3ffe:2501:0200:1fff:0000:0000:0000:0007"), 2794,
            0x2cc1_8cd5, 0x4020_7d3d
        ),
        (
            v6("ff02:0000:0000:0000:0000:0000:0000:0001"), 4739, v6("3ffe:0501:0008:0000:0260:97ff:fe40:efab"), 14230,
            0x0f0c_461c, 0xdde5_1bbf
        ),
        (
            v6("fe80:0000:0000:0000:0200:f8ff:fe21:67cf"), 38024, v6("3ffe:1900:4545:0003:0200:f8ff:fe21:67cf"), 44251,
            0x4b61_e985, 0x02d1_feef
        ),
    ]

    static func v6(_ text: String) -> [UInt8] {
        text.split(separator: ":").flatMap { g -> [UInt8] in
            let v = UInt16(g, radix: 16)!
            return [UInt8(v >> 8), UInt8(v & 0xff)]
        }
    }

    static func be(_ port: UInt16) -> [UInt8] { [UInt8(port >> 8), UInt8(port & 0xff)] }

    static func hash(_ input: [UInt8], _ rss: RSSHash = RSSHash()!) -> UInt32 {
        input.withUnsafeBytes { rss.toeplitz($0) }
    }

    static func frameHash(_ frame: [UInt8], _ linkType: LinkType = .ethernet) -> UInt32? {
        frame.withUnsafeBytes { RSSHash()!.hash(frame: $0, linkType: linkType) }
    }

    /// An Ethernet frame: `tags` 802.1Q tags, then IPv4 or IPv6 (by address
    /// length) with protocol `proto` and the two ports.
    static func frame(
        source: [UInt8], destination: [UInt8], sport: UInt16, dport: UInt16, proto: UInt8 = 6,
        fragmentField: UInt16 = 0x4000, tags: Int = 0
    ) -> [UInt8] {
        var f: [UInt8] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]
        for _ in 0..<tags { f += [0x81, 0x00, 0x00, 0x07] }
        let l4 = be(sport) + be(dport) + [UInt8](repeating: 0, count: proto == 6 ? 16 : 4)
        if source.count == 4 {
            f += [0x08, 0x00]
            let total = UInt16(20 + l4.count)
            f += [0x45, 0] + be(total) + [0, 1] + be(fragmentField) + [64, proto, 0, 0] + source + destination
        } else {
            f += [0x86, 0xdd]
            f += [0x60, 0, 0, 0] + be(UInt16(l4.count)) + [proto, 64] + source + destination
        }
        return f + l4
    }

    @Test func microsoftIPv4AndTCP() {
        for (dst, dport, src, sport, ip, tcp) in Self.ipv4 {
            #expect(Self.hash(src + dst) == ip, "IPv4 \(src) → \(dst)")
            #expect(Self.hash(src + dst + Self.be(sport) + Self.be(dport)) == tcp, "IPv4/TCP \(src):\(sport)")
        }
    }

    @Test func microsoftIPv6AndTCP() {
        for (dst, dport, src, sport, ip, tcp) in Self.ipv6 {
            #expect(Self.hash(src + dst) == ip, "IPv6 \(src) → \(dst)")
            #expect(Self.hash(src + dst + Self.be(sport) + Self.be(dport)) == tcp, "IPv6/TCP \(src):\(sport)")
        }
    }

    /// The fields the NIC takes from a frame: 4-tuple for TCP and UDP, the
    /// addresses for fragments and other protocols, none for non-IP.
    @Test func inputFieldsFromFrames() {
        for (dst, dport, src, sport, ip, tcp) in Self.ipv4 + Self.ipv6 {
            let f = Self.frame(source: src, destination: dst, sport: sport, dport: dport)
            #expect(Self.frameHash(f) == tcp)
            #expect(
                Self.frameHash(Self.frame(source: src, destination: dst, sport: sport, dport: dport, proto: 17)) == tcp)
            #expect(
                Self.frameHash(Self.frame(source: src, destination: dst, sport: sport, dport: dport, tags: 2)) == tcp)
            // ICMP (v4) / no next header (v6): the addresses only.
            let other = Self.frame(
                source: src, destination: dst, sport: sport, dport: dport, proto: src.count == 4 ? 1 : 59)
            #expect(Self.frameHash(other) == ip)
            if src.count == 4 {
                // MF set, or a non-zero offset: the addresses only.
                #expect(
                    Self.frameHash(
                        Self.frame(source: src, destination: dst, sport: sport, dport: dport, fragmentField: 0x2000))
                        == ip)
                #expect(
                    Self.frameHash(
                        Self.frame(source: src, destination: dst, sport: sport, dport: dport, fragmentField: 0x0010))
                        == ip)
                // The same packet captured without its link layer (DLT_RAW).
                #expect(Self.frameHash(Array(f.dropFirst(14)), .raw) == tcp)
            }
        }
        let arp: [UInt8] =
            [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06] + [UInt8](repeating: 0, count: 28)
        #expect(Self.frameHash(arp) == nil)
        // An IPv4 header cut short: no hash.
        #expect(
            Self.frameHash(
                Array(Self.frame(source: [1, 2, 3, 4], destination: [5, 6, 7, 8], sport: 1, dport: 2).prefix(30)))
                == nil)
    }

    @Test func keyFromHex() {
        let hex = RSSHash.microsoftVerificationKey.map { String(format2($0)) }.joined(separator: ":")
        #expect(RSSHash(hex: hex)?.key == RSSHash.microsoftVerificationKey)
        #expect(RSSHash(hex: "6d5a56da") == nil)
        #expect(RSSHash(hex: String(repeating: "zz", count: 40)) == nil)
        #expect(RSSHash()!.keyHex == "6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa")
        // Another key, another hash.
        let other = RSSHash(key: [UInt8](repeating: 0x6d, count: 40))!
        #expect(Self.hash([66, 9, 149, 187, 161, 142, 100, 80], other) != 0x323e_8fc2)
    }

    func format2(_ b: UInt8) -> String { (b < 16 ? "0" : "") + String(b, radix: 16) }

    /// `ethtool_rxfh_indir_default`: entry i is i % queues.
    @Test func indirectionTable() {
        let t = RSSIndirectionTable(queues: 3)
        #expect(t.entries.count == 128)
        #expect(t.entries.prefix(7) == [0, 1, 2, 0, 1, 2, 0])
        #expect(t.entries[127] == 1)
        #expect(t.queue(hash: 0x51cc_c178) == Int(0x51cc_c178 & 127) % 3)
        #expect(RSSIndirectionTable(queues: 1).entries.allSatisfy { $0 == 0 })
    }
}
