/// One 4-byte 802.1Q/802.1ad tag: TPID, then the TCI (PCP:3, DEI:1, VID:12).
public struct VLANTag: Hashable, Sendable {
    /// The tag protocol identifier: 0x8100 (802.1Q C-tag), 0x88A8 (802.1ad
    /// S-tag) or 0x9100.
    public var tpid: UInt16
    /// VLAN ID, 0…4095.
    public var vid: UInt16
    /// Priority code point, 0…7.
    public var pcp: UInt8
    /// Drop eligible indicator.
    public var dei: Bool

    public init(tpid: UInt16 = EtherType.vlan, vid: UInt16, pcp: UInt8 = 0, dei: Bool = false) {
        self.tpid = tpid
        self.vid = vid
        self.pcp = pcp
        self.dei = dei
    }

    /// An 802.1ad service tag, the outer tag of a QinQ stack.
    public static func serviceTag(vid: UInt16, pcp: UInt8 = 0) -> VLANTag {
        VLANTag(tpid: EtherType.qinq, vid: vid, pcp: pcp)
    }

    /// The tag control information word.
    public var tci: UInt16 { UInt16(pcp & 7) << 13 | (dei ? 0x1000 : 0) | (vid & 0x0FFF) }
}
