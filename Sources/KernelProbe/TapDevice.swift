#if canImport(Glibc)
    import Glibc
#endif

/// What went wrong setting up or feeding the running kernel; one line each.
public enum LiveKernelError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Not root: TUNSETIFF with IFF_NAPI and AF_PACKET need CAP_NET_ADMIN / CAP_NET_RAW.
    case notRoot
    /// /dev/net/tun does not exist (no tun driver, or a container without it).
    case noTun
    case system(call: String, errno: Int32)
    /// A poll's writes did not fit between two jiffy ticks in any attempt.
    case pollBoundaries(attempts: Int)
    /// The packet socket dropped skbs (its receive buffer overflowed).
    case packetSocketDrops(Int)

    public var description: String {
        switch self {
        case .notRoot:
            return "--live needs root (CAP_NET_ADMIN to create a TAP device, CAP_NET_RAW for the packet socket)"
        case .noTun: return "--live needs /dev/net/tun (the tun driver), which does not exist here"
        case .system(let call, let e): return "\(call) failed: \(String(cString: strerror(e)))"
        case .pollBoundaries(let n):
            return
                "could not write every NAPI poll between two jiffy ticks in \(n) attempts (the machine is too busy); try a smaller --napi-budget"
        case .packetSocketDrops(let n): return "the AF_PACKET socket dropped \(n) skbs (receive buffer full)"
        }
    }
}

/// A TAP device owned by this process (drivers/net/tun.c): opened with
/// `IFF_TAP | IFF_NO_PI | IFF_NAPI`, never made persistent, so closing the
/// file descriptor — `close()`, `deinit`, or the process exiting for any
/// reason — unregisters it (`tun_chr_close` → `tun_detach` → the last
/// queue of a non-persistent device goes, `unregister_netdevice`).
///
/// Each `write` is one frame through `tun_get_user`; with IFF_NAPI the skb
/// is queued on the file's `sk_write_queue` and `napi_schedule` runs
/// `tun_napi_poll` on `local_bh_enable` before `write` returns: one NAPI
/// poll per write, whose `napi_complete_done` ends with
/// `gro_flush_normal(&napi->gro, flush_old)`.
public final class TapDevice {
    /// The tun file descriptor (-1 once closed).
    public private(set) var fd: Int32
    /// The name the kernel gave (`skbsim%d` → `skbsim0`, ...).
    public let name: String
    public let ifindex: Int32

    // include/uapi/linux/if_tun.h and linux/sockios.h.
    static let tunsetiff: UInt = 0x4004_54ca  // _IOW('T', 202, int)
    static let iffTap: Int16 = 0x0002
    static let iffNapi: Int16 = 0x0010
    static let iffNoPi: Int16 = 0x1000
    static let siocgifflags: UInt = 0x8913
    static let siocsifflags: UInt = 0x8914
    static let siocgifindex: UInt = 0x8933
    static let iffUp: Int16 = 0x1
    static let iffNoArp: Int16 = 0x80

    /// The fd a SIGINT handler closes (one live device per process).
    nonisolated(unsafe) static var signalFD: Int32 = -1

    /// What creating a device needs: /dev/net/tun, and root.
    public static func checkAccess() throws(LiveKernelError) {
        guard access("/dev/net/tun", F_OK) == 0 else { throw .noTun }
        guard geteuid() == 0 else { throw .notRoot }
    }

