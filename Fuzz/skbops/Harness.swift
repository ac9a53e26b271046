// libFuzzer harness: the input bytes drive a sequence of sk_buff operations.
//
// A small pool of references (at most 8) is built and mutated through the
// public `SkbSim` API: every allocation path with fuzzed sizes, put/push/pull/
// reserve/trim with fuzzed lengths, may_pull/pull_tail/linearize/expand_head,
// clone/copy/pskb_copy/unshare/get, add_rx_frag/coalesce from page_frag
// buffers, receive of fuzzed or flow-built frames on every rx path, GRO
// receive/flush, free/consume/kfree_skb_reason — and, sometimes, an operation
// on a handle that was already freed. Page and slab fault injection may be
// armed by the input too. At the end every reference still held is released.
//
// Findings (a trap, which libFuzzer records):
// - a Swift runtime trap or an ASan report anywhere in the model;
// - an skb invariant broken after a step: data <= tail <= end,
//   tail - data == len - data_len, data_len <= len, nr_frags <= MAX_SKB_FRAGS,
//   sum of frag sizes + frag_list lengths == data_len, truesize >= len;
// - a checker report the step did not deliberately provoke (the only
//   provoked ones are slab-use-after-free reports for operations on stale
//   handles, which must also throw `.useAfterFree`);
// - anything left allocated (kmemleak scan) after everything is freed and the
//   page_frag caches are drained, or a live skb left in the pool.
// A thrown `SkbError` (the model's kernel BUG) is not a finding by itself.
//
// Compiled with the KernelMemory, Trace, Capture and SkbModel modules by
// scripts/fuzz.sh; not a SwiftPM target.
import Capture
import KernelMemory
import SkbModel
import Trace

/// Reads the input; past its end every read is 0 (so runs always end).
struct Input {
    let bytes: UnsafeRawBufferPointer
    var pos = 0
    var exhausted: Bool { pos >= bytes.count }
    mutating func u8() -> Int {
        guard pos < bytes.count else {
            pos += 1
            return 0
        }
        defer { pos += 1 }
        return Int(bytes[pos])
    }
    mutating func u16() -> Int { u8() | u8() << 8 }
    mutating func bool() -> Bool { u8() & 1 == 1 }
    /// A length biased towards the interesting small and boundary values.
    mutating func length(max: Int) -> Int {
        switch u8() & 7 {
        case 0: return u8() & 15
        case 1: return u8()
        case 2:
            return [
                0, 1, 14, 54, 64, 128, 192, 256, 320, 384, 704, 1024, 1500, 1664, 2048, 3712, 4096, 9000, 32768, 65535,
            ][u8() % 20]
        default: return min(max, u16())
        }
    }
    /// Take `n` bytes of the input (fewer at its end).
    mutating func take(_ n: Int) -> UnsafeRawBufferPointer {
        let start = min(pos, bytes.count)
        let end = min(start + n, bytes.count)
        pos = start + n
        return UnsafeRawBufferPointer(rebasing: bytes[start..<end])
    }
}

/// A harness-side failure: trap so libFuzzer saves the input.
func finding(_ message: @autoclosure () -> String) -> Never {
    fatalError("skbops finding: " + message())
}

/// Ethernet + IPv4 + TCP frames of two flows, sequence numbers following on,
/// so GRO has something to merge.
struct Flows {
    var seq: [UInt32] = [1000, 500_000]
    var ipID: [UInt16] = [1, 100]

