// swift-tools-version: 6.1
//
// Micro-benchmarks for skbsim, kept out of the root package so that
// `swift test` never builds the benchmark harness.
// Run: cd Benchmarks && swift package --allow-writing-to-package-directory benchmark
import PackageDescription

let package = Package(
    name: "skbsim-benchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        // `name:` pins the identity so it does not depend on the checkout directory name.
        .package(name: "skbsim", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
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
    ]
)
