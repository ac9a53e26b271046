/// An IPv6 header (RFC 8200) followed by an optional chain of extension
/// headers, in order. `encode` links the next-header fields and sets the
/// payload length.
public struct IPv6Header: Hashable, Sendable {
    public var source: IPv6Address
    public var destination: IPv6Address
    public var hopLimit: UInt8
    public var trafficClass: UInt8
    /// 20-bit flow label.
    public var flowLabel: UInt32
    public var extensionHeaders: [IPv6ExtensionHeader]

    public init(
        source: IPv6Address, destination: IPv6Address, hopLimit: UInt8 = 64,
        trafficClass: UInt8 = 0, flowLabel: UInt32 = 0, extensionHeaders: [IPv6ExtensionHeader] = []
    ) {
        self.source = source
        self.destination = destination
        self.hopLimit = hopLimit
        self.trafficClass = trafficClass
        self.flowLabel = flowLabel
        self.extensionHeaders = extensionHeaders
    }

    /// `upperLayer` is the protocol after the last extension header
    /// (6 TCP, 17 UDP, 58 ICMPv6, 59 no next header).
    public func encode(upperLayer: UInt8, payload: [UInt8]) -> [UInt8] {
        var chain: [UInt8] = []
        for (index, header) in extensionHeaders.enumerated() {
            let next = index + 1 < extensionHeaders.count ? extensionHeaders[index + 1].protocolNumber : upperLayer
            chain += header.encode(nextHeader: next)
        }
        var out: [UInt8] = []
        out.reserveCapacity(40 + chain.count + payload.count)
        out.appendBigEndian(6 << 28 | UInt32(trafficClass) << 20 | (flowLabel & 0xF_FFFF))
        out.appendBigEndian(UInt16(chain.count + payload.count))
        out.append(extensionHeaders.first?.protocolNumber ?? upperLayer)
        out.append(hopLimit)
        out += source.bytes
        out += destination.bytes
        return out + chain + payload
    }
}
