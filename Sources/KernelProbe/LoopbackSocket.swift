import KernelReference

#if canImport(Glibc)
    import Glibc
#endif

extension IPFamily {
    var domain: Int32 { self == .ipv4 ? AF_INET : AF_INET6 }
    /// /proc/net table for a protocol in this family.
    func procTable(_ proto: String) -> String { "/proc/net/\(proto)\(self == .ipv4 ? "" : "6")" }
}

public enum ProbeError: Error, Sendable, Hashable, CustomStringConvertible {
    case system(call: String, errno: Int32)
    case socketNotInProcTable(table: String, port: UInt16)
    case procUnreadable(String)
    case notDelivered(String)

    public var description: String {
        switch self {
        case .system(let call, let e): return "\(call) failed: \(String(cString: strerror(e)))"
        case .socketNotInProcTable(let t, let p): return "port \(p) not found in \(t)"
        case .procUnreadable(let p): return "cannot read \(p)"
        case .notDelivered(let what): return "not delivered: \(what)"
        }
    }
}

/// SO_MEMINFO array indices (include/uapi/linux/sock_diag.h).
public enum SKMemInfo {
    public static let rmemAlloc = 0
    public static let rcvbuf = 1
    public static let wmemAlloc = 2
    public static let sndbuf = 3
    public static let fwdAlloc = 4
    public static let wmemQueued = 5
    public static let optmem = 6
    public static let backlog = 7
    public static let drops = 8
    public static let count = 9
}

// Linux uapi values; spelled out so the probe does not depend on which ones Glibc exports.
let soRcvbufForce: Int32 = 33  // SO_RCVBUFFORCE
let soMeminfo: Int32 = 55  // SO_MEMINFO
let tcpNoDelay: Int32 = 1  // TCP_NODELAY

/// A socket on the loopback interface that closes itself. Internal: the probes own it.
final class LoopbackSocket {
    let fd: Int32
    let family: IPFamily

    init(family: IPFamily, type: Int32) throws {
        let fd = socket(family.domain, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ProbeError.system(call: "socket", errno: errno) }
        self.fd = fd
        self.family = family
    }

    private init(fd: Int32, family: IPFamily) {
        self.fd = fd
        self.family = family
    }

    deinit { close(fd) }

    static func udp(_ family: IPFamily) throws -> LoopbackSocket {
        try LoopbackSocket(family: family, type: Int32(SOCK_DGRAM.rawValue))
    }

    static func tcp(_ family: IPFamily) throws -> LoopbackSocket {
        try LoopbackSocket(family: family, type: Int32(SOCK_STREAM.rawValue))
    }

    func setInt(_ level: Int32, _ name: Int32, _ value: Int32) throws {
        var v = value
        guard setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw ProbeError.system(call: "setsockopt(\(level), \(name))", errno: errno)
        }
    }

    func getInt(_ level: Int32, _ name: Int32) throws -> Int32 {
        var v: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, level, name, &v, &len) == 0 else {
            throw ProbeError.system(call: "getsockopt(\(level), \(name))", errno: errno)
        }
        return v
    }

    /// Receive buffer of at least `bytes`: SO_RCVBUFFORCE (CAP_NET_ADMIN) bypasses
    /// net.core.rmem_max; falls back to SO_RCVBUF when not permitted.
    func forceReceiveBuffer(_ bytes: Int) throws {
        let v = Int32(clamping: bytes)
        if (try? setInt(SOL_SOCKET, soRcvbufForce, v)) == nil {
            try setInt(SOL_SOCKET, SO_RCVBUF, v)
        }
    }

    /// `getsockopt(SOL_SOCKET, SO_MEMINFO)`: SK_MEMINFO_VARS u32 counters.
    func memInfo() throws -> [UInt32] {
        var info = [UInt32](repeating: 0, count: SKMemInfo.count)
        var len = socklen_t(MemoryLayout<UInt32>.size * SKMemInfo.count)
        let rc = info.withUnsafeMutableBytes { getsockopt(fd, SOL_SOCKET, soMeminfo, $0.baseAddress, &len) }
        guard rc == 0 else { throw ProbeError.system(call: "getsockopt(SO_MEMINFO)", errno: errno) }
        return info
    }

    func rmemAlloc() throws -> Int { Int(try memInfo()[SKMemInfo.rmemAlloc]) }

    /// Bytes waiting to be read (FIONREAD / SIOCINQ). For UDP: the first datagram only.
    func pendingBytes() throws -> Int {
        var n: Int32 = 0
        guard ioctl(fd, UInt(FIONREAD), &n) == 0 else {
            throw ProbeError.system(call: "ioctl(FIONREAD)", errno: errno)
        }
        return Int(n)
    }

    /// Socket inode, the `inode` column of /proc/net tables.
    func inode() throws -> UInt64 {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ProbeError.system(call: "fstat", errno: errno) }
        return UInt64(st.st_ino)
    }

    private func withLoopbackAddress<R>(
        port: UInt16,
        _ body: (UnsafePointer<sockaddr>, socklen_t) -> R
    ) -> R {
        switch family {
        case .ipv4:
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = port.bigEndian
            a.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
            return withUnsafePointer(to: &a) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .ipv6:
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = port.bigEndian
            a.sin6_addr = in6addr_loopback
            return withUnsafePointer(to: &a) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }

    /// Binds to 127.0.0.1 or ::1 on `port` (0: ephemeral).
    func bindLoopback(port: UInt16 = 0) throws {
        let rc = withLoopbackAddress(port: port) { bind(fd, $0, $1) }
        guard rc == 0 else { throw ProbeError.system(call: "bind", errno: errno) }
    }

    func connectLoopback(port: UInt16) throws {
        let rc = withLoopbackAddress(port: port) { connect(fd, $0, $1) }
        guard rc == 0 else { throw ProbeError.system(call: "connect", errno: errno) }
    }

    func localPort() throws -> UInt16 {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard rc == 0 else { throw ProbeError.system(call: "getsockname", errno: errno) }
        return withUnsafeBytes(of: storage) { raw in
            // sin_port and sin6_port both sit at offset 2, network byte order.
            UInt16(raw[2]) << 8 | UInt16(raw[3])
        }
    }

    func listen(backlog: Int32 = 4) throws {
        guard Glibc.listen(fd, backlog) == 0 else { throw ProbeError.system(call: "listen", errno: errno) }
    }

    func accept() throws -> LoopbackSocket {
        let c = Glibc.accept(fd, nil, nil)
        guard c >= 0 else { throw ProbeError.system(call: "accept", errno: errno) }
        return LoopbackSocket(fd: c, family: family)
    }

    /// One datagram of `bytes` to the loopback `port`; returns bytes sent.
    func sendDatagram(_ bytes: [UInt8], toPort port: UInt16) throws -> Int {
        let n = bytes.withUnsafeBytes { buf in
            withLoopbackAddress(port: port) { sendto(fd, buf.baseAddress, buf.count, 0, $0, $1) }
        }
        guard n >= 0 else { throw ProbeError.system(call: "sendto", errno: errno) }
        return n
    }

    /// Writes all of `bytes` on a connected stream socket with one send call where possible.
    func sendAll(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ProbeError.system(call: "send", errno: errno)
            }
            offset += n
        }
    }
}

/// Waits (bounded) until `condition` holds, giving the loopback softirq time to deliver.
func waitUntil(attempts: Int = 400, _ condition: () throws -> Bool) rethrows -> Bool {
    for i in 0..<attempts {
        if try condition() { return true }
        if i < 20 { sched_yield() } else { usleep(1000) }
    }
    return try condition()
}
