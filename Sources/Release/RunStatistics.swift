import KernelMemory
import SkbModel
import Trace

/// Fixed-bucket histogram of truesize/len ratios: 1/16 steps from 0 to 256
/// (4096 buckets, allocated once) plus an overflow bucket. Recording a
/// value allocates nothing.
public struct RatioHistogram: Sendable {
    public static let bucketsPerUnit = 16
    public static let maxRatio = 256
    var buckets: ContiguousArray<UInt64>
    public internal(set) var count: UInt64 = 0
    public internal(set) var sum: Double = 0
    public internal(set) var max: Double = 0

    public init() { buckets = ContiguousArray(repeating: 0, count: Self.maxRatio * Self.bucketsPerUnit + 1) }

    @inline(__always)
    public mutating func record(_ ratio: Double) {
        let b = Swift.min(Int(ratio * Double(Self.bucketsPerUnit)), buckets.count - 1)
        buckets[b] &+= 1
        count &+= 1
        sum += ratio
        if ratio > max { max = ratio }
    }

    /// A histogram with `recorder`'s contents.
    init(_ recorder: RatioRecorder) {
        buckets = ContiguousArray(
            UnsafeBufferPointer(start: recorder.buckets, count: Self.maxRatio * Self.bucketsPerUnit + 1))
        count = recorder.count
        sum = recorder.sum
        max = recorder.max
    }

    public var mean: Double { count == 0 ? 0 : sum / Double(count) }

    /// Adds `other`'s values, as if they had been recorded here: the
    /// quantiles of the sum are those of all the values together.
    public mutating func merge(_ other: RatioHistogram) {
        for i in 0..<buckets.count { buckets[i] &+= other.buckets[i] }
        count &+= other.count
        sum += other.sum
        if other.max > max { max = other.max }
    }

    /// The upper edge of the bucket holding the q-quantile (q in 0...1),
    /// capped at the exact maximum.
    public func quantile(_ q: Double) -> Double {
        guard count > 0 else { return 0 }
        let rank = Swift.max(1, UInt64((q * Double(count)).rounded(.up)))
        var seen: UInt64 = 0
        for (i, n) in buckets.enumerated() {
            seen += n
            if seen >= rank { return Swift.min(Double(i + 1) / Double(Self.bucketsPerUnit), max) }
        }
        return max
    }
}

/// `RatioHistogram.record` for a per-packet driver: the buckets behind one
/// pointer (no array uniqueness check per record). The owner calls
/// `deallocate()` once; `RatioHistogram(recorder)` takes a snapshot.
struct RatioRecorder {
    let buckets: UnsafeMutablePointer<UInt64>
    private(set) var count: UInt64 = 0
    private(set) var sum: Double = 0
    private(set) var max: Double = 0
    private static let lastBucket = RatioHistogram.maxRatio * RatioHistogram.bucketsPerUnit

    init() {
        buckets = .allocate(capacity: Self.lastBucket + 1)
        buckets.initialize(repeating: 0, count: Self.lastBucket + 1)
    }

    /// As `RatioHistogram.record`.
    @inline(__always)
    mutating func record(_ ratio: Double) {
        let b = Swift.min(Int(ratio * Double(RatioHistogram.bucketsPerUnit)), Self.lastBucket)
        buckets[b] &+= 1
        count &+= 1
        sum += ratio
        if ratio > max { max = ratio }
    }

    func deallocate() { buckets.deallocate() }
}

/// What the memory checker and the release layer concluded about a run.
public struct CheckerVerdict: Sendable, CustomStringConvertible {
    /// KASAN-style reports (use-after-free, double-free, underflows, ...).
    public var reports: [KasanReport]
    /// The kmemleak scan after draining caches.
    public var leaks: LeakReport
    /// Release-layer WARNs (socket accounting).
    public var findings: [SocketFinding]
    /// Model BUGs (`SkbError`) caught per packet; the run went on.
    public var modelErrors: [String]
    /// Packets the model skipped, by what it does not model (a link type,
    /// packets the host sent): the verdict covers only the others.
    public var notModelled: [(what: String, count: Int)] = []

    /// Packets skipped as not modelled.
    public var notModelledPackets: Int { notModelled.reduce(0) { $0 + $1.count } }

    public var isClean: Bool { reports.isEmpty && leaks.isEmpty && findings.isEmpty && modelErrors.isEmpty }

    public var description: String { checkerSummary + notModelledSuffix }

