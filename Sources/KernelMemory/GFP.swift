/// `gfp_t`: allocation flags with the kernel's bit values
/// (`include/linux/gfp_types.h`, v6.x, where bit 0x200 is unused since the
/// removal of `__GFP_ATOMIC` in v6.3).
public struct GFP: OptionSet, Hashable, Sendable, CustomStringConvertible {
    // The flags are inlinable computed constants, not `static let`s: a
    // `static let` of another module is read through a lazy-global addressor
    // call at every use, several per skb on the allocation paths.
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    @inlinable public static var __GFP_DMA: GFP { GFP(rawValue: 0x01) }
    @inlinable public static var __GFP_HIGHMEM: GFP { GFP(rawValue: 0x02) }
    @inlinable public static var __GFP_DMA32: GFP { GFP(rawValue: 0x04) }
    @inlinable public static var __GFP_MOVABLE: GFP { GFP(rawValue: 0x08) }
    @inlinable public static var __GFP_RECLAIMABLE: GFP { GFP(rawValue: 0x10) }
    @inlinable public static var __GFP_HIGH: GFP { GFP(rawValue: 0x20) }
    @inlinable public static var __GFP_IO: GFP { GFP(rawValue: 0x40) }
    @inlinable public static var __GFP_FS: GFP { GFP(rawValue: 0x80) }
    @inlinable public static var __GFP_ZERO: GFP { GFP(rawValue: 0x100) }
    @inlinable public static var __GFP_DIRECT_RECLAIM: GFP { GFP(rawValue: 0x400) }
    @inlinable public static var __GFP_KSWAPD_RECLAIM: GFP { GFP(rawValue: 0x800) }
    @inlinable public static var __GFP_WRITE: GFP { GFP(rawValue: 0x1000) }
    @inlinable public static var __GFP_NOWARN: GFP { GFP(rawValue: 0x2000) }
    @inlinable public static var __GFP_RETRY_MAYFAIL: GFP { GFP(rawValue: 0x4000) }
    @inlinable public static var __GFP_NOFAIL: GFP { GFP(rawValue: 0x8000) }
    @inlinable public static var __GFP_NORETRY: GFP { GFP(rawValue: 0x10000) }
    @inlinable public static var __GFP_MEMALLOC: GFP { GFP(rawValue: 0x20000) }
    @inlinable public static var __GFP_COMP: GFP { GFP(rawValue: 0x40000) }
    @inlinable public static var __GFP_NOMEMALLOC: GFP { GFP(rawValue: 0x80000) }
    @inlinable public static var __GFP_HARDWALL: GFP { GFP(rawValue: 0x100000) }
    @inlinable public static var __GFP_THISNODE: GFP { GFP(rawValue: 0x200000) }
    @inlinable public static var __GFP_ACCOUNT: GFP { GFP(rawValue: 0x400000) }

    @inlinable public static var __GFP_RECLAIM: GFP { [.__GFP_DIRECT_RECLAIM, .__GFP_KSWAPD_RECLAIM] }
    @inlinable public static var GFP_ATOMIC: GFP { [.__GFP_HIGH, .__GFP_KSWAPD_RECLAIM] }
    @inlinable public static var GFP_KERNEL: GFP { [.__GFP_RECLAIM, .__GFP_IO, .__GFP_FS] }
    @inlinable public static var GFP_KERNEL_ACCOUNT: GFP { [.GFP_KERNEL, .__GFP_ACCOUNT] }
    @inlinable public static var GFP_NOWAIT: GFP { [.__GFP_KSWAPD_RECLAIM, .__GFP_NOWARN] }
    @inlinable public static var GFP_NOIO: GFP { .__GFP_RECLAIM }
    @inlinable public static var GFP_NOFS: GFP { [.__GFP_RECLAIM, .__GFP_IO] }
    @inlinable public static var GFP_USER: GFP { [.GFP_KERNEL, .__GFP_HARDWALL] }
    @inlinable public static var GFP_DMA: GFP { .__GFP_DMA }
    @inlinable public static var GFP_DMA32: GFP { .__GFP_DMA32 }

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
