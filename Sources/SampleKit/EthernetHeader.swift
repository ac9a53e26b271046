/// An Ethernet II header with an optional stack of VLAN tags, outermost first.
///
/// Encoded as `dst(6) src(6) [tpid(2) tci(2)]* ethertype(2)`: each tag's
/// TPID sits where the ethertype would be, so the final ethertype describes
/// the payload.
public struct EthernetHeader: Hashable, Sendable {
    public var destination: MACAddress
    public var source: MACAddress
    public var vlanTags: [VLANTag]

    public init(destination: MACAddress, source: MACAddress, vlanTags: [VLANTag] = []) {
        self.destination = destination
        self.source = source
        self.vlanTags = vlanTags
    }

    /// 14 bytes plus 4 per tag.
    public var length: Int { 14 + 4 * vlanTags.count }

    /// The header followed by `payload`. No FCS and no padding to 60 bytes:
    /// captures taken on Linux show frames as the stack received them.
    public func encode(etherType: UInt16, payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(length + payload.count)
        out += destination.bytes
        out += source.bytes
        for tag in vlanTags {
            out.appendBigEndian(tag.tpid)
            out.appendBigEndian(tag.tci)
        }
        out.appendBigEndian(etherType)
        out += payload
        return out
    }
}
