import KernelMemory
import Trace

extension SkbOptions {
    /// The version-dependent choices of `profile` (rx kmalloc threshold); the
    /// driver knobs keep their defaults.
    public init(profile: KernelProfile) {
        self.init()
        rxKmallocThreshold = profile.rxKmallocUsesSmallHeadBound ? .smallHeadCache : .withOverhead1024
    }
}

extension SkbSim {
    /// A simulation of the kernel described by `profile`: its `KernelConfig`
    /// (geometry, MAX_HEADER, page_frag algorithm) and its version's options.
    public convenience init(profile: KernelProfile, sink: (any EventSink)? = nil) {
        self.init(memory: MemorySystem(config: profile.config), options: SkbOptions(profile: profile), sink: sink)
    }
}
