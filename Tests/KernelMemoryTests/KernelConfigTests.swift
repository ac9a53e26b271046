import KernelMemory
import Testing

// include/linux/skbuff.h: SKB_TRUESIZE(X) = X + 256 + 320 on x86_64.
@Test func truesizeOverheadIsKernels() {
    let config = KernelConfig()
    #expect(config.sizeofSharedInfo == 320)
    #expect(config.skbTruesize(0) == 576)
}
