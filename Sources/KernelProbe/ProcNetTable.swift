/// One socket line of /proc/net/udp, /proc/net/udp6, /proc/net/tcp or /proc/net/tcp6.
///
/// Columns (net/ipv4/udp.c `udp4_format_sock`, net/ipv6/datagram.c
/// `__ip6_dgram_sock_seq_show`):
/// `sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ref pointer drops`.
/// Addresses and ports are hex; for UDP `rx_queue` is the socket's `sk_rmem_alloc`
/// (minus the forward deficit of datagrams already read), i.e. the summed truesize of
/// queued skbs. For TCP `rx_queue` is unread *bytes* (`rcv_nxt - copied_seq`), not memory.
public struct ProcNetSocketLine: Sendable, Hashable {
    public var slot: Int
    /// Hex address text as printed (8 hex digits for v4, 32 for v6).
    public var localAddressHex: String
    public var localPort: UInt16
    public var remoteAddressHex: String
    public var remotePort: UInt16
    public var state: Int
    public var txQueue: Int
    public var rxQueue: Int
    public var uid: Int
    public var inode: UInt64
    /// The `drops` column (UDP and raw tables only; nil for TCP).
    public var drops: Int?

    public init(
        slot: Int, localAddressHex: String, localPort: UInt16, remoteAddressHex: String,
        remotePort: UInt16, state: Int, txQueue: Int, rxQueue: Int, uid: Int,
        inode: UInt64, drops: Int?
    ) {
        self.slot = slot
        self.localAddressHex = localAddressHex
        self.localPort = localPort
        self.remoteAddressHex = remoteAddressHex
        self.remotePort = remotePort
        self.state = state
        self.txQueue = txQueue
        self.rxQueue = rxQueue
        self.uid = uid
        self.inode = inode
        self.drops = drops
    }
}

public enum ProcNetTable {
    /// Parses one data line; nil for the header line or malformed text.
    public static func parseLine(_ line: Substring) -> ProcNetSocketLine? {
        let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard f.count >= 10, f[0].hasSuffix(":"),
            let slot = Int(f[0].dropLast()),
            let (la, lp) = endpoint(f[1]),
            let (ra, rp) = endpoint(f[2]),
            let st = Int(f[3], radix: 16),
            let (tx, rx) = hexPair(f[4]),
            let uid = Int(f[7]),
            let inode = UInt64(f[9])
        else { return nil }
        // UDP/raw lines end with "ref pointer drops"; TCP lines carry other fields there.
        var drops: Int? = nil
        if f.count == 13, let d = Int(f[12]) { drops = d }
        return ProcNetSocketLine(
            slot: slot, localAddressHex: la, localPort: lp,
            remoteAddressHex: ra, remotePort: rp, state: st,
            txQueue: tx, rxQueue: rx, uid: uid, inode: inode, drops: drops)
    }

    public static func parseLine(_ line: String) -> ProcNetSocketLine? {
        parseLine(line[...])
    }

    /// Parses a whole table, skipping the header and anything unparsable.
    public static func parse(_ text: String) -> [ProcNetSocketLine] {
        text.split(separator: "\n").compactMap { parseLine($0) }
    }

    /// Reads and parses a /proc/net table; nil if the file is unreadable.
    public static func read(_ path: String) -> [ProcNetSocketLine]? {
        SystemFiles.readText(path).map(parse)
    }

    private static func endpoint(_ s: Substring) -> (String, UInt16)? {
        guard let colon = s.lastIndex(of: ":"),
            let port = UInt16(s[s.index(after: colon)...], radix: 16)
        else { return nil }
        let addr = s[..<colon]
        guard addr.count == 8 || addr.count == 32, addr.allSatisfy(\.isHexDigit) else { return nil }
        return (String(addr), port)
    }

    private static func hexPair(_ s: Substring) -> (Int, Int)? {
        let parts = s.split(separator: ":")
        guard parts.count == 2, let a = Int(parts[0], radix: 16), let b = Int(parts[1], radix: 16)
        else { return nil }
        return (a, b)
    }
}
