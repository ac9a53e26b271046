import Foundation
import SampleKit
import TestSupport
import Testing

/// `skbsim verify --live` against the running kernel: every skb GRO
/// delivers from a TAP device must agree with the model in length and
/// truesize. Needs root and /dev/net/tun; skipped (with the reason)
/// elsewhere.
@Suite(.serialized) struct VerifyLiveTests {
    static let available = geteuid() == 0 && access("/dev/net/tun", F_OK) == 0
    static let paths = ["tun-build-skb", "tun-alloc-skb"]

    /// Runs verify --live and requires every super-packet and truesize to agree.
    func agree(_ file: String, _ extra: [String] = [], minimum: Int = 1) throws {
        for path in Self.paths {
            let run = try CLIRun.run(["verify", "--live", "--rx-path", path] + extra + [file], timeLimit: 120)
            let total = run.stdoutLines.first { $0.hasPrefix("total: ") }.map(String.init) ?? ""
            print("\((file as NSString).lastPathComponent) \(path) \(extra.joined(separator: " ")): \(total)")
            #expect(run.outcome == .exited(0), "\(file) \(path): \(run.stdout)\(run.stderr)")
            let numbers = total.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            // super-packets A/B agree, truesizes C/D agree (kernel delivered E, model F)
            #expect(numbers.count == 6, "\(total)")
            guard numbers.count == 6 else { continue }
            #expect(numbers[0] == numbers[1] && numbers[2] == numbers[3] && numbers[4] == numbers[5], "\(total)")
            #expect(numbers[1] >= minimum, "\(total)")
        }
    }

    func agree(frames: [[UInt8]], _ extra: [String] = [], minimum: Int = 1) throws {
        let dir = try TemporaryDirectory()
        try agree(try dir.write("flows.pcap", LiveFlows.pcap(frames)), extra, minimum: minimum)
    }

    @Test(.enabled(if: available, "verify --live needs root and /dev/net/tun"))
    func samples() throws {
        for name in [
            "tcp-bulk.pcap", "tcp-handshake.pcap", "ipv6-tcp.pcap", "jumbo-9000.pcap", "udp-dns.pcap",
            "icmp-echo.pcap", "vlan.pcap", "ns-timestamps.pcapng",
        ] {
            try agree(Repository.sample(name))
        }
    }

    /// Twelve IPv4 flows interleaved (more than the 8 skbs GRO holds per
    /// bucket: the oldest is flushed), then six (merged), PSH every 7th
    /// segment, incrementing IP IDs; the six again with every ID fixed at 0.
    @Test(.enabled(if: available, "verify --live needs root and /dev/net/tun"))
    func interleavedIPv4() throws {
        try agree(frames: LiveFlows.interleaved(flows: 12, segments: 16), minimum: 100)
        let six = LiveFlows.interleaved(flows: 6, segments: 24)
        try agree(frames: six, minimum: 50)
        try agree(frames: LiveFlows.fixedIPv4ID(six), minimum: 50)
    }

    /// 802.1Q-tagged flows: the tag leaves the data before the taps (`skb_vlan_untag`).
    @Test(.enabled(if: available, "verify --live needs root and /dev/net/tun"))
    func taggedFlows() throws {
        try agree(frames: LiveFlows.interleaved(flows: 3, segments: 20, vlan: 100), minimum: 20)
    }

    @Test(.enabled(if: available, "verify --live needs root and /dev/net/tun"))
    func interleavedIPv6() throws {
        try agree(frames: LiveFlows.interleaved(flows: 10, segments: 16, pushEvery: 5, ipv6: true), minimum: 80)
    }

    /// Changing timestamp values, short and out-of-order segments, on IPv4
    /// (incrementing and fixed IDs) and IPv6, with small and large polls.
    @Test(.enabled(if: available, "verify --live needs root and /dev/net/tun"))
    func irregularSegments() throws {
        let v4 = LiveFlows.irregular()
        try agree(frames: v4, minimum: 10)
        try agree(frames: LiveFlows.fixedIPv4ID(v4), ["--napi-budget", "8"], minimum: 10)
        try agree(frames: LiveFlows.irregular(ipv6: true), ["--napi-budget", "16"], minimum: 10)
    }

    /// One skb per frame, from 60 bytes to 60000: both tun paths' head,
    /// page and order boundaries.
    @Test(.enabled(if: available, "verify --live needs root and /dev/net/tun"))
    func frameSizes() throws {
        let lengths = [
            60, 100, 200, 500, 1000, 1514, 2000, 3000, 3455, 3456, 3457, 4000, 4031, 4032, 4033, 8000, 8193, 9014,
            16000, 20000, 33000, 40000, 60000,
        ]
        try agree(frames: LiveFlows.udpFrames(lengths: lengths), minimum: lengths.count)
    }

