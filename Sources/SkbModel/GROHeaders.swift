import KernelMemory

/// What the GRO receive path learns from one skb's own header bytes
/// (`inet_gro_receive` / `ipv6_gro_receive` + `tcp_gro_pull_header`),
/// read from simulated memory at `skb->data` (= the network header when
/// the driver calls `napi_gro_receive`).
struct GROSegment {
    var v6: Bool
    /// Network header length including IPv6 extension headers: the TCP
    /// header's offset from data.
    var networkLength: Int
    /// `th->doff * 4`.
    var tcpLength: Int
    /// `skb_gro_len(skb)`: TCP payload bytes.
    var len: Int
    /// `NAPI_GRO_CB(skb)->flush` as the IP layer leaves it (length mismatch,
    /// frag bits other than DF, frag_list skb).
    var flush: Bool
    /// TCP flags byte.
    var flags: UInt8
    /// `skb_gro_offset(skb)` once TCP is pulled.
    var offset: Int { networkLength + tcpLength }
}

/// The first `count` bytes after `skb->data`, read raw once the checker
/// has found them all accessible (`SkbSim.groParse`'s fast path).
struct GROHeaderWindow {
    /// IPv4 + the longest TCP header (20 + 60), IPv6 + TCP with 40 bytes
    /// of options; longer headers take the checked path.
    static let size = 80
    let reader: GRORawReader
    let base: KernelAddress
    let count: Int

    enum Result {
        case parsed(GROSegment)
        /// The skb cannot be aggregated (`groParse` returns nil).
        case notAggregated
        /// A byte past the window or a pull is needed.
        case needsCheckedPath
    }

    @inline(__always) func u8(_ off: Int) -> UInt8 { reader.u8(base + off) }

    /// `ip_fast_csum(iph, 5) == 0` on the first 20 bytes: their one's
    /// complement sum folds to 0xFFFF. Summed as 32-bit little-endian
    /// chunks: the folded sum is the byte swap of the big-endian 16-bit one
    /// (RFC 1071), and 0xFFFF is its own swap.
    @inline(__always) func ipv4HeaderChecksumOK() -> Bool {
        let a = reader.memory.rawLoad(UInt64.self, at: base)
        let b = reader.memory.rawLoad(UInt64.self, at: base + 8)
        let c = reader.memory.rawLoad(UInt32.self, at: base + 16)
        var sum = (a & 0xFFFF_FFFF) &+ (a >> 32) &+ (b & 0xFFFF_FFFF) &+ (b >> 32) &+ UInt64(c)
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) &+ (sum >> 16) }
        return sum == 0xFFFF
    }
    @inline(__always) func be16(_ off: Int) -> UInt16 { reader.be16(base + off) }
}

/// TCP flag bits (byte 13 of the header).
enum TCPBits {
    static let fin: UInt8 = 0x01, syn: UInt8 = 0x02, rst: UInt8 = 0x04, psh: UInt8 = 0x08
    static let ack: UInt8 = 0x10, urg: UInt8 = 0x20, ece: UInt8 = 0x40, cwr: UInt8 = 0x80
}

extension SkbSim {
    @inline(__always) func groU8(_ a: KernelAddress) -> UInt8 { memory.withUnsafeBytes(at: a, count: 1) { $0[0] } }

    @inline(__always) func groBE16(_ a: KernelAddress) -> UInt16 {
        memory.withUnsafeBytes(at: a, count: 2) { UInt16($0[0]) << 8 | UInt16($0[1]) }
    }

    @inline(__always) func groBE32(_ a: KernelAddress) -> UInt32 {
        memory.withUnsafeBytes(at: a, count: 4) {
            UInt32($0[0]) << 24 | UInt32($0[1]) << 16 | UInt32($0[2]) << 8 | UInt32($0[3])
        }
    }

    func groStoreBE16(_ a: KernelAddress, _ v: UInt16) {
        memory.withUnsafeMutableBytes(at: a, count: 2) { b in
            if b.count == 2 {
                b[0] = UInt8(v >> 8)
                b[1] = UInt8(truncatingIfNeeded: v)
            }
        }
    }

    func groStoreU8(_ a: KernelAddress, _ v: UInt8) {
        memory.withUnsafeMutableBytes(at: a, count: 1) { b in if b.count == 1 { b[0] = v } }
    }

