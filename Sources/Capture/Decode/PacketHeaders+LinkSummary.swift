extension PacketHeaders {
    /// The link-level header as `tcpdump -e` prints it before the protocol
    /// summary, ending in `": "`:
    ///
    ///     02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype IPv4 (0x0800), length 74:
    ///     In 02:00:00:00:00:01 ethertype IPv4 (0x0800), length 74:        (Linux SLL)
    ///     In ifindex 2 02:00:00:00:00:01 ethertype IPv4 (0x0800), length 74:  (SLL2)
    ///     AF IPv4 (2), length 60:                                          (null, loop)
    ///     link-type IEEE802_11_RADIOTAP, length 120:                       (not decoded)
    ///
    /// Raw IP has no link-level header: "". `wireLength` is the packet's
    /// length on the wire. Allocates; off the per-packet path.
    public func linkSummary(_ bytes: UnsafeRawBufferPointer, linkType: LinkType, wireLength: Int) -> String {
        func mac(_ at: Int, _ count: Int) -> String {
            (0..<count).map { i in
                let b = bytes.u8(at + i)
                return (b < 16 ? "0" : "") + String(b, radix: 16)
            }.joined(separator: ":")
        }
        func etherType(_ type: UInt16) -> String {
            let hex = String(type, radix: 16)
            return
                "ethertype \(Self.etherTypeName(type)) (0x\(String(repeating: "0", count: max(0, 4 - hex.count)) + hex))"
        }
        func direction(_ type: UInt8) -> String {
            switch type {
            case 0: "In"
            case 1: "B"
            case 2: "M"
            case 3: "P"
            case 4: "Out"
            default: "\(PacketType(rawValue: type))"
            }
        }
        switch linkType.dlt {
        case LinkType.ethernet.dlt where bytes.count >= 14:
            return "\(mac(6, 6)) > \(mac(0, 6)), \(etherType(bytes.be16(12))), length \(wireLength): "
        case LinkType.linuxSLL.dlt where bytes.count >= 16:
            let length = min(Int(bytes.be16(4)), 8)
            return
                "\(direction(UInt8(truncatingIfNeeded: bytes.be16(0)))) \(mac(6, length)) \(etherType(bytes.be16(14))), length \(wireLength): "
        case LinkType.linuxSLL2.dlt where bytes.count >= 20:
            let length = min(Int(bytes.u8(11)), 8)
            return
                "\(direction(bytes.u8(10))) ifindex \(bytes.be32(4)) \(mac(12, length)) \(etherType(bytes.be16(0))), length \(wireLength): "
        case LinkType.null.dlt, LinkType.loop.dlt:
            guard bytes.count >= 4, macHeader != nil else { break }
            let family = networkHeader == nil ? "?" : ipVersion == 6 ? "IPv6" : "IPv4"
            let raw = linkType == .loop ? bytes.be32(0) : loopbackFamilyValue(bytes)
            return "AF \(family) (\(raw)), length \(wireLength): "
        case LinkType.raw.dlt, LinkType.ipv4.dlt, LinkType.ipv6.dlt:
            return ""
        default:
            return "link-type \(linkType.name), length \(wireLength): "
        }
        return "truncated link header, length \(wireLength): "
    }

    /// DLT_NULL's family is in the capturing host's byte order: the
    /// smaller reading is the family value.
    private func loopbackFamilyValue(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        let big = bytes.be32(0)
        return min(big, big.byteSwapped)
    }
}
