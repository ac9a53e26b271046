/// SplitMix64 (Steele, Lea, Flood 2014): a tiny deterministic PRNG so that
/// the same seed always injects the same failures.
public struct SplitMix64: Sendable, Hashable {
    public var state: UInt64
    @inlinable public init(seed: UInt64) { state = seed }
    @inlinable public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    @inlinable public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1p-53 }
}

/// One fault-injection attribute set, modelled on `struct fault_attr`
/// (`lib/fault-inject.c`) plus the `fail_page_alloc` / `failslab` filters
/// (`mm/fail_page_alloc.c`, `mm/failslab.c`).
///
/// Order of checks, as `should_fail_ex`: filters (min-order, `__GFP_NOFAIL`,
/// ignore-gfp-wait), then `failNth` (like `/proc/<pid>/fail-nth`: counts
/// every filtered call, fails exactly the Nth), then `times`, `interval`,
/// `probability`. Disabled by default (probability 0, no failNth).
public struct FaultInjection: Sendable, Hashable {
    /// Chance of failing an eligible call, 0...1 (the kernel uses percent).
    public var probability: Double = 0
    /// Only every `interval`-th eligible call may fail.
    public var interval: Int = 1
    /// Failures left; -1 = unlimited (the kernel's default).
    public var times: Int = -1
    /// Fail exactly the Nth eligible call (1-based), then stop.
    public var failNth: Int? = nil
    /// `min-order`: page allocations of lower order never fail (kernel default 1).
    public var minOrder: Int
    /// `ignore-gfp-wait`: leave allocations that may sleep
    /// (`__GFP_DIRECT_RECLAIM`) alone (kernel default Y).
    public var ignoreGfpWait: Bool = true
    /// Seed of the deterministic PRNG.
    public var seed: UInt64 = 0x5eed {
        didSet { rng = SplitMix64(seed: seed) }
    }
    /// Eligible calls seen / failures injected.
    public internal(set) var eligibleCalls = 0
    public internal(set) var injected = 0
    @usableFromInline var rng = SplitMix64(seed: 0x5eed)
    @usableFromInline var count = 0

    public init(minOrder: Int = 0) { self.minOrder = minOrder }

    /// Whether any failure can be injected at all (cheap pre-check).
    @inlinable public var isArmed: Bool { probability > 0 || failNth != nil }

    /// `should_fail_alloc_page` / `should_failslab` + `should_fail_ex`.
    public mutating func shouldFail(gfp: GFP, order: Int) -> Bool {
        guard isArmed, order >= minOrder, !gfp.contains(.__GFP_NOFAIL) else { return false }
        if ignoreGfpWait && gfp.contains(.__GFP_DIRECT_RECLAIM) { return false }
        eligibleCalls += 1
        if let nth = failNth {
            if eligibleCalls == nth {
                failNth = nil
                injected += 1
                return true
            }
            return false
        }
        if times == 0 { return false }
        if interval > 1 {
            count += 1
            if count % interval != 0 { return false }
        }
        if rng.nextUnit() >= probability { return false }
        if times > 0 { times -= 1 }
        injected += 1
        return true
    }
}
