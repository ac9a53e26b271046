// swift-tools-version: 6.1
//
// Benchmarks for skbsim, kept out of the root package so that `swift test`
// never builds the benchmark harness.
//
//   ordo-one micro-benchmarks:
//     cd Benchmarks && swift package --allow-writing-to-package-directory benchmark
//   end-to-end throughput against a bare C libpcap loop (docs/performance.md):
//     swift run -c release --package-path Benchmarks skbsim-bench
import PackageDescription

let package = Package(
    name: "skbsim-benchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        // `name:` pins the identity so it does not depend on the checkout directory name.
        .package(name: "skbsim", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        // Also reached through `benchmark`; named here for its Swift API (malloc counters).
        .package(url: "https://github.com/ordo-one/malloc-interposer", from: "1.6.1"),
    ],
    targets: [
        .executableTarget(
            name: "PageFrag",
            dependencies: [
                .product(name: "KernelMemory", package: "skbsim"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/PageFrag",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The baseline: a bare pcap_next_ex loop in C, timed inside C.
        .target(
            name: "CBarePcap",
            dependencies: [.product(name: "CMappedFile", package: "skbsim")],
            path: "Sources/CBarePcap",
            cSettings: [.unsafeFlags(["-O2"])],
            linkerSettings: [.linkedLibrary("pcap")]
        ),
        // End-to-end throughput, mallocs per packet and peak RSS against the baseline.
        .executableTarget(
            name: "skbsim-bench",
            dependencies: [
                "CBarePcap",
                .product(name: "Capture", package: "skbsim"),
                .product(name: "KernelMemory", package: "skbsim"),
                .product(name: "SkbModel", package: "skbsim"),
                .product(name: "Release", package: "skbsim"),
                .product(name: "SampleKit", package: "skbsim"),
                .product(name: "Trace", package: "skbsim"),
                .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
            ],
            path: "Sources/skbsim-bench"
        ),
    ]
)
