/// Sets a packet's header offsets the way the Linux receive path would, from
/// the captured bytes and the capture's link type.
///
/// Guarantees, for any input: no trap, no allocation, bounded work (every
/// loop is capped by `maxVLANDepth` or `maxExtensionHeaders`), and on a
/// header it cannot accept it stops with `PacketHeaders.stop` naming the
/// header's offset and the reason, keeping every offset set before it.
public enum HeaderDecoder {
    /// VLAN tags accepted before `.vlanStackTooDeep`. The kernel has no hard
    /// cap, but each nested vlan device is one more layer; 8 is generous.
    public static let maxVLANDepth = 8
    /// IPv6 extension headers walked before `.extensionHeaderChainTooLong`.
    public static let maxExtensionHeaders = 8

    static let ethPIP: UInt16 = 0x0800
    static let ethPARP: UInt16 = 0x0806
    static let ethPIPv6: UInt16 = 0x86DD
    @usableFromInline package static let ethP8021Q: UInt16 = 0x8100
    @usableFromInline package static let ethP8021AD: UInt16 = 0x88A8
    static let ethPQinQ1: UInt16 = 0x9100
    @usableFromInline package static let ethP8023: UInt16 = 0x0001
    @usableFromInline package static let ethP8022: UInt16 = 0x0004
    /// Ethertypes below this are 802.3 length fields (`eth_proto_is_802_3`).
    @usableFromInline package static let ethP8023Min: UInt16 = 0x0600

    /// Decodes `bytes` captured on a `linkType` interface. `hostAddress`, when
    /// known, lets unicast frames to other MACs be classed PACKET_OTHERHOST,
    /// as `eth_type_trans` does against `dev->dev_addr`.
    ///
    /// Always inlined, so the caller's own variable is the storage
    /// `decode(into:)` fills: an out-of-line wrapper copies the struct out
    /// twice (~120 instructions a packet).
    @inlinable @inline(__always)
    public static func decode(
        _ bytes: UnsafeRawBufferPointer, linkType: LinkType,
        hostAddress: EthernetAddress? = nil
    ) -> PacketHeaders {
        var headers = PacketHeaders()
        decode(bytes, linkType: linkType, hostAddress: hostAddress, into: &headers)
        return headers
    }

    /// `decode(_:linkType:hostAddress:)` into caller-owned storage: `headers`
    /// is reset and filled in place, so a per-packet loop that keeps one
    /// `PacketHeaders` pays no copy of the (few hundred byte) struct. The
    /// result is identical to the returning form.
    public static func decode(
        _ bytes: UnsafeRawBufferPointer, linkType: LinkType,
        hostAddress: EthernetAddress? = nil, into headers: inout PacketHeaders
    ) {
        headers = PacketHeaders()
        // Literal DLT values (see `LinkType`): no static-property accessor
        // per packet.
        switch linkType.dlt {
        case 1:  // DLT_EN10MB
            decodeEthernet(bytes, into: &headers, hostAddress: hostAddress)
        case 113:  // DLT_LINUX_SLL
            decodeLinuxSLL(bytes, into: &headers)
        case 276:  // DLT_LINUX_SLL2
            decodeLinuxSLL2(bytes, into: &headers)
        case 12, 14, 101, 228, 229:
            // DLT_RAW is 12 on Linux, 14 on OpenBSD; 101 is its LINKTYPE;
            // DLT_IPV4, DLT_IPV6.
            decodeRawIP(bytes, into: &headers)
        case 0, 108:  // DLT_NULL, DLT_LOOP
            decodeLoopback(bytes, into: &headers)
        default:
            headers.stop = DecodeStop(offset: 0, reason: .unsupportedLinkType(linkType.dlt))
        }
    }

    /// Convenience for tests and tools; `decode(_:linkType:)` on the array's storage.
    public static func decode(
        _ bytes: [UInt8], linkType: LinkType, hostAddress: EthernetAddress? = nil
    ) -> PacketHeaders {
        bytes.withUnsafeBytes { decode($0, linkType: linkType, hostAddress: hostAddress) }
    }

    // MARK: Link layers

    /// `eth_type_trans`: MAC header at 0, pkt_type from the destination, and
    /// the protocol from the type field, with 802.3 length fields mapped to
    /// ETH_P_802_3 (Novell raw IPX, whose payload starts 0xFFFF) or ETH_P_802_2.
    static func decodeEthernet(
        _ bytes: UnsafeRawBufferPointer, into h: inout PacketHeaders,
        hostAddress: EthernetAddress?
    ) {
        guard bytes.count >= 14 else {
            h.stop = DecodeStop(offset: 0, reason: .truncatedLinkHeader)
            return
        }
        h.macHeader = 0
        h.macLength = 14
        let destination = EthernetAddress(bytes, at: 0)
        if destination.isMulticast {
            h.pktType = destination.value == 0xFFFF_FFFF_FFFF ? .broadcast : .multicast
        } else if let hostAddress, destination != hostAddress {
            h.pktType = .otherHost
        }
        var type = bytes.be16(12)
        if type < ethP8023Min {
            let isRawIPX = bytes.count >= 16 && bytes.be16(14) == 0xFFFF
            h.protocolType = isRawIPX ? ethP8023 : ethP8022
            h.networkProtocol = h.protocolType
            h.networkHeader = 14
            h.stop = DecodeStop(offset: 14, reason: .unsupportedEtherType(type))
            return
        }
        h.protocolType = type
        guard walkVLANTags(bytes, type: &type, at: 14, into: &h) else { return }
        decodeNetwork(bytes, etherType: type, at: h.macLength, into: &h)
    }

