import KernelMemory

/// The transport protocol the IP layer hands an skb to (`ip_local_deliver`'s
/// `ip_hdr(skb)->protocol`, `ip6_input`'s next header).
public enum L4Protocol: Sendable, Hashable {
    case tcp, udp, other
}

extension SkbSim {
    /// The L4 protocol of an skb, read from its network header as the
    /// kernel reads it: IPv4 `protocol`, IPv6 `nexthdr` (extension headers
    /// are not walked: such packets count as `.other`). Not IP, or a header
    /// outside the linear data: `.other`.
    public func l4Protocol(_ id: SkbID) -> L4Protocol {
        let i = Int(id.index)
        guard isLive(id) else { return .other }
        let nh = skbs[i].head
        let at: Int
        switch skbs[i].protocolType {
        case 0x0800: at = Int(skbs[i].networkHeader) + 9
        case 0x86DD: at = Int(skbs[i].networkHeader) + 6
        default: return .other
        }
        // The byte is in the skb's linear data (the model put the headers
        // there itself): the same read the checker would pass.
        guard at < Int(skbs[i].tail) else { return .other }
        switch memory.rawLoad(UInt8.self, at: nh + at) {
        case 6: return .tcp
        case 17: return .udp
        default: return .other
        }
    }
}
