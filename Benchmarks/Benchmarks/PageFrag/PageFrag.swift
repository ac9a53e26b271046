import Benchmark
import KernelMemory

// page_frag alloc+free pairs as the network stack issues them:
// 1920 bytes = SKB_DATA_ALIGN(1500 + NET_SKB_PAD) + SKB_DATA_ALIGN(shinfo)
// (__netdev_alloc_skb(dev, 1500) on x86_64), and 75 bytes as
// tools/testing/selftests/mm/page_frag/test_page_frag.sh uses.
// Steady state: the cache reuses its page, so no mallocs are expected.

let metrics: [BenchmarkMetric] = [.wallClock, .throughput, .mallocCountTotal]

func pageFragPairs(_ benchmark: Benchmark, fragsz: Int, algorithm: PageFragAlgorithm) {
    var config = KernelConfig()
    config.pageFragAlgorithm = algorithm
    let memory = MemorySystem(config: config)
    let nc = memory.pageFragCacheCreate(name: "netdev_alloc_cache")
    // Warm up: take the first page outside the measurement.
    if let a = memory.page_frag_alloc(nc, fragsz, .GFP_ATOMIC) { memory.page_frag_free(a) }
    benchmark.startMeasurement()
    for _ in benchmark.scaledIterations {
        let addr = memory.page_frag_alloc(nc, fragsz, .GFP_ATOMIC)
        memory.page_frag_free(addr.unsafelyUnwrapped)
    }
    benchmark.stopMeasurement()
    memory.page_frag_cache_drain(nc)
    precondition(memory.leakReport().isEmpty && memory.checker.reports.isEmpty)
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: metrics, scalingFactor: .mega, maxDuration: .seconds(2))

    Benchmark("page_frag alloc+free 1920 B (v6.13+)") { benchmark in
        pageFragPairs(benchmark, fragsz: 1920, algorithm: .countUp)
    }
    Benchmark("page_frag alloc+free 75 B (v6.13+)") { benchmark in
        pageFragPairs(benchmark, fragsz: 75, algorithm: .countUp)
    }
    Benchmark("page_frag alloc+free 1920 B (legacy <=6.12)") { benchmark in
        pageFragPairs(benchmark, fragsz: 1920, algorithm: .legacyCountDown)
    }
    Benchmark("baseline: fresh [UInt8](1920) per packet") { benchmark in
        var sink = 0
        for i in benchmark.scaledIterations {
            var buffer = [UInt8](repeating: 0, count: 1920)
            buffer[i & 1023] = UInt8(truncatingIfNeeded: i)
            sink &+= Int(buffer[(i + 1) & 1023])
            blackHole(buffer)
        }
        blackHole(sink)
    }
}
