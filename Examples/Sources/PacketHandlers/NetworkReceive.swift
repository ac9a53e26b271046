import SkbModel
import Trace

/// What ``networkReceive(_:_:)`` read from a packet's network header.
public struct NetworkSummary: Hashable, Sendable {
    /// 4 or 6.
    public var version: Int
    /// Bytes of the network header it pulled (IHL × 4, or 40 for IPv6).
    public var headerLength: Int
    /// The upper-layer protocol number (6 TCP, 17 UDP, ...).
    public var protocolNumber: UInt8
    /// `skb->len` after the pull: the transport header and payload.
    public var transportLength: Int

    public init(version: Int, headerLength: Int, protocolNumber: UInt8, transportLength: Int) {
        self.version = version
        self.headerLength = headerLength
        self.protocolNumber = protocolNumber
        self.transportLength = transportLength
    }
}

/// A protocol receive handler written against the model's kernel API, in
/// the manner of the kernel's `ip_rcv_core` / `ip6_rcv_core`
/// (net/ipv4/ip_input.c, net/ipv6/ip6_input.c): it owns `skb`; it makes the
/// network header linear with `pskb_may_pull` (on rx paths that put the
/// frame in page fragments, that copies header bytes into the head), checks
/// it, trims link-layer padding (`pskb_trim`), pulls the header with
/// `skb_pull` and sets the transport header, then ends the skb with
/// `consume_skb`. A packet it cannot use is freed with `kfree_skb_reason`
/// (PKT_TOO_SMALL, IP_INHDR, UNHANDLED_PROTO). Returns nil for a drop.
///
/// This is the code the Examples package's tests check on every rx path.
public func networkReceive(_ sim: SkbSim, _ skb: SkbID) throws -> NetworkSummary? {
    let reasonInhdr = SkbDropReason(named: "IP_INHDR") ?? .notSpecified
    let version: Int
    switch try sim.skb(skb).protocolType {
    case 0x0800: version = 4
    case 0x86DD: version = 6
    default:
        try sim.kfree_skb_reason(skb, SkbDropReason(named: "UNHANDLED_PROTO") ?? .notSpecified)
        return nil
    }
    let fixedLength = version == 4 ? 20 : 40
    guard try sim.pskb_may_pull(skb, fixedLength) else {
        try sim.kfree_skb_reason(skb, reasonInhdr)
        return nil
    }
    var header = [UInt8](repeating: 0, count: fixedLength)
    _ = try header.withUnsafeMutableBytes { try sim.skb_copy_bits(skb, offset: 0, into: $0) }
    guard Int(header[0] >> 4) == version else {
        try sim.kfree_skb_reason(skb, reasonInhdr)
        return nil
    }
    let headerLength: Int
    let datagramLength: Int
    let protocolNumber: UInt8
    if version == 4 {
        headerLength = Int(header[0] & 0x0F) * 4
        datagramLength = Int(header[2]) << 8 | Int(header[3])
        protocolNumber = header[9]
        // Options: the whole header must be linear too.
        guard headerLength >= 20, try sim.pskb_may_pull(skb, headerLength) else {
            try sim.kfree_skb_reason(skb, reasonInhdr)
            return nil
        }
    } else {
        headerLength = 40
        datagramLength = 40 + (Int(header[4]) << 8 | Int(header[5]))
        protocolNumber = header[6]
    }
    let len = Int(try sim.skb(skb).len)
    guard datagramLength <= len, datagramLength >= headerLength else {
        try sim.kfree_skb_reason(skb, .pktTooSmall)
        return nil
    }
    // Ethernet pads short frames: drop what follows the datagram.
    if datagramLength < len {
        guard try sim.pskb_trim(skb, datagramLength) else {
            try sim.kfree_skb_reason(skb, .nomem)
            return nil
        }
    }
    _ = try sim.skb_pull(skb, headerLength)
    try sim.modify(skb) { $0.transportHeader = UInt16($0.data) }
    let summary = NetworkSummary(
        version: version, headerLength: headerLength, protocolNumber: protocolNumber,
        transportLength: Int(try sim.skb(skb).len))
    try sim.consume_skb(skb)
    return summary
}
