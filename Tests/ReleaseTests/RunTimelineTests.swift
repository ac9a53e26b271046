import Release
import Testing

/// `RunTimeline` against a direct bucketing of the same samples at the
/// timeline's final width: coarsening step by step must give what one pass
/// at the final width gives.
@Suite struct RunTimelineTests {
    /// Deterministic samples: increasing timestamps with gaps of 0 ns to
    /// `maxGap`, memory and a growing refill count.
    static func samples(count: Int, maxGap: Int64, seed: UInt64) -> [(t: Int64, memory: Int, refills: Int)] {
        var state = seed
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        var t: Int64 = 1_767_225_600_000_000_000
        var refills = 0
        var out: [(Int64, Int, Int)] = []
        for _ in 0..<count {
            t += Int64(next() % UInt64(maxGap + 1))
            if next() % 7 == 0 { refills += 1 }
            out.append((t, Int(next() % 100_000) * 4096, refills))
        }
        return out
    }

    @Test(arguments: [(1, Int64(10)), (50, 100), (5000, 1000), (20000, 1_000_000), (3000, 50_000_000_000)])
    func bucketsEqualADirectPassAtTheFinalWidth(count: Int, maxGap: Int64) {
        let samples = Self.samples(count: count, maxGap: maxGap, seed: UInt64(count))
        var line = RunTimeline(bucketCount: 64)
        for s in samples { line.record(timestampNanoseconds: s.t, memoryBytes: s.memory, pageFragRefills: s.refills) }
        let start = samples[0].t
        let width = line.bucketNanoseconds
        let last = samples.map { $0.t - start }.max()!
        // The narrowest width of 1 µs × 2^k that holds every sample.
        #expect(last / width < 64)
        #expect(width == 1000 || last / (width / 2) >= 64)
        var peak = Array(repeating: -1, count: 64)
        var refills = Array(repeating: -1, count: 64)
        for s in samples {
            let i = Int((s.t - start) / width)
            peak[i] = max(peak[i], s.memory)
            refills[i] = s.refills
        }
        #expect(line.peakMemoryBytes == peak)
        #expect(line.pageFragRefills == refills)
        #expect(line.usedBuckets == Int(last / width) + 1)
        #expect(line.peakMemoryBytes.max() == samples.map(\.memory).max())
    }

    @Test func earlierTimestampsGoToTheFirstBucket() {
        var line = RunTimeline(bucketCount: 8)
        line.record(timestampNanoseconds: 10_000, memoryBytes: 4096, pageFragRefills: 1)
        line.record(timestampNanoseconds: 5_000, memoryBytes: 8192, pageFragRefills: 2)
        #expect(line.peakMemoryBytes[0] == 8192)
        #expect(line.pageFragRefills[0] == 2)
        #expect(line.usedBuckets == 1)
    }
}
