import KernelMemory

/// A typed view of `struct skb_shared_info` stored in simulated memory at
/// `head + end` (x86_64 layout, include/linux/skbuff.h, v6.11+):
///
/// | off | field            | size |
/// |-----|------------------|------|
/// | 0   | flags            | u8   |
/// | 1   | meta_len         | u8   |
/// | 2   | nr_frags         | u8   |
/// | 3   | tx_flags         | u8   |
/// | 4   | gso_size         | u16  |
/// | 6   | gso_segs         | u16  |
/// | 8   | frag_list        | ptr (model: encoded `SkbID`) |
/// | 16  | hwtstamps        | 8    |
/// | 24  | gso_type         | u32  |
/// | 28  | tskey            | u32  |
/// | 32  | dataref          | atomic_t |
/// | 36  | xdp_frags_size   | u32  |
/// | 40  | destructor_arg   | ptr  |
/// | 48  | frags[MAX_SKB_FRAGS], 16 bytes each: netmem @0 (model: page address), len u32 @8, offset u32 @12 |
///
/// Every access goes through the checker, so reading the shinfo of a freed
/// head is reported as a use-after-free, like KASAN would.
public struct SharedInfo {
    public let memory: MemorySystem
    /// `skb_shinfo(skb)`.
    public let address: KernelAddress

    @inlinable public init(memory: MemorySystem, address: KernelAddress) {
        self.memory = memory
        self.address = address
    }

    public static let flagsOffset = 0, metaLenOffset = 1, nrFragsOffset = 2, txFlagsOffset = 3
    public static let gsoSizeOffset = 4, gsoSegsOffset = 6, fragListOffset = 8, hwtstampsOffset = 16
    public static let gsoTypeOffset = 24, tskeyOffset = 28, datarefOffset = 32, xdpFragsSizeOffset = 36
    public static let destructorArgOffset = 40, fragsOffset = 48, fragSize = 16
    /// `SKB_DATAREF_SHIFT`.
    public static let datarefShift: UInt32 = 16
    /// `SKB_DATAREF_MASK`.
    public static let datarefMask: UInt32 = 0xFFFF

    @inlinable func load<T: FixedWidthInteger>(_ off: Int, _: T.Type) -> T {
        memory.withUnsafeBytes(at: address + off, count: MemoryLayout<T>.size) {
            T(littleEndian: $0.loadUnaligned(as: T.self))
        }
    }

    @inlinable func store<T: FixedWidthInteger>(_ off: Int, _ value: T) {
        memory.withUnsafeMutableBytes(at: address + off, count: MemoryLayout<T>.size) { buf in
            if buf.count == MemoryLayout<T>.size { buf.storeBytes(of: value.littleEndian, as: T.self) }
        }
    }

    /// `flags` (SKBFL_*).
    public var flags: UInt8 {
        get { load(SharedInfo.flagsOffset, UInt8.self) }
        nonmutating set { store(SharedInfo.flagsOffset, newValue) }
    }
    public var nrFrags: Int {
        get { Int(load(SharedInfo.nrFragsOffset, UInt8.self)) }
        nonmutating set { store(SharedInfo.nrFragsOffset, UInt8(truncatingIfNeeded: newValue)) }
    }
    public var gsoSize: UInt16 {
        get { load(SharedInfo.gsoSizeOffset, UInt16.self) }
        nonmutating set { store(SharedInfo.gsoSizeOffset, newValue) }
    }
    public var gsoSegs: UInt16 {
        get { load(SharedInfo.gsoSegsOffset, UInt16.self) }
        nonmutating set { store(SharedInfo.gsoSegsOffset, newValue) }
    }
    public var gsoType: UInt32 {
        get { load(SharedInfo.gsoTypeOffset, UInt32.self) }
        nonmutating set { store(SharedInfo.gsoTypeOffset, newValue) }
    }
    /// `atomic_t dataref`: low 16 bits all references, high 16 payload-only.
    public var dataref: UInt32 {
        get { load(SharedInfo.datarefOffset, UInt32.self) }
        nonmutating set { store(SharedInfo.datarefOffset, newValue) }
    }
    /// `frag_list`: the first skb chained behind this one, nil = NULL.
    public var fragList: SkbID? {
        get { SharedInfo.decode(load(SharedInfo.fragListOffset, UInt64.self)) }
        nonmutating set { store(SharedInfo.fragListOffset, SharedInfo.encode(newValue)) }
    }
    /// `skb_has_frag_list`.
    public var hasFragList: Bool { load(SharedInfo.fragListOffset, UInt64.self) != 0 }

    /// `frags[i]`.
    public func frag(_ i: Int) -> SkbFrag {
        let off = SharedInfo.fragsOffset + i * SharedInfo.fragSize
        return SkbFrag(
            page: KernelAddress(load(off, UInt64.self)), size: load(off + 8, UInt32.self),
            offset: load(off + 12, UInt32.self))
    }

    /// Set `frags[i]` (no reference taken, no nr_frags change).
    public func setFrag(_ i: Int, _ f: SkbFrag) {
        let off = SharedInfo.fragsOffset + i * SharedInfo.fragSize
        store(off, f.page.raw)
        store(off + 8, f.size)
        store(off + 12, f.offset)
    }

    /// The frags in order.
    public var frags: [SkbFrag] { (0..<nrFrags).map { frag($0) } }

    /// `__finalize_skb_around`: zero everything before `dataref`, then dataref = 1.
    func initialize() {
        memory.withUnsafeMutableBytes(at: address, count: SharedInfo.datarefOffset) { buf in
            if buf.count > 0 { buf.initializeMemory(as: UInt8.self, repeating: 0) }
        }
        dataref = 1
    }

    /// `initialize()` on a head the model has just allocated: the same bytes
    /// through `rawSet`/`rawStore` (no shadow check, which could not report
    /// on memory that was unpoisoned by its own allocation).
    @inlinable func initializeFresh() {
        memory.rawSet(address, 0, count: SharedInfo.datarefOffset)
        memory.rawStore(UInt32(1), at: address + SharedInfo.datarefOffset)
    }

    /// `frag_list` pointer encoding: 0 = NULL, else (generation << 32) | (index + 1).
    @inlinable static func encode(_ id: SkbID?) -> UInt64 {
        guard let id else { return 0 }
        return UInt64(id.generation) << 32 | UInt64(id.index &+ 1)
    }

    @inlinable static func decode(_ raw: UInt64) -> SkbID? {
        raw == 0
            ? nil
            : SkbID(index: UInt32(truncatingIfNeeded: raw) &- 1, generation: UInt32(truncatingIfNeeded: raw >> 32))
    }
}

/// `skb_frag_t` (v6.7+: `{netmem, len, offset}`): `page` is the address of
/// the (head) page the fragment lives in (`page_address(skb_frag_page(f))`),
/// `offset` is relative to it.
public struct SkbFrag: Hashable, Sendable {
    public var page: KernelAddress
    public var size: UInt32
    public var offset: UInt32

    public init(page: KernelAddress, size: UInt32, offset: UInt32) {
        self.page = page
        self.size = size
        self.offset = offset
    }

    /// `skb_frag_address(frag)`.
    public var address: KernelAddress { page + Int(offset) }
}
