import KernelMemory
import SkbModel

extension RunStatistics {
    /// The statistics of several runs (one capture file each, on machines of
    /// their own) as one summary, in the runs' order: counts and bytes add
    /// up, the truesize/len histograms merge (so the combined p50/p99 are
    /// those of every delivered skb), peaks (memory, sk_rmem_alloc) are the
    /// highest of any run, drops and skipped packets add up by name in
    /// order of first appearance, and the checker's findings are all kept.
    /// The profile fields (kernel, rx path, GRO, release order, memory size)
    /// are the first run's: every run of one command has the same ones.
    public static func combined(_ runs: [RunStatistics]) -> RunStatistics? {
        guard var total = runs.first else { return nil }
        for s in runs.dropFirst() { total.add(s) }
        return total
    }

    mutating func add(_ s: RunStatistics) {
        packets += s.packets
        bytes += s.bytes
        delivered += s.delivered
        consumed += s.consumed
        skbsAllocated += s.skbsAllocated
        pagesOrder3 += s.pagesOrder3
        pagesOrder0 += s.pagesOrder0
        pageFragReuses += s.pageFragReuses
        pageFragBytesHandedOut += s.pageFragBytesHandedOut
        pageFragBytesOfPages += s.pageFragBytesOfPages
        truesizeRatio.merge(s.truesizeRatio)
        for d in s.drops {
            if let i = drops.firstIndex(where: { $0.reason == d.reason }) {
                drops[i].count += d.count
            } else {
                drops.append(d)
            }
        }
        fragListMemberFrees += s.fragListMemberFrees
        hookDrops += s.hookDrops
        rxDropped += s.rxDropped
        rxAllocFailed += s.rxAllocFailed
        rxRingStatistics.add(s.rxRingStatistics)
        checksumVerified += s.checksumVerified
        checksumBad += s.checksumBad
        checksumPseudoHeaderOnly += s.checksumPseudoHeaderOnly
        checksumNotVerifiable += s.checksumNotVerifiable
        napiSkbCacheHits += s.napiSkbCacheHits
        peakMemoryBytes = Swift.max(peakMemoryBytes, s.peakMemoryBytes)
        peakSocketRmem = Swift.max(peakSocketRmem, s.peakSocketRmem)
        injectedPageFailures += s.injectedPageFailures
        injectedSlabFailures += s.injectedSlabFailures
        notModelled = Self.addCounts(notModelled, s.notModelled)
        snaplenCut += s.snaplenCut
        exhaustedAllocationFailures += s.exhaustedAllocationFailures
        exhaustedRxDropped += s.exhaustedRxDropped
        vlan = VLANStatistics(
            hardwareStripped: vlan.hardwareStripped + s.vlan.hardwareStripped, inBand: vlan.inBand + s.vlan.inBand,
            viaDevice: vlan.viaDevice + s.vlan.viaDevice, otherHost: vlan.otherHost + s.vlan.otherHost)
        if var g = groStatistics, let h = s.groStatistics {
            g.held += h.held
            for i in 0..<Swift.min(g.merged.count, h.merged.count) { g.merged[i] += h.merged[i] }
            for i in 0..<Swift.min(g.flushed.count, h.flushed.count) { g.flushed[i] += h.flushed[i] }
            g.normal += h.normal
            g.checksumBad += h.checksumBad
            g.polls += h.polls
            groStatistics = g
        }
        verdict.reports += s.verdict.reports
        if !s.verdict.leaks.isEmpty {
            if verdict.leaks.isEmpty {
                verdict.leaks = s.verdict.leaks
            } else {
                verdict.leaks.objects += s.verdict.leaks.objects
                verdict.leaks.text += "\n" + s.verdict.leaks.text
            }
        }
        verdict.findings += s.verdict.findings
        verdict.modelErrors += s.verdict.modelErrors
        verdict.notModelled = Self.addCounts(verdict.notModelled, s.verdict.notModelled)
    }

    static func addCounts(
        _ a: [(what: String, count: Int)], _ b: [(what: String, count: Int)]
    ) -> [(
        what: String, count: Int
    )] {
        var out = a
        for n in b {
            if let i = out.firstIndex(where: { $0.what == n.what }) { out[i].count += n.count } else { out.append(n) }
        }
        return out
    }
}
