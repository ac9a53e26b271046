/// `gfp_t`: allocation flags with the kernel's bit values
/// (`include/linux/gfp_types.h`, v6.x, where bit 0x200 is unused since the
/// removal of `__GFP_ATOMIC` in v6.3).
public struct GFP: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let __GFP_DMA = GFP(rawValue: 0x01)
    public static let __GFP_HIGHMEM = GFP(rawValue: 0x02)
    public static let __GFP_DMA32 = GFP(rawValue: 0x04)
    public static let __GFP_MOVABLE = GFP(rawValue: 0x08)
    public static let __GFP_RECLAIMABLE = GFP(rawValue: 0x10)
    public static let __GFP_HIGH = GFP(rawValue: 0x20)
    public static let __GFP_IO = GFP(rawValue: 0x40)
    public static let __GFP_FS = GFP(rawValue: 0x80)
    public static let __GFP_ZERO = GFP(rawValue: 0x100)
    public static let __GFP_DIRECT_RECLAIM = GFP(rawValue: 0x400)
    public static let __GFP_KSWAPD_RECLAIM = GFP(rawValue: 0x800)
    public static let __GFP_WRITE = GFP(rawValue: 0x1000)
    public static let __GFP_NOWARN = GFP(rawValue: 0x2000)
    public static let __GFP_RETRY_MAYFAIL = GFP(rawValue: 0x4000)
    public static let __GFP_NOFAIL = GFP(rawValue: 0x8000)
    public static let __GFP_NORETRY = GFP(rawValue: 0x10000)
    public static let __GFP_MEMALLOC = GFP(rawValue: 0x20000)
    public static let __GFP_COMP = GFP(rawValue: 0x40000)
    public static let __GFP_NOMEMALLOC = GFP(rawValue: 0x80000)
    public static let __GFP_HARDWALL = GFP(rawValue: 0x100000)
    public static let __GFP_THISNODE = GFP(rawValue: 0x200000)
    public static let __GFP_ACCOUNT = GFP(rawValue: 0x400000)

    public static let __GFP_RECLAIM: GFP = [.__GFP_DIRECT_RECLAIM, .__GFP_KSWAPD_RECLAIM]
    public static let GFP_ATOMIC: GFP = [.__GFP_HIGH, .__GFP_KSWAPD_RECLAIM]
    public static let GFP_KERNEL: GFP = [.__GFP_RECLAIM, .__GFP_IO, .__GFP_FS]
    public static let GFP_KERNEL_ACCOUNT: GFP = [.GFP_KERNEL, .__GFP_ACCOUNT]
    public static let GFP_NOWAIT: GFP = [.__GFP_KSWAPD_RECLAIM, .__GFP_NOWARN]
    public static let GFP_NOIO: GFP = .__GFP_RECLAIM
    public static let GFP_NOFS: GFP = [.__GFP_RECLAIM, .__GFP_IO]
    public static let GFP_USER: GFP = [.GFP_KERNEL, .__GFP_HARDWALL]
    public static let GFP_DMA: GFP = .__GFP_DMA
    public static let GFP_DMA32: GFP = .__GFP_DMA32

    /// `gfpflags_allow_blocking()`: the caller may sleep (direct reclaim).
    @inlinable public var allowsBlocking: Bool { contains(.__GFP_DIRECT_RECLAIM) }

    /// `%pGg` names, composites first, in `include/trace/events/mmflags.h` order.
    static let names: [(GFP, String)] = [
        (.GFP_KERNEL_ACCOUNT, "GFP_KERNEL_ACCOUNT"), (.GFP_USER, "GFP_USER"), (.GFP_KERNEL, "GFP_KERNEL"),
        (.GFP_NOFS, "GFP_NOFS"), (.GFP_ATOMIC, "GFP_ATOMIC"), (.GFP_NOIO, "GFP_NOIO"), (.GFP_NOWAIT, "GFP_NOWAIT"),
        (.GFP_DMA, "GFP_DMA"), (.__GFP_HIGHMEM, "__GFP_HIGHMEM"), (.GFP_DMA32, "GFP_DMA32"),
        (.__GFP_HIGH, "__GFP_HIGH"), (.__GFP_IO, "__GFP_IO"), (.__GFP_FS, "__GFP_FS"),
        (.__GFP_NOWARN, "__GFP_NOWARN"), (.__GFP_RETRY_MAYFAIL, "__GFP_RETRY_MAYFAIL"),
        (.__GFP_NOFAIL, "__GFP_NOFAIL"), (.__GFP_NORETRY, "__GFP_NORETRY"), (.__GFP_COMP, "__GFP_COMP"),
        (.__GFP_ZERO, "__GFP_ZERO"), (.__GFP_NOMEMALLOC, "__GFP_NOMEMALLOC"), (.__GFP_MEMALLOC, "__GFP_MEMALLOC"),
        (.__GFP_HARDWALL, "__GFP_HARDWALL"), (.__GFP_THISNODE, "__GFP_THISNODE"),
        (.__GFP_RECLAIMABLE, "__GFP_RECLAIMABLE"), (.__GFP_MOVABLE, "__GFP_MOVABLE"),
        (.__GFP_ACCOUNT, "__GFP_ACCOUNT"), (.__GFP_WRITE, "__GFP_WRITE"),
        (.__GFP_RECLAIM, "__GFP_RECLAIM"), (.__GFP_DIRECT_RECLAIM, "__GFP_DIRECT_RECLAIM"),
        (.__GFP_KSWAPD_RECLAIM, "__GFP_KSWAPD_RECLAIM"),
    ]

    /// Like the kernel's `mode:%#x(%pGg)`, e.g. `0x2820(GFP_ATOMIC|__GFP_NOWARN)`.
    public var description: String {
        var rest = self
        var parts: [String] = []
        for (flag, name) in GFP.names where !flag.isEmpty && rest.isSuperset(of: flag) {
            parts.append(name)
            rest.subtract(flag)
        }
        if !rest.isEmpty { parts.append("0x" + String(rest.rawValue, radix: 16)) }
        return "0x" + String(rawValue, radix: 16) + "(" + (parts.isEmpty ? "none" : parts.joined(separator: "|")) + ")"
    }
}
