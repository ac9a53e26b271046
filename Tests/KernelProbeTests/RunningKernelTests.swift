import KernelReference
import Testing
import KernelProbe

@Test func runningKernelReportsARelease() {
    let kernel = RunningKernel.current()
    #expect(kernel.release.first?.isNumber == true)
    #expect(!kernel.machine.isEmpty)
}
