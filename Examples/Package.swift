// swift-tools-version: 6.1
//
// An outside package that uses skbsim the way a user's package does: it
// depends on skbsim's library products and tests its own packet-handling code
// against the model with Swift Testing. `.ci/run` builds and tests it, so the
// documentation's examples (which are this package's code) cannot rot.
//
//   swift test --package-path Examples
//
// A user's package names skbsim by URL instead of by path:
//
//   .package(url: "https://…/skbsim.git", from: "0.1.0"),
import PackageDescription

let package = Package(
    name: "skbsim-examples",
    dependencies: [
        // `name:` pins the identity so it does not depend on the checkout directory name.
        .package(name: "skbsim", path: "..")
    ],
    targets: [
        // The code under test: a receive handler written against the model's kernel API.
        .target(
            name: "PacketHandlers",
            dependencies: [
                .product(name: "SkbModel", package: "skbsim"),
                .product(name: "Trace", package: "skbsim"),
            ]),
        // The tests a user writes: one import, `SkbTesting`, gives them the model.
        .testTarget(
            name: "PacketHandlersTests",
            dependencies: [
                "PacketHandlers",
                .product(name: "SkbTesting", package: "skbsim"),
            ],
            // The strictest import checking a user may turn on (members need
            // their module imported): SkbTesting's re-exports still suffice.
            swiftSettings: [.enableUpcomingFeature("MemberImportVisibility")]),
    ]
)
