#if canImport(Glibc)
    import Glibc
#endif

/// A one-line progress bar on standard error for long runs: shown only when
/// stderr is a terminal, only after the run has taken a second, redrawn at
/// most ten times a second, and erased at the end.
final class ProgressBar {
    let label: String
    let total: Int?
    private let enabled: Bool
    private let start: Double
    private var lastDraw = 0.0
    private var drawn = false
    private var finished = false

    init(label: String, total: Int?) {
        self.label = label
        self.total = total
        enabled = isatty(2) == 1
        start = ProgressBar.now()
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    func update(_ done: Int) {
        guard enabled, !finished, done & 63 == 0 || drawn else { return }
        let t = ProgressBar.now()
        guard t - start >= 1, t - lastDraw >= 0.1 else { return }
        lastDraw = t
        var line = "\r\u{1B}[K" + label + ": "
        if let total, total > 0 {
            let width = 30
            let filled = min(width, done * width / total)
            line += "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] "
            line += "\(done)/\(total) packets"
        } else {
            line += "\(done) packets"
        }
        write(line)
        drawn = true
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