    /// Equal bytes at two addresses (`memcmp(...) == 0`).
    func groBytesEqual(_ a: KernelAddress, _ b: KernelAddress, _ n: Int) -> Bool {
        guard n > 0 else { return true }
        return memory.withUnsafeBytes(at: a, count: n) { x in
            memory.withUnsafeBytes(at: b, count: n) { y in SkbSim.bytesEqual(x, y) }
        }
    }

    /// `memcmp(x, y, n) == 0` for equal-length buffers, 8 bytes at a time
    /// (`elementsEqual` goes byte by byte through the generic iterator).
    @inline(__always) static func bytesEqual(_ x: UnsafeRawBufferPointer, _ y: UnsafeRawBufferPointer) -> Bool {
        let n = x.count
        guard n == y.count else { return false }
        guard n > 0, let xp = x.baseAddress, let yp = y.baseAddress else { return true }
        var k = 0
        while k + 8 <= n {
            if xp.loadUnaligned(fromByteOffset: k, as: UInt64.self)
                != yp.loadUnaligned(fromByteOffset: k, as: UInt64.self)
            {
                return false
            }
            k += 8
        }
        while k < n {
            if xp.load(fromByteOffset: k, as: UInt8.self) != yp.load(fromByteOffset: k, as: UInt8.self) { return false }
            k += 1
        }
        return true
    }

    /// `skb_gro_header` for a linear-header skb: the first `n` bytes after
    /// data must be linear; `pskb_may_pull` them if not (`skb_gro_header_slow`).
    func groMayPull(_ i: Int, _ n: Int) throws(SkbError) -> Bool {
        if Int(skbs[i].headlen) >= n { return true }
        if Int(skbs[i].len) < n { return false }
        return try pskb_may_pull(id(i), n)
    }

    /// Parse IPv4/IPv6 + TCP the way `inet_gro_receive`/`ipv6_gro_receive`
    /// and `tcp4/6_gro_receive` do. nil = the skb cannot be aggregated
    /// (not IP/TCP, IPv4 options or fragment, bad IPv4 header checksum,
    /// bad TCP doff): it goes up unmerged (`GRO_NORMAL`). Sets the skb's
    /// network/transport header offsets as the GRO path does.
    func groParse(_ napi: Napi, _ i: Int) throws(SkbError) -> GROSegment? {
        // Fast path: the first bytes of the linear data are accessible (the
        // checker would pass every read), so parse them raw with one look;
        // anything else (short headlen, pulls, poisoned bytes) takes the
        // checked path below, which reports exactly as before.
        let window = min(Int(skbs[i].headlen), GROHeaderWindow.size)
        let d = skbs[i].dataPointer
        if window > 0 && !napi.checkedReadsOnly && memory.isAccessible(d, count: window) {
            switch groParseRaw(i, GROHeaderWindow(reader: GRORawReader(memory: memory), base: d, count: window)) {
            case .parsed(let seg):
                skbs[i].networkHeader = UInt16(truncatingIfNeeded: skbs[i].data)
                skbs[i].transportHeader = UInt16(truncatingIfNeeded: Int(skbs[i].data) + seg.networkLength)
                var seg = seg
                if shinfo(at: i).hasFragList { seg.flush = true }
                return seg
            case .notAggregated: return nil
            case .needsCheckedPath: break
            }
        }
        return try groParseChecked(i)
    }

