import ArgumentParser
import Capture
import KernelMemory
import KernelProbe
import Release
import SkbModel
import Trace

/// `skbsim verify --live`: the running kernel as the reference. The
/// capture's Ethernet frames are written into a TAP device (`LiveReplay`)
/// and, with the same rx path and NAPI polls, into the model; every skb
/// delivered after GRO is compared per flow: length and truesize.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the model against the running kernel, skb by skb (root, /dev/net/tun).",
        usage: CaptureOptions.usage("verify", "--live [--rx-path PATH] [--napi-budget N] [--kernel PROFILE] "),
        discussion: """
            --live writes the capture's Ethernet frames into a TAP device opened with \
            IFF_TAP|IFF_NO_PI|IFF_NAPI (removed on exit), NAPI_POLL frames per poll, \
            each poll right after a jiffy tick and led by a frame GRO does not hold, \
            with a long gro_flush_timeout so that GRO flushes exactly at the polls' \
            ends. An AF_PACKET socket on the device reads every skb delivered after GRO \
            and its truesize (SO_MEMINFO). The model runs the same frames on the same \
            tun rx path, polls and profile. Prints per flow and in total the \
            super-packets (length, first TCP sequence number) and truesizes that agree \
            and the first differences in full; exit status 1 on any difference \
            (docs/live-kernel.md).

            Examples:
              skbsim verify --live samples/tcp-bulk.pcap
              skbsim verify --live --rx-path tun-alloc-skb --napi-budget 16 samples/ipv6-tcp.pcap
            """
    )

    @Flag(help: "Replay into a TAP device of the running kernel (needs root and /dev/net/tun).")
    var live = false

    @Option(
        name: .customLong("rx-path"),
        help: ArgumentHelp(
            "tun-build-skb (O_NONBLOCK writes: tun_build_skb) or tun-alloc-skb (blocking writes: tun_alloc_skb).",
            valueName: "PATH"))
    var rxPathName: String = RxPath.tunBuildSkb.rawValue

    @Option(
        name: .customLong("napi-budget"),
        help: ArgumentHelp("Capture frames per NAPI poll (1…256); GRO flushes at each poll's end.", valueName: "N"))
    var napiBudget: Int = 64

    @Option(
        name: .customLong("kernel"),
        help: ArgumentHelp(
            "The model's kernel profile: running (default: this machine), or 6.18, 6.12, 6.6, 6.1, firecracker-6.18.",
            valueName: "PROFILE"))
    var kernelName: String = "running"

    @Option(
        name: .customLong("show"),
        help: ArgumentHelp("Differences printed in full (default 10); the others get one line each.", valueName: "N"))
    var show: Int = 10

    @OptionGroup var capture: CaptureOptions

    func validate() throws {
        guard live else {
            throw ValidationError(
                "verify needs --live: the running kernel is the reference it checks the model against")
        }
        guard let path = RxPath(rawValue: rxPathName), path == .tunBuildSkb || path == .tunAllocSkb else {
            throw ValidationError("--rx-path must be tun-build-skb or tun-alloc-skb for --live, got '\(rxPathName)'")
        }
        guard (1...256).contains(napiBudget) else {
            throw ValidationError("--napi-budget must be between 1 and 256, got \(napiBudget)")
        }
        guard show >= 0 else { throw ValidationError("--show must be 0 or more, got \(show)") }
    }

    func run() throws {
        let rxPath = RxPath(rawValue: rxPathName) ?? .tunBuildSkb
        do { try TapDevice.checkAccess() } catch { throw InputError(description: "verify --live: \(error)") }
        let profile = try kernelProfile()
        let (frames, skipped) = try readFrames()
        guard !frames.isEmpty else { throw InputError(description: "\(capture.path): no Ethernet frame to replay") }

        // Poll k: its marker, then up to napiBudget capture frames.
        var polls: [[[UInt8]]] = []
        var start = 0
        while start < frames.count {
            let end = min(start + napiBudget, frames.count)
            polls.append([LivePollMarker.frame(polls.count)] + frames[start..<end])
            start = end
        }
        let replay: LiveReplayResult
        do {
            replay = try LiveReplay.run(
                polls: polls, final: LivePollMarker.frame(polls.count),
                options: LiveReplayOptions(nonBlocking: rxPath == .tunBuildSkb))
        } catch {
            throw InputError(description: "verify --live: \(error)")
        }
        let (model, stats) = try runModel(polls: polls, rxPath: rxPath, profile: profile)
        let comparison = LiveComparison(kernel: replay.deliveries.map(DeliveredSkb.init(kernel:)), model: model)
        report(comparison, replay: replay, polls: polls.count, frames: frames.count, skipped: skipped, profile: profile)
        try CaptureRun.verdict(stats)
        if !comparison.differences.isEmpty { throw ExitCode(1) }
    }

    func kernelProfile() throws -> KernelProfile {
        if kernelName == "running" {
            guard var p = KernelProfile(snapshot: .current()) else {
                throw InputError(
                    description:
                        "--kernel running: cannot derive a profile from this machine (needs a readable /proc/slabinfo, i.e. root)"
                )
            }
            // CONFIG_HZ from the tick length (no 200 ms jiffies measurement).
            let tick = JiffyClock.tickNanoseconds()
            p.configHZ = tick > 0 ? 1_000_000_000 / tick : nil
            return p
        }
        guard let p = KernelProfile.named(kernelName) else {
            throw InputError(
                description:
                    "--kernel must be one of 6.18, 6.12, 6.6, 6.1, firecracker-6.18, running, got '\(kernelName)'")
        }
        return p
    }

    /// The capture's frames as written: Ethernet only (a TAP device takes
    /// Ethernet frames), the captured bytes, frames shorter than ETH_HLEN
    /// left out (`tun_get_user` rejects them with -EINVAL).
    func readFrames() throws -> (frames: [[UInt8]], skipped: Int) {
        let reader = try capture.openReader()
        guard reader.linkType.dlt == LinkType.ethernet.dlt else {
            throw InputError(
                description:
                    "\(capture.path): link type \(reader.linkType.name): --live writes Ethernet frames into a TAP device (EN10MB captures only)"
            )
        }
        var frames: [[UInt8]] = []
        var skipped = 0
        while capture.count.map({ frames.count + skipped < $0 }) ?? true, let p = try reader.next() {
            if p.bytes.count < 14 || p.bytes.count > 65535 {
                skipped += 1
                continue
            }
            frames.append(Array(p.bytes))
        }
        return (frames, skipped)
    }

    /// The model on the same frames: markers included, `napiBudget + 1`
    /// frames per poll, GRO on, the profile's limits.
    func runModel(
        polls: [[[UInt8]]], rxPath: RxPath, profile: KernelProfile
    ) throws -> ([DeliveredSkb], RunStatistics) {
        var o = PacketRunOptions()
        o.kernelConfig = profile.config
        o.skbOptions = SkbOptions(profile: profile)
        o.rxPath = rxPath
        o.gro = true
        o.groOptions = GROOptions(profile: profile, enabled: true)
        o.napiBudget = napiBudget + 1
        o.dropReasons = profile.dropReasons.flatMap(SkbDropReasonTable.named) ?? .default
        o.memorySize = 64 << 20
        let collected = ModelDeliveries()
        o.onDeliver = { sim, skb in collected.record(sim, skb) }
        let run = try PacketRun(options: o)
        var index = 0
        for poll in polls {
            for frame in poll {
                run.sim.beginPacket(index: index, timestampNanoseconds: 0)
                frame.withUnsafeBytes { run.process(bytes: $0, linkType: .ethernet) }
                index += 1
            }
        }
        let stats = run.finish()
        if let error = collected.error { throw InputError(description: "the model: \(error.message)") }
        return (collected.skbs, stats)
    }

    func report(
        _ c: LiveComparison, replay: LiveReplayResult, polls: Int, frames: Int, skipped: Int, profile: KernelProfile
    ) {
        let path = RxPath(rawValue: rxPathName) ?? .tunBuildSkb
        var jiffies = ""
        if let a = replay.jiffiesBefore, let b = replay.jiffiesAfter {
            jiffies = ", jiffies \(a)…\(b) (\(b - a) ticks)"
        }
        print(
            "live kernel: \(profile.name) (Linux \(profile.version)), device \(replay.device), \(path.rawValue) (\(path == .tunBuildSkb ? "O_NONBLOCK" : "blocking") writes)"
        )
        print(
            "replay:      \(frames) frames in \(polls) polls of ≤\(napiBudget) (+1 marker each), tick \(replay.tickNanoseconds / 1000) µs\(jiffies), \(replay.realtime ? "SCHED_FIFO" : "SCHED_OTHER"), attempt \(replay.attempts)"
                + (skipped > 0 ? ", \(skipped) frames shorter than 14 bytes or longer than 65535 left out" : ""))
        for f in c.flows {
            let n = max(f.kernel.count, f.model.count)
            print(
                "flow \(f.name): super-packets \(f.packetsAgree)/\(n) agree, truesizes \(f.truesizesAgree)/\(n) agree (kernel \(f.kernel.count), model \(f.model.count))"
            )
        }
        print(
            "total: super-packets \(c.packetsAgree)/\(c.total) agree, truesizes \(c.truesizesAgree)/\(c.total) agree (kernel delivered \(c.kernelCount), model \(c.modelCount))"
        )
        for d in c.differences.prefix(show) {
            print("difference: \(d.flow) skb #\(d.position + 1)")
            print("  kernel: " + (d.kernel?.describe() ?? "none"))
            print("  model:  " + (d.model?.describe() ?? "none"))
        }
        // The rest one line each: every difference is listed.
        for d in c.differences.dropFirst(show) {
            let k = d.kernel.map { "len \($0.length) truesize \($0.truesize)" } ?? "none"
            let m = d.model.map { "len \($0.length) truesize \($0.truesize)" } ?? "none"
            print("difference: \(d.flow) skb #\(d.position + 1): kernel \(k), model \(m)")
        }
    }
}

/// What the model delivered (`PacketRunOptions.onDeliver`).
final class ModelDeliveries {
    var skbs: [DeliveredSkb] = []
    var error: SkbError?

    func record(_ sim: SkbSim, _ skb: SkbID) {
        do throws(SkbError) {
            let s = try sim.skb(skb)
            let sh = try sim.shinfo(skb)
            let bytes = try sim.bytes(skb)
            var listed = 0
            var next = sh.fragList
            while let n = next {
                listed += 1
                next = try sim.skb(n).next
            }
            let shape =
                "headlen \(s.headlen), \(s.headFrag ? "head_frag" : "kmalloc head"), nr_frags \(sh.nrFrags), frag_list \(listed), gso_segs \(sh.gsoSegs)"
            skbs.append(
                DeliveredSkb(
                    protocolType: s.protocolType, network: Array(bytes.prefix(PacketSocketHead.bytes - 14)),
                    length: Int(s.len), truesize: Int(s.truesize), shape: shape))
        } catch {
            if self.error == nil { self.error = error }
        }
    }
}

/// Bytes of each skb the comparison keeps (the packet tap's `head`).
enum PacketSocketHead {
    static let bytes = 256
}
