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
    /// The `SkbDropReasonTable` of `dropReasons` (Trace), `.default` if the
    /// key is unknown.
    public var dropReasonTable: SkbDropReasonTable {
        SkbDropReasonTable.named(dropReasons.table) ?? .default
    }
}

extension SkbSim {
    /// A simulation of the kernel described by `profile`: its `KernelConfig`
    /// (geometry, MAX_HEADER, page_frag algorithm), its version's options and
    /// its drop-reason list.
    public convenience init(profile: KernelProfile, sink: (any EventSink)? = nil) {
        self.init(memory: MemorySystem(config: profile.config), options: SkbOptions(profile: profile), sink: sink,
                  dropReasons: profile.dropReasonTable)
    }
}
