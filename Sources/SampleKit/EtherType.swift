/// Ethertype values (`ETH_P_*` in `<linux/if_ether.h>`) the builders use.
public enum EtherType {
    public static let ipv4: UInt16 = 0x0800  // ETH_P_IP
    public static let arp: UInt16 = 0x0806  // ETH_P_ARP
    public static let vlan: UInt16 = 0x8100  // ETH_P_8021Q
    public static let ipv6: UInt16 = 0x86DD  // ETH_P_IPV6
    public static let qinq: UInt16 = 0x88A8  // ETH_P_8021AD
    public static let qinqLegacy: UInt16 = 0x9100  // pre-802.1ad QinQ, still seen

    /// The ethertype for an IP version's packets.
    public static func of(_ address: IPAddress) -> UInt16 {
        switch address {
        case .v4: ipv4
        case .v6: ipv6
        }
    }
}
