extension HeaderDecoder {
    /// Sets the network header at `offset` and hands the packet to the IP
    /// layer named by `etherType` (already past any VLAN tags).
    static func decodeNetwork(
        _ bytes: UnsafeRawBufferPointer, etherType: UInt16, at offset: Int,
        into h: inout PacketHeaders
    ) {
        h.networkProtocol = etherType
        h.networkHeader = offset
        switch etherType {
        case ethPIP: decodeIPv4(bytes, at: offset, into: &h)
        case ethPIPv6: decodeIPv6(bytes, at: offset, into: &h)
        case ethPARP: break  // fully handled by the summary; no L4 follows
        default: h.stop = DecodeStop(offset: offset, reason: .unsupportedEtherType(etherType))
        }
    }

    /// `ip_rcv_core`'s checks: version 4, IHL ≥ 5, header inside the packet,
    /// total length ≥ header. Checksums are not verified (captures from
    /// offloading NICs routinely carry unfilled ones).
    static func decodeIPv4(_ bytes: UnsafeRawBufferPointer, at n: Int, into h: inout PacketHeaders) {
        guard n + 20 <= bytes.count else {
            if n < bytes.count, bytes.u8(n) >> 4 != 4 {
                h.stop = DecodeStop(offset: n, reason: .ipVersionMismatch(bytes.u8(n) >> 4))
            } else {
                h.stop = DecodeStop(offset: n, reason: .truncatedIPv4Header)
            }
            return
        }
        let version = bytes.u8(n) >> 4
        guard version == 4 else {
            h.stop = DecodeStop(offset: n, reason: .ipVersionMismatch(version))
            return
        }
        let headerLength = Int(bytes.u8(n) & 0x0F) * 4
        guard headerLength >= 20 else {
            h.stop = DecodeStop(offset: n, reason: .ipv4HeaderLengthTooSmall(headerLength))
            return
        }
        guard n + headerLength <= bytes.count else {
            h.stop = DecodeStop(offset: n, reason: .ipv4HeaderPastEnd(headerLength))
            return
        }
        let totalLength = Int(bytes.be16(n + 2))
        guard totalLength >= headerLength else {
            h.stop = DecodeStop(offset: n, reason: .ipv4TotalLengthTooSmall(totalLength))
            return
        }
        let proto = bytes.u8(n + 9)
        h.ipVersion = 4
        h.ipProtocol = proto
        h.networkLength = headerLength
        h.ipTotalLength = totalLength
        let fragmentField = bytes.be16(n + 6)
        h.fragmentOffset = Int(fragmentField & 0x1FFF) * 8
        h.isFragment = fragmentField & 0x3FFF != 0  // MF or a non-zero offset
        h.flow = FlowKey(
            source: .init(ipv4: bytes.be32(n + 12)), destination: .init(ipv4: bytes.be32(n + 16)),
            sourcePort: 0, destinationPort: 0, ipProtocol: proto)
        // Only the first fragment holds the transport header.
        guard h.fragmentOffset == 0 else { return }
        decodeTransport(bytes, proto: proto, at: n + headerLength, ipEnd: n + totalLength, into: &h)
    }

    /// `ipv6_rcv` then the extension-header walk of `ip6_protocol_deliver_rcu`
    /// and `ipv6_skip_exthdr`: hop-by-hop (only first), routing, fragment,
    /// destination options and AH are skipped; 59 ends the packet.
    static func decodeIPv6(_ bytes: UnsafeRawBufferPointer, at n: Int, into h: inout PacketHeaders) {
        if n < bytes.count, bytes.u8(n) >> 4 != 6 {
            h.stop = DecodeStop(offset: n, reason: .ipVersionMismatch(bytes.u8(n) >> 4))
            return
        }
        guard n + 40 <= bytes.count else {
            h.stop = DecodeStop(offset: n, reason: .truncatedIPv6Header)
            return
        }
        let ipEnd = n + 40 + Int(bytes.be16(n + 4))
        h.ipVersion = 6
        h.ipTotalLength = ipEnd - n
        let source = FlowKey.Address(high: bytes.be64(n + 8), low: bytes.be64(n + 16))
        let destination = FlowKey.Address(high: bytes.be64(n + 24), low: bytes.be64(n + 32))
        var next = bytes.u8(n + 6)
        var offset = n + 40
        // Extension headers must lie in both the capture and the payload.
        let limit = min(bytes.count, ipEnd)
        var count = 0
        walk: while true {
            switch next {
            case 0, 43, 44, 51, 60:
                if next == 0 && count > 0 {
                    h.stop = DecodeStop(offset: offset, reason: .misplacedHopByHop)
                    break walk
                }
                guard count < maxExtensionHeaders else {
                    h.stop = DecodeStop(offset: offset, reason: .extensionHeaderChainTooLong)
                    break walk
                }
                guard offset + 8 <= limit else {
                    h.stop = DecodeStop(offset: offset, reason: .truncatedExtensionHeader(next))
                    break walk
                }
                let length: Int
                switch next {
                case 44: length = 8
                case 51: length = (Int(bytes.u8(offset + 1)) + 2) * 4  // AH counts 4-byte units
                default: length = (Int(bytes.u8(offset + 1)) + 1) * 8
                }
                guard offset + length <= limit else {
                    h.stop = DecodeStop(offset: offset, reason: .truncatedExtensionHeader(next))
                    break walk
                }
                if next == 44 {
                    let field = bytes.be16(offset + 2)
                    h.isFragment = true
                    h.fragmentOffset = Int(field & 0xFFF8)
                }
                next = bytes.u8(offset)
                offset += length
                count += 1
            default:
                break walk
            }
        }
        h.networkLength = offset - n
        h.ipProtocol = next
        h.flow = FlowKey(source: source, destination: destination, sourcePort: 0, destinationPort: 0, ipProtocol: next)
        guard h.stop == nil else {
            // The chain was not walked to its end: the upper layer is unknown.
            h.ipProtocol = nil
            h.flow = nil
            return
        }
        guard next != 59, h.fragmentOffset == 0 else { return }
        decodeTransport(bytes, proto: next, at: offset, ipEnd: ipEnd, into: &h)
    }
}