    /// ` — 10 packets not modelled (link type IEEE802_11_RADIOTAP)`, or "".
    var notModelledSuffix: String {
        guard notModelledPackets > 0 else { return "" }
        return " — \(notModelledPackets) packet\(notModelledPackets == 1 ? "" : "s") not modelled ("
            + notModelled.map { notModelled.count == 1 ? $0.what : "\($0.what): \($0.count)" }.joined(separator: ", ")
            + ")"
    }

    private var checkerSummary: String {
        if isClean { return "clean (no KASAN reports, kmemleak: no suspected memory leaks)" }
        var parts: [String] = []
        if !reports.isEmpty { parts.append("\(reports.count) KASAN report(s)") }
        if !leaks.isEmpty { parts.append("\(leaks.objects.count) suspected leak(s)") }
        if !findings.isEmpty { parts.append("\(findings.count) warning(s)") }
        if !modelErrors.isEmpty { parts.append("\(modelErrors.count) model BUG(s)") }
        return "FAILED: " + parts.joined(separator: ", ")
    }

    /// Every report's full text, kernel style.
    public var fullText: String {
        var out: [String] = reports.map(\.text) + findings.map(\.text) + modelErrors
        if !leaks.isEmpty { out.append(leaks.text) }
        return out.joined(separator: "\n")
    }
}

/// Statistics of one `PacketRun` (`skbsim stats`).
public struct RunStatistics: Sendable, CustomStringConvertible {
    public var kernel: String
    public var rxPath: String
    public var releaseOrder: String
    public var gro: Bool
    /// Packets built into skbs and their bytes (at the build length: wire
    /// length by default).
    public var packets = 0
    public var bytes = 0
    /// skbs delivered to the socket (after GRO) and consumed by the reader.
    public var delivered = 0
    public var consumed: UInt64 = 0
    /// `struct sk_buff` objects handed to skbs: from skbuff_cache,
    /// skbuff_fclone_cache or the NAPI skb cache (`napiSkbCacheHits` of them).
    public var skbsAllocated = 0
    /// page_frag refills with an order-3 (PAGE_FRAG_CACHE_MAX_ORDER) page / an order-0 fallback.
    public var pagesOrder3 = 0
    public var pagesOrder0 = 0
    public var pageFragRefills: Int { pagesOrder3 + pagesOrder0 }
    /// Pages restarted in place because every fragment came back (the bias trick).
    public var pageFragReuses = 0
    /// Fragment bytes handed out by the page_frag caches, and the bytes the
    /// pages offered (refills + in-place reuses, each a whole page).
    public var pageFragBytesHandedOut = 0
    public var pageFragBytesOfPages = 0
    /// Bytes of refilled pages never handed out as fragments.
    public var pageFragWaste: Int { pageFragBytesOfPages - pageFragBytesHandedOut }
    /// truesize / len of each delivered skb.
    public var truesizeRatio = RatioHistogram()
    /// Drops by reason name, in reason-value order: the `kfree_skb`
    /// tracepoint's top-level hits. A receive whose allocation failed is
    /// not one (no skb exists): it is in `rxDropped`.
    public var drops: [(reason: String, count: UInt64)] = []
    public var totalDrops: UInt64 { drops.reduce(0) { $0 + $1.count } }
    /// frag_list members freed as part of their head (traced NOT_SPECIFIED by the kernel).
    public var fragListMemberFrees: UInt64 = 0
    public var hookDrops: UInt64 = 0
    /// The model driver's `rx_dropped` and the allocation failures behind them.
    public var rxDropped = 0
    public var rxAllocFailed = 0
    /// The rx descriptor ring (`build-skb`, `sg-copybreak`) and its counters;
    /// nil on paths without one.
    public var rxRing: RxRingGeometry?
    public var rxRingStatistics = RxRingStatistics()
    /// The NIC's checksum verdict (`--rx-csum`) and, with `verify`, the
    /// driver's counts (`RxDriverStatistics`): TCP/UDP checksums right,
    /// wrong, wrong with only the pseudo-header sum in the field (a capture
    /// on the sending host with TX checksum offload), not verifiable (cut by
    /// the snapshot length, taken as right).
    public var rxChecksum: RxChecksumMode = .verify
    public var checksumVerified = 0
    public var checksumBad = 0
    public var checksumPseudoHeaderOnly = 0
    public var checksumNotVerifiable = 0
    /// Structs the NAPI skb cache handed out instead of `skbuff_cache`.
    public var napiSkbCacheHits = 0
    /// Highest simulated memory in use (pages not free in the buddy allocator), at packet ends.
    public var peakMemoryBytes = 0
    public var peakSocketRmem = 0
    public var injectedPageFailures = 0
    public var injectedSlabFailures = 0
    /// Packets not built into skbs, by what the model lacks.
    public var notModelled: [(what: String, count: Int)] = []
    public var notModelledPackets: Int { notModelled.reduce(0) { $0 + $1.count } }
    /// Packets the capture cut short (snapshot length: caplen < len), and
    /// the length their skbs were built at.
    public var snaplenCut = 0
    public var buildLength: SkbBuildLength = .wire
    /// Simulated RAM (`KernelConfig.memorySize`).
    public var memorySize = 0
    /// Page allocations refused because the simulated RAM ran out (not
    /// injected), and the receives the driver dropped (`rx_dropped`, its
    /// allocation failed) while that happened:
    /// the simulation's limit, not drops the kernel would make.
    public var exhaustedAllocationFailures = 0
    public var exhaustedRxDropped = 0
    /// What happened to VLAN-tagged frames.
    public var vlan = VLANStatistics()
    /// The GRO engine's counters when GRO was on, else nil.
    public var groStatistics: GROEngine.Statistics? = nil
    /// Segments merged into a held skb (all strategies).
    public var groMerges: Int { groStatistics?.merged.reduce(0, +) ?? 0 }
    /// Held skbs completed and sent up (all causes).
    public var groFlushes: Int { groStatistics?.flushed.reduce(0, +) ?? 0 }
    public var verdict: CheckerVerdict

