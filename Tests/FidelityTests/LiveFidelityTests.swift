import Fidelity
import KernelMemory
import KernelProbe
import KernelReference
import Testing

/// The model's own send paths against the running kernel, on the profile built from
/// that kernel's /proc/slabinfo. Skipped (with the reason) where loopback, /proc/net or
/// /proc/slabinfo are unavailable.
@Suite(.serialized) struct LiveFidelityTests {
    /// The running kernel's profile, where the reference has transcribed its release.
    static let profile = KernelProfile(snapshot: .current()).flatMap {
        KernelReleaseFacts.of($0.version) == nil ? nil : $0
    }
    static let udpReady = profile != nil && UDPTruesizeProbe.isAvailable(.ipv4) && UDPTruesizeProbe.isAvailable(.ipv6)
    static let tcpReady = profile != nil && TCPTruesizeProbe.isAvailable(.ipv4) && TCPTruesizeProbe.isAvailable(.ipv6)

    @Test(
        .enabled(
            if: udpReady,
            "needs loopback UDP v4+v6, /proc/net/udp(6), a readable /proc/slabinfo (root) and a release KernelReleaseFacts transcribes"
        ))
    func udpModelMatchesLiveKernel() throws {
        let profile = try #require(Self.profile)
        let release = RunningKernel.current().release
        print("kernel \(release): profile \(profile.summary)")
        let probe = UDPTruesizeProbe(datagramsPerSize: 2)
        for family in IPFamily.allCases {
            let payloads = FidelityTable.udpPayloads(family)
            let model = try FidelityTable.udpRows(profile, family: family, payloads: payloads)
            print("\(family.rawValue): payload  live  model  kernel-rule")
            for r in model {
                let live = try probe.measure(payload: r.payload, family: family)
                print(
                    "  \(r.payload)\t\(live.rmemPerDatagram.map(String.init) ?? "varies \(live.charges)")\t\(r.model)\t\(r.kernel)"
                )
                #expect(
                    live.rmemPerDatagram == r.model,
                    "\(release) \(family) payload \(r.payload): live \(live.charges) model \(r.model)")
                #expect(r.ok, "model \(r.model) vs kernel rule \(r.kernel)")
                if release == LiveRecord.release {
                    #expect(
                        LiveRecord.udp[family]?[r.payload] == live.rmemPerDatagram,
                        "docs/fidelity.md record for \(r.payload)")
                }
            }
        }
    }

    /// First send on a fresh connection: one skb, nothing to coalesce with.
    @Test(
        .enabled(
            if: tcpReady,
            "needs loopback TCP v4+v6, /proc/net/tcp(6), a readable /proc/slabinfo (root) and a release KernelReleaseFacts transcribes"
        ))
    func tcpFirstSkbMatchesLiveKernel() throws {
        let profile = try #require(Self.profile)
        let probe = TCPTruesizeProbe(sendsPerSize: 1)
        print("kernel \(RunningKernel.current().release): TCP first-send charge, live vs model")
        for family in IPFamily.allCases {
            for size in FidelityTable.tcpSizes {
                let live = try probe.measure(sendSize: size, family: family)
                let model = try ModelObserver.tcpFirstSkbTruesize(profile, size: size)
                print("  \(family.rawValue) \(size)\t\(live.charges)\t\(model)")
                #expect(live.charges.first == model, "\(family) send \(size): live \(live.charges) model \(model)")
            }
        }
    }
}
