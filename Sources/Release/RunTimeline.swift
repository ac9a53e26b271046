/// Simulated memory over capture time, in a fixed number of buckets: the
/// peak of pages in use (not free in the buddy allocator) at packet ends and
/// the page_frag refills so far, per bucket of capture time.
///
/// The capture's length is not known in advance, so the buckets start
/// narrow (1 µs) and, when a packet falls past the last one, neighbouring
/// buckets merge pairwise and the width doubles: memory and time stay
/// bounded by `bucketCount` whatever the capture's size. A packet's bucket
/// is `(timestamp - first timestamp) / width`, earlier timestamps (an
/// out-of-order capture) go to bucket 0; the result depends only on the
/// packets' timestamps and the model's state, never on thread timing.
public struct RunTimeline: Sendable, Hashable {
    /// Buckets of a timeline (`compare --svg` draws one point per bucket).
    public static let defaultBucketCount = 400
    public let bucketCount: Int
    /// Width of a bucket in nanoseconds of capture time.
    public private(set) var bucketNanoseconds: Int64 = 1000
    /// Timestamp of the first packet (ns since the epoch); nil before it.
    public private(set) var startNanoseconds: Int64?
    /// Per bucket: the highest simulated memory in use at a packet end, in
    /// bytes; -1 for a bucket no packet ended in.
    public private(set) var peakMemoryBytes: [Int]
    /// Per bucket: page_frag refills (order-3 and order-0 pages) since the
    /// start of the run, at the bucket's last packet; -1 as above.
    public private(set) var pageFragRefills: [Int]
    /// Buckets in use: the last one that holds a packet, plus one.
    public private(set) var usedBuckets = 0

    public init(bucketCount: Int = RunTimeline.defaultBucketCount) {
        precondition(bucketCount >= 2 && bucketCount % 2 == 0, "an even number of buckets, at least 2")
        self.bucketCount = bucketCount
        peakMemoryBytes = Array(repeating: -1, count: bucketCount)
        pageFragRefills = Array(repeating: -1, count: bucketCount)
    }

    /// Capture time the timeline covers, in nanoseconds from the first packet.
    public var spanNanoseconds: Int64 { Int64(usedBuckets) * bucketNanoseconds }

    /// One packet end: its timestamp, the memory in use and the refills so far.
    @inline(__always)
    public mutating func record(timestampNanoseconds t: Int64, memoryBytes: Int, pageFragRefills refills: Int) {
        guard let start = startNanoseconds else {
            startNanoseconds = t
            return record(timestampNanoseconds: t, memoryBytes: memoryBytes, pageFragRefills: refills)
        }
        let offset = t > start ? t &- start : 0
        var index = offset / bucketNanoseconds
        while index >= Int64(bucketCount) {
            coarsen()
            index = offset / bucketNanoseconds
        }
        let i = Int(index)
        if memoryBytes > peakMemoryBytes[i] { peakMemoryBytes[i] = memoryBytes }
        pageFragRefills[i] = refills
        if i >= usedBuckets { usedBuckets = i + 1 }
    }

    /// Merges buckets pairwise and doubles their width.
    mutating func coarsen() {
        let half = bucketCount / 2
        for i in 0..<half {
            let a = 2 * i
            let b = a + 1
            peakMemoryBytes[i] = Swift.max(peakMemoryBytes[a], peakMemoryBytes[b])
            // The later bucket's count is the newer one when it has a packet.
            pageFragRefills[i] = pageFragRefills[b] >= 0 ? pageFragRefills[b] : pageFragRefills[a]
        }
        for i in half..<bucketCount {
            peakMemoryBytes[i] = -1
            pageFragRefills[i] = -1
        }
        usedBuckets = (usedBuckets + 1) / 2
        bucketNanoseconds = bucketNanoseconds > Int64.max / 2 ? Int64.max : bucketNanoseconds * 2
    }

    /// The buckets as points: (start of the bucket in ns from the first
    /// packet, peak memory bytes, page_frag refills), an empty bucket taking
    /// its predecessor's values.
    public var points: [(offsetNanoseconds: Int64, memoryBytes: Int, pageFragRefills: Int)] {
        var out: [(Int64, Int, Int)] = []
        out.reserveCapacity(usedBuckets)
        var memory = 0
        var refills = 0
        for i in 0..<usedBuckets {
            if peakMemoryBytes[i] >= 0 { memory = peakMemoryBytes[i] }
            if pageFragRefills[i] >= 0 { refills = pageFragRefills[i] }
            out.append((Int64(i) * bucketNanoseconds, memory, refills))
        }
        return out
    }
}
