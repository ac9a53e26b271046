import Fidelity
import KernelMemory
import KernelReference
import TestSupport
import Testing

/// docs/fidelity.md: the model against the kernel's rules, for every profile.
@Suite struct FidelityTableTests {
    @Test(arguments: KernelProfile.all)
    func modelMatchesKernelExpectations(_ profile: KernelProfile) {
        let rows = FidelityTable.rows(profile)
        #expect(rows.count >= 30)
        for r in rows where r.unexpectedMismatch {
            Issue.record(
                "\(profile.name) \(r.scenario): kernel \(r.expected.facts) — model \(r.model.map { "\($0)" } ?? r.error ?? "?")"
            )
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
            Issue.record(
                "\(profile.name) \(r.scenario): kernel \(r.expected) — model \(r.model.map { "\($0)" } ?? r.error ?? "?")"
            )
        }
        // The rows exercise every skb_gro_receive outcome somewhere.
        let merged = rows.reduce([0, 0, 0]) { a, r in zip(a, r.expected.merges).map { $0 + $1 } }
        #expect(merged[1] > 0 && merged[2] > 0)
        #expect(rows.contains { $0.expected.delivered > 1 })  // -E2BIG at 64 KiB
        #expect(rows.contains { $0.expected.nrFrags == profile.config.maxSkbFrags && $0.expected.fragList > 0 })
    }

    /// v6.1–v6.13: napi_alloc_skb's small heads are 1 KiB page_frag_1k slices, so
    /// short segments are head-stolen by GRO; v6.14+: kmalloc heads, frag_list.
    @Test func napiSmallFragChangesGRO() {
        let s = GROScenario(path: .napiAllocSkb, payload: 100, segments: 8)
        #expect(KernelExpectations(.distroX86_64_v6_12).expectGRO(s).facts.merges == [0, 7, 0])
        #expect(KernelExpectations(.distroX86_64).expectGRO(s).facts.merges == [0, 0, 7])
    }

    @Test func dropReasonRowsMatch() {
        let rows = FidelityTable.dropReasonRows()
        #expect(rows.count == KernelProfile.dropReasonReleases.count * DropReasonReference.names.count)
        for r in rows { #expect(r.ok, "\(r.release) \(r.name): kernel \(r.kernel) model \(r.model)") }
        // Every profile's simulation uses its own release's list.
        for p in KernelProfile.all {
            #expect(ModelObserver.sim(p).dropReasonTable.kernel == p.version.description)
        }
    }

    // MARK: The reference can disagree

    /// The reference shares no rule with the model: give the model of one
    /// release a wrong formula and the table must fail. Here the v6.12 model
    /// gets v6.14's small-head formula (the old bug: 704 with the 704 rx
    /// bound), the reference keeps v6.12's own (640).
    @Test func wrongSmallHeadFormulaIsCaught() {
        var wrong = KernelProfile.distroX86_64_v6_12
        wrong.config.smallHeadCache = .maxTcpHeaderOrGroMaxHeadPad
        let rows = FidelityTable.rows(.distroX86_64_v6_12, model: wrong)
        let bad = rows.filter { !$0.ok }
        #expect(bad.count > 0)
        // alloc_skb(1): the kernel's 640-byte small head, the wrong model's 704.
        let one = rows.first { $0.scenario == AllocScenario(path: .allocSkb, length: 1) }
        #expect(one?.expected.facts.head == .smallHead(640) && one?.model?.head == .smallHead(704))
        // The right model passes the same rows.
        let right = FidelityTable.rows(.distroX86_64_v6_12)
        #expect(right.filter { !$0.ok }.isEmpty)
    }

    /// Another release, another rule: the v6.1 model given a small-head cache
    /// (v6.1 has none), and the v6.18 model given the page_frag of ≤ v6.12.
    @Test func wrongRuleOnOtherReleasesIsCaught() {
        var cache = KernelProfile.distroX86_64_v6_1
        cache.config.smallHeadCache = .maxTcpHeader
        #expect(FidelityTable.rows(.distroX86_64_v6_1, model: cache).contains { !$0.ok })
        var frag = KernelProfile.distroX86_64
        frag.config.pageFragAlgorithm = .legacyCountDown
        let rows = FidelityTable.rows(.distroX86_64, model: frag)
        #expect(rows.filter { !$0.ok }.count > 0)
    }

    /// The reference's formulas give the numbers worked out by hand for each
    /// release (`KernelReleaseFacts.smallHeadDistro` / `smallHeadMaxHeader32`).
    @Test(arguments: KernelReleaseFacts.table.map(\.release))
    func referenceGivesHandWorkedNumbers(_ release: String) throws {
        let facts = try #require(KernelReleaseFacts.table.first { $0.release == release })
        let version = try #require(KernelProfile.Version(release: release))
        var config = KernelConfig.distroX86_64
        let distro = KernelProfile(name: "t", summary: "t", version: version, config: config)
        #expect(KernelMacros(distro).smallHeadCacheSize == facts.smallHeadDistro)
        config.maxHeader = 32
        let minimal = KernelProfile(name: "t", summary: "t", version: version, config: config)
        #expect(KernelMacros(minimal).smallHeadCacheSize == facts.smallHeadMaxHeader32)
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
        // v6.3–v6.13: SKB_HEAD_ALIGN(MAX_TCP_HEADER) = 640 and the SKB_WITH_OVERHEAD(1024) bound; v6.1: no cache.
        let t = KernelMacros(.distroX86_64_v6_12)
        #expect(t.smallHeadCacheSize == 640 && t.rxKmallocBound == 704)
        #expect(KernelMacros(.distroX86_64_v6_1).smallHeadCacheSize == nil)
        #expect(
            KernelExpectations(.distroX86_64_v6_1).expect(AllocScenario(path: .allocSkb, length: 0)).facts.head
                == .kmalloc(512))
        // ≤ v6.12 page_frag counts down: the first fragment sits at the end of the 32 KiB page.
        let old = KernelExpectations(.distroX86_64_v6_12).expect(AllocScenario(path: .netdevAllocSkb, length: 1500))
            .facts
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
