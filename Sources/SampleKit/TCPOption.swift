/// A TCP option (RFC 9293 §3.2, RFC 7323, RFC 2018).
public enum TCPOption: Hashable, Sendable {
    case endOfList
    case noOperation
    case maximumSegmentSize(UInt16)
    case windowScale(UInt8)
    case sackPermitted
    /// SACK blocks as (left edge, right edge) pairs, flattened: at most 4 blocks.
    case sack(edges: [UInt32])
    case timestamps(value: UInt32, echoReply: UInt32)

    public func encode() -> [UInt8] {
        var out: [UInt8] = []
        switch self {
        case .endOfList: out = [0]
        case .noOperation: out = [1]
        case .maximumSegmentSize(let mss):
            out = [2, 4]
            out.appendBigEndian(mss)
        case .windowScale(let shift): out = [3, 3, shift]
        case .sackPermitted: out = [4, 2]
        case .sack(let edges):
            out = [5, UInt8(2 + 4 * edges.count)]
            for edge in edges { out.appendBigEndian(edge) }
        case .timestamps(let value, let echoReply):
            out = [8, 10]
            out.appendBigEndian(value)
            out.appendBigEndian(echoReply)
        }
        return out
    }

    /// The 20 option bytes Linux puts on a SYN or SYN-ACK:
    /// MSS, SACK-permitted, timestamps, NOP, window scale.
    public static func linuxSYN(mss: UInt16, tsValue: UInt32, tsEcho: UInt32, windowScale: UInt8) -> [TCPOption] {
        [
            .maximumSegmentSize(mss), .sackPermitted, .timestamps(value: tsValue, echoReply: tsEcho),
            .noOperation, .windowScale(windowScale),
        ]
    }

    /// The 12 option bytes on an established Linux segment: NOP, NOP, timestamps.
    public static func linuxTimestamps(value: UInt32, echoReply: UInt32) -> [TCPOption] {
        [.noOperation, .noOperation, .timestamps(value: value, echoReply: echoReply)]
    }
}
