import SampleKit
import TestSupport

/// Malformed and extreme captures, built byte by byte (pcap/pcapng framing)
/// around packets from SampleKit's builders.
///
/// `expected` is what `skbsim inspect` must do with each; every case is also
/// held to the invariants of `HostileCaptureTests`.
struct HostileCapture: CustomStringConvertible, Sendable {
    enum Expected: Sendable {
        /// Exit 0 with this many packet lines, each containing the matching
        /// string of `lineContains` (when given), and this header line suffix.
        case packets(Int, lineContains: [String] = [], header: String? = nil)
        /// Exit 1 with `skbsim: <file>: <message>` as the only stderr line,
        /// after this many packet lines.
        case fails(String, after: Int)
    }

    var name: String
    var bytes: [UInt8]
    var expected: Expected

    var description: String { name }

    // MARK: Packets

    static let server6 = IPv6Address(high: 0x2001_0db8_0000_0000, low: 2)

    static func ethernet(vlanTags: [VLANTag] = []) -> LinkHeader {
        .ethernet(EthernetHeader(destination: TestHosts.serverMAC, source: TestHosts.clientMAC, vlanTags: vlanTags))
    }

    /// Ethernet, IPv4, TCP SYN: 54 bytes; IPv4 at 14, TCP at 34.
    static func tcpFrame(payload: [UInt8] = []) -> [UInt8] {
        Packet(
            link: ethernet(), network: .ipv4(IPv4Header(source: TestHosts.client4, destination: TestHosts.server4)),
            transport: .tcp(TCPHeader(sourcePort: 51000, destinationPort: 443, sequenceNumber: 1, flags: .syn)),
            payload: payload
        ).encode()
    }

    static func udpFrame(payloadLength: Int, vlanTags: [VLANTag] = []) -> [UInt8] {
        Packet(
            link: ethernet(vlanTags: vlanTags),
            network: .ipv4(IPv4Header(source: TestHosts.client4, destination: TestHosts.server4)),
            transport: .udp(UDPHeader(sourcePort: 40000, destinationPort: 53)),
            payload: (0..<payloadLength).map { UInt8(truncatingIfNeeded: $0) }
        ).encode()
    }

    /// IPv4 header length field 15 (60 bytes) in a frame that ends 20 bytes
    /// after the IPv4 header starts.
    static var ihlPastEnd: [UInt8] {
        var frame = Array(tcpFrame().prefix(34))
        frame[14] = 0x4F
        return frame
    }

    /// TCP data offset 15 (60 bytes) with only the 20-byte fixed header there.
    static var tcpOffsetPastEnd: [UInt8] {
        var frame = tcpFrame()
        frame[34 + 12] = 0xF0
        return frame
    }

    /// Ethernet, IPv6 with `count` destination-options headers, each
    /// pointing at another one, so the chain runs off the end of the packet.
    static func ipv6ChainToEnd(count: Int) -> [UInt8] {
        var ip: [UInt8] = [0x60, 0, 0, 0]
        ip += be16(UInt16(8 * count)) + [60, 64]  // payload length, next header, hop limit
        ip += server6.bytes + TestHosts.client6.bytes
        for _ in 0..<count { ip += [60, 0, 1, 4, 0, 0, 0, 0] }  // next 60, 8 bytes, PadN
        return TestHosts.serverMAC.bytes + TestHosts.clientMAC.bytes + [0x86, 0xDD] + ip
    }

