// swift-tools-version: 6.1
//
// skbsim: a deterministic simulator of the Linux kernel's sk_buff and page_frag
// allocator, fed by real captures through libpcap.
//
// Module graph (data flows one way, top to bottom):
//
//   CPcap, CMappedFile ──▶ Capture ──┐
//   Trace ───────────────────────────┤ (events: below the model, which emits them)
//   Trace + CSQLite ──▶ TraceStore ──▶ skbsim (trace --format sqlite)
//   KernelMemory ────────────────────┴▶ SkbModel ──▶ Release ──▶ skbsim (CLI)
//   KernelMemory ──▶ KernelReference ──▶ KernelProbe ──▶ skbsim (--kernel running)
//   SkbModel + KernelReference (+ SampleKit flows) ──▶ Fidelity ──▶ skbsim-fidelity (writes docs/fidelity.md)
//   SampleKit ──▶ skbsim-samples (generates samples/), TestSupport (the tests' helpers),
//             skbsim (export's pcapng block writer)
//
// Benchmarks live in their own package under Benchmarks/ so that `swift test`
// does not build the benchmark harness.
import PackageDescription

let package = Package(
    name: "skbsim",
    products: [
        .executable(name: "skbsim", targets: ["skbsim"]),
        .executable(name: "skbsim-samples", targets: ["skbsim-samples"]),
        .executable(name: "skbsim-fidelity", targets: ["skbsim-fidelity"]),
        .library(name: "Capture", targets: ["Capture"]),
        // The mmap-window stream Capture reads files through (the benchmark's
        // bare C loop uses it for its second baseline).
        .library(name: "CMappedFile", targets: ["CMappedFile"]),
        .library(name: "KernelMemory", targets: ["KernelMemory"]),
        .library(name: "SampleKit", targets: ["SampleKit"]),
        .library(name: "KernelProbe", targets: ["KernelProbe"]),
        .library(name: "KernelReference", targets: ["KernelReference"]),
        .library(name: "Trace", targets: ["Trace"]),
        .library(name: "SkbModel", targets: ["SkbModel"]),
        .library(name: "Release", targets: ["Release"]),
        // Helpers for testing your own code against the model with Swift Testing.
        .library(name: "SkbTesting", targets: ["SkbTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // `swift package generate-documentation` for the DocC catalogs.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        // libpcap, found through pkg-config; Debian: libpcap-dev.
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        // Capture files read through a sliding mmap window (a stdio cookie
        // stream handed to pcap_fopen_offline): no read(2) per stdio refill.
        .target(name: "CMappedFile"),
        .target(name: "Capture", dependencies: ["CPcap", "CMappedFile"]),
        .target(name: "KernelMemory"),
        // Lifecycle events and their sinks; below the model so it can emit them.
        .target(name: "Trace"),
        // SQLite's C library, found through pkg-config; Debian: libsqlite3-dev
        // (docs/sqlite-schema.md says why no Swift wrapper package).
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // `trace --format sqlite`: the event stream as SQLite tables.
        .target(name: "TraceStore", dependencies: ["Trace", "CSQLite"]),
        .target(name: "SkbModel", dependencies: ["KernelMemory", "Capture", "Trace"]),
        // Release pipeline (stages, hooks, sockets) and the packet-run driver.
        .target(name: "Release", dependencies: ["SkbModel", "KernelMemory", "Capture", "Trace"]),
        .target(name: "SampleKit"),
        // Fixtures and expectations for users' Swift Testing tests; `import SkbTesting`
        // re-exports the types a test names (Exports.swift).
        .target(
            name: "SkbTesting", dependencies: ["SkbModel", "KernelMemory", "Capture", "Trace", "SampleKit", "Release"]),
        // Measures the running kernel (loopback sockets, /proc) to check the model against.
        .target(name: "KernelProbe", dependencies: ["KernelReference", "KernelMemory"]),
        // The kernel's expected skb geometry per scenario, from its macros and
        // allocation rules, written apart from the model (only KernelConfig numbers).
        .target(name: "KernelReference", dependencies: ["KernelMemory"]),
        // Model vs KernelReference rows and docs/fidelity.md.
        .target(
            name: "Fidelity",
            dependencies: ["SkbModel", "KernelMemory", "KernelReference", "Capture", "SampleKit", "Trace"]),
        .executableTarget(name: "skbsim-fidelity", dependencies: ["Fidelity", "KernelReference", "KernelMemory"]),
        .executableTarget(name: "skbsim-samples", dependencies: ["SampleKit"]),
        .executableTarget(
            name: "skbsim",
            dependencies: [
                "CPcap",
                "Capture",
                "KernelMemory",
                "KernelProbe",
                "SkbModel",
                "Release",
                "Trace",
                "TraceStore",
                "SampleKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // What the test targets share: repository paths, the libpcap corpus, temporary files,
        // frames and hosts for SampleKit's builders, running the built skbsim binary.
        .target(name: "TestSupport", dependencies: ["SampleKit"], path: "Tests/TestSupport"),
        .testTarget(name: "CaptureTests", dependencies: ["Capture", "CMappedFile", "SampleKit", "TestSupport"]),
        .testTarget(name: "KernelMemoryTests", dependencies: ["KernelMemory"]),
        .testTarget(name: "TraceTests", dependencies: ["Trace", "TestSupport"]),
        .testTarget(
            name: "SkbModelTests",
            dependencies: ["SkbModel", "KernelMemory", "Capture", "Trace", "SampleKit", "TestSupport"]),
        .testTarget(
            name: "ReleaseTests",
            dependencies: ["Release", "SkbModel", "KernelMemory", "Capture", "Trace", "SampleKit", "TestSupport"],
            exclude: ["Golden"]),
        .testTarget(name: "SampleKitTests", dependencies: ["SampleKit", "Capture", "TestSupport"]),
        .testTarget(name: "KernelProbeTests", dependencies: ["KernelProbe", "KernelReference", "KernelMemory"]),
        .testTarget(
            name: "FidelityTests",
            dependencies: ["Fidelity", "KernelReference", "KernelProbe", "SkbModel", "KernelMemory", "TestSupport"]),
        // Runs the built skbsim binary; depending on it makes SwiftPM build it first.
        .testTarget(
            name: "CLITests",
            dependencies: [
                "skbsim", "SkbModel", "KernelMemory", "Capture", "Trace", "TraceStore", "SampleKit", "TestSupport",
            ]),
        // skbsim verify --live against the running kernel (root, /dev/net/tun; skipped elsewhere).
        .testTarget(name: "LiveKernelTests", dependencies: ["skbsim", "SampleKit", "TestSupport"]),
        // Only SkbTesting, as a user's tests: its re-exports must be enough.
        .testTarget(name: "SkbTestingTests", dependencies: ["SkbTesting"]),
        // Hostile captures through the skbsim binary; CPcap to count what libpcap alone delivers;
        // fault injection through PacketRun (Release) and skb-operation regressions (SkbModel).
        .testTarget(
            name: "ReliabilityTests",
            dependencies: [
                "skbsim", "Capture", "CPcap", "SampleKit", "Release", "SkbModel", "KernelMemory", "Trace",
                "TestSupport",
            ]),
    ]
)
