#if canImport(Glibc)
    import Glibc
#endif

/// Reads small text files such as those under /proc without Foundation.
enum SystemFiles {
    /// The whole file as UTF-8 text, or nil if it cannot be opened or read.
    /// /proc files report size 0, so this reads until end of file.
    static func readText(_ path: String, limit: Int = 4 << 20) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while bytes.count < limit {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func isReadable(_ path: String) -> Bool {
        access(path, R_OK) == 0
    }
}