    /// `frags`, `head_steal`, `frag_list`.
    public static func name(_ strategy: GROMergeStrategy) -> String {
        switch strategy {
        case .frags: "frags"
        case .headSteal: "head_steal"
        case .fragList: "frag_list"
        }
    }

    /// `32 MiB`, `1 GiB`, or bytes.
    public static func sizeText(_ bytes: Int) -> String {
        if bytes >= 1 << 30 && bytes % (1 << 30) == 0 { return "\(bytes >> 30) GiB" }
        if bytes >= 1 << 20 && bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        return "\(bytes) bytes"
    }

    /// `rx checksums:` line of `description`.
    var checksumLine: String {
        guard rxChecksum == .verify else {
            return "rx checksums:          trust (every frame CHECKSUM_UNNECESSARY, not verified)"
        }
        var text = "rx checksums:          verify: \(checksumVerified) right, \(checksumBad) wrong (CHECKSUM_NONE)"
        if checksumNotVerifiable > 0 {
            text += ", \(checksumNotVerifiable) not verifiable (cut by snaplen: taken as right)"
        }
        return text
    }

    public func dropCount(_ name: String) -> UInt64 { drops.first { $0.reason == name }?.count ?? 0 }

    public var description: String {
        func f(_ x: Double) -> String {
            let r = (x * 1000).rounded() / 1000
            return String(r)
        }
        var lines = [
            "kernel profile:        \(kernel) (drop reasons)",
            "rx path:               \(rxPath)",
            "gro:                   \(gro ? "on" : "off")",
            "release order:         \(releaseOrder)",
            "packets:               \(packets)",
            "bytes:                 \(bytes)",
            "skbs allocated:        \(skbsAllocated)",
            "delivered:             \(delivered)",
            "consumed:              \(consumed)",
            "page_frag refills:     \(pageFragRefills) (order-3: \(pagesOrder3), order-0: \(pagesOrder0)), reuses: \(pageFragReuses)",
            "page_frag bytes:       \(pageFragBytesHandedOut) handed out of \(pageFragBytesOfPages) offered by pages (waste \(pageFragWaste))",
            "truesize/len:          mean \(f(truesizeRatio.mean)) p50 \(f(truesizeRatio.quantile(0.5))) p99 \(f(truesizeRatio.quantile(0.99))) max \(f(truesizeRatio.max))",
            "peak memory:           \(peakMemoryBytes) bytes",
            "peak sk_rmem_alloc:    \(peakSocketRmem)",
        ]
        if let ring = rxRing {
            let r = rxRingStatistics
            lines.append(
                "rx ring:               \(ring): \(r.pagesAllocated) pages allocated, \(r.buffersReused) buffers reused, "
                    + "\(r.pagesReleased) pages let go"
                    + (r.allocFailed > 0 ? ", \(r.allocFailed) refills failed" : "")
                    + (r.noBuffer > 0 ? "; \(r.noBuffer) frames missed (rx_no_buffer_count)" : ""))
        }
        if snaplenCut > 0 {
            lines.append(
                "cut by snaplen:        \(snaplenCut) packet(s); "
                    + (buildLength == .wire
                        ? "skbs built at the wire length, the uncaptured bytes filled with 0x\(String(UncapturedBytes.fill, radix: 16))"
                        : "skbs built at the captured length (--length captured), shorter than the kernel's"))
        }
        if exhaustedAllocationFailures > 0 {
            lines.append(
                "simulated memory:      \(RunStatistics.sizeText(memorySize)) exhausted: \(exhaustedAllocationFailures) page allocation(s) failed, "
                    + "\(exhaustedRxDropped) rx_dropped come from the simulation's limit, not the kernel (raise it with --memory)"
            )
        }
        if vlan.tagged > 0 {
            lines.append(
                "vlan:                  \(vlan.tagged) tagged skb(s): \(vlan.hardwareStripped) tag(s) stripped by the NIC, "
                    + "\(vlan.inBand) popped by skb_vlan_untag; \(vlan.viaDevice) received by a VLAN device, "
                    + "\(vlan.otherHost) OTHERHOST (no device for the VID, --vlan-devices)")
            if gro && vlan.inBand > 0 {
                lines.append(
                    "not modelled:          GRO of frames with in-band tags (vlan_gro_receive): "
                        + "\(vlan.inBand) went through GRO unmerged (--rx-vlan-offload on strips them)")
            }
        }
        if injectedPageFailures + injectedSlabFailures > 0 {
            lines.append("injected failures:     page \(injectedPageFailures), slab \(injectedSlabFailures)")
        }
        if let g = groStatistics {
            let strategies = GROMergeStrategy.allCases.map {
                "\(RunStatistics.name($0)): \(g.merged[Int($0.rawValue)])"
            }
            lines.append("gro merges:            \(groMerges) (\(strategies.joined(separator: ", ")))")
            let causes = GROFlushCause.allCases.filter { g.flushed[Int($0.rawValue)] > 0 }.map {
                "\($0): \(g.flushed[Int($0.rawValue)])"
            }
            lines.append(
                "gro flushes:           \(groFlushes)" + (causes.isEmpty ? "" : " (\(causes.joined(separator: ", ")))"))
            lines.append("gro held/normal/polls: \(g.held) / \(g.normal) / \(g.polls)")
            if g.checksumBad > 0 {
                lines.append("gro bad checksums:     \(g.checksumBad) (not merged: sent up alone)")
            }
        }
        lines.append(checksumLine)
        if checksumPseudoHeaderOnly > 0 {
            lines.append(
                "  \(checksumPseudoHeaderOnly) of them hold only the pseudo-header sum: a capture on the sending host "
                    + "(TX checksum offload fills them in after the capture)? --rx-csum trust takes them as the NIC verified them"
            )
        }
        if notModelledPackets > 0 {
            lines.append(
                "not modelled:          \(notModelledPackets) ("
                    + notModelled.map { "\($0.what): \($0.count)" }.joined(separator: ", ") + ")")
        }
        if rxDropped > 0 { lines.append("rx_dropped (driver):   \(rxDropped) (alloc_failed \(rxAllocFailed))") }
        lines.append("drops:                 \(totalDrops)")
        for d in drops { lines.append("  \(d.reason): \(d.count)") }
        if fragListMemberFrees > 0 { lines.append("frag_list member frees: \(fragListMemberFrees)") }
        lines.append("checker:               \(verdict)")
        return lines.joined(separator: "\n")
    }
}

/// VLAN-tagged frames in a run: how the tag left the frame (the NIC's
/// `NETIF_F_HW_VLAN_CTAG_RX` or `skb_vlan_untag`) and whether a VLAN device
/// received the skb (`vlan_do_receive`) or it was marked OTHERHOST.
public struct VLANStatistics: Sendable, Hashable {
    /// Outer 802.1Q tags the NIC stripped before the skb was built.
    public var hardwareStripped = 0
    /// skbs whose outer tag was still in the frame at `netif_receive_skb`.
    public var inBand = 0
    /// Tagged skbs received by VLAN devices (or priority-tagged, VID 0).
    public var viaDevice = 0
    /// Tagged skbs with no device for their VID: dropped by the protocol handler.
    public var otherHost = 0
    /// Tagged skbs that reached `netif_receive_skb`.
    public var tagged: Int { viaDevice + otherHost }

    public init(hardwareStripped: Int = 0, inBand: Int = 0, viaDevice: Int = 0, otherHost: Int = 0) {
        self.hardwareStripped = hardwareStripped
        self.inBand = inBand
        self.viaDevice = viaDevice
        self.otherHost = otherHost
    }
}
