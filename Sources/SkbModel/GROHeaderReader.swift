import KernelMemory

/// How GRO reads header bytes of simulated memory.
///
/// `GROCheckedReader` sends every read through the checker (a poisoned or
/// freed byte is reported where it is read). `GRORawReader` reads without
/// the checker and is used only after `SkbSim.groAccessible` has found every
/// byte the caller may read accessible: there the checked reads would
/// report nothing, so the results are the same with one look instead of one
/// per field. Callers are generic over the reader, so both paths run the
/// same code.
protocol GROHeaderReader {
    func u8(_ a: KernelAddress) -> UInt8
    func be16(_ a: KernelAddress) -> UInt16
    func be32(_ a: KernelAddress) -> UInt32
    /// `memcmp(a, b, n) == 0`.
    func equal(_ a: KernelAddress, _ b: KernelAddress, _ n: Int) -> Bool
}

struct GROCheckedReader: GROHeaderReader {
    let sim: SkbSim
    @inline(__always) func u8(_ a: KernelAddress) -> UInt8 { sim.groU8(a) }
    @inline(__always) func be16(_ a: KernelAddress) -> UInt16 { sim.groBE16(a) }
    @inline(__always) func be32(_ a: KernelAddress) -> UInt32 { sim.groBE32(a) }
    @inline(__always) func equal(_ a: KernelAddress, _ b: KernelAddress, _ n: Int) -> Bool {
        sim.groBytesEqual(a, b, n)
    }
}

struct GRORawReader: GROHeaderReader {
    let memory: MemorySystem
    @inline(__always) func u8(_ a: KernelAddress) -> UInt8 { memory.rawLoad(UInt8.self, at: a) }
    @inline(__always) func be16(_ a: KernelAddress) -> UInt16 { UInt16(bigEndian: memory.rawLoad(UInt16.self, at: a)) }
    @inline(__always) func be32(_ a: KernelAddress) -> UInt32 { UInt32(bigEndian: memory.rawLoad(UInt32.self, at: a)) }
    @inline(__always) func equal(_ a: KernelAddress, _ b: KernelAddress, _ n: Int) -> Bool {
        var k = 0
        while k + 8 <= n {
            if memory.rawLoad(UInt64.self, at: a + k) != memory.rawLoad(UInt64.self, at: b + k) { return false }
            k += 8
        }
        while k < n {
            if memory.rawLoad(UInt8.self, at: a + k) != memory.rawLoad(UInt8.self, at: b + k) { return false }
            k += 1
        }
        return true
    }
}

extension SkbSim {
    /// Whether the checker would pass a read of `[a, a + n)` (no report either way).
    @inline(__always) func groAccessible(_ a: KernelAddress, _ n: Int) -> Bool {
        n <= 0 || memory.isAccessible(a, count: n)
    }
}