    mutating func frame(_ input: inout Input) -> [UInt8] {
        let f = input.u8() & 1
        let payload = input.length(max: 9000 - 52) % 9000
        let flags = input.u8()
        var tcpFlags: UInt8 = 0x10  // ACK
        if flags & 0x01 != 0 { tcpFlags |= 0x08 }  // PSH
        if flags & 0x3e == 0x02 { tcpFlags |= 0x01 }  // FIN
        if flags & 0x3e == 0x04 { tcpFlags = 0x02 }  // SYN
        let timestamps = flags & 0x40 != 0
        let gap = flags & 0x80 != 0 && input.bool()
        let optLen = timestamps ? 12 : 0
        let ipLen = 20 + 20 + optLen + payload
        var b: [UInt8] = []
        b.reserveCapacity(14 + ipLen)
        b += [0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, UInt8(1 + f), 0x08, 0x00]
        b += [
            0x45, 0, UInt8(ipLen >> 8 & 0xff), UInt8(ipLen & 0xff), UInt8(ipID[f] >> 8), UInt8(ipID[f] & 0xff), 0x40, 0,
            64, 6, 0, 0,
            192, 0, 2, UInt8(1 + f), 198, 51, 100, 2,
        ]
        var sum: UInt32 = 0
        for k in stride(from: 14, to: 34, by: 2) { sum += UInt32(b[k]) << 8 | UInt32(b[k + 1]) }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        let csum = ~UInt16(sum)
        b[24] = UInt8(csum >> 8)
        b[25] = UInt8(csum & 0xff)
        ipID[f] &+= 1
        if gap { seq[f] &+= 1448 }
        let s = seq[f]
        b += [
            0xc7, 0x38, 0x01, 0xbb, UInt8(s >> 24), UInt8(s >> 16 & 0xff), UInt8(s >> 8 & 0xff), UInt8(s & 0xff),
            0, 0, 0, 1, UInt8((20 + optLen) / 4) << 4, tcpFlags, 0xff, 0xff, 0, 0, 0, 0,
        ]
        if timestamps { b += [1, 1, 8, 10, 0, 0, 0, UInt8(f), 0, 0, 0, 7] }
        seq[f] &+= UInt32(payload)
        for k in 0..<payload { b.append(UInt8(truncatingIfNeeded: k &* 31 &+ f)) }
        return b
    }
}

/// One fuzz run's state.
final class Run {
    let sim: SkbSim
    let driver: RxDriver
    let napi: Napi
    /// End a NAPI poll when its budget is used up (else only explicit ends).
    let autoPoll: Bool
    let memory: MemorySystem
    /// The harness's own page_frag cache (build_skb heads, rx frags).
    let bufferCache: PageFragCacheID
    /// References the harness holds (a handle may appear once per reference).
    var pool: [SkbID] = []
    /// Handles the harness saw freed.
    var stale: [SkbID] = []
    /// Room left in the last frag the harness added to an skb (for coalesce):
    /// the frag's address and the bytes of its buffer not yet used.
    var room: [SkbID: (address: KernelAddress, index: Int, left: Int)] = [:]
    var flows = Flows()
    var reportsAllowed = 0
    var steps = 0

    init(_ input: inout Input) {
        var config = KernelConfig()
        config.memorySize = 4 << 20
        config.maxTrackedFragments = 4096
        let mode = input.u8()
        if mode & 0x80 != 0 { config.maxSkbFrags = 17 + (mode & 0x1f) }
        if mode & 0x40 != 0 { config.pageFragAlgorithm = .legacyCountDown }
        memory = MemorySystem(config: config)
        // Fault injection: a seeded probability or an nth point, pages and/or slab.
        let faults = input.u8()
        if faults & 0x03 != 0 {
            let p = Double(faults >> 2 & 0x0f) / 32
            let seed = UInt64(input.u8())
            if faults & 0x01 != 0 {
                memory.failPageAlloc.probability = p
                memory.failPageAlloc.seed = seed
                memory.failPageAlloc.minOrder = 0
            }
            if faults & 0x02 != 0 {
                memory.failSlab.probability = p
                memory.failSlab.seed = seed &+ 1
            }
        } else if faults & 0x0c != 0 {
            let n = 1 + input.u8()
            if faults & 0x04 != 0 {
                memory.failPageAlloc.failNth = n
                memory.failPageAlloc.minOrder = 0
            }
            if faults & 0x08 != 0 { memory.failSlab.failNth = n + 3 }
        }
        var options = SkbOptions()
        let o = input.u8()
        options.rxKmallocThreshold = o & 1 == 0 ? .smallHeadCache : .withOverhead1024
        options.kfreeHeadAlways = o & 2 == 0
        sim = SkbSim(memory: memory, options: options)
        var rx = RxDriverOptions()
        rx.copybreakHeaderSplit = o & 4 != 0
        rx.copybreak = [256, 128, 64, 1, 1024][(o >> 3) % 5]
        driver = RxDriver(sim: sim, options: rx)
        let budget = [64, 4, 1, 0][o >> 6 & 3]
        napi = Napi(sim: sim, gro: GROOptions(enabled: o & 0x40 == 0), budget: max(budget, 1))
        autoPoll = budget > 0
        bufferCache = memory.pageFragCacheCreate(name: "fuzz_rx")
    }

