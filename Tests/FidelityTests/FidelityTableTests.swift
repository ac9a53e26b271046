import Testing
import Fidelity
import KernelMemory
import KernelReference

/// docs/fidelity.md: the model against the kernel's rules, for every profile.
@Suite struct FidelityTableTests {
    static let root: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/FidelityTests/FidelityTableTests.swift
        return parts.joined(separator: "/")
    }()

    @Test(arguments: KernelProfile.all)
    func modelMatchesKernelExpectations(_ profile: KernelProfile) {
        let rows = FidelityTable.rows(profile)
        #expect(rows.count >= 30)
        for r in rows where r.unexpectedMismatch {
            Issue.record("\(profile.name) \(r.scenario): kernel \(r.expected.facts) — model \(r.model.map { "\($0)" } ?? r.error ?? "?")")
        }
        // A documented divergence must still be one (else the doc's explanation is stale).
        for r in rows where r.knownDivergence != nil { #expect(!r.ok, "\(profile.name) \(r.scenario) now matches") }
        // 6.18 profiles: no divergence at all.
        if profile.version >= KernelProfile.Version(6, 14) { #expect(rows.filter { !$0.ok }.isEmpty) }
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
        let path = Self.root + "/docs/fidelity.md"
        let committed = try #require(FileIO.read(path), "\(path) missing: run swift run skbsim-fidelity")
        let fresh = try FidelityDoc.render()
        #expect(committed == fresh, "docs/fidelity.md drifted from the generator: run swift run skbsim-fidelity")
    }
}
