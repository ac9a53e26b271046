/// The RSS indirection table (RETA): which rx queue a hash goes to.
///
/// The NIC takes the low bits of the hash as an index into the table and
/// delivers the packet to the queue in that entry. Unless the user sets one
/// (`ethtool -X`), drivers fill it with `ethtool_rxfh_indir_default()`
/// (torvalds/linux v6.18 `include/linux/ethtool.h`: `return index %
/// n_rx_rings;`), entry i = i % queues: e.g. ixgbe's 128-entry table
/// (`ixgbe_setup_reta`, 82599 RETA of 128 entries), which is the default
/// size here.
public struct RSSIndirectionTable: Sendable, Hashable {
    /// Queue per entry; the count is a power of two.
    public let entries: [UInt16]
    public let queues: Int

    /// `size` entries (a power of two) spread over `queues` queues the
    /// drivers' default way.
    public init(queues: Int, size: Int = 128) {
        precondition(queues >= 1 && queues <= Int(UInt16.max), "queues out of range")
        precondition(size > 0 && size & (size - 1) == 0, "indirection table size must be a power of two")
        self.queues = queues
        entries = (0..<size).map { UInt16(Self.ethtool_rxfh_indir_default($0, queues)) }
    }

    /// `ethtool_rxfh_indir_default(index, n_rx_rings)`.
    public static func ethtool_rxfh_indir_default(_ index: Int, _ rxRings: Int) -> Int { index % rxRings }

    /// The queue of a packet with RSS hash `hash`: `indir[hash & (size - 1)]`.
    @inlinable
    public func queue(hash: UInt32) -> Int { Int(entries[Int(hash) & (entries.count - 1)]) }
}