    static let paths: [RxPath] = RxPath.allCases
    static let linkTypes: [LinkType] = [.ethernet, .ethernet, .linuxSLL, .raw, .null, .linuxSLL2]

    // MARK: Checks

    func checkInvariants(_ where_: String) {
        var seen = Set<SkbID>()
        for id in pool where seen.insert(id).inserted {
            guard sim.isLive(id) else { finding("\(where_): pool handle \(id) is not live") }
            check(id, where_, depth: 0)
        }
    }

    func check(_ id: SkbID, _ where_: String, depth: Int) {
        guard depth < 4 else { return }
        let s: SkBuff
        let sh: SharedInfo
        do {
            s = try sim.skb(id)
            sh = try sim.shinfo(id)
        } catch { finding("\(where_): \(id) unreadable: \(error)") }
        guard s.head.raw != 0 else { finding("\(where_): \(id) has no head") }
        guard s.data <= s.tail, s.tail <= s.end else {
            finding("\(where_): \(id) data \(s.data) tail \(s.tail) end \(s.end)")
        }
        guard s.dataLen <= s.len else { finding("\(where_): \(id) data_len \(s.dataLen) > len \(s.len)") }
        guard s.tail - s.data == s.len - s.dataLen else {
            finding("\(where_): \(id) tail - data = \(s.tail - s.data) but len - data_len = \(s.len - s.dataLen)")
        }
        guard s.users >= 1 else { finding("\(where_): \(id) users \(s.users)") }
        let nr = sh.nrFrags
        guard nr <= memory.config.maxSkbFrags else { finding("\(where_): \(id) nr_frags \(nr)") }
        var paged = 0
        for k in 0..<nr { paged += Int(sh.frag(k).size) }
        var cur = sh.fragList
        var members = 0
        while let c = cur {
            guard sim.isLive(c) else { finding("\(where_): \(id) frag_list member \(c) is freed") }
            members += 1
            guard members < 10_000 else { finding("\(where_): \(id) frag_list loops") }
            let m = try! sim.skb(c)
            paged += Int(m.len)
            check(c, where_ + " (frag_list of \(id))", depth: depth + 1)
            cur = m.next
        }
        guard paged == Int(s.dataLen) else {
            finding("\(where_): \(id) frags + frag_list = \(paged) but data_len = \(s.dataLen)")
        }
        guard s.truesize >= s.len else { finding("\(where_): \(id) truesize \(s.truesize) < len \(s.len)") }
        guard memory.checker.reports.count == reportsAllowed else {
            finding("\(where_): unexpected checker report:\n\(memory.checker.reports.last!.text)")
        }
    }

    func checkReports(_ where_: String) {
        let reports = memory.checker.reports
        guard reports.count == reportsAllowed else {
            finding(
                "\(where_): unexpected checker report:\n\(reports[reportsAllowed...].map(\.text).joined(separator: "\n"))"
            )
        }
    }

    // MARK: Pool

