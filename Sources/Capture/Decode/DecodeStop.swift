/// Where and why `HeaderDecoder` stopped before decoding every header.
/// `offset` is the start of the header it could not accept; every offset the
/// decoder set before it is valid.
public struct DecodeStop: Hashable, Sendable, CustomStringConvertible {
    public enum Reason: Hashable, Sendable {
        /// The capture's link type is not one the decoder knows.
        case unsupportedLinkType(Int32)
        /// Fewer bytes than the link-layer header needs.
        case truncatedLinkHeader
        /// DLT_NULL/DLT_LOOP family that is neither AF_INET nor an AF_INET6 value.
        case unknownAddressFamily(UInt32)
        /// A VLAN tag cut short.
        case truncatedVLANTag
        /// More stacked VLAN tags than `HeaderDecoder.maxVLANDepth`.
        case vlanStackTooDeep
        /// An ethertype with no decoder here (also 802.3/802.2 frames).
        case unsupportedEtherType(UInt16)
        /// The IP version nibble disagrees with the link layer's protocol.
        case ipVersionMismatch(UInt8)
        case truncatedIPv4Header
        /// IHL below 5 (20 bytes); the kernel's ip_rcv drops these.
        case ipv4HeaderLengthTooSmall(Int)
        /// IHL says the header ends past the captured bytes.
        case ipv4HeaderPastEnd(Int)
        /// Total length shorter than the header itself.
        case ipv4TotalLengthTooSmall(Int)
        case truncatedIPv6Header
        /// An extension header cut short, or extending past the payload length.
        case truncatedExtensionHeader(UInt8)
        /// More than `HeaderDecoder.maxExtensionHeaders` extension headers.
        case extensionHeaderChainTooLong
        /// Hop-by-hop options anywhere but first (RFC 8200 §4.1).
        case misplacedHopByHop
        case truncatedTCPHeader
        /// TCP data offset below 5 (20 bytes).
        case tcpDataOffsetTooSmall(Int)
        /// TCP data offset past the captured bytes or the IP payload.
        case tcpHeaderPastEnd(Int)
        case truncatedUDPHeader
        /// UDP length below 8 or beyond the IP payload.
        case udpLengthInvalid(Int)
        case truncatedICMPHeader
    }

    public var offset: Int
    public var reason: Reason

    public init(offset: Int, reason: Reason) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "\(reason) at \(offset)" }
}

extension DecodeStop.Reason: CustomStringConvertible {
    /// The case as written in Swift (`ipv4HeaderPastEnd(60)`), except for a
    /// link type, which is named as libpcap names it
    /// (`unsupported link type IEEE802_11_RADIOTAP`).
    public var description: String {
        switch self {
        case .unsupportedLinkType(let dlt): "unsupported link type \(LinkType(dlt: dlt).name)"
        case .truncatedLinkHeader: "truncatedLinkHeader"
        case .unknownAddressFamily(let v): "unknownAddressFamily(\(v))"
        case .truncatedVLANTag: "truncatedVLANTag"
        case .vlanStackTooDeep: "vlanStackTooDeep"
        case .unsupportedEtherType(let v): "unsupportedEtherType(\(v))"
        case .ipVersionMismatch(let v): "ipVersionMismatch(\(v))"
        case .truncatedIPv4Header: "truncatedIPv4Header"
        case .ipv4HeaderLengthTooSmall(let v): "ipv4HeaderLengthTooSmall(\(v))"
        case .ipv4HeaderPastEnd(let v): "ipv4HeaderPastEnd(\(v))"
        case .ipv4TotalLengthTooSmall(let v): "ipv4TotalLengthTooSmall(\(v))"
        case .truncatedIPv6Header: "truncatedIPv6Header"
        case .truncatedExtensionHeader(let v): "truncatedExtensionHeader(\(v))"
        case .extensionHeaderChainTooLong: "extensionHeaderChainTooLong"
        case .misplacedHopByHop: "misplacedHopByHop"
        case .truncatedTCPHeader: "truncatedTCPHeader"
        case .tcpDataOffsetTooSmall(let v): "tcpDataOffsetTooSmall(\(v))"
        case .tcpHeaderPastEnd(let v): "tcpHeaderPastEnd(\(v))"
        case .truncatedUDPHeader: "truncatedUDPHeader"
        case .udpLengthInvalid(let v): "udpLengthInvalid(\(v))"
        case .truncatedICMPHeader: "truncatedICMPHeader"
        }
    }
}
