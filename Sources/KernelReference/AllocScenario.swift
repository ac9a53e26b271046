/// A receive or allocation path a fidelity row exercises.
public enum AllocPath: String, CaseIterable, Sendable, Hashable {
    /// `alloc_skb(len, GFP_KERNEL)`, nothing put.
    case allocSkb = "alloc_skb"
    /// `netdev_alloc_skb(dev, len)` (GFP_ATOMIC), nothing put.
    case netdevAllocSkb = "netdev_alloc_skb"
    /// `napi_alloc_skb(napi, len)`, nothing put.
    case napiAllocSkb = "napi_alloc_skb"
    /// A `len`-byte frame received by a build_skb driver (ixgbe/i40e style).
    case buildSkb = "build_skb"
    /// A `len`-byte frame received by a copybreak + page-frag driver (igb style).
    case sgCopybreak = "sg-copybreak"

    /// Lengths of the table; build_skb and sg-copybreak stop at 9000 (jumbo
    /// frames): a 65535-byte frame on 2048-byte ring buffers needs more than
    /// MAX_SKB_FRAGS buffers, which no kernel rule but the driver's settles.
    public var lengths: [Int] {
        switch self {
        case .allocSkb, .netdevAllocSkb, .napiAllocSkb:
            [1, 60, 64, 128, 256, 1024, 1500, 1514, 2048, 4000, 9000, 65535]
        case .buildSkb, .sgCopybreak:
            [1, 60, 64, 128, 256, 1024, 1500, 1514, 2048, 4000, 9000]
        }
    }
}

/// The driver side of a row, shared by both sides (it is the driver's
/// choice, not the kernel's): the device MTU, which sets ixgbe's buffer
/// size (`RxBufferFacts`), and igb's `IGB_RX_HDR_LEN` 256 copybreak.
public struct DriverModel: Hashable, Sendable {
    public var mtu = 1500
    public var copybreak = 256
    public init(mtu: Int = 1500) { self.mtu = mtu }
}

public struct AllocScenario: Hashable, Sendable, CustomStringConvertible {
    public var path: AllocPath
    public var length: Int
    /// Always false for the allocation rows; GRO-on rows are `GROScenario`s.
    public var gro: Bool

    public init(path: AllocPath, length: Int, gro: Bool = false) {
        self.path = path
        self.length = length
        self.gro = gro
    }

    public var description: String { "\(path.rawValue)(\(length))" }

    /// Every GRO-off scenario, path by path.
    public static var groOff: [AllocScenario] {
        AllocPath.allCases.flatMap { p in p.lengths.map { AllocScenario(path: p, length: $0) } }
    }
}

/// What an skb looks like right after a scenario: the fields a row compares.
public struct SkbFacts: Hashable, Sendable, CustomStringConvertible {
    public var head: HeadKind
    /// `skb_headroom` = data − head.
    public var headroom: Int
    /// `skb_tailroom`: end − tail, 0 when non-linear.
    public var tailroom: Int
    public var truesize: Int
    public var nrFrags: Int
    /// `skb->len`.
    public var len: Int

    public init(head: HeadKind, headroom: Int, tailroom: Int, truesize: Int, nrFrags: Int, len: Int) {
        self.head = head
        self.headroom = headroom
        self.tailroom = tailroom
        self.truesize = truesize
        self.nrFrags = nrFrags
        self.len = len
    }

    public var description: String {
        "\(head) · hr \(headroom) · tr \(tailroom) · ts \(truesize) · frags \(nrFrags) · len \(len)"
    }

    /// The expectation (self) holds for `observed`.
    public func matches(_ observed: SkbFacts) -> Bool {
        head.matches(observed.head) && headroom == observed.headroom && tailroom == observed.tailroom
            && truesize == observed.truesize && nrFrags == observed.nrFrags && len == observed.len
    }
}

/// A kernel expectation with the rules it was computed from.
public struct Expectation: Hashable, Sendable {
    public var facts: SkbFacts
    public var sources: [Citation]
}
