/// `skb->ip_summed` (include/linux/skbuff.h, v6.18, "Checksumming of
/// received packets by device"): what is known about the packet's
/// transport checksum.
///
/// | value | kernel | here |
/// |-------|--------|------|
/// | 0 `none` | `CHECKSUM_NONE`: the device checked nothing; the stack verifies in software | set by the rx driver for a TCP/UDP checksum it found wrong (`--rx-csum verify`) and for packets it does not check |
/// | 1 `unnecessary` | `CHECKSUM_UNNECESSARY`: the device verified `csum_level + 1` checksums | set by the rx driver for a right TCP/UDP checksum (`verify`) or for every frame (`trust`) |
/// | 2 `complete` | `CHECKSUM_COMPLETE`: `skb->csum` holds the sum of the packet | after `__skb_checksum_complete` computed it in software (`csum_complete_sw`) |
/// | 3 `partial` | `CHECKSUM_PARTIAL`: to be filled in at `csum_start + csum_offset` | a GRO super-packet after `tcp_gro_complete` |
public enum SkbIPSummed: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case none = 0
    case unnecessary = 1
    case complete = 2
    case partial = 3

    public var description: String {
        switch self {
        case .none: "CHECKSUM_NONE"
        case .unnecessary: "CHECKSUM_UNNECESSARY"
        case .complete: "CHECKSUM_COMPLETE"
        case .partial: "CHECKSUM_PARTIAL"
        }
    }
}
