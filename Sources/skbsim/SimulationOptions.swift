import ArgumentParser
import KernelMemory
import Release
import SkbModel
import Trace

/// Model options shared by every subcommand that runs a capture through the
/// model (`inspect --skb`, `pagemap`, `export`, `stats`, `trace`); they
/// become the `PacketRunOptions` of the Release module's packet-run driver.
/// The kernel is `--kernel` (`KernelOptions`); the knobs below override its
/// driver-side choices.
struct SimulationOptions: ParsableArguments {
    @OptionGroup var kernel: KernelOptions

    @Option(
        name: .customLong("rx-path"),
        help: ArgumentHelp(
            "How the driver builds the skb: netdev-alloc-skb, napi-alloc-skb, build-skb, sg-copybreak, tun-build-skb, tun-alloc-skb.",
            valueName: "PATH"))
    var rxPathName: String = RxPath.netdevAllocSkb.rawValue

    @Flag(help: "Run GRO (napi_gro_receive, flushed at each NAPI poll's end and at the end of the capture).")
    var gro = false

    @Option(
        name: .customLong("napi-budget"),
        help: ArgumentHelp("Packets per NAPI poll (1…65536); GRO is flushed at each poll's end.", valueName: "N"))
    var napiBudget: Int = 64

    @Option(
        name: .customLong("release-order"),
        help: ArgumentHelp(
            "Release stage order: kernel, or seed (the seed document's skb_release, per-frag destructors included).",
            valueName: "ORDER"))
    var releaseOrderName: String = ReleaseOrder.kernel.rawValue

    @Option(
        name: .customLong("max-skb-frags"),
        help: ArgumentHelp(
            "CONFIG_MAX_SKB_FRAGS (17…45, Linux 6.4+; default the profile's): sizes skb_shared_info and the frags per skb.",
            valueName: "N"))
    var maxSkbFrags: Int?

    @Option(
        name: .customLong("mtu"),
        help: ArgumentHelp(
            "Device MTU (68…65535). Above 1500 build-skb (ixgbe) receives into 3072-byte buffers in order-1 pages; sg-copybreak (igb legacy-rx) keeps 2048-byte buffers.",
            valueName: "N"))
    var mtu: Int = 1500

    @Option(
        name: .customLong("rx-ring"),
        help: ArgumentHelp(
            "build-skb and sg-copybreak: descriptors in the rx ring (ethtool -G DEV rx N; 64…4096, rounded up to a multiple of 8; default ixgbe 512, igb 256).",
            valueName: "N"))
    var rxRing: Int?

    @Option(
        name: .customLong("memory"),
        help: ArgumentHelp(
            "Simulated memory, a multiple of 4K from 1M to 4G, e.g. 256M, 1G (default 32M, or 8192 pages with larger pages).",
            valueName: "SIZE"))
    var memoryText: String?

    /// 32 MiB, or 8192 pages where pages are larger than 4 KiB (a 64 KiB-page
    /// ixgbe ring alone holds 511 pages, 32 MiB).
    var defaultMemory: Int { max(32 << 20, 8192 * profile.config.pageSize) }

    @Option(
        name: .customLong("fail-page-nth"),
        help: ArgumentHelp("fail_page_alloc: fail the Nth page allocation (N ≥ 1).", valueName: "N"))
    var failPageNth: Int?

    @Option(
        name: .customLong("fail-page-prob"),
        help: ArgumentHelp("fail_page_alloc: fail each page allocation with probability P (0…1).", valueName: "P"))
    var failPageProb: Double?

    @Option(
        name: .customLong("fail-slab-nth"),
        help: ArgumentHelp("failslab: fail the Nth slab allocation (N ≥ 1).", valueName: "N"))
    var failSlabNth: Int?

    @Option(
        name: .customLong("fail-slab-prob"),
        help: ArgumentHelp("failslab: fail each slab allocation with probability P (0…1).", valueName: "P"))
    var failSlabProb: Double?

