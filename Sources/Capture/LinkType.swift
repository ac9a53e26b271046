/// A capture's link-layer header type: libpcap's `DLT_*` value with the name
/// tcpdump prints for it.
public struct LinkType: Hashable, Sendable, CustomStringConvertible {
    /// The `DLT_*` value libpcap reports (`pcap_datalink`).
    public var dlt: Int32

    public init(dlt: Int32) { self.dlt = dlt }

    public static let null = LinkType(dlt: 0)           // DLT_NULL, BSD loopback
    public static let ethernet = LinkType(dlt: 1)       // DLT_EN10MB
    public static let raw = LinkType(dlt: 12)           // DLT_RAW (Linux value)
    public static let loop = LinkType(dlt: 108)         // DLT_LOOP, OpenBSD loopback
    public static let linuxSLL = LinkType(dlt: 113)     // DLT_LINUX_SLL
    public static let ipv4 = LinkType(dlt: 228)         // DLT_IPV4
    public static let ipv6 = LinkType(dlt: 229)         // DLT_IPV6
    public static let linuxSLL2 = LinkType(dlt: 276)    // DLT_LINUX_SLL2

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
