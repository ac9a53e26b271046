import PacketHandlers
import SkbTesting
import Testing

/// The handler under test must release every skb it is given — consumed or
/// dropped — on every rx path the model has, and the same check must fail,
/// with the checker's report as its message, when a handler leaks.
@Suite struct NetworkReceiveTests {
    /// Frames that take each of the handler's branches: IPv4 UDP and TCP,
    /// IPv6 UDP, a VLAN-tagged datagram (the tag is untouched by the rx
    /// path), a frame padded past its datagram, one cut short inside the
    /// IPv4 header and one with a non-IP ethertype.
    static let frames: [[UInt8]] = {
        let udp = Frames.udp(payload: Array(repeating: 0x5A, count: 1200))
        let tcp = Frames.tcp(payload: Array(repeating: 0x33, count: 1448))
        let udp6 = Frames.udp(payload: Array(repeating: 0x66, count: 300), ipv6: true)
        let tagged = Frames.udp(payload: [1, 2, 3, 4], vlanTags: [VLANTag(vid: 100)])
        let padded = Frames.udp(payload: [9]) + [UInt8](repeating: 0, count: 17)
        let truncated = Array(Frames.udp(payload: [1, 2, 3])[..<24])
        var arp = Frames.udp(payload: Array(repeating: 0, count: 28))
        arp[12] = 0x08
        arp[13] = 0x06
        return [udp, tcp, udp6, tagged, padded, truncated, arp]
    }()

    /// The check a handler must pass: every frame on every rx path, then
    /// no leak and no KASAN report.
    static func checkReleasesEverything(_ handler: (SkbSim, SkbID) throws -> Void) {
        expectHandlerClean(frames: frames, on: RxPath.allCases, handler: handler)
    }

    @Test func releasesEverySkbOnEveryRxPath() {
        Self.checkReleasesEverything { sim, skb in _ = try networkReceive(sim, skb) }
    }

    @Test func pullsTheNetworkHeader() throws {
        // 14 + 20 + 8 + 1200: the handler leaves UDP header and payload.
        for path in RxPath.allCases {
            let fixture = SkbFixture()
            let skb = try fixture.makeSkb(bytes: Self.frames[0], path: path)
            let summary = try networkReceive(fixture.sim, skb)
            #expect(summary == NetworkSummary(version: 4, headerLength: 20, protocolNumber: 17, transportLength: 1208))
            // 14 + 40 + 8 + 300 over IPv6.
            let skb6 = try fixture.makeSkb(bytes: Self.frames[2], path: path)
            #expect(try networkReceive(fixture.sim, skb6)?.transportLength == 308)
            expectClean(fixture.sim)
        }
    }

    @Test func dropsWithTheKernelsReasons() throws {
        let fixture = SkbFixture()
        // 24 bytes: 10 of the 20-byte IPv4 header after the Ethernet header.
        let short = try fixture.makeSkb(bytes: Self.frames[5])
        #expect(try networkReceive(fixture.sim, short) == nil)
        let arp = try fixture.makeSkb(bytes: Self.frames[6])
        #expect(try networkReceive(fixture.sim, arp) == nil)
        #expect(fixture.events.dropReasons.map(\.description) == ["IP_INHDR", "UNHANDLED_PROTO"])
        expectClean(fixture.sim)
    }

    /// A handler that forgets to free what it does not recognise: the same
    /// check fails, once per rx path, and its message is kmemleak's report.
    @Test func aLeakingHandlerFailsWithTheKmemleakReport() {
        let leaky: (SkbSim, SkbID) throws -> Void = { sim, skb in
            guard try sim.skb(skb).protocolType == 0x0800 else { return }  // the bug: no kfree_skb_reason
            _ = try networkReceive(sim, skb)
        }
        withKnownIssue {
            Self.checkReleasesEverything(leaky)
        } matching: { issue in
            let message = issue.comments.map(\.rawValue).joined(separator: "\n")
            return message.hasPrefix("rx path ") && message.contains("kmemleak: ")
                && message.contains("unreferenced object 0x")
        }
        // The same failures, returned rather than recorded: one per path.
        let failures = handlerFailures(frames: Self.frames, on: RxPath.allCases, handler: leaky)
        #expect(failures.map(\.path) == RxPath.allCases)
        // The frames that are not IPv4 leak: their struct sk_buff (skbuff_cache) among the objects.
        #expect(failures.allSatisfy { $0.report.contains("owner skbuff_cache") })
    }
}
