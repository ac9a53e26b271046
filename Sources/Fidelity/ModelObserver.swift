import KernelMemory
import KernelReference
import SkbModel

public struct FidelityError: Error, CustomStringConvertible {
    public var description: String
}

/// Runs a scenario on a fresh model of a profile and reads back the same facts
/// the kernel expectation states.
public enum ModelObserver {
    /// A fresh simulation of `profile` with the driver ring geometry of `driver`.
    public static func sim(_ profile: KernelProfile, driver: DriverModel = DriverModel()) -> SkbSim {
        // 8 MiB of simulated RAM is plenty for one skb of at most 64 KiB (and keeps
        // 250 fresh simulations cheap); the geometry is the profile's.
        var small = profile
        small.config.memorySize = 8 << 20
        let sim = SkbSim(profile: small)
        sim.options.rxBufferSize = driver.rxBufferSize
        sim.options.copybreak = driver.copybreak
        return sim
    }

    /// The facts of a live model skb; the head kind comes from the page that
    /// holds the head (slab cache, large kmalloc or page_frag page).
    public static func facts(_ sim: SkbSim, _ id: SkbID) throws -> SkbFacts {
        let s = try sim.skb(id)
        let nr = try sim.shinfo(id).nrFrags
        let m = sim.memory
        let pfn = m.virtToHeadPage(s.head)
        let page = m.page(pfn)
        let head: HeadKind
        switch page.owner {
        case .slab(let c):
            let info = m.slabInfo(c)
            head = info.name == "skbuff_small_head" ? .smallHead(info.objectSize) : .kmalloc(info.objectSize)
        case .kmallocLarge:
            head = .pages(order: page.order)
        case .pageFrag:
            head = .pageFrag(size: Int(s.end) + sim.config.skbDataAlign(sim.config.sizeofSharedInfo),
                             order: page.order, offset: s.head - m.pageAddress(pfn))
        default:
            throw FidelityError(description: "head of \(id) is on a page owned by \(page.owner)")
        }
        return SkbFacts(head: head, headroom: Int(s.headroom), tailroom: Int(s.tailroom),
                        truesize: Int(s.truesize), nrFrags: nr, len: Int(s.len))
    }

    /// The model's skb for a scenario (freed again; caches drained).
    public static func observe(_ scenario: AllocScenario, _ profile: KernelProfile,
                               driver: DriverModel = DriverModel()) throws -> SkbFacts {
        precondition(!scenario.gro, "GRO-on rows are pending the GRO engine")
        let sim = sim(profile, driver: driver)
        let L = scenario.length
        let id: SkbID?
        switch scenario.path {
        case .allocSkb: id = sim.alloc_skb(L)
        case .netdevAllocSkb: id = sim.netdev_alloc_skb(L)
        case .napiAllocSkb: id = sim.napi_alloc_skb(L)
        case .buildSkb, .sgCopybreak:
            let frame = [UInt8](repeating: 0x5a, count: L)
            let path: RxPath = scenario.path == .buildSkb ? .buildSkb : .scatterGather
            id = try frame.withUnsafeBytes { try sim.driverReceive($0, path) }
        }
        guard let id else { throw FidelityError(description: "\(scenario): model allocation failed") }
        let f = try facts(sim, id)
        try sim.kfree_skb(id)
        sim.drainCaches()
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
}
