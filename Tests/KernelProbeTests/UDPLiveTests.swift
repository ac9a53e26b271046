import KernelProbe
import KernelReference
import Testing

/// Live measurements against the running kernel. They skip (with a reason) where
/// /proc/net/udp(6) is unreadable or a loopback socket cannot be bound.
@Suite(.serialized) struct UDPLiveTests {
    static let v4 = UDPTruesizeProbe.isAvailable(.ipv4)
    static let v6 = UDPTruesizeProbe.isAvailable(.ipv6)

    func check(_ family: IPFamily) throws {
        let probe = UDPTruesizeProbe(datagramsPerSize: 8)
        let results = try probe.measureAll(family: family)
        let kernel = RunningKernel.current()
        let model = SkbLayout(snapshot: .current())
        print(
            "kernel \(kernel.release) \(kernel.machine) — loopback UDP \(family.rawValue), \(probe.datagramsPerSize) datagrams/size"
        )
        print("payload  rmem/datagram  rx_queue  drops  model")
        for r in results {
            let expected =
                model.map { String(expectedUDPTruesize(payload: r.payload, family: family, config: $0)) } ?? "-"
            print(
                "\(r.payload)\t\(r.rmemPerDatagram.map(String.init) ?? "varies \(r.charges)")\t\(r.procRxQueue)\t\(r.procDrops)\t\(expected)"
            )
        }
        var last = 0
        for r in results {
            #expect(!r.kernelRelease.isEmpty)
            #expect(r.isUniform, "payload \(r.payload): charges \(r.charges)")
            #expect(
                r.procAgreesWithMemInfo,
                "payload \(r.payload): rx_queue \(r.procRxQueue) vs SO_MEMINFO \(r.rmemAllocTotal)")
            #expect(r.procDrops == 0 && r.memInfoDrops == 0, "payload \(r.payload) dropped")
            #expect(r.procRxQueue == r.datagrams * (r.rmemPerDatagram ?? -1))
            let charge = r.rmemPerDatagram ?? 0
            #expect(charge > r.payload)
            #expect(charge >= last, "truesize shrank at payload \(r.payload)")
            last = charge
        }
    }

    @Test(.enabled(if: v4, "loopback IPv4 UDP or /proc/net/udp unavailable"))
    func ipv4() throws { try check(.ipv4) }

    @Test(.enabled(if: v6, "loopback IPv6 UDP (::1) or /proc/net/udp6 unavailable"))
    func ipv6() throws { try check(.ipv6) }

    /// The source-derived formula against the live kernel, at the standard sizes and at
    /// each boundary it predicts (small head, linear/paged, IPv6 fragmentation).
    @Test(
        .enabled(
            if: v4 && v6 && SkbLayout(snapshot: .current()) != nil,
            "needs loopback v4+v6 and a readable /proc/slabinfo (root)"))
    func modelMatchesKernel() throws {
        let layout = try #require(SkbLayout(snapshot: .current()))
        let probe = UDPTruesizeProbe(datagramsPerSize: 2)
        let boundaries: [IPFamily: [Int]] = [
            .ipv4: [197, 198, 16004, 16005],
            .ipv6: [184, 185, 15991, 15992, 65488, 65489],
        ]
        for family in IPFamily.allCases {
            for size in UDPTruesizeProbe.sizes(for: family) + boundaries[family]! {
                let m = try probe.measure(payload: size, family: family)
                #expect(
                    m.rmemPerDatagram == expectedUDPTruesize(payload: size, family: family, config: layout),
                    "\(family) payload \(size)")
            }
        }
    }
}

@Suite struct SnapshotLiveTests {
    @Test(.enabled(if: SlabInfo.read() != nil, "/proc/slabinfo unreadable (needs root)"))
    func snapshotOfThisKernel() throws {
        let s = KernelSnapshot.current()
        print(
            "snapshot: \(s.kernel.release) page \(s.pageSize) max_skb_frags \(s.maxSkbFrags.map(String.init) ?? "-") lo mtu \(s.loopbackMTU.map(String.init) ?? "-")"
        )
        print(
            "  skbuff_head_cache \(s.skbuffHeadCache?.objectSize ?? -1) skbuff_fclone_cache \(s.skbuffFcloneCache?.objectSize ?? -1) skbuff_small_head \(s.skbuffSmallHead?.objectSize ?? -1)"
        )
        print("  kmalloc \(s.kmallocSizes)")
        #expect(s.pageSize > 0)
        #expect(s.skbuffHeadCache != nil)
        #expect(!s.kmallocSizes.isEmpty)
    }
}
