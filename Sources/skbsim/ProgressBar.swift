#if canImport(Glibc)
    import Glibc
#endif

/// A one-line progress bar on standard error for long runs: shown only when
/// stderr is a terminal, only after the run has taken a second, redrawn at
/// most ten times a second, and erased at the end.
///
/// With the input's size known (a regular file, or the sum of many files'
/// sizes) it shows the fraction of bytes read, the read rate and the time
/// left at that rate: `tcp.pcap: [#######---] 70% 48.2 MB/s ETA 0:03`.
/// Otherwise (standard input, a pipe) it counts packets, out of `-c COUNT`
/// when given.
final class ProgressBar {
    let label: String
    let total: Int?
    /// Bytes of the input, when known.
    let totalBytes: Int64?
    let enabled: Bool
    private let start: Double
    private var lastDraw = 0.0
    private var drawn = false
    private var finished = false

    init(label: String, total: Int?, totalBytes: Int64? = nil, enabled: Bool = isatty(2) == 1) {
        self.label = label
        self.total = total
        self.totalBytes = totalBytes.flatMap { $0 > 0 ? $0 : nil }
        self.enabled = enabled
        start = ProgressBar.now()
    }

    /// A bar for one capture file: its size when it is a regular file.
    convenience init(path: String, total: Int?) {
        self.init(
            label: path == "-" ? "stdin" : path, total: total,
            totalBytes: total == nil && path != "-" ? ProgressBar.fileSize(path) : nil)
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Size of a regular file, nil otherwise (a pipe, a device, missing).
    static func fileSize(_ path: String) -> Int64? {
        var st = stat()
        guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
        return Int64(st.st_size)
    }

    /// `done` packets read; `byteOffset`: where the last one starts in the file.
    @inline(__always)
    func update(_ done: Int, byteOffset: Int64? = nil) {
        guard enabled, !finished, done & 63 == 0 || drawn else { return }
        draw(done: done, bytes: byteOffset)
    }

    /// `bytes` of the total read (the many-capture runs' sum), from any thread
    /// that owns the bar.
    func update(bytes: Int64, files: (done: Int, total: Int)? = nil) {
        guard enabled, !finished else { return }
        draw(done: nil, bytes: bytes, files: files)
    }

    private func draw(done: Int?, bytes: Int64?, files: (done: Int, total: Int)? = nil) {
        let t = ProgressBar.now()
        guard t - start >= 1, t - lastDraw >= 0.1 else { return }
        lastDraw = t
        let elapsed = t - start
        var line = "\r\u{1B}[K" + label + ": "
        if let totalBytes, let bytes {
            let fraction = min(1, max(0, Double(bytes) / Double(totalBytes)))
            line += ProgressBar.bar(fraction) + " " + String(Int(fraction * 100)) + "%"
            let rate = Double(bytes) / elapsed
            line += " " + ProgressBar.rateText(rate)
            if rate > 0 {
                line += " ETA " + ProgressBar.durationText(Double(totalBytes - min(bytes, totalBytes)) / rate)
            }
            if let files { line += " (\(files.done)/\(files.total) files)" }
        } else if let done, let total, total > 0 {
            line += ProgressBar.bar(min(1, Double(done) / Double(total))) + " \(done)/\(total) packets"
        } else if let done {
            line += "\(done) packets, " + String(Int(Double(done) / elapsed)) + " packets/s"
        }
        write(line)
        drawn = true
    }

    static func bar(_ fraction: Double) -> String {
        let width = 30
        let filled = min(width, Int(fraction * Double(width)))
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
    }

    /// `48.2 MB/s` (decimal units, as disk and network rates are given).
    static func rateText(_ bytesPerSecond: Double) -> String {
        let units = ["B/s", "kB/s", "MB/s", "GB/s"]
        var v = bytesPerSecond
        var u = 0
        while v >= 1000 && u < units.count - 1 {
            v /= 1000
            u += 1
        }
        let tenths = Int((v * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) " + units[u]
    }

    /// `0:07`, `12:30`, `1:02:03`.
    static func durationText(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.up))
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return s >= 3600 ? "\(s / 3600):\(two(s / 60 % 60)):\(two(s % 60))" : "\(s / 60):\(two(s % 60))"
    }

    func finish() {
        guard !finished else { return }
        finished = true
        if drawn { write("\r\u{1B}[K") }
    }

    private func write(_ s: String) {
        _ = s.utf8CString.withUnsafeBufferPointer { Glibc.write(2, $0.baseAddress, $0.count - 1) }
    }
}
