#if canImport(Glibc)
    import Glibc
#endif

/// The kernel's tick as user space can see it: `jiffies` from
/// /proc/timer_list (root), and CLOCK_MONOTONIC_COARSE, which the
/// timekeeping core advances once per tick right after the jiffies update
/// (kernel/time/tick-sched.c `tick_do_update_jiffies64` → `update_wall_time`),
/// so a change of its value marks a new jiffy within microseconds — what
/// the 100 µs it takes to read /proc/timer_list cannot.
public enum JiffyClock {
    /// `jiffies:` of /proc/timer_list; nil when unreadable.
    public static func jiffies() -> UInt64? {
        guard let text = SystemFiles.readText("/proc/timer_list"),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("jiffies: ") })
        else { return nil }
        return UInt64(line.dropFirst("jiffies: ".count))
    }

    /// The length of a tick in nanoseconds: CLOCK_MONOTONIC_COARSE's
    /// resolution (`TICK_NSEC`, 4 ms at CONFIG_HZ 250).
    public static func tickNanoseconds() -> Int {
        var t = timespec()
        clock_getres(CLOCK_MONOTONIC_COARSE, &t)
        return t.tv_sec * 1_000_000_000 + t.tv_nsec
    }

    static func coarse() -> Int {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &t)
        return t.tv_sec * 1_000_000_000 + t.tv_nsec
    }

    /// CLOCK_MONOTONIC in nanoseconds.
    static func now() -> Int {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return t.tv_sec * 1_000_000_000 + t.tv_nsec
    }

    /// Spin until the next tick; returns the coarse clock's new value.
    static func waitForTick() -> Int {
        let start = coarse()
        while true {
            let c = coarse()
            if c != start { return c }
        }
    }
}