    @Option(
        name: .customLong("fault-seed"),
        help: ArgumentHelp("Seed of the --fail-*-prob random numbers (default 1).", valueName: "S"))
    var faultSeed: UInt64 = 1

    @Option(
        name: .customLong("drop-reasons"),
        help: ArgumentHelp(
            "The enum skb_drop_reason list of another release: 6.1, 6.6, 6.8, 6.12 or 6.18 (default: the --kernel profile's).",
            valueName: "KERNEL"))
    var dropReasonsName: String?

    @Option(
        name: .customLong("socket-queue"),
        help: ArgumentHelp(
            "The receiving socket keeps up to N skbs queued before its reader consumes the oldest (0…1000000; 0 = consume at once).",
            valueName: "N"))
    var socketQueue: Int = 0

    @Option(
        name: .customLong("rcvbuf"),
        help: ArgumentHelp(
            "sk_rcvbuf of the receiving socket (net.core.rmem_default, 212992); SIZE suffixes accepted.",
            valueName: "BYTES"))
    var rcvbufText: String = "212992"

    @Option(
        name: .customLong("length"),
        help: ArgumentHelp(
            "Build each skb at the packet's wire length (the kernel's; bytes past the snapshot length filled with 0xee) or its captured length: wire or captured.",
            valueName: "LENGTH"))
    var lengthName: String = SkbBuildLength.wire.rawValue

    @Option(
        name: .customLong("rx-csum"),
        help: ArgumentHelp(
            "The NIC's TCP/UDP checksum verdict: verify (checked over the captured bytes: wrong ones are CHECKSUM_NONE, not merged by GRO, dropped as TCP_CSUM/UDP_CSUM) or trust (every frame CHECKSUM_UNNECESSARY, for captures taken on the sending host).",
            valueName: "MODE"))
    var rxCsumName: String = RxChecksumMode.verify.rawValue

    @Option(
        name: .customLong("rx-header-split"),
        help: ArgumentHelp(
            "sg-copybreak: copy only the headers (eth_get_headlen, at most 256 bytes) into the skb head, as igb_construct_skb does (on, default), or the first 256 bytes (off).",
            valueName: "on|off"))
    var rxHeaderSplitName: String = "on"

    @Option(
        name: .customLong("rx-vlan-offload"),
        help: ArgumentHelp(
            "NETIF_F_HW_VLAN_CTAG_RX (ethtool rxvlan): on, the NIC strips an outer 802.1Q tag before the skb is built (igb, ixgbe, i40e, mlx5); off, skb_vlan_untag pops tags in software (virtio_net, tun).",
            valueName: "on|off"))
    var rxVLANOffloadName: String = "on"

    @Option(
        name: .customLong("vlan-devices"),
        help: ArgumentHelp(
            "The host's VLAN devices: all (default), none, or VIDs such as 100,200 (802.1Q) and ad:300 (802.1AD). A tagged frame whose VID has no device is dropped as OTHERHOST.",
            valueName: "VIDS"))
    var vlanDevicesText: String = "all"