    /// A model of another kernel (the distro 6.18 profile: small head 704,
    /// not this machine's 576) must be caught: exit 1, every difference listed.
    @Test(.enabled(if: available, "verify --live needs root and /dev/net/tun"))
    func wrongProfileIsCaught() throws {
        let run = try CLIRun.run(
            [
                "verify", "--live", "--rx-path", "tun-alloc-skb", "--kernel", "6.18", "--show", "2",
                Repository.sample("icmp-echo.pcap"),
            ])
        let running = try CLIRun.run(["layout", "--kernel", "running", "--path", "tun-alloc-skb", "--len", "98"])
        let distro = try CLIRun.run(["layout", "--kernel", "6.18", "--path", "tun-alloc-skb", "--len", "98"])
        guard running.stdout != distro.stdout else {
            print("skipped: this kernel's small head equals the distro profile's")
            return
        }
        #expect(run.outcome == .exited(1), "\(run.stdout)")
        #expect(run.stdoutLines.contains { $0.hasPrefix("total: super-packets 8/8 agree, truesizes 0/8 agree") })
        #expect(run.stdoutLines.filter { $0.hasPrefix("difference: ") }.count == 8)
    }

    /// The device is gone after the run, and after SIGINT in the middle of one.
    @Test(.enabled(if: available, "verify --live needs root and /dev/net/tun"))
    func deviceRemoved() throws {
        func devices() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/class/net")) ?? []).filter {
                $0.hasPrefix("skbsim")
            }
        }
        let before = devices()
        let dir = try TemporaryDirectory()
        let file = try dir.write("long.pcap", LiveFlows.pcap(LiveFlows.interleaved(flows: 4, segments: 150)))
        let process = Process()
        process.executableURL = CLIRun.binary
        process.arguments = ["verify", "--live", "--napi-budget", "1", file]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Interrupt once the device exists (or the run ended first).
        while process.isRunning && devices().count <= before.count { usleep(1000) }
        let sawDevice = process.isRunning
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(sawDevice)
        #expect(process.terminationStatus == 130 || process.terminationReason == .uncaughtSignal)
        #expect(devices() == before, "left behind: \(devices())")
        let run = try CLIRun.run(["verify", "--live", Repository.sample("icmp-echo.pcap")])
        #expect(run.outcome == .exited(0))
        #expect(devices() == before)
    }
}

/// The one-line errors without root or without /dev/net/tun, provoked as
/// root: the binary run as nobody (setpriv), and in a mount namespace whose
/// /dev/net is an empty tmpfs (unshare).
@Suite(.serialized) struct VerifyAccessTests {
    static let tools =
        VerifyLiveTests.available && access("/usr/bin/setpriv", X_OK) == 0 && access("/usr/bin/unshare", X_OK) == 0

    func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let dir = try TemporaryDirectory()
        let err = dir.url.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let handle = try FileHandle(forWritingTo: err)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        return (process.terminationStatus, String(decoding: try Data(contentsOf: err), as: UTF8.self))
    }

    @Test(.enabled(if: tools, "needs root, /dev/net/tun, setpriv and unshare"))
    func notRoot() throws {
        // A copy nobody can execute and read, outside the build tree.
        let dir = try TemporaryDirectory()
        chmod(dir.path, 0o755)
        let binary = dir.path + "/skbsim"
        try FileManager.default.copyItem(atPath: CLIRun.binary.path, toPath: binary)
        let capture = try dir.write(
            "icmp.pcap", Array(try Data(contentsOf: URL(fileURLWithPath: Repository.sample("icmp-echo.pcap")))))
        chmod(capture, 0o644)
        let r = try run(
            "/usr/bin/setpriv",
            ["--reuid=65534", "--regid=65534", "--clear-groups", binary, "verify", "--live", capture])
        #expect(r.status == 1)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("needs root"), "\(r.stderr)")
    }

    @Test(.enabled(if: tools, "needs root, /dev/net/tun, setpriv and unshare"))
    func noTun() throws {
        let command = "mount -t tmpfs none /dev/net && exec \"$0\" verify --live \"$1\""
        let r = try run(
            "/usr/bin/unshare",
            ["-m", "/bin/sh", "-c", command, CLIRun.binary.path, Repository.sample("icmp-echo.pcap")])
        #expect(r.status == 1)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("/dev/net/tun"), "\(r.stderr)")
    }
}

/// Argument errors, which need neither root nor tun.
@Suite struct VerifyArgumentTests {
    @Test func needsLive() throws {
        let run = try CLIRun.run(["verify", Repository.sample("tcp-bulk.pcap")])
        #expect(run.outcome == .exited(2))
        #expect(run.stderrLines.count == 1 && run.stderr.contains("--live"), "\(run.stderr)")
    }

    @Test func tunPathsOnly() throws {
        let run = try CLIRun.run(["verify", "--live", "--rx-path", "build-skb", Repository.sample("tcp-bulk.pcap")])
        #expect(run.outcome == .exited(2))
        #expect(run.stderrLines.count == 1 && run.stderr.contains("tun-build-skb"), "\(run.stderr)")
    }

    @Test func ethernetOnly() throws {
        guard VerifyLiveTests.available else {
            print("skipped: verify --live needs root and /dev/net/tun to reach the link-type check")
            return
        }
        let run = try CLIRun.run(["verify", "--live", Repository.sample("linux-sll.pcap")])
        #expect(run.outcome == .exited(1))
        #expect(run.stderrLines.count == 1 && run.stderr.contains("EN10MB"), "\(run.stderr)")
    }
}