    // MARK: Byte helpers

    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
    static func u16(_ v: UInt16, big: Bool = false) -> [UInt8] { big ? be16(v) : Array(be16(v).reversed()) }
    static func u32(_ v: UInt32, big: Bool = false) -> [UInt8] {
        let b: [UInt8] = [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
        return big ? b : b.reversed()
    }

    // MARK: pcap

    static func pcapHeader(
        magic: UInt32 = 0xA1B2_C3D4, snaplen: UInt32 = 262_144, linkType: UInt32 = 1,
        big: Bool = false
    ) -> [UInt8] {
        u32(magic, big: big) + u16(2, big: big) + u16(4, big: big) + u32(0) + u32(0)
            + u32(snaplen, big: big) + u32(linkType, big: big)
    }

    static func pcapRecord(
        _ packet: [UInt8], second: UInt32 = 1_767_225_600, caplen: UInt32? = nil,
        wireLength: UInt32? = nil, big: Bool = false
    ) -> [UInt8] {
        let caplen = caplen ?? UInt32(packet.count)
        return u32(second, big: big) + u32(250_000, big: big) + u32(caplen, big: big)
            + u32(wireLength ?? caplen, big: big) + packet
    }

    static func pcap(
        _ packets: [[UInt8]], snaplen: UInt32 = 262_144, big: Bool = false,
        magic: UInt32 = 0xA1B2_C3D4
    ) -> [UInt8] {
        packets.reduce(pcapHeader(magic: magic, snaplen: snaplen, big: big)) { $0 + pcapRecord($1, big: big) }
    }

    // MARK: pcapng

    static func block(
        _ type: UInt32, _ body: [UInt8], big: Bool = false, length: UInt32? = nil,
        trailer: UInt32? = nil
    ) -> [UInt8] {
        let padded = body + [UInt8](repeating: 0, count: (4 - body.count % 4) % 4)
        let total = UInt32(12 + padded.count)
        return u32(type, big: big) + u32(length ?? total, big: big) + padded + u32(trailer ?? length ?? total, big: big)
    }

    static func sectionHeader(big: Bool = false) -> [UInt8] {
        block(
            0x0A0D_0D0A,
            u32(0x1A2B_3C4D, big: big) + u16(1, big: big) + u16(0, big: big) + [UInt8](repeating: 0xFF, count: 8),
            big: big)
    }

    static func interface(linkType: UInt16 = 1, snaplen: UInt32 = 262_144, big: Bool = false) -> [UInt8] {
        block(1, u16(linkType, big: big) + u16(0) + u32(snaplen, big: big), big: big)
    }

    /// Enhanced Packet Block; microsecond timestamps (no if_tsresol).
    static func enhancedPacket(
        _ packet: [UInt8], interface: UInt32 = 0, big: Bool = false,
        length: UInt32? = nil, trailer: UInt32? = nil
    ) -> [UInt8] {
        let body =
            u32(interface, big: big) + u32(0x0006_4A5B, big: big) + u32(0x1234_5678, big: big)
            + u32(UInt32(packet.count), big: big) + u32(UInt32(packet.count), big: big) + packet
        return block(6, body, big: big, length: length, trailer: trailer)
    }

    static var pcapngStart: [UInt8] { sectionHeader() + interface() }

    // MARK: The corpus

    static var all: [HostileCapture] {
        let frame = tcpFrame()
        let good = pcap([frame])
        let header = pcapHeader()
        var cases: [HostileCapture] = [
            // pcap file header
            .init(
                name: "header-0-bytes.pcap", bytes: [],
                expected: .fails("truncated dump file; tried to read 4 file header bytes, only got 0", after: 0)),
            .init(
                name: "header-1-byte.pcap", bytes: Array(header.prefix(1)),
                expected: .fails("truncated dump file; tried to read 4 file header bytes, only got 1", after: 0)),
            .init(
                name: "header-23-bytes.pcap", bytes: Array(header.prefix(23)),
                expected: .fails("truncated dump file; tried to read 24 file header bytes, only got 19", after: 0)),
            .init(
                name: "wrong-magic.pcap", bytes: pcap([frame], magic: 0xA1B2_C3D5),
                expected: .fails("unknown file format", after: 0)),
            .init(
                name: "text.pcap", bytes: Array("GET / HTTP/1.1\r\nHost: example\r\n\r\n".utf8),
                expected: .fails("unknown file format", after: 0)),
            .init(
                name: "big-endian-us.pcap", bytes: pcap([frame, udpFrame(payloadLength: 32)], big: true),
                expected: .packets(
                    2,
                    lineContains: [
                        "00:00:00.250000000 caplen 54 len 54 IP 192.0.2.1.51000 > 198.51.100.10.443: Flags [S]",
                        "UDP, length 32",
                    ])),
            .init(
                name: "big-endian-ns.pcap", bytes: pcap([frame], big: true, magic: 0xA1B2_3C4D),
                expected: .packets(1, lineContains: ["00:00:00.000250000 caplen 54"])),
            .init(
                name: "snaplen-0.pcap", bytes: pcap([frame], snaplen: 0),
                expected: .packets(1, header: "snapshot length 262144")),
            .init(
                name: "snaplen-2^31.pcap", bytes: pcap([frame], snaplen: 0x8000_0000),
                expected: .packets(1, header: "snapshot length 262144")),
            .init(
                name: "snaplen-2^32-1.pcap", bytes: pcap([frame], snaplen: 0xFFFF_FFFF),
                expected: .packets(1, header: "snapshot length 262144")),
            // pcap records
            .init(
                name: "record-header-truncated.pcap", bytes: good + Array(pcapRecord(frame).prefix(7)),
                expected: .fails(
                    "packet 2 at byte offset 94: truncated dump file; tried to read 16 header bytes, only got 7",
                    after: 1)),
            .init(
                name: "record-body-truncated.pcap", bytes: good + Array(pcapRecord(frame).prefix(16 + 30)),
                expected: .fails(
                    "packet 2 at byte offset 94: truncated dump file; tried to read 54 captured bytes, only got 30",
                    after: 1)),
            .init(
                name: "caplen-above-snaplen.pcap",
                bytes: pcapHeader(snaplen: 40) + pcapRecord(frame) + pcapRecord(Array(frame.prefix(20))),
                expected: .packets(
                    2, lineContains: ["caplen 40 len 54 IP 192.0.2.1 > 198.51.100.10", "caplen 20 len 20"])),
            .init(
                name: "caplen-0.pcap", bytes: header + pcapRecord([], wireLength: 60) + pcapRecord(frame),
                expected: .packets(
                    2,
                    lineContains: [
                        "caplen 0 len 60 truncated link header, length 0 [|truncatedLinkHeader] | mac ~0 network ~0 transport ~0 protocol 0x0000 [truncatedLinkHeader at 0]",
                        "caplen 54 len 54",
                    ])),
            .init(
                name: "zero-length-packet.pcap", bytes: header + pcapRecord([]),
                expected: .packets(1, lineContains: ["caplen 0 len 0 truncated link header, length 0"])),
            .init(
                name: "caplen-2^32-1.pcap", bytes: good + pcapRecord(frame, caplen: 0xFFFF_FFFF),
                expected: .fails(
                    "packet 2 at byte offset 94: invalid packet capture length 4294967295, bigger than snaplen of 262144",
                    after: 1)),
            .init(
                name: "caplen-262145.pcap", bytes: header + pcapRecord([], caplen: 262_145),
                expected: .fails(
                    "packet 1 at byte offset 24: invalid packet capture length 262145, bigger than snaplen of 262144",
                    after: 0)),
            .init(
                name: "wire-length-below-caplen.pcap", bytes: good + pcapRecord(frame, wireLength: 40),
                expected: .fails(
                    "packet 2 at byte offset 94: captured length 54 is larger than the wire length 40", after: 1)),
            .init(
                name: "packet-65535-bytes.pcap", bytes: pcap([udpFrame(payloadLength: 65535 - 42)], snaplen: 65535),
                expected: .packets(
                    1,
                    lineContains: [
                        "caplen 65535 len 65535 IP 192.0.2.1.40000 > 198.51.100.10.53: UDP, length 65493 | mac 0 network 14 transport 34"
                    ])),
            // Headers that claim more than the packet holds
            .init(
                name: "ipv4-ihl-past-end.pcap", bytes: pcap([ihlPastEnd]),
                expected: .packets(
                    1,
                    lineContains: [
                        "caplen 34 len 34 ethertype IPv4, length 20 [|ipv4HeaderPastEnd(60)] | mac 0 network 14 transport ~0 protocol 0x0800 [ipv4HeaderPastEnd(60) at 14]"
                    ])),
            .init(
                name: "tcp-offset-past-end.pcap", bytes: pcap([tcpOffsetPastEnd]),
                expected: .packets(
                    1,
                    lineContains: [
                        "IP 192.0.2.1 > 198.51.100.10: ip-proto-6 20 [|tcpHeaderPastEnd(60)] | mac 0 network 14 transport 34 protocol 0x0800 [tcpHeaderPastEnd(60) at 34]"
                    ])),
            .init(
                name: "vlan-20-deep.pcap",
                bytes: pcap([udpFrame(payloadLength: 8, vlanTags: (1...20).map { VLANTag(vid: UInt16($0)) })]),
                expected: .packets(1, lineContains: ["vlan 1, p 0, ethertype 802.1Q, ", "[vlanStackTooDeep at 46]"])),
            .init(
                name: "ipv6-chain-to-end.pcap", bytes: pcap([ipv6ChainToEnd(count: 5)]),
                expected: .packets(
                    1, lineContains: ["transport ~0 protocol 0x86dd [truncatedExtensionHeader(60) at 94]"])),
            .init(
                name: "ipv6-chain-too-long.pcap", bytes: pcap([ipv6ChainToEnd(count: 40)]),
                expected: .packets(1, lineContains: ["[extensionHeaderChainTooLong at 118]"])),
            // pcapng
            .init(
                name: "big-endian.pcapng",
                bytes: sectionHeader(big: true) + interface(big: true) + enhancedPacket(frame, big: true),
                expected: .packets(1, lineContains: ["caplen 54 len 54 IP 192.0.2.1.51000 > 198.51.100.10.443"])),
            .init(
                name: "shb-length-not-multiple-of-4.pcapng",
                bytes: block(
                    0x0A0D_0D0A, u32(0x1A2B_3C4D) + u16(1) + u16(0) + [UInt8](repeating: 0xFF, count: 8), length: 29)
                    + interface(),
                // libpcap 1.10 takes the length as given and reads the next block one byte off.
                expected: .fails("truncated pcapng dump file; tried to read 16777208 bytes, only got 11", after: 0)),
            .init(
                name: "epb-length-not-multiple-of-4.pcapng",
                bytes: pcapngStart + enhancedPacket(frame) + enhancedPacket(frame, length: 87),
                expected: .fails(
                    "packet 2 at or after byte offset 136: block in pcapng dump file has a length of 87 that is not a multiple of 4",
                    after: 1)),
            .init(
                name: "epb-length-below-12.pcapng",
                bytes: pcapngStart + enhancedPacket(frame, length: 8),
                expected: .fails(
                    "packet 1 at or after byte offset 48: block in pcapng dump file has a length of 8 < 12", after: 0)),
            .init(
                name: "epb-length-past-end-of-file.pcapng",
                bytes: pcapngStart + enhancedPacket(frame, length: 0x0010_0000),
                expected: .fails(
                    "packet 1 at or after byte offset 48: truncated pcapng dump file; tried to read 1048568 bytes, only got 80",
                    after: 0)),
            .init(
                name: "epb-length-beyond-file.pcapng",
                bytes: pcapngStart + enhancedPacket(frame, length: 200),
                expected: .fails(
                    "packet 1 at or after byte offset 48: truncated pcapng dump file; tried to read 192 bytes, only got 80",
                    after: 0)),
            .init(
                name: "epb-trailer-differs.pcapng",
                bytes: pcapngStart + enhancedPacket(frame) + enhancedPacket(frame, trailer: 4),
                expected: .fails(
                    "packet 2 at or after byte offset 136: block total length in header and trailer don't match",
                    after: 1)),
            .init(
                name: "unknown-block-type.pcapng",
                bytes: pcapngStart + enhancedPacket(frame) + block(0x0BAD_0BAD, [1, 2, 3, 4, 5])
                    + block(0x8000_0001, [])
                    + enhancedPacket(udpFrame(payloadLength: 4)),
                expected: .packets(2, lineContains: ["Flags [S]", "UDP, length 4"])),
            .init(
                name: "interface-id-out-of-range.pcapng",
                bytes: pcapngStart + enhancedPacket(frame) + enhancedPacket(frame, interface: 5),
                expected: .fails(
                    "packet 2 at or after byte offset 136: a packet arrived on interface 5, but there's no Interface Description Block for that interface",
                    after: 1)),
            .init(
                name: "interface-id-2^32-1.pcapng",
                bytes: pcapngStart + enhancedPacket(frame, interface: 0xFFFF_FFFF),
                expected: .fails(
                    "packet 1 at or after byte offset 48: a packet arrived on interface 4294967295, but there's no Interface Description Block for that interface",
                    after: 0)),
            .init(
                name: "epb-before-any-interface.pcapng",
                bytes: sectionHeader() + enhancedPacket(frame),
                expected: .fails(
                    "the capture file has a packet block before any Interface Description Blocks", after: 0)),
        ]
        // Interfaces of two link types (libpcap 1.10 reads one per file): the
        // packet before the second interface's description, then the error,
        // which lists the interfaces and says how to split the file.
        let sll = [UInt8](repeating: 0, count: 14) + [0x08, 0x00] + Array(frame.dropFirst(14))
        cases.append(
            .init(
                name: "interfaces-two-link-types.pcapng",
                bytes: pcapngStart + enhancedPacket(frame) + interface(linkType: 113)
                    + enhancedPacket(sll, interface: 1),
                expected: .fails(
                    "packet 2 at or after byte offset 136: the capture's interfaces have different link types"
                        + " (interface 0: EN10MB snaplen 262144, interface 1: LINUX_SLL snaplen 262144), and libpcap reads one link type per file"
                        + " (libpcap: an interface has a type 113 different from the type of the first interface);"
                        + " split it by interface and read each part, e.g. tshark -r FILE -Y 'frame.interface_id == 1' -w interface1.pcapng",
                    after: 1)))
        // A link type skbsim does not decode: named as libpcap names it.
        cases.append(
            .init(
                name: "radiotap.pcap", bytes: pcapHeader(linkType: 127) + pcapRecord([0, 0, 8, 0, 0, 0, 0, 0] + frame),
                expected: .packets(
                    1,
                    lineContains: [
                        "caplen 62 len 62 link-type IEEE802_11_RADIO, length 62 [|unsupported link type IEEE802_11_RADIO]"
                    ],
                    header: "link-type IEEE802_11_RADIO (802.11 plus radiotap header), snapshot length 262144")))
        // Thousands of interfaces: 5000 IDBs, packets on the first and the last.
        let manyInterfaces =
            sectionHeader() + (0..<5000).flatMap { _ in interface() }
            + enhancedPacket(frame, interface: 4999) + enhancedPacket(frame, interface: 0)
        cases.append(.init(name: "5000-interfaces.pcapng", bytes: manyInterfaces, expected: .packets(2)))
        return cases
    }
}