    func add(_ id: SkbID?) {
        guard let id else { return }
        guard sim.isLive(id) else { finding("step \(steps): new handle \(id) is not live") }
        if pool.count < 8 {
            pool.append(id)
        } else {
            // Pool full: the new reference is dropped again right away.
            release(id, consume: true)
        }
    }

    func pick(_ input: inout Input) -> Int? { pool.isEmpty ? nil : input.u8() % pool.count }

    /// Forget handles freed as a side effect (the caller gave its reference away).
    func take(_ k: Int) -> SkbID { pool.remove(at: k) }

    func retire(_ id: SkbID) {
        if !sim.isLive(id) {
            room[id] = nil
            if stale.count < 16 { stale.append(id) } else { stale[steps % 16] = id }
        }
    }

    func release(_ id: SkbID, consume: Bool) {
        do {
            if consume { try sim.consume_skb(id) } else { try sim.kfree_skb(id) }
        } catch {
            finding("step \(steps): freeing held reference \(id): \(error)")
        }
        retire(id)
    }

    /// Deliver callback for GRO: the skb comes back to the harness.
    func delivered(_ id: SkbID) { add(id) }

    // MARK: Steps

    func step(_ input: inout Input) {
        steps += 1
        let op = input.u8() % 30
        do throws(SkbError) {
            try perform(op, &input)
        } catch {
            if error.kind == .useAfterFree {
                finding("step \(steps) op \(op): use-after-free on a held handle: \(error)")
            }
        }
        // Handles the step freed behind the harness's back must not be in the pool.
        checkReports("step \(steps) op \(op)")
        checkInvariants("step \(steps) op \(op)")
    }

