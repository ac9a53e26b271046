/// A capture's link-layer header type: libpcap's `DLT_*` value with the name
/// tcpdump prints for it.
public struct LinkType: Hashable, Sendable, CustomStringConvertible {
    /// The `DLT_*` value libpcap reports (`pcap_datalink`).
    public var dlt: Int32

    @inlinable public init(dlt: Int32) { self.dlt = dlt }

    // Computed, inlinable constants: a cross-module `static let` costs an
    // addressor call at every use, and the receive path switches on these.
    @inlinable public static var null: LinkType { LinkType(dlt: 0) }           // DLT_NULL, BSD loopback
    @inlinable public static var ethernet: LinkType { LinkType(dlt: 1) }       // DLT_EN10MB
    @inlinable public static var raw: LinkType { LinkType(dlt: 12) }           // DLT_RAW (Linux value)
    @inlinable public static var loop: LinkType { LinkType(dlt: 108) }         // DLT_LOOP, OpenBSD loopback
    @inlinable public static var linuxSLL: LinkType { LinkType(dlt: 113) }     // DLT_LINUX_SLL
    @inlinable public static var ipv4: LinkType { LinkType(dlt: 228) }         // DLT_IPV4
    @inlinable public static var ipv6: LinkType { LinkType(dlt: 229) }         // DLT_IPV6
    @inlinable public static var linuxSLL2: LinkType { LinkType(dlt: 276) }    // DLT_LINUX_SLL2

    /// The name libpcap gives this link type (`pcap_datalink_val_to_name`),
    /// for the types skbsim decodes; `DLT_<n>` otherwise.
    public var name: String {
        switch dlt {
        case 0: "NULL"
        case 1: "EN10MB"
        case 12: "RAW"
        case 108: "LOOP"
        case 113: "LINUX_SLL"
        case 228: "IPV4"
        case 229: "IPV6"
        case 276: "LINUX_SLL2"
        default: "DLT_\(dlt)"
        }
    }

    public var description: String { name }
}
