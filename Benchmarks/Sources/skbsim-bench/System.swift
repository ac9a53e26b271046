import CBarePcap

#if canImport(Glibc)
    import Glibc
#endif

enum Machine {
    static var cpuModel: String {
        readFile("/proc/cpuinfo")?.split(separator: "\n")
            .first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters() } ?? "unknown CPU"
    }

    static var cores: Int { sysconf(Int32(_SC_NPROCESSORS_ONLN)) }

    static var kernel: String {
        var name = utsname()
        uname(&name)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return "\(field(name.sysname)) \(field(name.release)) \(field(name.machine))"
    }

    static var libpcap: String { String(cString: bare_pcap_version()) }

    static var summary: String {
        "\(cpuModel), \(cores) cores online, \(kernel), \(libpcap)"
    }
}

/// Peak resident set size of this process, in KiB: (`ru_maxrss`, `VmHWM`).
func peakRSS() -> (maxrss: Int, hwm: Int?) {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let hwm = readFile("/proc/self/status")?.split(separator: "\n")
        .first { $0.hasPrefix("VmHWM:") }
        .flatMap { Int($0.dropFirst(6).filter { $0.isNumber }) }
    return (usage.ru_maxrss, hwm)
}

func readFile(_ path: String) -> String? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        if n <= 0 { break }
        bytes += chunk[..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}

func writeFile(_ path: String, _ text: String) {
    guard let file = fopen(path, "w") else { fatalError("cannot write \(path)") }
    fputs(text, file)
    fclose(file)
}

var executablePath: String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    precondition(n > 0, "readlink /proc/self/exe")
    return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Runs this executable again with `arguments`; returns its exit status.
func runChild(_ arguments: [String]) -> Int32 {
    let argv = ([executablePath] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, executablePath, nil, nil, argv, environ)
    precondition(rc == 0, "posix_spawn failed: \(rc)")
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return status
}

/// A fresh directory under $TMPDIR (or /tmp).
func makeTemporaryDirectory() -> String {
    let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    var template = Array((base + "/skbsim-bench.XXXXXX").utf8CString)
    guard let dir = mkdtemp(&template) else { fatalError("mkdtemp failed in \(base)") }
    return String(cString: dir)
}

func removeFile(_ path: String) { unlink(path) }

extension Substring {
    func trimmingCharacters() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}

// MARK: - Formatting

func fixed(_ x: Double, _ decimals: Int) -> String {
    guard x.isFinite else { return "-" }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (abs(x) * scale).rounded()
    let whole = Int(scaled / scale)
    let fraction = Int(scaled) - whole * Int(scale)
    var text = (x < 0 && scaled != 0 ? "-" : "") + grouped(whole)
    if decimals > 0 {
        let digits = String(fraction)
        text += "." + String(repeating: "0", count: decimals - digits.count) + digits
    }
    return text
}

func grouped(_ n: Int) -> String {
    let digits = String(n)
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
        out.append(c)
    }
    return out
}

func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - s.count))
    return right ? fill + s : s + fill
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted.count % 2 == 1
        ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}
