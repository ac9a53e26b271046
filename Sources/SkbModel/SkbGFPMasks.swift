import KernelMemory

/// The GFP combinations the per-packet allocation paths use, built once.
///
/// `GFP`'s flags are `static let`s of another module: each use is a call
/// to a lazy-global addressor, several per skb. Same values as spelled at
/// the call sites (`SkbSim.gfp`).
@usableFromInline
struct SkbGFPMasks: Sendable {
    /// `GFP_ATOMIC`.
    @usableFromInline let atomic: GFP = .GFP_ATOMIC
    /// `GFP_ATOMIC | __GFP_NOWARN`.
    @usableFromInline let atomicNowarn: GFP = [.GFP_ATOMIC, .__GFP_NOWARN]
    /// `__GFP_DMA`.
    @usableFromInline let dma: GFP = .__GFP_DMA
    /// `kmalloc_reserve`'s test for a normal (small-head-cache) allocation.
    @usableFromInline let notNormal: GFP = [.__GFP_DMA, .__GFP_RECLAIMABLE, .__GFP_ACCOUNT]
    /// `kmalloc_reserve`'s first try: `__GFP_NOMEMALLOC | __GFP_NOWARN`.
    @usableFromInline let noMemallocNowarn: GFP = [.__GFP_NOMEMALLOC, .__GFP_NOWARN]
    /// The rx allocators take the kmalloc path for these.
    @usableFromInline let rxKmallocFlags: GFP = [.__GFP_DIRECT_RECLAIM, .__GFP_DMA]

    init() {}
}
