import KernelProbe
import KernelReference
import Testing

@Test func runningKernelReportsARelease() {
    let kernel = RunningKernel.current()
    #expect(kernel.release.first?.isNumber == true)
    #expect(!kernel.machine.isEmpty)
}
