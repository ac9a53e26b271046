/// The NAPI instance's GRO state (`napi->gro`): `GRO_HASH_BUCKETS` held
/// lists of at most `MAX_GRO_SKBS` skbs each, ordered oldest first, plus
/// the per-held-skb `NAPI_GRO_CB` fields GRO keeps across packets.
///
/// Storage is one fixed array of 8 × 8 slots allocated up front, so the
/// receive path allocates nothing in steady state. Owned by a `Napi`.
public struct GROEngine: Sendable {
    /// `NAPI_GRO_CB(p)` of a held skb.
    struct Held: Sendable {
        var skb: SkbID
        /// `NAPI_GRO_CB(p)->last`: where the next frag_list/frags merge goes.
        var last: SkbID
        /// `NAPI_GRO_CB(p)->count`: segments aggregated.
        var count: UInt16
        /// `NAPI_GRO_CB(p)->ip_fixedid`: the flow uses a fixed IPv4 ID (DF set, same ID).
        var ipFixedID: Bool
    }

    /// Counters of one run.
    public struct Statistics: Sendable, Hashable {
        /// Skbs that started a held list entry (`GRO_HELD`).
        public var held = 0
        /// Merges per `GROMergeStrategy` raw value.
        public var merged: [Int] = [0, 0, 0]
        /// Held skbs completed and delivered, per `GROFlushCause` raw value.
        public var flushed: [Int] = Array(repeating: 0, count: GROFlushCause.allCases.count)
        /// Skbs delivered without being held (`GRO_NORMAL`, GRO off included).
        public var normal = 0
        /// Of `normal`: TCP segments whose checksum `skb_gro_checksum_validate`
        /// found wrong (not merged; TCP drops them).
        public var checksumBad = 0
        /// NAPI polls ended.
        public var polls = 0
    }

    public var options: GROOptions
    public internal(set) var statistics = Statistics()

    var slots: ContiguousArray<Held>
    var counts: ContiguousArray<Int>

    public init(options: GROOptions = GROOptions()) {
        self.options = options
        let none = SkbID(index: UInt32.max, generation: 0)
        slots = ContiguousArray(
            repeating: Held(skb: none, last: none, count: 0, ipFixedID: false),
            count: GROOptions.hashBuckets * GROOptions.maxGroSkbs)
        counts = ContiguousArray(repeating: 0, count: GROOptions.hashBuckets)
    }

    /// Skbs currently held, all buckets.
    public var heldCount: Int { counts.reduce(0, +) }

    /// The held skbs of `bucket`, oldest first.
    public func held(bucket: Int) -> [SkbID] {
        (0..<counts[bucket]).map { slots[bucket * GROOptions.maxGroSkbs + $0].skb }
    }

    @inline(__always) func slotIndex(_ bucket: Int, _ k: Int) -> Int { bucket * GROOptions.maxGroSkbs + k }

    /// Remove entry `k` of `bucket`, keeping age order.
    mutating func remove(_ bucket: Int, _ k: Int) -> Held {
        let base = bucket * GROOptions.maxGroSkbs
        let h = slots[base + k]
        var j = k
        while j + 1 < counts[bucket] {
            slots[base + j] = slots[base + j + 1]
            j += 1
        }
        counts[bucket] -= 1
        return h
    }

    /// Append a youngest entry (caller made room).
    mutating func append(_ bucket: Int, _ h: Held) {
        slots[slotIndex(bucket, counts[bucket])] = h
        counts[bucket] += 1
    }
}
