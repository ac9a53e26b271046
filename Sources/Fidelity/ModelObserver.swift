import Capture
import KernelMemory
import KernelReference
import SampleKit
import SkbModel
import Trace

public struct FidelityError: Error, CustomStringConvertible {
    public var description: String
}

/// Runs a scenario on a fresh model of a profile and reads back the same facts
/// the kernel expectation states.
public enum ModelObserver {
    /// A fresh simulation of `profile`.
    public static func sim(_ profile: KernelProfile) -> SkbSim {
        // 8 MiB of simulated RAM is plenty for one skb of at most 64 KiB (and keeps
        // 250 fresh simulations cheap); the geometry is the profile's.
        var small = profile
        small.config.memorySize = 8 << 20
        return SkbSim(profile: small)
    }

    /// The model driver on `sim` with the ring geometry of `driver`, receiving on `path`.
    static func rxDriver(_ sim: SkbSim, _ driver: DriverModel, path: RxPath) -> RxDriver {
        var o = RxDriverOptions(path: path)
        o.mtu = driver.mtu
        // The smallest ring (IXGBE_MIN_RXD): one skb's facts do not depend
        // on its size, and it fits the 8 MiB of any page size.
        o.ringSize = 64
        o.copybreak = driver.copybreak
        return RxDriver(sim: sim, options: o)
    }

    /// The facts of a live model skb; the head kind comes from the page that
    /// holds the head (slab cache, large kmalloc or page_frag page).
    public static func facts(_ sim: SkbSim, _ id: SkbID) throws -> SkbFacts {
        let s = try sim.skb(id)
        let nr = try sim.shinfo(id).nrFrags
        let m = sim.memory
        let pfn = m.virt_to_head_page(s.head)
        let page = m.page(pfn)
        let head: HeadKind
        switch page.owner {
        case .slab(let c):
            let info = m.slabInfo(c)
            head = info.name == "skbuff_small_head" ? .smallHead(info.objectSize) : .kmalloc(info.objectSize)
        case .kmallocLarge:
            head = .pages(order: page.order)
        case .pageFrag, .caller(tag: RxDriver.ringPageTag):
            head = .pageFrag(
                size: Int(s.end) + sim.config.skbDataAlign(sim.config.sizeofSharedInfo),
                order: page.order, offset: s.head - m.page_address(pfn))
        default:
            throw FidelityError(description: "head of \(id) is on a page owned by \(page.owner)")
        }
        return SkbFacts(
            head: head, headroom: Int(s.headroom), tailroom: Int(s.tailroom),
            truesize: Int(s.truesize), nrFrags: nr, len: Int(s.len))
    }

    /// The model's skb for a scenario (freed again; caches drained).
    public static func observe(
        _ scenario: AllocScenario, _ profile: KernelProfile,
        driver: DriverModel = DriverModel()
    ) throws -> SkbFacts {
        precondition(!scenario.gro, "GRO-on rows are GROScenario rows (observeGRO)")
        let sim = sim(profile)
        let L = scenario.length
        var ring: RxDriver?
        let id: SkbID?
        switch scenario.path {
        case .allocSkb: id = sim.alloc_skb(L)
        case .netdevAllocSkb: id = sim.netdev_alloc_skb(L)
        case .napiAllocSkb: id = sim.napi_alloc_skb(L)
        case .buildSkb, .sgCopybreak:
            let frame = [UInt8](repeating: 0x5a, count: L)
            let rx = rxDriver(sim, driver, path: scenario.path == .buildSkb ? .buildSkb : .scatterGather)
            ring = rx
            id = try frame.withUnsafeBytes { try rx.driverReceive($0, rx.options.path) }
        }
        guard let id else { throw FidelityError(description: "\(scenario): model allocation failed") }
        let f = try facts(sim, id)
        try sim.kfree_skb(id)
        sim.drainCaches()
        ring?.drainRing()
        if let r = sim.memory.checker.reports.first { throw FidelityError(description: "\(scenario): checker: \(r)") }
        try sim.memory.expectNoLeaks()
        return f
    }

    /// sk_rmem_alloc per datagram of the model's loopback UDP send, per payload.
    public static func udpCharges(_ profile: KernelProfile, family: InetFamily, payloads: [Int]) throws -> [Int: Int] {
        let sim = sim(profile)
        let pf = sim.socketPageFrag()
        var out: [Int: Int] = [:]
        for p in payloads {
            guard let r = try sim.udpLoopbackCharge(payload: p, family: family, pageFrag: pf) else {
                throw FidelityError(description: "udp \(family) \(p): model allocation failed")
            }
            out[p] = r.charge
        }
        sim.memory.page_frag_cache_drain(pf)
        return out
    }