    func validate() throws {
        guard RxChecksumMode(rawValue: rxCsumName) != nil else {
            throw ValidationError("--rx-csum must be verify or trust, got '\(rxCsumName)'")
        }
        guard rxHeaderSplitName == "on" || rxHeaderSplitName == "off" else {
            throw ValidationError("--rx-header-split must be on or off, got '\(rxHeaderSplitName)'")
        }
        guard rxVLANOffloadName == "on" || rxVLANOffloadName == "off" else {
            throw ValidationError("--rx-vlan-offload must be on or off, got '\(rxVLANOffloadName)'")
        }
        guard VLANDevices(parsing: vlanDevicesText) != nil else {
            throw ValidationError(
                "--vlan-devices must be all, none or a comma list of VIDs 0…4095 (ad:VID for 802.1AD), got '\(vlanDevicesText)'"
            )
        }
        guard SkbBuildLength(rawValue: lengthName) != nil else {
            throw ValidationError("--length must be wire or captured, got '\(lengthName)'")
        }
        guard RxPath(rawValue: rxPathName) != nil else {
            throw ValidationError(
                "--rx-path must be one of \(RxPath.allCases.map(\.rawValue).joined(separator: ", ")), got '\(rxPathName)'"
            )
        }
        let profile = try kernel.profile()
        try SimulationOptions.validate(maxSkbFrags: maxSkbFrags, mtu: mtu, profile: profile)
        if let n = rxRing, !(64...4096).contains(n) {
            throw ValidationError("--rx-ring must be between 64 and 4096, got \(n)")
        }
        guard (1...65536).contains(napiBudget) else {
            throw ValidationError("--napi-budget must be between 1 and 65536, got \(napiBudget)")
        }
        guard ReleaseOrder(rawValue: releaseOrderName) != nil else {
            throw ValidationError("--release-order must be kernel or seed, got '\(releaseOrderName)'")
        }
        let memoryText = self.memoryText ?? "\(defaultMemory)"
        guard let memory = SimulationOptions.parseSize(memoryText) else {
            throw ValidationError("--memory must be a size such as 32M or 1G, got '\(memoryText)'")
        }
        guard (1 << 20...4 << 30).contains(memory), memory % 4096 == 0 else {
            throw ValidationError("--memory must be a multiple of 4K between 1M and 4G, got '\(memoryText)'")
        }
        let page = profile.config.pageSize
        guard memory % page == 0, memory / page >= 64 else {
            throw ValidationError(
                "--memory must be a multiple of the \(page / 1024)K page size and hold at least 64 pages (\(64 * page / 1024)K), got '\(memoryText)'"
            )
        }
        if failPageNth != nil && failPageProb != nil {
            throw ValidationError("--fail-page-nth and --fail-page-prob cannot be combined")
        }
        if failSlabNth != nil && failSlabProb != nil {
            throw ValidationError("--fail-slab-nth and --fail-slab-prob cannot be combined")
        }
        for (name, n) in [("--fail-page-nth", failPageNth), ("--fail-slab-nth", failSlabNth)] {
            if let n, n < 1 { throw ValidationError("\(name) must be a positive number, got \(n)") }
        }
        for (name, p) in [("--fail-page-prob", failPageProb), ("--fail-slab-prob", failSlabProb)] {
            if let p, !(0...1).contains(p) {
                throw ValidationError("\(name) must be a probability between 0 and 1, got \(p)")
            }
        }
        _ = try KernelOptions.dropReasons(profile: profile, override: dropReasonsName)
        guard (0...1_000_000).contains(socketQueue) else {
            throw ValidationError("--socket-queue must be between 0 and 1000000, got \(socketQueue)")
        }
        guard let rcvbuf = SimulationOptions.parseSize(rcvbufText), (1...(1 << 31)).contains(rcvbuf) else {
            throw ValidationError("--rcvbuf must be a byte count between 1 and 2G, got '\(rcvbufText)'")
        }
    }

    static func validate(maxSkbFrags: Int?, mtu: Int, profile: KernelProfile) throws {
        if let maxSkbFrags {
            guard KernelProfile.fixedMaxSkbFrags(for: profile.version, pageSize: profile.config.pageSize) == nil else {
                throw ValidationError(
                    "--max-skb-frags: Linux \(profile.version) fixes MAX_SKB_FRAGS at \(profile.config.maxSkbFrags) (CONFIG_MAX_SKB_FRAGS exists from 6.4)"
                )
            }
            guard (17...45).contains(maxSkbFrags) else {
                throw ValidationError("--max-skb-frags must be between 17 and 45, got \(maxSkbFrags)")
            }
        }
        guard (68...65535).contains(mtu) else {
            throw ValidationError("--mtu must be between 68 and 65535, got \(mtu)")
        }
    }

    var rxPath: RxPath { RxPath(rawValue: rxPathName) ?? .netdevAllocSkb }
    var buildLength: SkbBuildLength { SkbBuildLength(rawValue: lengthName) ?? .wire }
    var releaseOrder: ReleaseOrder { ReleaseOrder(rawValue: releaseOrderName) ?? .kernel }

