import Capture

/// The Toeplitz hash a multi-queue NIC computes for Receive Side Scaling,
/// over the fields it parses out of each received frame.
///
/// **Hash.** Microsoft's RSS specification ("RSS Hashing Functions",
/// "Verifying the RSS Hash Calculation"): for each bit of the input, most
/// significant first, the 32 key bits starting at that bit position are
/// XORed into the result when the input bit is set. The same function is
/// the software reference in the kernel's selftest
/// (torvalds/linux v6.18 `tools/testing/selftests/net/toeplitz.c`,
/// `toeplitz()`), in DPDK (`rte_softrss`) and FreeBSD (`toeplitz_hash`).
/// Here it is evaluated with one precomputed 256-entry table per input byte
/// position, so a packet costs one load and XOR per input byte.
///
/// **Input** (the NIC's parser, network byte order, as the specification
/// lists it): IPv4 source and destination address, then for TCP and UDP the
/// source and destination port (4-tuple, 12 bytes); IPv6 the same with
/// 16-byte addresses (36 bytes). Fragments (IPv4 MF set or a non-zero
/// offset) and IPv6 packets whose first next header is not TCP or UDP
/// hash the two addresses only, so that every fragment of a datagram lands
/// on one queue. Anything else (ARP, non-IP, a truncated header) gets no
/// hash: the NIC delivers it to queue 0 (`hash(frame:linkType:)` is nil).
/// UDP ports are hashed, as mlx5, i40e and ice do by default; ixgbe and igb
/// hash UDP on the addresses only unless `ethtool -N … rx-flow-hash udp4
/// sdfn` (not modelled: one input rule for every NIC).
///
/// **Key.** `microsoftVerificationKey` by default: the 40-byte key of the
/// specification's verification suite (also the 82599 datasheet's,
/// §7.1.2.8.3, and DPDK's `default_rss_key`). Drivers fill theirs with
/// `netdev_rss_key_fill()` (random per boot), so any fixed key is a choice;
/// this one makes results reproducible and checkable against the suite's
/// published hashes.
public struct RSSHash: Sendable {
    /// The RSS verification suite's key.
    public static let microsoftVerificationKey: [UInt8] = [
        0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
        0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
        0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
    ]
    /// Longest input: the IPv6 4-tuple.
    public static let maximumInputLength = 36
    /// Key bytes needed for the longest input (input bits + 31).
    public static let minimumKeyLength = maximumInputLength + 4

    public let key: [UInt8]
    /// `table[position * 256 + byte]`: what input byte `byte` at `position`
    /// contributes to the hash.
    @usableFromInline let table: [UInt32]

    /// A key shorter than `minimumKeyLength` bytes is refused (nil).
    public init?(key: [UInt8] = RSSHash.microsoftVerificationKey) {
        guard key.count >= Self.minimumKeyLength else { return nil }
        self.key = key
        var table = [UInt32](repeating: 0, count: Self.maximumInputLength * 256)
        for position in 0..<Self.maximumInputLength {
            // The 32 key bits starting at each of the byte's 8 bit positions.
            var windows = [UInt32](repeating: 0, count: 8)
            for bit in 0..<8 {
                let start = position * 8 + bit
                var w: UInt64 = 0
                for i in 0..<8 { w = w << 8 | UInt64(start / 8 + i < key.count ? key[start / 8 + i] : 0) }
                windows[bit] = UInt32(truncatingIfNeeded: (w << UInt64(start % 8)) >> 32)
            }
            for byte in 0..<256 {
                var h: UInt32 = 0
                for bit in 0..<8 where byte & (0x80 >> bit) != 0 { h ^= windows[bit] }
                table[position * 256 + byte] = h
            }
        }
        self.table = table
    }

    /// The hex key of `--rss-key` (`6d5a56da…`, optional colons as ethtool
    /// prints them), or nil.
    public init?(hex: String) {
        let digits = Array(hex.filter { $0 != ":" })
        guard digits.count % 2 == 0, !digits.isEmpty else { return nil }
        var bytes: [UInt8] = []
        for i in stride(from: 0, to: digits.count, by: 2) {
            guard let b = UInt8(String(digits[i...i + 1]), radix: 16) else { return nil }
            bytes.append(b)
        }
        self.init(key: bytes)
    }

    /// The key as lowercase hex.
    public var keyHex: String {
        key.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// The Toeplitz hash of `input` (at most `maximumInputLength` bytes).
    @inlinable
    public func toeplitz(_ input: UnsafeRawBufferPointer) -> UInt32 {
        precondition(input.count <= Self.maximumInputLength, "RSS input longer than 36 bytes")
        return table.withUnsafeBufferPointer { t in
            var h: UInt32 = 0
            for i in 0..<input.count { h ^= t[i &* 256 &+ Int(input[i])] }
            return h
        }
    }

    /// The NIC's hash of one received frame, nil when it computes none
    /// (not IPv4/IPv6, or the headers it needs are not all captured).
    public func hash(frame: UnsafeRawBufferPointer, linkType: LinkType) -> UInt32? {
        guard let l3 = Self.networkOffset(frame, linkType) else { return nil }
        let n = frame.count
        guard l3 < n else { return nil }
        return table.withUnsafeBufferPointer { t -> UInt32? in
            // `count` bytes of the frame at `at` as input bytes from `position`.
            func add(_ h: inout UInt32, _ at: Int, _ count: Int, _ position: Int) {
                for i in 0..<count { h ^= t[(position &+ i) &* 256 &+ Int(frame[at &+ i])] }
            }
            var h: UInt32 = 0
            switch frame[l3] >> 4 {
            case 4:
                let ihl = Int(frame[l3] & 0x0f) * 4
                guard ihl >= 20, l3 + 20 <= n else { return nil }
                add(&h, l3 + 12, 8, 0)
                let fragment = (UInt16(frame[l3 + 6]) << 8 | UInt16(frame[l3 + 7])) & 0x3fff != 0
                let proto = frame[l3 + 9]
                if !fragment && (proto == 6 || proto == 17) && l3 + ihl + 4 <= n { add(&h, l3 + ihl, 4, 8) }
                return h
            case 6:
                guard l3 + 40 <= n else { return nil }
                add(&h, l3 + 8, 32, 0)
                let next = frame[l3 + 6]
                if (next == 6 || next == 17) && l3 + 44 <= n { add(&h, l3 + 40, 4, 32) }
                return h
            default:
                return nil
            }
        }
    }

    /// Where the IP header starts: after the Ethernet header and its VLAN
    /// tags (802.1Q, 802.1ad, the NIC parses both), or where the decoder
    /// puts the network header for the other link types; nil for non-IP.
    static func networkOffset(_ frame: UnsafeRawBufferPointer, _ linkType: LinkType) -> Int? {
        guard linkType.dlt == LinkType.ethernet.dlt else {
            let h = HeaderDecoder.decode(frame, linkType: linkType)
            return h.ipVersion == nil ? nil : h.networkHeader
        }
        var offset = 12
        while offset + 2 <= frame.count {
            let type = UInt16(frame[offset]) << 8 | UInt16(frame[offset + 1])
            switch type {
            case 0x8100, 0x88a8: offset += 4
            case 0x0800, 0x86dd: return offset + 2
            default: return nil
            }
        }
        return nil
    }
}
