import SampleKit

/// A frame of `len` bytes (at least 15): a byte pattern with the Ethernet
/// type IPv4 and the first byte of an IPv4 header (version 4, IHL 5), enough
/// for `eth_type_trans`; not a valid IPv4 packet beyond that byte.
public func patternFrame(_ len: Int) -> [UInt8] {
    var b = (0..<len).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
    b[12] = 0x08
    b[13] = 0x00
    b[14] = 0x45
    return b
}

/// Hosts from the documentation ranges (RFC 5737, RFC 3849) with
/// locally administered MACs, for frames built with SampleKit.
public enum TestHosts {
    public static let clientMAC = MACAddress(0x02_00_00_00_00_01)
    public static let serverMAC = MACAddress(0x02_00_00_00_00_02)
    public static let client4 = IPv4Address(192, 0, 2, 1)
    public static let server4 = IPv4Address(198, 51, 100, 10)
    public static let client6 = IPv6Address(high: 0x2001_0db8_0000_0000, low: 1)

    /// A TCP flow 192.0.2.1:51000 → 198.51.100.2:443 between the two MACs
    /// (the flow of the GRO and `skbsim stats --gro` tests).
    public static func bulkFlow(mtu: Int = 1500, timestamps: Bool = false) -> TCPFlow {
        TCPFlow(
            client: .init(mac: clientMAC, address: .v4(client4), port: 51000),
            server: .init(mac: serverMAC, address: .v4(IPv4Address(198, 51, 100, 2)), port: 443),
            mtu: mtu, timestamps: timestamps)
    }
}
