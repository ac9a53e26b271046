import Capture
import SampleKit
import TestSupport

// Shared fixtures for the Decode*Tests: a client/server pair from the
// documentation ranges and builders for the frames the tests decode.
enum Fixture {
    static let server6 = IPv6Address(high: 0x2001_0db8_0001_0000, low: 0x10)

    static func flow(v6: Bool = false, vlanTags: [VLANTag] = []) -> TCPFlow {
        TCPFlow(
            client: .init(
                mac: TestHosts.clientMAC, address: v6 ? .v6(TestHosts.client6) : .v4(TestHosts.client4), port: 51000),
            server: .init(mac: TestHosts.serverMAC, address: v6 ? .v6(server6) : .v4(TestHosts.server4), port: 443),
            clientISN: 1000, serverISN: 5000, vlanTags: vlanTags)
    }

    static var ethernet: LinkHeader {
        .ethernet(EthernetHeader(destination: TestHosts.serverMAC, source: TestHosts.clientMAC))
    }

    static func udp4(link: LinkHeader = ethernet, payload: [UInt8] = [1, 2, 3, 4]) -> [UInt8] {
        Packet(
            link: link, network: .ipv4(IPv4Header(source: TestHosts.client4, destination: TestHosts.server4)),
            transport: .udp(UDPHeader(sourcePort: 40000, destinationPort: 53)), payload: payload
        ).encode()
    }

    static func udp6(link: LinkHeader = ethernet, extensionHeaders: [IPv6ExtensionHeader] = []) -> [UInt8] {
        Packet(
            link: link,
            network: .ipv6(
                IPv6Header(source: TestHosts.client6, destination: server6, extensionHeaders: extensionHeaders)),
            transport: .udp(UDPHeader(sourcePort: 40000, destinationPort: 53)), payload: [1, 2, 3, 4]
        ).encode()
    }

    static func tcp4(
        link: LinkHeader = ethernet, flags: SampleKit.TCPFlags = [.psh, .ack], payload: Int = 100,
        ipOptions: [UInt8] = []
    ) -> [UInt8] {
        Packet(
            link: link,
            network: .ipv4(IPv4Header(source: TestHosts.client4, destination: TestHosts.server4, options: ipOptions)),
            transport: .tcp(
                TCPHeader(
                    sourcePort: 51000, destinationPort: 443, sequenceNumber: 7,
                    acknowledgmentNumber: 9, flags: flags, window: 502,
                    options: TCPOption.linuxTimestamps(value: 1, echoReply: 2))),
            payload: TCPFlow.pattern(count: payload, seed: 1)
        ).encode()
    }

    /// Records of a classic little-endian pcap file (what SampleKit writes).
    static func records(_ file: [UInt8]) -> [[UInt8]] {
        func le32(_ o: Int) -> Int {
            Int(file[o]) | Int(file[o + 1]) << 8 | Int(file[o + 2]) << 16 | Int(file[o + 3]) << 24
        }
        var out: [[UInt8]] = []
        var offset = 24
        while offset + 16 <= file.count {
            let length = le32(offset + 8)
            guard offset + 16 + length <= file.count else { break }
            out.append(Array(file[(offset + 16)..<(offset + 16 + length)]))
            offset += 16 + length
        }
        return out
    }

    static func linkType(ofPcap file: [UInt8]) -> LinkType {
        let value = Int32(file[20]) | Int32(file[21]) << 8
        return value == 101 ? .raw : LinkType(dlt: value)
    }
}
