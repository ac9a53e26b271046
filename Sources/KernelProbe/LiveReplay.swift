#if canImport(Glibc)
    import Glibc
#endif

/// How `LiveReplay` feeds the running kernel.
public struct LiveReplayOptions: Sendable {
    /// O_NONBLOCK writes (`tun_build_skb`) or blocking ones (`tun_alloc_skb`).
    public var nonBlocking = true
    /// `gro_flush_timeout` of the device: long enough that the NAPI
    /// watchdog never fires during a replay (10 s).
    public var groFlushTimeoutNanoseconds = 10_000_000_000
    /// Whole replays tried (on a fresh device) before giving up when a
    /// poll's writes spilled over a tick.
    public var attempts = 5
    /// Fraction of a tick a poll's writes may take.
    public var tickFraction = 0.85

    public init(nonBlocking: Bool = true) { self.nonBlocking = nonBlocking }
}

/// What the running kernel delivered.
public struct LiveReplayResult: Sendable {
    /// Every skb the device's packet tap saw after GRO, in delivery order
    /// (PACKET_OUTGOING ones excluded).
    public var deliveries: [LiveDelivery] = []
    public var device = ""
    /// jiffies (/proc/timer_list) before and after the replay.
    public var jiffiesBefore: UInt64?
    public var jiffiesAfter: UInt64?
    /// Replays it took (1 unless a poll spilled over a tick).
    public var attempts = 0
    /// The writer ran SCHED_FIFO (fewer preemptions within a poll).
    public var realtime = false
    public var tickNanoseconds = 0
}

/// Replays frames into a TAP device (`TapDevice`) so that NAPI poll
/// boundaries are known: each element of `polls` is written right after a
/// jiffy tick and within that jiffy. Its first frame must be one GRO does
/// not hold: `napi_complete_done` at the end of that first write's poll
/// flushes (`gro_flush(gro, flush_old)`, net/core/gro.c
/// `__gro_flush_chain`: held skbs whose `NAPI_GRO_CB(skb)->age` is not the
/// current jiffy) exactly what the previous group left held, and nothing
/// held in this jiffy is flushed by time — so GRO sees the groups as polls
/// of a NIC with `gro_flush_timeout` 0. `final` is written after one more
/// tick to flush the last group. The packet socket is drained between
/// groups, while waiting for the tick.
public enum LiveReplay {
    public static func run(
        polls: [[[UInt8]]], final: [UInt8], options: LiveReplayOptions = LiveReplayOptions()
    ) throws(LiveKernelError) -> LiveReplayResult {
        TapDevice.removeOnSignal()
        let realtime = enterRealtime()
        defer { if realtime { leaveRealtime() } }
        var attempt = 0
        while attempt < options.attempts {
            attempt += 1
            if var result = try once(polls: polls, final: final, options: options) {
                result.attempts = attempt
                result.realtime = realtime
                return result
            }
        }
        throw .pollBoundaries(attempts: options.attempts)
    }

    /// One replay on a fresh device; nil when a poll spilled over a tick.
    static func once(
        polls: [[[UInt8]]], final: [UInt8], options: LiveReplayOptions
    ) throws(LiveKernelError) -> LiveReplayResult? {
        let tap = try TapDevice(nonBlocking: options.nonBlocking)
        defer { tap.close() }
        try tap.setGROFlushTimeout(nanoseconds: options.groFlushTimeoutNanoseconds)
        // Bound once the device is up (binding to a down device reports ENETDOWN).
        try tap.up()
        let sock = try PacketSocket(ifindex: tap.ifindex)
        var result = LiveReplayResult()
        result.device = tap.name
        result.tickNanoseconds = JiffyClock.tickNanoseconds()
        let window = Int(Double(result.tickNanoseconds) * options.tickFraction)
        var raw: [LiveDelivery] = []
        try sock.drain(into: &raw)
        raw.removeAll()
        result.jiffiesBefore = JiffyClock.jiffies()
        for poll in polls {
            try sock.drain(into: &raw)
            let tick = JiffyClock.waitForTick()
            let start = JiffyClock.now()
            for frame in poll { try write(tap, frame) }
            // A tick during the writes moved held skbs' age: not the polls asked for.
            if JiffyClock.coarse() != tick || JiffyClock.now() - start > window { return nil }
        }
        try sock.drain(into: &raw)
        _ = JiffyClock.waitForTick()
        try write(tap, final)
        try sock.drain(into: &raw)
        result.jiffiesAfter = JiffyClock.jiffies()
        let drops = try sock.drops()
        if drops > 0 { throw .packetSocketDrops(drops) }
        result.deliveries = raw.filter { $0.packetType != 4 }  // PACKET_OUTGOING
        return result
    }

    static func write(_ tap: TapDevice, _ frame: [UInt8]) throws(LiveKernelError) {
        var failure: LiveKernelError?
        frame.withUnsafeBytes { b in
            do throws(LiveKernelError) { try tap.write(b) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// SCHED_FIFO priority 1 for the writer, best effort.
    static func enterRealtime() -> Bool {
        var p = sched_param(sched_priority: 1)
        return sched_setscheduler(0, SCHED_FIFO, &p) == 0
    }

    static func leaveRealtime() {
        var p = sched_param(sched_priority: 0)
        _ = sched_setscheduler(0, SCHED_OTHER, &p)
    }
}