    func perform(_ op: Int, _ input: inout Input) throws(SkbError) {
        switch op {
        case 0: add(sim.alloc_skb(input.length(max: 70_000), input.bool() ? .GFP_ATOMIC : .GFP_KERNEL))
        case 1: add(sim.alloc_skb_fclone(input.length(max: 70_000), .GFP_ATOMIC))
        case 2: add(sim.netdev_alloc_skb(input.length(max: 70_000)))
        case 3: add(sim.napi_alloc_skb(input.length(max: 70_000)))
        case 4:
            // build_skb over a buffer of the harness's page_frag cache.
            let size = max(384, input.length(max: 32_768))
            guard let buf = memory.page_frag_alloc(bufferCache, size, .GFP_ATOMIC) else { return }
            if let skb = input.bool() ? sim.build_skb(buf, fragSize: size) : sim.napi_build_skb(buf, fragSize: size) {
                add(skb)
            } else {
                memory.page_frag_free(buf)
            }
        case 5, 6:
            // A received frame: fuzzed bytes or a flow segment, on any rx path and link type.
            let path = Run.paths[input.u8() % Run.paths.count]
            let frame: [UInt8]
            var linkType = LinkType.ethernet
            if op == 5 {
                linkType = Run.linkTypes[input.u8() % Run.linkTypes.count]
                frame = Array(input.take(input.length(max: 9000)))
            } else {
                frame = flows.frame(&input)
            }
            sim.beginPacket(index: steps, timestampNanoseconds: Int64(steps) * 1000)
            var result: Result<SkbID?, SkbError> = .success(nil)
            frame.withUnsafeBytes { b in
                result = Result { () throws(SkbError) in try driver.receive(bytes: b, linkType: linkType, path: path) }
            }
            let skb = try result.get()
            guard let skb else { return }
            if input.bool() {
                try napi.napi_gro_receive(skb) { s throws(SkbError) in self.delivered(s) }
                if autoPoll && napi.pollWorkDone() {
                    try napi.napi_complete_done { s throws(SkbError) in self.delivered(s) }
                }
            } else {
                add(skb)
            }
        case 7:
            if input.bool() {
                try napi.napi_gro_flush { s throws(SkbError) in self.delivered(s) }
            } else {
                try napi.napi_complete_done { s throws(SkbError) in self.delivered(s) }
            }
        case 8:
            guard let k = pick(&input) else { return }
            try sim.skb_put(pool[k], input.length(max: 70_000))
        case 9:
            guard let k = pick(&input) else { return }
            try sim.skb_push(pool[k], input.length(max: 70_000))
        case 10:
            guard let k = pick(&input) else { return }
            _ = try sim.skb_pull(pool[k], input.length(max: 70_000))
        case 11:
            guard let k = pick(&input) else { return }
            let n = input.length(max: 4096)
            try sim.skb_reserve(pool[k], input.bool() ? -n : n)
        case 12:
            guard let k = pick(&input) else { return }
            let n = input.length(max: 70_000)
            if input.bool() { try sim.skb_trim(pool[k], n) } else { _ = try sim.pskb_trim(pool[k], n) }
        case 13:
            guard let k = pick(&input) else { return }
            _ = try sim.pskb_may_pull(pool[k], input.length(max: 70_000))
        case 14:
            guard let k = pick(&input) else { return }
            let s = try sim.skb(pool[k])
            // __pskb_pull_tail's callers pull at most data_len (more BUGs).
            let delta = Int(s.dataLen) == 0 ? 0 : input.u16() % (Int(s.dataLen) + 1)
            _ = try sim.__pskb_pull_tail(pool[k], delta)
        case 15:
            guard let k = pick(&input) else { return }
            _ = try sim.skb_linearize(pool[k])
        case 16:
            guard let k = pick(&input) else { return }
            let nhead = input.length(max: 4096)
            _ = try sim.pskb_expand_head(pool[k], nhead: input.u8() == 0 ? -1 : nhead, ntail: input.length(max: 70_000))
        case 17:
            guard let k = pick(&input) else { return }
            add(try sim.skb_clone(pool[k], .GFP_ATOMIC))
        case 18:
            guard let k = pick(&input) else { return }
            add(try sim.skb_copy(pool[k], .GFP_ATOMIC))
        case 19:
            guard let k = pick(&input) else { return }
            add(
                input.bool()
                    ? try sim.pskb_copy(pool[k])
                    : try sim.__pskb_copy_fclone(pool[k], headroom: input.length(max: 512), fclone: input.bool()))
        case 20:
            guard let k = pick(&input) else { return }
            let id = take(k)
            let n: SkbID?
            do { n = try sim.skb_unshare(id, .GFP_ATOMIC) } catch {
                if sim.isLive(id) { pool.append(id) }
                throw error
            }
            retire(id)
            add(n)
        case 21:
            guard let k = pick(&input), pool.count < 8 else { return }
            pool.append(try sim.skb_get(pool[k]))
        case 22:
            // skb_add_rx_frag with a fresh buffer, at index nr_frags, on an skb
            // whose shinfo is not shared with a clone (as drivers do).
            guard let k = pick(&input) else { return }
            let id = pool[k]
            guard try !sim.skb_cloned(id) else { return }
            let bufSize = max(1, input.length(max: 32_768))
            let size = input.u16() % (bufSize + 1)
            guard let buf = memory.page_frag_alloc(bufferCache, bufSize, .GFP_ATOMIC) else { return }
            let index = try sim.shinfo(id).nrFrags
            do {
                try sim.skb_add_rx_frag(id, index, address: buf, size: size, truesize: bufSize)
                room[id] = (buf, index, bufSize - size)
            } catch {
                memory.page_frag_free(buf)
                throw error
            }
        case 23:
            // skb_coalesce_rx_frag into the buffer of the frag added last.
            guard let k = pick(&input) else { return }
            let id = pool[k]
            guard let r = room[id], r.left > 0, try !sim.skb_cloned(id) else { return }
            let sh = try sim.shinfo(id)
            guard sh.nrFrags == r.index + 1, sh.frag(r.index).page + Int(sh.frag(r.index).offset) == r.address else {
                return
            }
            let size = 1 + input.u16() % r.left
            try sim.skb_coalesce_rx_frag(id, r.index, size: size, truesize: 0)
            room[id] = (r.address, r.index, r.left - size)
        case 24:
            guard let k = pick(&input) else { return }
            let s = try sim.skb(pool[k])
            let count = input.length(max: 70_000)
            let offset = input.u16() % (Int(s.len) + 64) - min(Int(s.headroom), input.u8())
            var out = [UInt8](repeating: 0, count: count)
            let id = pool[k]
            var result: Result<Bool, SkbError> = .success(true)
            out.withUnsafeMutableBytes { b in
                result = Result { () throws(SkbError) in try sim.skb_copy_bits(id, offset: offset, into: b) }
            }
            _ = try result.get()
        case 25, 26, 27:
            guard let k = pick(&input) else { return }
            let id = take(k)
            switch op {
            case 25: try sim.kfree_skb(id)
            case 26: try sim.consume_skb(id)
            default:
                let reasons = sim.dropReasonTable.maxValue
                try sim.kfree_skb_reason(id, SkbDropReason(rawValue: UInt32(input.u8()) % max(1, reasons)))
            }
            retire(id)
        case 28:
            // Deliberate: an operation on a freed handle (use-after-free, double free).
            guard !stale.isEmpty else { return }
            let id = stale[input.u8() % stale.count]
            guard !sim.isLive(id) else { finding("stale handle \(id) is live again") }
            let before = memory.checker.reports.count
            do {
                switch input.u8() % 8 {
                case 0: try sim.kfree_skb(id)
                case 1: try sim.consume_skb(id)
                case 2: _ = try sim.skb_clone(id)
                case 3: try sim.skb_put(id, 1)
                case 4: _ = try sim.skb_linearize(id)
                case 5: _ = try sim.pskb_expand_head(id, nhead: 0, ntail: 0)
                case 6: try napi.napi_gro_receive(id) { s throws(SkbError) in self.delivered(s) }
                default: _ = try sim.skb_get(id)
                }
                finding("operation on freed \(id) did not throw")
            } catch {
                guard error.kind == .useAfterFree else { finding("operation on freed \(id) threw \(error)") }
            }
            let added = memory.checker.reports.count - before
            guard added <= 1 else { finding("operation on freed \(id) made \(added) reports") }
            if added == 1 {
                let kind = memory.checker.reports.last!.kind
                guard kind == .slabUseAfterFree || kind == .useAfterFree else {
                    finding("operation on freed \(id): \(kind) report")
                }
            }
            reportsAllowed += added
        default:
            // The skb's bytes across head, frags and frag_list (reads every byte through the checker).
            guard let k = pick(&input) else { return }
            _ = try sim.bytes(pool[k])
        }
    }

    /// Release everything: GRO flush, every reference held, caches drained.
    func finish() {
        do {
            try napi.napi_gro_flush { s throws(SkbError) in
                do throws(SkbError) { try self.sim.consume_skb(s) } catch {
                    finding("freeing a GRO-flushed skb: \(error)")
                }
            }
        } catch {
            finding("final napi_gro_flush: \(error)")
        }
        checkReports("final flush")
        while let id = pool.popLast() { release(id, consume: id.index & 1 == 0) }
        checkReports("final release")
        guard sim.liveCount == 0 else { finding("\(sim.liveCount) skbs live after every reference was released") }
        sim.drainCaches()
        driver.drainRing()
        memory.page_frag_cache_drain(bufferCache)
        let leaks = memory.leakReport()
        guard leaks.isEmpty else { finding("after \(steps) steps:\n\(leaks.text)") }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSkbOps(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = Input(bytes: UnsafeRawBufferPointer(start: data, count: size))
    let run = Run(&input)
    while !input.exhausted && run.steps < 400 { run.step(&input) }
    run.finish()
    return 0
}
