/// A kernel virtual address in the simulated direct map.
///
/// The direct map starts at `PAGE_OFFSET` = `0xffff888000000000` (x86_64,
/// 4-level paging, no KASLR), so `__va(pfn << PAGE_SHIFT)` is
/// `directMapBase + pfn * PAGE_SIZE` and `virt_to_page` is plain arithmetic.
/// Printed like the kernel's `%px`: 16 lower-case hex digits, no `0x`.
public struct KernelAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var raw: UInt64

    @inlinable public init(_ raw: UInt64) { self.raw = raw }

    /// `PAGE_OFFSET` on x86_64 without KASLR.
    public static let directMapBase: UInt64 = 0xffff_8880_0000_0000
    /// `ZERO_SIZE_PTR` (`include/linux/slab.h`): what `kmalloc(0)` returns.
    public static let zeroSizePointer = KernelAddress(16)

    @inlinable public static func < (a: KernelAddress, b: KernelAddress) -> Bool { a.raw < b.raw }
    @inlinable public static func + (a: KernelAddress, b: Int) -> KernelAddress {
        KernelAddress(a.raw &+ UInt64(truncatingIfNeeded: b))
    }
    @inlinable public static func - (a: KernelAddress, b: Int) -> KernelAddress {
        KernelAddress(a.raw &- UInt64(truncatingIfNeeded: b))
    }
    @inlinable public static func - (a: KernelAddress, b: KernelAddress) -> Int {
        Int(truncatingIfNeeded: a.raw &- b.raw)
    }

    public var description: String {
        let hex = String(raw, radix: 16)
        return String(repeating: "0", count: max(0, 16 - hex.count)) + hex
    }
}

/// A page frame number: index of a `struct page` in the simulated mem_map.
public struct PFN: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var raw: Int32
    @inlinable public init(_ raw: Int32) { self.raw = raw }
    @inlinable public init(_ raw: Int) { self.raw = Int32(truncatingIfNeeded: raw) }
    @inlinable public var index: Int { Int(raw) }
    @inlinable public static func < (a: PFN, b: PFN) -> Bool { a.raw < b.raw }
    public var description: String { "pfn:0x" + String(raw, radix: 16) }
}
