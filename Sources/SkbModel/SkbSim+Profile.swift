import KernelMemory
import Trace

extension SkbOptions {
    /// The version-dependent choices of `profile` (rx kmalloc threshold); the
    /// driver knobs keep their defaults.
    public init(profile: KernelProfile) {
        self.init()
        rxKmallocThreshold = profile.rxKmallocUsesSmallHeadBound ? .smallHeadCache : .withOverhead1024
        napiSmallPageFrag1k = profile.napiUsesSmallPageFrag1k
    }
}

extension KernelProfile {
    /// The `SkbDropReasonTable` of this release (Trace); nil when none is
    /// stored for it.
    public var storedDropReasonTable: SkbDropReasonTable? { dropReasons.flatMap(SkbDropReasonTable.named) }

    /// `storedDropReasonTable`, or `.default` (6.18) for a release without a
    /// stored list: then only NOT_DROPPED_YET, CONSUMED, NOT_SPECIFIED and
    /// NO_SOCKET (0–3 from v6.2 on) are that release's numbers.
    public var dropReasonTable: SkbDropReasonTable { storedDropReasonTable ?? .default }
}

extension SkbSim {
    /// A simulation of the kernel described by `profile`: its `KernelConfig`
    /// (geometry, MAX_HEADER, page_frag algorithm), its version's options and
    /// its drop-reason list.
    public convenience init(profile: KernelProfile, sink: (any EventSink)? = nil) {
        self.init(
            memory: MemorySystem(config: profile.config), options: SkbOptions(profile: profile), sink: sink,
            dropReasons: profile.dropReasonTable)
    }
}

extension GROOptions {
    /// GRO of `profile`'s release, on or off: IPv4 BIG TCP from v6.3.
    public init(profile: KernelProfile, enabled: Bool) {
        self.init(enabled: enabled, ipv4BigTCP: profile.version >= KernelProfile.Version(6, 3))
    }
}
