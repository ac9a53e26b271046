import TestSupport
import Testing
import Fidelity
import KernelMemory
import KernelReference

/// docs/fidelity.md: the model against the kernel's rules, for every profile.
@Suite struct FidelityTableTests {
    @Test(arguments: KernelProfile.all)
    func modelMatchesKernelExpectations(_ profile: KernelProfile) {
        let rows = FidelityTable.rows(profile)
        #expect(rows.count >= 30)
        for r in rows where r.unexpectedMismatch {
            Issue.record("\(profile.name) \(r.scenario): kernel \(r.expected.facts) — model \(r.model.map { "\($0)" } ?? r.error ?? "?")")
        }
        // A documented divergence must still be one (else the doc's explanation is stale).
        for r in rows where r.knownDivergence != nil { #expect(!r.ok, "\(profile.name) \(r.scenario) now matches") }
        // No divergence is documented any more (page_frag_alloc_1k is modelled): every row matches.
        #expect(FidelityRow.knownDivergences.isEmpty)
        #expect(rows.filter { !$0.ok }.isEmpty)
    }

    /// GRO on: every path × segment size on every profile, model (which must
    /// also free cleanly) against skb_gro_receive's rules.
    @Test(arguments: KernelProfile.all)
    func groRowsMatch(_ profile: KernelProfile) {
        let rows = FidelityTable.groRows(profile)
        #expect(rows.count == GROScenario.all.count)
        for r in rows where !r.ok {
            Issue.record("\(profile.name) \(r.scenario): kernel \(r.expected) — model \(r.model.map { "\($0)" } ?? r.error ?? "?")")
        }
        // The rows exercise every skb_gro_receive outcome somewhere.
        let merged = rows.reduce([0, 0, 0]) { a, r in zip(a, r.expected.merges).map { $0 + $1 } }
        #expect(merged[1] > 0 && merged[2] > 0)
        #expect(rows.contains { $0.expected.delivered > 1 })   // -E2BIG at 64 KiB
        #expect(rows.contains { $0.expected.nrFrags == profile.config.maxSkbFrags && $0.expected.fragList > 0 })
    }

    /// v6.1–v6.13: napi_alloc_skb's small heads are 1 KiB page_frag_1k slices, so
    /// short segments are head-stolen by GRO; v6.14+: kmalloc heads, frag_list.
    @Test func napiSmallFragChangesGRO() {
        let s = GROScenario(path: .napiAllocSkb, payload: 100, segments: 8)
        #expect(KernelExpectations(.distroX86_64_v6_13).expectGRO(s).facts.merges == [0, 7, 0])
        #expect(KernelExpectations(.distroX86_64).expectGRO(s).facts.merges == [0, 0, 7])
    }

    @Test func dropReasonRowsMatch() {
        let rows = FidelityTable.dropReasonRows()
        #expect(rows.count == 8)
        for r in rows { #expect(r.ok, "\(r.table) \(r.name): kernel \(r.kernel) model \(r.model)") }
        // The profiles' simulations use the profiles' lists.
        for p in KernelProfile.all {
            #expect(ModelObserver.sim(p).dropReasonTable.kernel == p.dropReasonTable.kernel)
        }
    }

    @Test(arguments: [KernelProfile.distroX86_64, .firecracker6_18])
    func sendPathsMatch(_ profile: KernelProfile) throws {
        for family in IPFamily.allCases {
            for r in try FidelityTable.udpRows(profile, family: family) {
                #expect(r.ok, "\(profile.name) udp \(family) \(r.payload): kernel \(r.kernel) model \(r.model)")
            }
        }
        for r in try FidelityTable.tcpRows(profile) { #expect(r.ok, "\(profile.name) tcp \(r.size)") }
    }

    /// Numbers published in kernel-facts.md §2–§3 (x86_64 distro) and measured on
    /// the Firecracker guest, against KernelReference.
    @Test func referenceAgreesWithPublishedNumbers() {
        let d = KernelMacros(.distroX86_64)
        #expect(d.smallHeadCacheSize == 704 && d.smallHeadHeadroom == 384 && d.maxTcpHeader == 320)
        #expect(d.skbMaxAlloc == 16064 && d.truesize(0) == 576)
        let e = KernelExpectations(.distroX86_64)
        #expect(e.expect(AllocScenario(path: .allocSkb, length: 0)).facts.truesize == 960)
        let n = e.expect(AllocScenario(path: .netdevAllocSkb, length: 1500)).facts
        #expect(n.head == .pageFrag(size: 1920, order: 3, offset: 0) && n.truesize == 2176)
        let f = KernelMacros(.firecracker6_18)
        #expect(f.smallHeadCacheSize == 576 && f.maxTcpHeader == 192)
        // ≤ v6.12 page_frag counts down: the first fragment sits at the end of the 32 KiB page.
        let old = KernelExpectations(.distroX86_64_v6_12).expect(AllocScenario(path: .netdevAllocSkb, length: 1500)).facts
        #expect(old.head == .pageFrag(size: 1920, order: 3, offset: 32768 - 1920))
    }

    /// The committed table is what the generator produces now.
    @Test func docIsUpToDate() throws {
        let path = Repository.root.path + "/docs/fidelity.md"
        let committed = try #require(FileIO.read(path), "\(path) missing: run swift run skbsim-fidelity")
        let fresh = try FidelityDoc.render()
        #expect(committed == fresh, "docs/fidelity.md drifted from the generator: run swift run skbsim-fidelity")
    }
}