    /// Create the device. `nonBlocking`: the fd is O_NONBLOCK, so
    /// `tun_get_user` takes `tun_build_skb` for frames that fit a page.
    public init(nonBlocking: Bool) throws(LiveKernelError) {
        try Self.checkAccess()
        let fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | (nonBlocking ? O_NONBLOCK : 0))
        guard fd >= 0 else { throw .system(call: "open /dev/net/tun", errno: errno) }
        var ifr = [UInt8](repeating: 0, count: 40)
        for (k, b) in "skbsim%d".utf8.enumerated() { ifr[k] = b }
        let flags = Self.iffTap | Self.iffNoPi | Self.iffNapi
        ifr.withUnsafeMutableBytes { $0.storeBytes(of: flags, toByteOffset: 16, as: Int16.self) }
        let r = ifr.withUnsafeMutableBytes { ioctl(fd, Self.tunsetiff, $0.baseAddress!) }
        guard r == 0 else {
            let e = errno
            Glibc.close(fd)
            throw e == EPERM ? .notRoot : .system(call: "ioctl TUNSETIFF", errno: e)
        }
        self.fd = fd
        name = String(decoding: ifr[0..<16].prefix { $0 != 0 }, as: UTF8.self)
        var index: Int32 = 0
        do throws(LiveKernelError) {
            try Self.withControlSocket { s throws(LiveKernelError) in
                var q = ifr
                guard q.withUnsafeMutableBytes({ ioctl(s, Self.siocgifindex, $0.baseAddress!) }) == 0 else {
                    throw .system(call: "ioctl SIOCGIFINDEX", errno: errno)
                }
                index = q.withUnsafeBytes { $0.load(fromByteOffset: 16, as: Int32.self) }
            }
        } catch {
            Glibc.close(fd)
            throw error
        }
        ifindex = index
        Self.signalFD = fd
    }

    deinit { close() }

    /// Unregister the device (close the fd; nothing else holds it).
    public func close() {
        guard fd >= 0 else { return }
        Glibc.close(fd)
        if Self.signalFD == fd { Self.signalFD = -1 }
        fd = -1
    }

    /// On SIGINT/SIGTERM: close the tun fd (the device goes) and exit 130.
    public static func removeOnSignal() {
        let handler: @convention(c) (Int32) -> Void = { sig in
            if TapDevice.signalFD >= 0 { Glibc.close(TapDevice.signalFD) }
            _exit(128 + sig)
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
        // A parent may have spawned us with them blocked (posix_spawn keeps the mask).
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Bring the device up without ARP (`SIOCSIFFLAGS`), after switching
    /// IPv6 off on it so that the kernel sends nothing of its own.
    public func up() throws(LiveKernelError) {
        try writeSetting("/proc/sys/net/ipv6/conf/\(name)/disable_ipv6", "1", optional: true)
        try Self.withControlSocket { s throws(LiveKernelError) in
            var ifr = [UInt8](repeating: 0, count: 40)
            for (k, b) in name.utf8.enumerated() { ifr[k] = b }
            guard ifr.withUnsafeMutableBytes({ ioctl(s, Self.siocgifflags, $0.baseAddress!) }) == 0 else {
                throw .system(call: "ioctl SIOCGIFFLAGS", errno: errno)
            }
            let flags = ifr.withUnsafeBytes { $0.load(fromByteOffset: 16, as: Int16.self) }
            ifr.withUnsafeMutableBytes {
                $0.storeBytes(of: flags | Self.iffUp | Self.iffNoArp, toByteOffset: 16, as: Int16.self)
            }
            guard ifr.withUnsafeMutableBytes({ ioctl(s, Self.siocsifflags, $0.baseAddress!) }) == 0 else {
                throw .system(call: "ioctl SIOCSIFFLAGS", errno: errno)
            }
        }
    }

    /// `/sys/class/net/DEV/gro_flush_timeout` in nanoseconds: with a
    /// non-zero value `napi_complete_done` flushes only skbs GRO has held
    /// since an earlier jiffy (`gro_flush_normal(gro, true)`) and arms the
    /// NAPI watchdog to flush the rest `ns` later.
    public func setGROFlushTimeout(nanoseconds ns: Int) throws(LiveKernelError) {
        try writeSetting("/sys/class/net/\(name)/gro_flush_timeout", String(ns))
    }

    func writeSetting(_ path: String, _ value: String, optional: Bool = false) throws(LiveKernelError) {
        let f = open(path, O_WRONLY | O_CLOEXEC)
        guard f >= 0 else {
            if optional && errno == ENOENT { return }
            throw .system(call: "open \(path)", errno: errno)
        }
        defer { Glibc.close(f) }
        let bytes = Array(value.utf8)
        guard bytes.withUnsafeBytes({ Glibc.write(f, $0.baseAddress, $0.count) }) == bytes.count else {
            throw .system(call: "write \(path)", errno: errno)
        }
    }

    /// One frame into the kernel (`tun_chr_write_iter` → `tun_get_user`).
    public func write(_ frame: UnsafeRawBufferPointer) throws(LiveKernelError) {
        while true {
            let n = Glibc.write(fd, frame.baseAddress, frame.count)
            if n == frame.count { return }
            if n < 0 && errno == EINTR { continue }
            throw .system(call: "write \(name)", errno: n < 0 ? errno : EIO)
        }
    }

    static func withControlSocket(_ body: (Int32) throws(LiveKernelError) -> Void) throws(LiveKernelError) {
        let s = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { throw .system(call: "socket AF_INET", errno: errno) }
        defer { Glibc.close(s) }
        try body(s)
    }
}
