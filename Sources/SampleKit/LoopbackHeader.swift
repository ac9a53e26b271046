/// The 4-byte BSD loopback header of `LINKTYPE_NULL` (0): the sender's
/// address family in the *capturing host's* byte order. `LINKTYPE_LOOP` (108)
/// is the same with the family always big-endian.
public struct LoopbackHeader: Hashable, Sendable {
    /// AF_INET on every BSD and Linux.
    public static let afInet: UInt32 = 2
    /// AF_INET6 differs per OS: Linux 10, NetBSD/OpenBSD 24, FreeBSD 28, macOS 30.
    public static let afInet6Linux: UInt32 = 10
    public static let afInet6Darwin: UInt32 = 30

    public var family: UInt32
    /// True to write the family little-endian, as an x86/arm64 host does.
    public var littleEndian: Bool

    public init(family: UInt32, littleEndian: Bool = true) {
        self.family = family
        self.littleEndian = littleEndian
    }

    public static let length = 4

    public func encode(payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        if littleEndian { out.appendLittleEndian(family) } else { out.appendBigEndian(family) }
        return out + payload
    }
}
