/// An IPv6 extension header (RFC 8200 §4). The next-header byte is filled in
/// by `IPv6Header.encode`, which knows what follows.
public enum IPv6ExtensionHeader: Hashable, Sendable {
    /// Hop-by-hop options (0): TLV option bytes, padded with Pad1/PadN.
    case hopByHop(options: [UInt8])
    /// Routing header (43): routing type, segments left, then type-specific
    /// data (for type 0/2: 4 reserved bytes and addresses).
    case routing(type: UInt8, segmentsLeft: UInt8, data: [UInt8])
    /// Fragment header (44), always 8 bytes. `offset` is in 8-byte units.
    case fragment(offset: UInt16, moreFragments: Bool, identification: UInt32)
    /// Destination options (60).
    case destinationOptions(options: [UInt8])

    /// The Router Alert hop-by-hop option (RFC 2711), value 0 = MLD.
    public static let routerAlertOption: [UInt8] = [0x05, 0x02, 0x00, 0x00]

    /// The value a preceding header's next-header field carries for this one.
    public var protocolNumber: UInt8 {
        switch self {
        case .hopByHop: 0
        case .routing: 43
        case .fragment: 44
        case .destinationOptions: 60
        }
    }

    public func encode(nextHeader: UInt8) -> [UInt8] {
        var out: [UInt8] = [nextHeader, 0]
        switch self {
        case .hopByHop(let options), .destinationOptions(let options):
            out += options
            // Pad to a multiple of 8 with Pad1 (one zero byte) or PadN
            // (type 1, length, zeros), as the receiver must skip them.
            let pad = (8 - out.count % 8) % 8
            if pad == 1 {
                out.append(0)
            } else if pad > 1 {
                out += [1, UInt8(pad - 2)] + [UInt8](repeating: 0, count: pad - 2)
            }
        case .routing(let type, let segmentsLeft, let data):
            out += [type, segmentsLeft] + data
            out.padWithZeros(toMultipleOf: 8)
        case .fragment(let offset, let moreFragments, let identification):
            out.appendBigEndian(offset << 3 | (moreFragments ? 1 : 0))
            out.appendBigEndian(identification)
        }
        // Hdr Ext Len counts 8-octet units beyond the first.
        if case .fragment = self {} else { out[1] = UInt8(out.count / 8 - 1) }
        return out
    }
}
