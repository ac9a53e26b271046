#if canImport(Glibc)
    import Glibc
#endif

extension KernelSnapshot {
    /// CONFIG_HZ of the running kernel, measured: `jiffies` in
    /// /proc/timer_list (root only) read twice `interval` microseconds apart
    /// (CLOCK_MONOTONIC), the rate rounded to the nearest value Kconfig allows
    /// (`kernel/Kconfig.hz`: 100, 250, 300, 1000). nil when the file is
    /// unreadable or the rate is not within 10 % of one of them.
    public static func measuredConfigHZ(interval: Int = 200_000) -> Int? {
        func sample() -> (jiffies: Int, seconds: Double)? {
            var t = timespec()
            clock_gettime(CLOCK_MONOTONIC, &t)
            guard let text = SystemFiles.readText("/proc/timer_list"),
                let line = text.split(separator: "\n").first(where: { $0.hasPrefix("jiffies: ") }),
                let j = Int(line.dropFirst("jiffies: ".count))
            else { return nil }
            return (j, Double(t.tv_sec) + Double(t.tv_nsec) / 1e9)
        }
        guard let a = sample() else { return nil }
        usleep(UInt32(interval))
        guard let b = sample(), b.seconds > a.seconds else { return nil }
        let rate = Double(b.jiffies - a.jiffies) / (b.seconds - a.seconds)
        guard let hz = [100, 250, 300, 1000].min(by: { abs(Double($0) - rate) < abs(Double($1) - rate) }),
            abs(Double(hz) - rate) <= 0.1 * Double(hz)
        else { return nil }
        return hz
    }
}
