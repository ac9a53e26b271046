import ArgumentParser
import KernelMemory
import KernelProbe
import Trace

/// `--kernel PROFILE` and `--page-size`: which kernel every model-running
/// command simulates (`KernelProfile`).
struct KernelOptions: ParsableArguments {
    @Option(
        name: .customLong("kernel"),
        help: ArgumentHelp(
            "Kernel profile: 6.18 (default, distro x86_64), 6.12, 6.6, 6.1, firecracker-6.18, or running (this machine: uname, page size, max_skb_frags, /proc/slabinfo).",
            valueName: "PROFILE"))
    var kernelName: String = KernelProfile.distroX86_64.name

    @Option(
        name: .customLong("page-size"),
        help: ArgumentHelp(
            "PAGE_SIZE of the profile: 4K, 16K or 64K (arm64/ppc64 page sizes on the profile's other numbers).",
            valueName: "SIZE"))
    var pageSizeText: String?

    func validate() throws { _ = try profile() }

    /// CONFIG_HZ of this machine, measured once per process (200 ms).
    static let runningConfigHZ: Int? = KernelSnapshot.measuredConfigHZ()

    /// The chosen profile, with `--page-size` applied.
    func profile() throws -> KernelProfile {
        var p: KernelProfile
        if kernelName == "running" {
            guard var running = KernelProfile(snapshot: .current()) else {
                throw ValidationError(
                    "--kernel running: cannot derive a profile from this machine (needs a readable /proc/slabinfo, i.e. root, and skbuff caches in it)"
                )
            }
            running.configHZ = KernelOptions.runningConfigHZ
            p = running
        } else if let named = KernelProfile.named(kernelName) {
            p = named
        } else {
            let names = ["6.18", "6.12", "6.6", "6.1", "firecracker-6.18", "running"]
            throw ValidationError("--kernel must be one of \(names.joined(separator: ", ")), got '\(kernelName)'")
        }
        if let text = pageSizeText {
            guard let size = SimulationOptions.parseSize(text), [4096, 16384, 65536].contains(size) else {
                throw ValidationError("--page-size must be 4K, 16K or 64K, got '\(text)'")
            }
            p = p.withPageSize(size)
        }
        return p
    }

    /// The profile's drop-reason list, or the one `--drop-reasons` names;
    /// an error when neither exists (a running kernel of another release).
    static func dropReasons(profile: KernelProfile, override: String?) throws -> SkbDropReasonTable {
        if let name = override {
            guard let t = SimulationOptions.dropReasonTable(name) else {
                throw ValidationError(
                    "--drop-reasons must be one of \(SkbDropReasonTable.all.map(\.kernel).joined(separator: ", ")), got '\(name)'"
                )
            }
            return t
        }
        guard let t = profile.dropReasons.flatMap(SkbDropReasonTable.named) else {
            throw ValidationError(
                "no enum skb_drop_reason list is stored for Linux \(profile.version) (profile \(profile.name)); choose one with --drop-reasons (\(SkbDropReasonTable.all.map(\.kernel).joined(separator: ", ")))"
            )
        }
        return t
    }

    /// One line naming the profile (`stats`, `layout`).
    static func describe(_ p: KernelProfile, dropReasons: SkbDropReasonTable) -> String {
        "\(p.name) (Linux \(p.version), PAGE_SIZE \(p.config.pageSize / 1024)K, MAX_HEADER \(p.config.maxHeader), MAX_SKB_FRAGS \(p.config.maxSkbFrags), small head \(p.config.skbSmallHeadCacheSize == 0 ? "none" : String(p.config.skbSmallHeadCacheSize)), drop reasons \(dropReasons.kernel)\(p.configHZ.map { ", CONFIG_HZ \($0)" } ?? ""))"
    }
}
