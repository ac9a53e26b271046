import KernelMemory
import Testing

@testable import SkbModel

/// The tun rx paths (`TunReceive.swift`) without a kernel to ask: the
/// truesizes Linux 6.18.44 (Firecracker config) delivered for these frame
/// lengths through a TAP device (`skbsim verify --live`, docs/live-kernel.md),
/// the task_frag's placement, and the skb's shape.
@Suite struct TunReceiveTests {
    /// Frame length → truesize measured on the kernel: (tun_build_skb, tun_alloc_skb).
    static let measured: [(length: Int, build: Int, alloc: Int)] = [
        (60, 704, 832), (1514, 2176, 2304), (3456, 4096, 4352), (3457, 4352, 4352), (4031, 8448, 8448),
        (4032, 8448, 8448), (9014, 12544, 12544), (20000, 20736, 20736), (60000, 61696, 61696),
    ]

    func receive(_ driver: RxDriver, _ length: Int, _ path: RxPath) throws -> SkbID {
        let frame = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        return try #require(try frame.withUnsafeBytes { b throws(SkbError) in try driver.driverReceive(b, path) })
    }

    @Test(arguments: measured)
    func truesizeAsMeasured(_ m: (length: Int, build: Int, alloc: Int)) throws {
        for (path, expected) in [(RxPath.tunBuildSkb, m.build), (.tunAllocSkb, m.alloc)] {
            let driver = RxDriver(sim: SkbSim(profile: .firecracker6_18))
            let skb = try receive(driver, m.length, path)
            let s = try driver.sim.skb(skb)
            #expect(Int(s.truesize) == expected, "\(path) \(m.length)")
            #expect(Int(s.len) == m.length && Int(s.headroom) == 64)
            #expect(try driver.sim.bytes(skb) == (0..<m.length).map { UInt8(truncatingIfNeeded: $0 &* 13) })
            try driver.sim.kfree_skb(skb)
            driver.drainRing()
            driver.sim.drainCaches()
            try driver.sim.memory.expectNoLeaks()
        }
    }

    /// tun_build_skb: head_frag skbs packed into the task's 32 KiB page at
    /// SMP_CACHE_BYTES-aligned offsets, each holding a page reference;
    /// `skb_page_frag_refill` restarts the page at offset 0 once the task
    /// holds the only reference.
    @Test func taskFragPlacement() throws {
        let driver = RxDriver(sim: SkbSim(profile: .firecracker6_18))
        let sim = driver.sim
        let a = try receive(driver, 1514, .tunBuildSkb)
        let b = try receive(driver, 100, .tunBuildSkb)
        let sa = try sim.skb(a)
        let sb = try sim.skb(b)
        #expect(sa.headFrag && sb.headFrag)
        let page = sim.memory.virt_to_head_page(sa.head)
        #expect(sim.memory.virt_to_head_page(sb.head) == page)
        // buflen of a 1514-byte frame: SKB_DATA_ALIGN(1514 + 64) + 320 = 1920.
        #expect(sb.head - sa.head == 1920)
        #expect(sim.memory.page_ref_count(page) == 3)  // the task's + one per skb
        try sim.kfree_skb(a)
        try sim.kfree_skb(b)
        #expect(sim.memory.page_ref_count(page) == 1)
        let c = try receive(driver, 60, .tunBuildSkb)
        #expect(try sim.skb(c).head == sim.memory.page_address(page))
        try sim.kfree_skb(c)
        driver.drainRing()
        sim.drainCaches()
        try sim.memory.expectNoLeaks()
    }

    /// tun_alloc_skb past PAGE_SIZE − NET_SKB_PAD: a SKB_MAX_HEAD head and
    /// pages of the largest order PAGE_ALIGN(what is left) fills, at most 3.
    @Test func allocSkbWithFrags() throws {
        let driver = RxDriver(sim: SkbSim(profile: .firecracker6_18))
        let skb = try receive(driver, 60000, .tunAllocSkb)
        let s = try driver.sim.skb(skb)
        let sh = try driver.sim.shinfo(skb)
        #expect(Int(s.headlen) == 4096 - 64 - 320)
        #expect(sh.frags.map(\.size) == [32768, 16384, 60000 - 3712 - 32768 - 16384])
        #expect(sh.frags.allSatisfy { $0.offset == 0 })
        try driver.sim.kfree_skb(skb)
        try driver.sim.memory.expectNoLeaks()
    }

    /// `tun_can_build_skb`: the frame, TUN_RX_PAD, XDP_PACKET_HEADROOM and the
    /// shared info in one page — 3456 bytes on 4 KiB pages with MAX_SKB_FRAGS 17.
    @Test func canBuildSkbLimit() {
        let driver = RxDriver(sim: SkbSim(profile: .firecracker6_18))
        #expect(driver.tun_can_build_skb(3456))
        #expect(!driver.tun_can_build_skb(3457))
    }
}
