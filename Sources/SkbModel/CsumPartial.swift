/// The one's-complement sum behind every TCP/UDP checksum
/// (`csum_partial`, arch/x86/lib/csum-partial_64.c; `csum_tcpudp_nofold` /
/// `csum_ipv6_magic` for the pseudo-header; `csum_fold`), v6.18.
///
/// The sum is kept in the byte order the bytes are loaded in (little-endian
/// on every host Swift runs on): RFC 1071 §2(B), the one's-complement sum
/// of 16-bit words is independent of byte order up to a final swap, and a
/// valid checksum folds to 0xFFFF, which is its own swap. 32-bit words
/// accumulate into 64 bits without carries (2^32 words before an overflow:
/// 16 GiB, far above any frame); folding 64 → 16 bits adds the carries back.
enum CsumPartial {
    /// `csum_partial(p, n, 0)` unfolded: the 64-bit sum of `p[0..<n]` as
    /// 32-bit little-endian words, a trailing odd byte as the high byte of
    /// a network-order word.
    ///
    /// Unsafe, package-internal: `p` must be valid for `n` bytes (callers
    /// pass a frame buffer or a copy they own, with `n` checked against its
    /// length). Loads are unaligned.
    @inline(__always)
    static func sum(_ p: UnsafeRawPointer, _ n: Int) -> UInt64 {
        var a: UInt64 = 0
        var b: UInt64 = 0
        var c: UInt64 = 0
        var d: UInt64 = 0
        var k = 0
        // Four independent accumulators, 32 bytes a step (about 0.7
        // instructions a byte); each 64-bit load adds its two halves.
        while k + 32 <= n {
            let w = p.loadUnaligned(fromByteOffset: k, as: UInt64.self)
            let x = p.loadUnaligned(fromByteOffset: k + 8, as: UInt64.self)
            let y = p.loadUnaligned(fromByteOffset: k + 16, as: UInt64.self)
            let z = p.loadUnaligned(fromByteOffset: k + 24, as: UInt64.self)
            a &+= (w & 0xFFFF_FFFF) &+ (w >> 32)
            b &+= (x & 0xFFFF_FFFF) &+ (x >> 32)
            c &+= (y & 0xFFFF_FFFF) &+ (y >> 32)
            d &+= (z & 0xFFFF_FFFF) &+ (z >> 32)
            k += 32
        }
        while k + 4 <= n {
            a &+= UInt64(p.loadUnaligned(fromByteOffset: k, as: UInt32.self))
            k += 4
        }
        if k + 2 <= n {
            b &+= UInt64(p.loadUnaligned(fromByteOffset: k, as: UInt16.self))
            k += 2
        }
        // [byte, 0] in network order is `byte` as a little-endian word.
        if k < n { c &+= UInt64(p.load(fromByteOffset: k, as: UInt8.self)) }
        return a &+ b &+ c &+ d
    }

    /// `csum_fold` without the final complement: the 16-bit one's-complement
    /// sum (in load order) of a 64-bit accumulation.
    @inline(__always)
    static func fold(_ s: UInt64) -> UInt16 {
        var s = (s & 0xFFFF_FFFF) &+ (s >> 32)  // ≤ 2^33
        s = (s & 0xFFFF_FFFF) &+ (s >> 32)  // ≤ 2^32
        s = (s & 0xFFFF) &+ (s >> 16)  // ≤ 2^17
        s = (s & 0xFFFF) &+ (s >> 16)
        return UInt16(truncatingIfNeeded: (s & 0xFFFF) &+ (s >> 16))
    }

    /// The pseudo-header's protocol and length words (`csum_tcpudp_nofold`,
    /// `csum_ipv6_magic`): [0, proto] and the length in network order, as
    /// load-order (little-endian) words. The addresses are summed by the caller.
    @inline(__always)
    static func pseudoTail(proto: UInt8, length: Int) -> UInt64 {
        UInt64(UInt16(truncatingIfNeeded: length).byteSwapped)
            &+ UInt64(UInt16(truncatingIfNeeded: length >> 16).byteSwapped) &+ (UInt64(proto) << 8)
    }

    /// Whether the TCP/UDP segment at `p[th..<th + l4Length]`, whose IP
    /// header is at `p[nh...]` (version from its first nibble), sums to
    /// 0xFFFF with its pseudo-header: `csum_fold(...) == 0`, the checksum is
    /// right. Returns the folded pseudo-header sum (load order) too, for the
    /// caller's look at offloaded checksums.
    ///
    /// Unsafe, package-internal: `p` must be valid for `max(nh + 40, th + l4Length)`
    /// bytes on IPv6 and `max(nh + 20, th + l4Length)` on IPv4.
    @inline(__always)
    static func verify(
        _ p: UnsafeRawPointer, nh: Int, th: Int, l4Length: Int, proto: UInt8
    ) -> (valid: Bool, pseudo: UInt16) {
        let v6 = p.load(fromByteOffset: nh, as: UInt8.self) >> 4 == 6
        let pseudo = sum(p + nh + (v6 ? 8 : 12), v6 ? 32 : 8) &+ pseudoTail(proto: proto, length: l4Length)
        let total = pseudo &+ sum(p + th, l4Length)
        return (fold(total) == 0xFFFF, fold(pseudo))
    }
}
