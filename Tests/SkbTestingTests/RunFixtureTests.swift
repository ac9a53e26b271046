import SkbTesting
import Testing

/// RunFixture, Frames and the report-carrying expectations, through the one
/// import a user's test has.
@Suite struct RunFixtureTests {
    @Test func framesHaveTheirHeadersLengths() {
        let payload = [UInt8](repeating: 1, count: 100)
        // Ethernet 14 + IPv4 20 + UDP 8 + 100.
        #expect(Frames.udp(payload: payload).count == 142)
        // IPv6's fixed header is 40 bytes.
        #expect(Frames.udp(payload: payload, ipv6: true).count == 162)
        // TCP without options: 20 bytes.
        #expect(Frames.tcp(payload: payload).count == 154)
        // A VLAN tag sits where the ethertype was: 0x8100, TCI, then 0x0800.
        let tagged = Frames.udp(payload: payload, vlanTags: [VLANTag(vid: 100)])
        #expect(tagged.count == 146)
        #expect(Array(tagged[12..<18]) == [0x81, 0x00, 0x00, 100, 0x08, 0x00])
        // IPv4 total length at bytes 16-17 of an untagged frame: 20 + 8 + 100.
        let frame = Frames.udp(payload: payload)
        #expect(Int(frame[16]) << 8 | Int(frame[17]) == 128)
    }

    @Test func fedFramesAreDeliveredAndRecorded() throws {
        var tapped = 0
        let extraSink = SkbEventRecorder()
        let run = try RunFixture(rxPath: .buildSkb) { options in
            options.onDeliver = { _, _ in tapped += 1 }
            options.sink = extraSink
        }
        run.feed((0..<3).map { Frames.udp(payload: [UInt8](repeating: UInt8($0), count: 200)) })
        let stats = run.finish()
        #expect(run.finish().packets == stats.packets)  // idempotent
        #expect(expectClean(stats))
        #expect(stats.packets == 3)
        #expect(stats.bytes == 3 * 242)
        #expect(run.delivered.count == 3)
        // After eth_type_trans: IPv4 20 + UDP 8 + 200.
        #expect(run.delivered.allSatisfy { $0.len == 228 && $0.protocolType == 0x0800 && $0.gsoSegs <= 1 })
        #expect(run.delivered.map(\.packet) == [0, 1, 2])
        // The caller's tap and sink still run beside the fixture's.
        #expect(tapped == 3)
        #expect(extraSink.events.count == run.events.events.count)
        #expect(!run.events.events(of: .skbAlloc).isEmpty)
    }

    @Test func captureWithFilterThroughAHook() throws {
        let run = try RunFixture(hooks: [.dropAll(family: .ipv4)])
        try run.feed(capture: Self.samplePath("icmp-echo.pcap"), filter: "icmp")
        let stats = run.finish()
        #expect(expectClean(stats))
        // Three IPv4 echo pairs; the ICMPv6 pair does not match "icmp".
        #expect(stats.packets == 6)
        #expect(stats.hookDrops == 6)
        #expect(run.delivered.count == 6)  // the tap sees them before the hooks
        #expect(run.events.dropReasons == Array(repeating: .netfilterDrop, count: 6))
    }

    @Test func framesTakeTheCapturedPacketsPath() throws {
        let run = try RunFixture()
        // DLT_IEEE802_11_RADIO (127): no receive model, counted and skipped.
        run.feed([UInt8](repeating: 0, count: 64), linkType: LinkType(dlt: 127))
        // Raw IP (no MAC header), as a tun device delivers: built into an skb.
        let datagram = Array(Frames.udp(payload: [1, 2, 3])[14...])
        run.feed(datagram, linkType: .raw)
        let stats = run.finish()
        #expect(expectClean(stats))
        #expect(stats.notModelledPackets == 1)
        #expect(run.delivered.map(\.len) == [datagram.count])
    }

    @Test func aMissingCaptureThrows() throws {
        let run = try RunFixture()
        #expect(throws: CaptureError.self) { try run.feed(capture: "/nonexistent/x.pcap") }
    }

