/// Poison bytes and KASAN shadow values.
///
/// Byte values from `include/linux/poison.h`; shadow codes from
/// `mm/kasan/kasan.h` (generic KASAN: one shadow byte per 8-byte granule,
/// 0 = all 8 bytes accessible, 1...7 = only the first k bytes).
public enum Poison {
    /// `POISON_FREE`: SLUB fills a freed object with it.
    public static let free: UInt8 = 0x6b
    /// `POISON_END`: last byte of a poisoned object.
    public static let end: UInt8 = 0xa5
    /// `POISON_INUSE`: SLUB's fill for the padding of a fresh slab.
    public static let inUse: UInt8 = 0x5a
    /// `PAGE_POISON`: CONFIG_PAGE_POISONING fill for a freed page.
    public static let page: UInt8 = 0xaa
}

/// KASAN shadow codes. `pageFree`, `pageRedzone`, `slabRedzone`,
/// `slabFree` are the kernel's; the page_frag codes are skbsim's (KASAN
/// does not track page fragments, it sees the whole page as allocated).
@usableFromInline
enum Shadow {
    @usableFromInline static let accessible: UInt8 = 0x00
    @usableFromInline static let pageFree: UInt8 = 0xFF  // KASAN_PAGE_FREE
    @usableFromInline static let pageRedzone: UInt8 = 0xFE  // KASAN_PAGE_REDZONE
    @usableFromInline static let slabRedzone: UInt8 = 0xFC  // KASAN_SLAB_REDZONE
    @usableFromInline static let slabFree: UInt8 = 0xFB  // KASAN_SLAB_FREE
    @usableFromInline static let fragFree: UInt8 = 0xF1  // skbsim: freed page_frag fragment
    @usableFromInline static let fragUnused: UInt8 = 0xF2  // skbsim: page_frag page, not yet handed out
    /// skbsim, byte shadow only: this granule's code is its 64-byte block's
    /// code in `MemorySystem.blockShadow` (page_frag pages, see FragShadow.swift).
    @usableFromInline static let fragBlock: UInt8 = 0xF4
    @usableFromInline static let granule = 8
    /// log2(`granule`): hot paths shift instead of dividing signed offsets.
    @usableFromInline static let granuleShift = 3
    /// Shadow bytes allocated past the arena's last granule (see `MemorySystem.shadow`).
    @usableFromInline static let slack = 8
}
