import ArgumentParser
import KernelMemory
import SkbModel

/// `skbsim layout`: the skb one packet of N bytes gets on a receive path,
/// built by the model, read back, freed, and checked for leaks.
struct Layout: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the sk_buff a packet of N bytes gets on a receive path.",
        discussion: """
            The skb is built by the model (allocated on PATH, an N-byte frame put: \
            a TCP/IPv4 segment with timestamps, 66 bytes of headers, when N ≥ 66, \
            else pattern bytes), its geometry read back, then freed and checked for leaks.

            Paths: netdev-alloc-skb, napi-alloc-skb, build-skb, sg-copybreak, alloc-skb.

            Examples:
              skbsim layout --path netdev-alloc-skb --len 1500
              skbsim layout --path alloc-skb --len 0 --json
              skbsim layout --path sg-copybreak --len 9000 --max-skb-frags 45 --mtu 9000
              skbsim layout --path napi-alloc-skb --len 200 --kernel 6.12
            """
    )

    static let paths = RxPath.allCases.map(\.rawValue) + ["alloc-skb"]

    @Option(help: ArgumentHelp("The allocation path: \(Layout.paths.joined(separator: ", ")).", valueName: "PATH"))
    var path: String

    @Option(help: ArgumentHelp("Packet length in bytes (0…65535), link header included.", valueName: "N"))
    var len: Int

    @Flag(help: "Print one JSON object instead of text (schema in docs/cli.md).")
    var json = false

    @OptionGroup var kernel: KernelOptions

    @Option(
        name: .customLong("max-skb-frags"),
        help: ArgumentHelp("CONFIG_MAX_SKB_FRAGS (17…45, Linux 6.4+; default the profile's).", valueName: "N"))
    var maxSkbFrags: Int?

    @Option(
        name: .customLong("mtu"),
        help: ArgumentHelp(
            "Device MTU (68…65535; default the smallest that takes the frame, at least 1500); picks the RX buffers of build-skb.",
            valueName: "N"))
    var mtuOption: Int?

    /// `--mtu`, or the smallest MTU a device receiving a `len`-byte frame has.
    var mtu: Int { mtuOption ?? min(65535, max(1500, len - 14)) }

    func validate() throws {
        guard Layout.paths.contains(path) else {
            throw ValidationError("--path must be one of \(Layout.paths.joined(separator: ", ")), got '\(path)'")
        }
        guard (0...65535).contains(len) else { throw ValidationError("--len must be between 0 and 65535, got \(len)") }
        try SimulationOptions.validate(maxSkbFrags: maxSkbFrags, mtu: mtu, profile: try kernel.profile())
    }

    func run() throws {
        var profile = try kernel.profile()
        if let maxSkbFrags { profile.config.maxSkbFrags = maxSkbFrags }
        let frags = profile.config.maxSkbFrags
        let layout = try Layout.build(path: path, len: len, profile: profile, mtu: mtu)
        if json {
            print(layout.json(path: path, requestedLength: len, maxSkbFrags: frags, mtu: mtu, kernel: profile.name))
            return
        }
        print("skb for a \(len)-byte packet on \(path) (\(profile.name), MAX_SKB_FRAGS \(frags), MTU \(mtu))")
        layout.report.forEach { print($0) }
        print()
        print(layout.diagramLine)
        print()
        layout.picture.forEach { print($0) }
    }

    /// Allocate on `path`, put a `len`-byte frame (`frame(len)`), read the
    /// layout, free, and require a clean checker and no leaks.
    static func build(path: String, len: Int, profile: KernelProfile, mtu: Int) throws -> SkbLayout {
        let rx = RxPath(rawValue: path)
        let driver = SimulationOptions.makeDriver(profile: profile, rxPath: rx ?? .netdevAllocSkb, mtu: mtu)
        let sim = driver.sim
        let bytes = frame(len)
        let skb: SkbID?
        if let rx {
            skb = try bytes.withUnsafeBytes { buf in try driver.driverReceive(buf, rx) }
        } else {
            skb = sim.alloc_skb(len)
            if let skb, len > 0 {
                _ = try sim.skb_put(skb, len)
                try bytes.withUnsafeBytes { try sim.skb_copy_to_linear_data(skb, $0) }
            }
        }
        guard let skb else {
            throw InputError(description: "the model could not allocate an skb for \(len) bytes on \(path)")
        }
        let layout = try SkbLayout(sim: sim, skb: skb)
        try sim.kfree_skb(skb)
        sim.drainCaches()
        driver.drainRing()
        try CaptureRun.verdict(sim)
        return layout
    }

    /// The frame `layout` receives: from 66 bytes on, a TCP/IPv4 segment
    /// as Linux sends it in bulk (Ethernet 14, IPv4 20, TCP 32 with the
    /// timestamp option: what a header-split driver copies into the head),
    /// its payload a 0x00…0xff pattern; shorter, the pattern alone.
    static func frame(_ len: Int) -> [UInt8] {
        var b = (0..<len).map { UInt8(truncatingIfNeeded: $0) }
        guard len >= 66 else { return b }
        let header: [UInt8] =
            [0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00]
            + [0x45, 0, UInt8((len - 14) >> 8 & 0xFF), UInt8((len - 14) & 0xFF), 0, 1, 0x40, 0, 64, 6, 0, 0]
            + [192, 0, 2, 1, 198, 51, 100, 2]
            + [0x01, 0xBB, 0xC7, 0x38, 0, 0, 0, 1, 0, 0, 0, 1, 0x80, 0x10, 0x01, 0xF6, 0, 0, 0, 0]
            + [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 1]
        b.replaceSubrange(0..<66, with: header)
        return b
    }
}
