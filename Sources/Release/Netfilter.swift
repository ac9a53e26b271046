import SkbModel
import Trace

/// `NFPROTO_*` (include/uapi/linux/netfilter.h): the protocol family a hook
/// is registered for.
public enum NFProto: UInt8, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    case unspec = 0
    case inet = 1
    case ipv4 = 2
    case arp = 3
    case netdev = 5
    case bridge = 7
    case ipv6 = 10

    /// The family whose PRE_ROUTING hooks see a frame of this ethertype
    /// (`ip_rcv` → IPV4, `ipv6_rcv` → IPV6, `arp_rcv` → ARP), nil for others.
    public static func forEtherType(_ type: UInt16) -> NFProto? {
        switch type {
        case 0x0800: .ipv4
        case 0x86DD: .ipv6
        case 0x0806: .arp
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .unspec: "NFPROTO_UNSPEC"
        case .inet: "NFPROTO_INET"
        case .ipv4: "NFPROTO_IPV4"
        case .arp: "NFPROTO_ARP"
        case .netdev: "NFPROTO_NETDEV"
        case .bridge: "NFPROTO_BRIDGE"
        case .ipv6: "NFPROTO_IPV6"
        }
    }
}

/// The hook point (`enum nf_inet_hooks`; `NF_NETDEV_INGRESS` is 0 in its
/// own enum, numbered 5 here to keep one space).
public enum NFHookPoint: UInt8, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    case preRouting = 0
    case localIn = 1
    case forward = 2
    case localOut = 3
    case postRouting = 4
    case ingress = 5

    public var description: String {
        switch self {
        case .preRouting: "NF_INET_PRE_ROUTING"
        case .localIn: "NF_INET_LOCAL_IN"
        case .forward: "NF_INET_FORWARD"
        case .localOut: "NF_INET_LOCAL_OUT"
        case .postRouting: "NF_INET_POST_ROUTING"
        case .ingress: "NF_NETDEV_INGRESS"
        }
    }
}

/// A hook's verdict: `NF_ACCEPT`, or `NF_DROP` with the reason the skb is
/// freed with (`NF_DROP_REASON`; plain `NF_DROP` is NETFILTER_DROP).
public enum NFVerdict: Sendable, Hashable {
    case accept
    /// nil = `SKB_DROP_REASON_NETFILTER_DROP` of the simulation's table.
    case drop(SkbDropReason?)
}

/// What a hook sees: the simulation (read-only use expected) and the skb.
public struct NFHookState {
    public let sim: SkbSim
    public let skb: SkbID
    public let family: NFProto
    public let point: NFHookPoint
    /// Snapshot of the skb (`sim.skb(skb)`).
    public var buffer: SkBuff { (try? sim.skb(skb)) ?? SkBuff() }
}

/// One registered hook (`struct nf_hook_ops`): family, hook point,
/// priority (lower runs first, as in the kernel) and the hook function.
public struct NetfilterHook {
    public var name: StaticString
    public var family: NFProto
    public var point: NFHookPoint
    public var priority: Int32
    public var body: (NFHookState) -> NFVerdict

    public init(
        name: StaticString, family: NFProto, point: NFHookPoint, priority: Int32 = 0,
        _ body: @escaping (NFHookState) -> NFVerdict
    ) {
        self.name = name
        self.family = family
        self.point = point
        self.priority = priority
        self.body = body
    }

    /// A hook that drops everything it sees (with `reason`, nil = NETFILTER_DROP).
    public static func dropAll(
        family: NFProto, point: NFHookPoint = .preRouting, reason: SkbDropReason? = nil
    ) -> NetfilterHook {
        NetfilterHook(name: "nf_drop_all", family: family, point: point) { _ in .drop(reason) }
    }
}

/// Registered hooks by (family, point), each list sorted by priority
/// (`nf_register_net_hook`). An empty table costs one count check per
/// traversal.
public struct NetfilterHooks {
    public private(set) var hooks: [NetfilterHook] = []
    /// Bitmap of (family, point) pairs that have hooks: `nf_hooks_needed`.
    private var present = Set<UInt16>()

    public init(_ hooks: [NetfilterHook] = []) { for h in hooks { register(h) } }

    public var isEmpty: Bool { hooks.isEmpty }

    /// `nf_register_net_hook`.
    public mutating func register(_ hook: NetfilterHook) {
        let at = hooks.firstIndex { $0.priority > hook.priority } ?? hooks.count
        hooks.insert(hook, at: at)
        present.insert(key(hook.family, hook.point))
    }

    /// `nf_unregister_net_hook` by name, family and point.
    public mutating func unregister(name: String, family: NFProto, point: NFHookPoint) {
        hooks.removeAll { $0.name.description == name && $0.family == family && $0.point == point }
        present = Set(hooks.map { key($0.family, $0.point) })
    }

    /// `nf_hooks_needed(family, point)`.
    @inline(__always)
    public func needed(_ family: NFProto, _ point: NFHookPoint) -> Bool {
        !hooks.isEmpty && present.contains(key(family, point))
    }

    private func key(_ f: NFProto, _ p: NFHookPoint) -> UInt16 { UInt16(f.rawValue) << 8 | UInt16(p.rawValue) }
}
