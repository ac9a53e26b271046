/// A NAPI instance (`struct napi_struct`, net/core/dev.c) and its GRO
/// state (`struct gro_node`, net/core/gro.c): the context a driver's poll
/// runs in. GRO state lives here, not in the skb code, as in the kernel.
///
/// A poll handles up to `budget` packets (`NAPI_POLL_WEIGHT` 64); the
/// driver counts its work with `pollWorkDone`, and the poll ends with
/// `napi_complete_done`, which flushes what GRO holds. The per-CPU
/// allocation caches a NAPI poll allocates from (`napi_alloc_cache`) are
/// skbuff.c's, in `SkbSim`.
///
/// ```swift
/// let napi = Napi(sim: sim, gro: GROOptions(enabled: true))
/// try napi.napi_gro_receive(skb) { delivered in ... }
/// try napi.napi_complete_done { delivered in ... }
/// ```
public final class Napi {
    /// The CPU whose skbuff.c this NAPI instance allocates from and frees to.
    public let sim: SkbSim
    /// Held lists, per-held-skb state and counters of GRO.
    @exclusivity(unchecked) public var gro: GROEngine
    /// Packets per poll (`napi->weight`, `--napi-budget`).
    public var budget: Int
    /// Tests only: GRO reads every header byte through the checker (no raw
    /// reads after one look, see `GROHeaderReader`), to show both give the
    /// same results.
    @exclusivity(unchecked) var checkedReadsOnly = false
    /// Work done in the current poll.
    @exclusivity(unchecked) public private(set) var pollWork = 0

    public init(sim: SkbSim, gro: GROOptions = GROOptions(), budget: Int = 64) {
        precondition(budget > 0, "a NAPI budget is at least 1")
        self.sim = sim
        self.gro = GROEngine(options: gro)
        self.budget = budget
    }

    /// `napi_gro_receive(napi, skb)`: takes ownership of `skb`. Merged skbs are
    /// freed (or chained) as the kernel does; held skbs stay in `gro`; skbs that
    /// leave GRO (not TCP, flushed, completed) are handed to `deliver` in the
    /// order the kernel queues them on `napi->rx_list` (`gro_normal_batch`
    /// only delays that list, it never reorders it). Throws `SkbError` for a
    /// stale handle and whatever `deliver` throws.
    public func napi_gro_receive(_ skb: SkbID, deliver: (SkbID) throws(SkbError) -> Void) throws(SkbError) {
        try sim.napi_gro_receive(self, skb, deliver)
    }

    /// The driver processed one more packet of the poll (received, dropped
    /// or failed alike). True when that used up the budget: the driver then
    /// ends the poll (`napi_complete_done`).
    public func pollWorkDone() -> Bool {
        pollWork += 1
        return pollWork >= budget
    }

    /// The poll is over: the work counter restarts.
    public func endPoll() {
        pollWork = 0
        gro.statistics.polls += 1
    }

    /// End of a NAPI poll (`napi_complete_done` → `gro_flush(gro, false)`
    /// with the default `gro_flush_timeout` of 0): every held skb is
    /// completed and delivered (cause `pollEnd`), and the poll's work
    /// counter restarts.
    public func napi_complete_done(deliver: (SkbID) throws(SkbError) -> Void) throws(SkbError) {
        try sim.groFlushAll(self, .pollEnd, deliver)
        endPoll()
    }

    /// `napi_gro_flush(napi, false)` (e.g. at the end of the capture):
    /// deliver every held skb after `napi_gro_complete` (cause `explicitFlush`).
    public func napi_gro_flush(deliver: (SkbID) throws(SkbError) -> Void) throws(SkbError) {
        try sim.groFlushAll(self, .explicitFlush, deliver)
    }
}