    /// truesize of the model's first TCP skb of a send of `size` bytes.
    public static func tcpFirstSkbTruesize(_ profile: KernelProfile, size: Int) throws -> Int {
        let sim = sim(profile)
        let pf = sim.socketPageFrag()
        guard let id = try sim.tcpSendSkb(payload: size, pageFrag: pf) else {
            throw FidelityError(description: "tcp \(size): model allocation failed")
        }
        let t = Int(try sim.skb(id).truesize)
        try sim.kfree_skb(id)
        sim.memory.page_frag_cache_drain(pf)
        return t
    }

    /// The `GROScenario` on a fresh model: GRO on (the profile's limits, no
    /// poll end), the segments built by SampleKit's `TCPFlow`, each received
    /// on the path (`RxDriver.receive`) and passed to `napi_gro_receive`,
    /// then `napi_gro_flush`. Reads the first delivered skb; then frees
    /// everything and drains the caches: any checker report or leak is an error.
    public static func observeGRO(
        _ s: GROScenario, _ profile: KernelProfile,
        driver: DriverModel = DriverModel()
    ) throws -> GROFacts {
        let sim = sim(profile)
        let path: RxPath
        switch s.path {
        case .netdevAllocSkb: path = .netdevAllocSkb
        case .napiAllocSkb: path = .napiAllocSkb
        case .buildSkb: path = .buildSkb
        case .sgCopybreak, .sgHeaderSplit: path = .scatterGather
        }
        let rx = rxDriver(sim, driver, path: path)
        rx.options.copybreakHeaderSplit = s.path == .sgHeaderSplit
        let napi = Napi(sim: sim, gro: GROOptions(profile: profile, enabled: true))
        var flow = TCPFlow(
            client: .init(mac: MACAddress(0x02, 0, 0, 0, 0, 1), address: .v4(IPv4Address(192, 0, 2, 1)), port: 51000),
            server: .init(mac: MACAddress(0x02, 0, 0, 0, 0, 2), address: .v4(IPv4Address(198, 51, 100, 2)), port: 443),
            mtu: s.payload + 52 > 1500 ? 9000 : 1500, timestamps: true)
        var delivered: [SkbID] = []
        for k in 0..<s.segments {
            let frame = flow.send(TCPFlow.pattern(count: s.payload, seed: UInt32(k)), from: .serverToClient)
            guard frame.count == s.frameLength else {
                throw FidelityError(description: "\(s): frame of \(frame.count) bytes")
            }
            sim.beginPacket(index: k, timestampNanoseconds: 0)
            let got = try frame.withUnsafeBytes { b throws(SkbError) in try rx.receive(bytes: b, linkType: .ethernet) }
            guard let skb = got else { throw FidelityError(description: "\(s): model allocation failed") }
            try napi.napi_gro_receive(skb) { delivered.append($0) }
        }
        try napi.napi_gro_flush { delivered.append($0) }
        guard let first = delivered.first else { throw FidelityError(description: "\(s): nothing delivered") }
        let p = try sim.skb(first)
        let sh = try sim.shinfo(first)
        var list = 0
        var next = sh.fragList
        while let n = next {
            list += 1
            next = try sim.skb(n).next
        }
        let facts = GROFacts(
            merges: napi.gro.statistics.merged, gsoSize: Int(sh.gsoSize), gsoSegs: Int(sh.gsoSegs),
            len: Int(p.len), dataLen: Int(p.dataLen), nrFrags: sh.nrFrags, fragList: list,
            truesize: Int(p.truesize), delivered: delivered.count)
        for skb in delivered { try sim.consume_skb(skb) }
        sim.drainCaches()
        rx.drainRing()
        if let r = sim.memory.checker.reports.first { throw FidelityError(description: "\(s): checker: \(r)") }
        try sim.memory.expectNoLeaks()
        return facts
    }

    /// The numbers a simulation with Trace's drop-reason table `table` gives
    /// the reasons of `DropReasonReference.names` (via `SkbModelDropReasons`,
    /// the model's own lookup).
    public static func dropReasons(table: String) -> [String: Int] {
        guard let t = SkbDropReasonTable.named(table) else { return [:] }
        let sim = SkbSim(dropReasons: t)
        let r = sim.reasons
        return [
            "NOT_SPECIFIED": Int(r.notSpecified.rawValue), "NOMEM": Int(r.nomem.rawValue),
            "NETFILTER_DROP": Int(r.netfilterDrop.rawValue), "SOCKET_RCVBUFF": Int(r.socketRcvbuff.rawValue),
            "MAX": Int(sim.dropReasonTable.maxValue),
        ]
    }
}
