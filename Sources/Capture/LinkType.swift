import CPcap

/// A capture's link-layer header type: libpcap's `DLT_*` value with the name
/// tcpdump prints for it.
public struct LinkType: Hashable, Sendable, CustomStringConvertible {
    /// The `DLT_*` value libpcap reports (`pcap_datalink`).
    public var dlt: Int32

    @inlinable public init(dlt: Int32) { self.dlt = dlt }

    // Computed, inlinable constants: a cross-module `static let` costs an
    // addressor call at every use, and the receive path switches on these.
    @inlinable public static var null: LinkType { LinkType(dlt: 0) }  // DLT_NULL, BSD loopback
    @inlinable public static var ethernet: LinkType { LinkType(dlt: 1) }  // DLT_EN10MB
    @inlinable public static var raw: LinkType { LinkType(dlt: 12) }  // DLT_RAW (Linux value)
    @inlinable public static var loop: LinkType { LinkType(dlt: 108) }  // DLT_LOOP, OpenBSD loopback
    @inlinable public static var linuxSLL: LinkType { LinkType(dlt: 113) }  // DLT_LINUX_SLL
    @inlinable public static var ipv4: LinkType { LinkType(dlt: 228) }  // DLT_IPV4
    @inlinable public static var ipv6: LinkType { LinkType(dlt: 229) }  // DLT_IPV6
    @inlinable public static var linuxSLL2: LinkType { LinkType(dlt: 276) }  // DLT_LINUX_SLL2

    /// The name libpcap gives this link type (`pcap_datalink_val_to_name`,
    /// e.g. `EN10MB`, `IEEE802_11_RADIOTAP`), `DLT_<n>` when libpcap has none.
    public var name: String {
        pcap_datalink_val_to_name(dlt).map { String(cString: $0) } ?? "DLT_\(dlt)"
    }

    /// libpcap's description of this link type
    /// (`pcap_datalink_val_to_description`, e.g. `Ethernet`), if it has one.
    public var libpcapDescription: String? {
        pcap_datalink_val_to_description(dlt).map { String(cString: $0) }
    }

    public var description: String { name }
}
