extension HeaderDecoder {
    /// Sets the transport header at `t` (as `ip_rcv_core` and `ipv6_rcv` do
    /// for any protocol) and decodes TCP, UDP, ICMP and ICMPv6 with the
    /// length checks of their receive functions. `ipEnd` is where the IP
    /// length fields say the packet ends; bytes after it are padding.
    static func decodeTransport(
        _ bytes: UnsafeRawBufferPointer, proto: UInt8, at t: Int, ipEnd: Int,
        into h: inout PacketHeaders
    ) {
        h.transportHeader = t
        // A header must fit in both the capture and the IP payload.
        let limit = min(bytes.count, ipEnd)
        switch proto {
        case 6:
            guard t + 20 <= limit else {
                h.stop = DecodeStop(offset: t, reason: .truncatedTCPHeader)
                return
            }
            let dataOffset = Int(bytes.u8(t + 12) >> 4) * 4
            guard dataOffset >= 20 else {
                h.stop = DecodeStop(offset: t, reason: .tcpDataOffsetTooSmall(dataOffset))
                return
            }
            guard t + dataOffset <= limit else {
                h.stop = DecodeStop(offset: t, reason: .tcpHeaderPastEnd(dataOffset))
                return
            }
            let info = TCPHeaderInfo(
                sourcePort: bytes.be16(t), destinationPort: bytes.be16(t + 2),
                sequenceNumber: bytes.be32(t + 4), acknowledgmentNumber: bytes.be32(t + 8),
                flags: TCPHeaderInfo.Flags(rawValue: bytes.u8(t + 13)), window: bytes.be16(t + 14),
                urgentPointer: bytes.be16(t + 18), dataOffset: dataOffset, payloadOffset: t + dataOffset,
                payloadLength: ipEnd - (t + dataOffset))
            h.tcp = info
            h.flow?.sourcePort = info.sourcePort
            h.flow?.destinationPort = info.destinationPort
        case 17:
            guard t + 8 <= limit else {
                h.stop = DecodeStop(offset: t, reason: .truncatedUDPHeader)
                return
            }
            let length = Int(bytes.be16(t + 4))
            guard length >= 8, t + length <= ipEnd else {
                h.stop = DecodeStop(offset: t, reason: .udpLengthInvalid(length))
                return
            }
            let info = UDPHeaderInfo(
                sourcePort: bytes.be16(t), destinationPort: bytes.be16(t + 2),
                length: length, payloadOffset: t + 8)
            h.udp = info
            h.flow?.sourcePort = info.sourcePort
            h.flow?.destinationPort = info.destinationPort
        case 1, 58:
            guard t + 4 <= limit else {
                h.stop = DecodeStop(offset: t, reason: .truncatedICMPHeader)
                return
            }
            var info = ICMPHeaderInfo(type: bytes.u8(t), code: bytes.u8(t + 1))
            let isEcho = proto == 1 ? (info.type == 0 || info.type == 8) : (info.type == 128 || info.type == 129)
            if isEcho, t + 8 <= limit {
                info.echoIdentifier = bytes.be16(t + 4)
                info.echoSequence = bytes.be16(t + 6)
            }
            h.icmp = info
        default:
            break  // the transport header is set; its contents are not modelled
        }
    }
}