    /// The drop-reason table of a release ("6.18", "6.8"; "v6.8" too).
    static func dropReasonTable(_ name: String) -> SkbDropReasonTable? {
        let bare = name.hasPrefix("v") ? String(name.dropFirst()) : name
        return SkbDropReasonTable.all.first { $0.kernel == bare }
    }

    /// Bytes of "4096", "512K", "32M", "1G" (binary units; "KB"/"KiB"/"MB"/... too).
    static func parseSize(_ text: String) -> Int? {
        var t = Substring(text.uppercased())
        if t.hasSuffix("IB") {
            t = t.dropLast(2)
        } else if t.hasSuffix("B"), let unit = t.dropLast().last, "KMG".contains(unit) {
            t = t.dropLast()
        }
        var shift = 0
        switch t.last {
        case "K": shift = 10
        case "M": shift = 20
        case "G": shift = 30
        default: break
        }
        if shift > 0 { t = t.dropLast() }
        guard !t.isEmpty, t.allSatisfy(\.isNumber), let n = Int(t), n <= (Int.max >> 31) else { return nil }
        return n << shift
    }

    /// The `--kernel` profile with `--max-skb-frags` applied (`validate()`
    /// has resolved it once already, so it resolves here too).
    var profile: KernelProfile {
        var p = (try? kernel.profile()) ?? .distroX86_64
        if let maxSkbFrags { p.config.maxSkbFrags = maxSkbFrags }
        return p
    }

    /// The packet-run options for these flags; `sink` gets the event stream.
    func runOptions(sink: (any EventSink)? = nil) -> PacketRunOptions {
        let profile = self.profile
        var o = PacketRunOptions()
        o.kernelConfig = profile.config
        o.skbOptions = SkbOptions(profile: profile)
        o.rxPath = rxPath
        o.gro = gro
        o.groOptions = GROOptions(profile: profile, enabled: gro)
        o.napiBudget = napiBudget
        o.releaseOrder = releaseOrder
        // The seed's skb_release calls per-frag destructors: the seed order runs them.
        o.seedFragDestructors = releaseOrder == .seed
        o.dropReasons = dropReasonTable
        o.memorySize = memoryText.flatMap(SimulationOptions.parseSize) ?? defaultMemory
        o.driver.mtu = mtu
        // ixgbe_set_ringparam / igb_set_ringparam: ALIGN(count, 8).
        o.driver.ringSize = rxRing.map { ($0 + 7) & ~7 }
        o.driver.rxVLANOffload = rxVLANOffloadName == "on"
        o.driver.copybreakHeaderSplit = rxHeaderSplitName == "on"
        o.vlanDevices = VLANDevices(parsing: vlanDevicesText) ?? .all
        o.driver.checksum = RxChecksumMode(rawValue: rxCsumName) ?? .verify
        if let n = failPageNth { o.pageFailure = .nth(n) }
        if let p = failPageProb { o.pageFailure = .probability(p, seed: faultSeed) }
        if let n = failSlabNth { o.slabFailure = .nth(n) }
        if let p = failSlabProb { o.slabFailure = .probability(p, seed: faultSeed) }
        o.socketQueueDepth = socketQueue
        o.buildLength = buildLength
        o.socketRcvbuf = SimulationOptions.parseSize(rcvbufText) ?? 212_992
        o.sink = sink
        return o
    }

    /// The profile's drop-reason list or `--drop-reasons` (validated).
    var dropReasonTable: SkbDropReasonTable {
        (try? KernelOptions.dropReasons(profile: profile, override: dropReasonsName)) ?? .default
    }

    /// The model driver on a simulation of `profile` with these knobs (`layout`).
    static func makeDriver(profile: KernelProfile, rxPath: RxPath, mtu: Int, sink: (any EventSink)? = nil) -> RxDriver {
        var o = RxDriverOptions(path: rxPath)
        o.mtu = mtu
        return RxDriver(sim: SkbSim(profile: profile, sink: sink), options: o)
    }
}