    @Test func aLeakingRunFailsWithTheVerdictText() throws {
        // A seed-order run whose custom stage stops every release: each skb leaks.
        let run = try RunFixture(releaseOrder: .seed)
        run.pipeline.insert(.custom(CustomReleaseStage(name: "stop") { _ in .stop }), before: "head_free")
        run.feed(Frames.udp(payload: [1, 2, 3]))
        let stats = run.finish()
        #expect(!stats.verdict.isClean)
        withKnownIssue {
            expectClean(stats)
        } matching: { issue in
            issue.comments.contains {
                $0.rawValue.hasPrefix("checker: FAILED") && $0.rawValue.contains("unreferenced object 0x")
            }
        }
        #expect(throws: SkbTestingError.self) { try requireClean(stats) }
    }

    @Test func expectReportFindsAndMisses() throws {
        let fixture = SkbFixture()
        let skb = try fixture.makeSkb(bytes: Frames.udp(payload: [1]))
        // Nothing wrong happens: the expectation fails and says so.
        withKnownIssue {
            #expect(expectReport(.slabUseAfterFree, in: fixture.sim) { _ = try fixture.sim.skb_pull(skb, 1) } == nil)
        } matching: { issue in
            issue.comments.contains { $0.rawValue.hasSuffix("it reported nothing") }
        }
        try fixture.sim.consume_skb(skb)
        let report = expectReport(.slabUseAfterFree, in: fixture.sim) { try fixture.sim.kfree_skb(skb) }
        #expect(report?.kind == .slabUseAfterFree)
        #expect(expectNoLeaks(fixture.sim))
    }

    /// Each kind of checker report reaches the failing issue's message
    /// with the kernel's wording.
    @Test func checkerReportsAreTheFailureMessage() throws {
        let memory = SkbFixture().sim.memory
        let object = try #require(memory.kmalloc(96, .GFP_ATOMIC))
        memory.kfree(object)
        memory.kfree(object)
        let page = try #require(memory.alloc_pages(.GFP_ATOMIC, order: 0))
        memory.put_page(page)
        memory.put_page(page)
        let fixture = SkbFixture()
        let skb = try fixture.makeSkb(bytes: Frames.udp(payload: [1, 2, 3]))
        try fixture.sim.consume_skb(skb)
        _ = try? fixture.sim.skb_pull(skb, 1)
        for (sim, expected) in [
            (fixture.sim, "BUG: KASAN: slab-use-after-free"),
            (nil, "BUG: KASAN: double-free"),
            (nil, "VM_BUG_ON_PAGE(page_ref_count(page) == 0)"),
        ] as [(SkbSim?, String)] {
            withKnownIssue {
                if let sim { expectCheckerClean(sim) } else { expectCheckerClean(memory) }
            } matching: { issue in
                issue.comments.contains { $0.rawValue.contains(expected) }
            }
        }
    }

    @Test func handlerFailuresNameThePathAndTheReport() {
        let frames = [Frames.udp(payload: [UInt8](repeating: 0, count: 64))]
        // Clean: every skb consumed.
        #expect(handlerFailures(frames: frames) { sim, skb in try sim.consume_skb(skb) }.isEmpty)
        // Keeps a clone: the clone's struct sk_buff leaks on every path.
        let cloning = handlerFailures(frames: frames, on: [.napiAllocSkb, .buildSkb]) { sim, skb in
            _ = try sim.skb_clone(skb)
            try sim.consume_skb(skb)
        }
        #expect(cloning.map(\.path) == [.napiAllocSkb, .buildSkb])
        #expect(cloning.allSatisfy { $0.report.contains("kmemleak: ") && $0.description.hasPrefix("rx path ") })
        // Throws: reported as such (and the skb it did not free leaks).
        let throwing = handlerFailures(frames: frames, on: [.netdevAllocSkb]) { _, _ in
            throw SkbTestingError.expectationFailed("bad header")
        }
        #expect(throwing.count == 1)
        #expect(throwing.first?.report.hasPrefix("the handler threw: bad header") == true)
    }

    static func samplePath(_ name: String) -> String {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // SkbTestingTests/<file>, Tests
        return (parts + ["samples", Substring(name)]).joined(separator: "/")
    }
}