    /// Walks in-band VLAN tags starting at `offset`, where the tag after a
    /// VLAN TPID begins (TCI, then the next type). Updates `type` to the
    /// final ethertype and `macLength` to cover the tags. Returns false
    /// after recording a stop.
    static func walkVLANTags(
        _ bytes: UnsafeRawBufferPointer, type: inout UInt16, at offset: Int,
        into h: inout PacketHeaders
    ) -> Bool {
        var offset = offset
        while type == ethP8021Q || type == ethP8021AD || type == ethPQinQ1 {
            guard h.vlanDepth < maxVLANDepth else {
                h.stop = DecodeStop(offset: offset, reason: .vlanStackTooDeep)
                return false
            }
            guard offset + 4 <= bytes.count else {
                h.stop = DecodeStop(offset: offset, reason: .truncatedVLANTag)
                return false
            }
            let tci = bytes.be16(offset)
            if h.vlanDepth == 0 { h.outerVlanTCI = tci } else { h.innerVlanTCI = tci }
            h.vlanDepth += 1
            type = bytes.be16(offset + 2)
            offset += 4
            h.macLength += 4
        }
        return true
    }

    /// LINKTYPE_LINUX_SLL: pkttype(2) hatype(2) halen(2) addr(8) protocol(2).
    static func decodeLinuxSLL(_ bytes: UnsafeRawBufferPointer, into h: inout PacketHeaders) {
        guard bytes.count >= 16 else {
            h.stop = DecodeStop(offset: 0, reason: .truncatedLinkHeader)
            return
        }
        decodeCooked(
            bytes, pktType: UInt8(truncatingIfNeeded: bytes.be16(0)), protocolType: bytes.be16(14),
            headerLength: 16, into: &h)
    }

    /// LINKTYPE_LINUX_SLL2: protocol(2) reserved(2) ifindex(4) hatype(2)
    /// pkttype(1) halen(1) addr(8).
    static func decodeLinuxSLL2(_ bytes: UnsafeRawBufferPointer, into h: inout PacketHeaders) {
        guard bytes.count >= 20 else {
            h.stop = DecodeStop(offset: 0, reason: .truncatedLinkHeader)
            return
        }
        decodeCooked(bytes, pktType: bytes.u8(10), protocolType: bytes.be16(0), headerLength: 20, into: &h)
    }

    /// Cooked headers carry the kernel's own pkt_type and protocol. A VLAN
    /// protocol means libpcap re-inserted the tag: TCI and inner type follow.
    static func decodeCooked(
        _ bytes: UnsafeRawBufferPointer, pktType: UInt8, protocolType: UInt16,
        headerLength: Int, into h: inout PacketHeaders
    ) {
        h.macHeader = 0
        h.macLength = headerLength
        h.pktType = PacketType(rawValue: pktType)
        h.protocolType = protocolType
        var type = protocolType
        guard walkVLANTags(bytes, type: &type, at: headerLength, into: &h) else { return }
        decodeNetwork(bytes, etherType: type, at: h.macLength, into: &h)
    }

    /// DLT_RAW / DLT_IPV4 / DLT_IPV6: no link header. Like a tun device, the
    /// MAC header is set at the network header with zero length, and the
    /// version nibble picks the protocol.
    static func decodeRawIP(_ bytes: UnsafeRawBufferPointer, into h: inout PacketHeaders) {
        guard bytes.count >= 1 else {
            h.stop = DecodeStop(offset: 0, reason: .truncatedIPv4Header)
            return
        }
        h.macHeader = 0
        switch bytes.u8(0) >> 4 {
        case 4: h.protocolType = ethPIP
        case 6: h.protocolType = ethPIPv6
        case let version:
            h.stop = DecodeStop(offset: 0, reason: .ipVersionMismatch(version))
            return
        }
        decodeNetwork(bytes, etherType: h.protocolType, at: 0, into: &h)
    }

    /// DLT_NULL (host byte order) and DLT_LOOP (network order): a 4-byte
    /// address family. Either order is accepted for both, since captures
    /// move between hosts; AF_INET is 2 everywhere, AF_INET6 is 10 (Linux),
    /// 24 (NetBSD/OpenBSD), 28 (FreeBSD) or 30 (macOS).
    static func decodeLoopback(_ bytes: UnsafeRawBufferPointer, into h: inout PacketHeaders) {
        guard bytes.count >= 4 else {
            h.stop = DecodeStop(offset: 0, reason: .truncatedLinkHeader)
            return
        }
        h.macHeader = 0
        h.macLength = 4
        let little = bytes.le32(0)
        let family = little < 0x1_0000 ? little : bytes.be32(0)
        switch family {
        case 2: h.protocolType = ethPIP
        case 10, 24, 28, 30: h.protocolType = ethPIPv6
        default:
            h.stop = DecodeStop(offset: 0, reason: .unknownAddressFamily(family))
            return
        }
        decodeNetwork(bytes, etherType: h.protocolType, at: 4, into: &h)
    }
}
