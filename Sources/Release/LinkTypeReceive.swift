import Capture

extension LinkType {
    /// Whether the receive model gives this link type the kernel's receive
    /// semantics: Ethernet (`eth_type_trans`), Linux cooked SLL/SLL2 (the
    /// `AF_PACKET` pseudo-header is not part of the skb), raw IP
    /// (`DLT_RAW`, `LINKTYPE_IPV4/IPV6`: no MAC header, as a tun device
    /// delivers) and BSD null / OpenBSD loop (the 4-byte address family).
    /// Packets of any other link type (802.11, PPI, SLIP, …) are not built
    /// into skbs: a `PacketRun` counts them as not modelled.
    @inlinable public var hasReceiveModel: Bool {
        switch dlt {
        case LinkType.ethernet.dlt, LinkType.linuxSLL.dlt, LinkType.linuxSLL2.dlt, LinkType.raw.dlt,
            LinkType.ipv4.dlt, LinkType.ipv6.dlt, LinkType.null.dlt, LinkType.loop.dlt:
            true
        default:
            false
        }
    }
}
