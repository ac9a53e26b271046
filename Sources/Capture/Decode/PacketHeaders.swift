/// The header offsets and fields the kernel's receive path would set on an
/// sk_buff for one packet: `eth_type_trans` (or the cooked/raw equivalents)
/// for the MAC header, protocol and pkt_type, then `ip_rcv`/`ipv6_rcv` and
/// the transport receive functions.
///
/// Offsets are from the first captured byte. `nil` means unset, like the
/// kernel's `(typeof(skb->mac_header))~0U`. Invariant when set:
/// `macHeader <= networkHeader <= transportHeader <= captured length`.
/// The struct holds no references, so decoding never allocates.
public struct PacketHeaders: Sendable, Hashable {
    /// Offset of the link-layer header; nil when even that was truncated.
    public var macHeader: Int?
    /// Link-layer bytes, including VLAN tags as they are in the frame (the
    /// skb model strips or pops them: SkbModel's `VLANReceive.swift`).
    public var macLength: Int = 0
    public var networkHeader: Int?
    public var transportHeader: Int?
    /// `skb->protocol` as `eth_type_trans` returns it, host order: the outer
    /// ethertype (0x8100 for a tagged frame), 0x0001 ETH_P_802_3 or 0x0004
    /// ETH_P_802_2 for length-field frames; for cooked captures the header's
    /// protocol field; for raw and loopback captures 0x0800 or 0x86DD.
    public var protocolType: UInt16 = 0
    /// The ethertype after all VLAN tags: what `skb->protocol` becomes once
    /// the tags are untagged. Equals `protocolType` for untagged frames.
    public var networkProtocol: UInt16 = 0
    /// `skb->pkt_type`: from the destination MAC for Ethernet, from the
    /// header for cooked captures, `.host` otherwise.
    public var pktType: PacketType = .host
    /// Number of VLAN tags between the MAC addresses and the ethertype.
    public var vlanDepth: Int = 0
    /// TCI of the outermost tag.
    public var outerVlanTCI: UInt16?
    /// TCI of the innermost tag when there are at least two.
    public var innerVlanTCI: UInt16?
    /// 4 or 6 once an IP header was accepted.
    public var ipVersion: UInt8?
    /// Upper-layer protocol: IPv4's protocol field, or IPv6's last next-header
    /// after the extension headers (59 when there is none).
    public var ipProtocol: UInt8?
    /// L3 header bytes: IHL × 4, or 40 plus extension headers.
    public var networkLength: Int = 0
    /// Packet length the IP header claims (IPv4 total length; IPv6 40 +
    /// payload length). Captured bytes beyond it are link padding.
    public var ipTotalLength: Int?
    /// True for any IP fragment (MF set or non-zero offset).
    public var isFragment: Bool = false
    /// Fragment offset in bytes; non-zero fragments carry no transport header.
    public var fragmentOffset: Int = 0
    public var tcp: TCPHeaderInfo?
    public var udp: UDPHeaderInfo?
    public var icmp: ICMPHeaderInfo?
    /// Set once the IP addresses are known; ports filled for TCP and UDP.
    public var flow: FlowKey?
    /// nil when every header present was decoded.
    public var stop: DecodeStop?

    @inlinable public init() {}
}
