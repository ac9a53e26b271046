/// A handle to an sk_buff in the simulator's pool.
///
/// The pool reuses slots after an skb is freed; `generation` tells a stale
/// handle (one kept after `kfree_skb`) from the slot's new occupant, so that
/// touching a freed skb is reported as a use-after-free instead of silently
/// reaching someone else's packet.
public struct SkbID: Hashable, Sendable, CustomStringConvertible {
    public var index: UInt32
    public var generation: UInt32

    @inlinable
    public init(index: UInt32, generation: UInt32) {
        self.index = index
        self.generation = generation
    }

    public var description: String { "skb#\(index)" }
}