    /// `groParseChecked` on raw header bytes, without side effects: the
    /// same tests in the same order; `.needsCheckedPath` when a test needs a
    /// byte outside the window or a pull.
    func groParseRaw(_ i: Int, _ w: GROHeaderWindow) -> GROHeaderWindow.Result {
        let proto = skbs[i].protocolType
        let headlen = Int(skbs[i].headlen)
        let len = Int(skbs[i].len)
        let v6: Bool
        var nh: Int
        var flush = false
        // groMayPull(i, n) is true without a pull when headlen >= n.
        @inline(__always) func mayPull(_ n: Int) -> Bool? {
            if headlen >= n { return n <= w.count ? true : nil }
            return len < n ? false : nil
        }
        if proto == 0x0800 {
            guard let ok = mayPull(20) else { return .needsCheckedPath }
            guard ok else { return .notAggregated }
            guard w.u8(0) == 0x45 else { return .notAggregated }
            let fragOff = w.be16(6)
            guard fragOff & 0x3FFF == 0 else { return .notAggregated }
            guard w.ipv4HeaderChecksumOK() else { return .notAggregated }
            guard w.u8(9) == 6 else { return .notAggregated }
            flush = Int(w.be16(2)) != len || fragOff & ~0x4000 != 0
            v6 = false
            nh = 20
        } else if proto == 0x86DD {
            guard let ok = mayPull(40) else { return .needsCheckedPath }
            guard ok else { return .notAggregated }
            guard w.u8(0) >> 4 == 6 else { return .notAggregated }
            flush = Int(w.be16(4)) != len - 40
            var next = w.u8(6)
            nh = 40
            var hops = 0
            while next == 0 || next == 43 || next == 60 {
                guard hops < 8 else { return .notAggregated }
                guard let ok = mayPull(nh + 8) else { return .needsCheckedPath }
                guard ok else { return .notAggregated }
                let hlen = (Int(w.u8(nh + 1)) + 1) * 8
                next = w.u8(nh)
                nh += hlen
                hops += 1
            }
            guard next == 6 else { return .notAggregated }
            v6 = true
        } else {
            return .notAggregated
        }
        guard let ok = mayPull(nh + 20) else { return .needsCheckedPath }
        guard ok else { return .notAggregated }
        let doff = Int(w.u8(nh + 12) >> 4) * 4
        guard doff >= 20 else { return .notAggregated }
        guard let ok2 = mayPull(nh + doff) else { return .needsCheckedPath }
        guard ok2 else { return .notAggregated }
        return .parsed(
            GROSegment(
                v6: v6, networkLength: nh, tcpLength: doff, len: len - nh - doff,
                flush: flush, flags: w.u8(nh + 13)))
    }

    /// The checked parse (every read through the checker, pulls as needed).
    func groParseChecked(_ i: Int) throws(SkbError) -> GROSegment? {
        let proto = skbs[i].protocolType
        let v6: Bool
        var nh: Int
        var flush = false
        if proto == 0x0800 {
            guard try groMayPull(i, 20) else { return nil }
            let d = skbs[i].dataPointer
            guard groU8(d) == 0x45 else { return nil }  // no IP options
            let fragOff = groBE16(d + 6)
            guard fragOff & 0x3FFF == 0 else { return nil }  // ip_is_fragment
            var sum: UInt32 = 0
            for k in stride(from: 0, to: 20, by: 2) { sum &+= UInt32(groBE16(d + k)) }
            while sum >> 16 != 0 { sum = (sum & 0xFFFF) &+ (sum >> 16) }
            guard sum == 0xFFFF else { return nil }  // ip_fast_csum
            guard groU8(d + 9) == 6 else { return nil }  // TCP only (UDP passes through)
            flush = Int(groBE16(d + 2)) != Int(skbs[i].len) || fragOff & ~0x4000 != 0
            v6 = false
            nh = 20
        } else if proto == 0x86DD {
            guard try groMayPull(i, 40) else { return nil }
            var d = skbs[i].dataPointer
            guard groU8(d) >> 4 == 6 else { return nil }
            flush = Int(groBE16(d + 4)) != Int(skbs[i].len) - 40
            var next = groU8(d + 6)
            nh = 40
            // ipv6_gro_pull_exthdrs: hop-by-hop, routing, destination options.
            var hops = 0
            while next == 0 || next == 43 || next == 60 {
                guard hops < 8, try groMayPull(i, nh + 8) else { return nil }
                d = skbs[i].dataPointer
                let hlen = (Int(groU8(d + nh + 1)) + 1) * 8
                next = groU8(d + nh)
                nh += hlen
                hops += 1
            }
            guard next == 6 else { return nil }
            v6 = true
        } else {
            return nil
        }
        guard try groMayPull(i, nh + 20) else { return nil }
        let doff = Int(groU8(skbs[i].dataPointer + nh + 12) >> 4) * 4
        guard doff >= 20, try groMayPull(i, nh + doff) else { return nil }
        let d = skbs[i].dataPointer
        skbs[i].networkHeader = UInt16(truncatingIfNeeded: skbs[i].data)
        skbs[i].transportHeader = UInt16(truncatingIfNeeded: Int(skbs[i].data) + nh)
        if shinfo(at: i).hasFragList { flush = true }
        return GROSegment(
            v6: v6, networkLength: nh, tcpLength: doff, len: Int(skbs[i].len) - nh - doff,
            flush: flush, flags: groU8(d + nh + 13))
    }
}
