import Capture
import Foundation
import Glibc
import SampleKit
import TestSupport
import Testing

@testable import SkbModel

/// The running kernel as the oracle for `skb_gro_checksum_validate`: a TAP
/// device opened with `IFF_TAP | IFF_NO_PI | IFF_NAPI` runs each written
/// frame through `tun_get_user` → `napi_gro_receive`; with a
/// `gro_flush_timeout` of 20 ms, GRO holds super-packets across the
/// per-write polls of one jiffy; an `AF_PACKET` socket bound to the device
/// sees what GRO delivers. Needs root and /dev/net/tun; skips visibly elsewhere.
@Suite(.serialized) struct ChecksumLiveTests {
    static let tapAvailable = LiveTap.probe()

    /// A flow of 10 full segments, the `corrupt`th with a wrong checksum:
    /// the kernel's deliveries, as (first segment, segments), equal the
    /// model's in at least one of five tries (a jiffy tick between two
    /// writes splits a try), and in every try the wrong segment comes alone.
    @Test(
        .enabled(if: tapAvailable, "needs root and /dev/net/tun (a TAP device with IFF_NAPI)"),
        arguments: [false, true], [1, 5, 10])
    func kernelSendsTheCorruptSegmentUpAlone(v6: Bool, corrupt: Int) throws {
        let flow = ChecksumFrames.tcpFlow(v6: v6, segments: 10, corrupt: corrupt)
        let frames = flow.data.map { flow.frames[$0] }
        let th = v6 ? 54 : 34
        let payload = frames[0].count - th - 20
        // The model on the same frames, GRO flushed once at the end.
        var run = GRORun(path: .napiAllocSkb, gro: GROOptions(enabled: true), budget: nil)
        try run.run(frames)
        let model = try run.delivered.map { id in
            (Int(try run.sim.skb(id).packet) + 1, max(1, Int(try run.sim.shinfo(id).gsoSegs)))
        }
        try run.finish()

        let tap = try LiveTap(mac: [0x02, 0, 0, 0, 0, 0x01])
        defer { tap.close() }
        var matched = false
        for attempt in 0..<5 {
            let got = try tap.exchange(frames).compactMap { f -> (Int, Int)? in
                // TCP from port 443: segment number from the seq, segments from the length.
                guard f.count > th + 20, f[12] == frames[0][12], f[13] == frames[0][13],
                    f[v6 ? 20 : 23] == 6, f[th] == 0x01, f[th + 1] == 0xBB
                else { return nil }
                let seq = f[th + 4..<th + 8].reduce(0) { $0 << 8 | Int($1) }
                let first = frames[0][th + 4..<th + 8].reduce(0) { $0 << 8 | Int($1) }
                return ((seq - first) / payload + 1, (f.count - th - 20) / payload)
            }
            print("try \(attempt): kernel \(got), model \(model)")
            #expect(got.contains { $0 == (corrupt, 1) }, "the corrupt segment was merged: \(got)")
            #expect(!got.contains { $0.0 < corrupt && $0.0 + $0.1 > corrupt }, "\(got)")
            if got.map(\.0) == model.map(\.0) && got.map(\.1) == model.map(\.1) {
                matched = true
                break
            }
        }
        #expect(matched, "no try matched the model \(model)")
    }

    /// Where UDP drops a wrong datagram, on the running kernel and in the
    /// model: up to 76 UDP bytes in `__udp4_lib_rcv` (the socket never
    /// charged, UDP InCsumErrors counted at receive), longer ones queued and
    /// charged (SO_MEMINFO rmem > 0) and dropped by `recvmsg` (nothing read,
    /// InCsumErrors counted then, rmem back to 0). The TAP gets an address of
    /// the benchmarking range 198.18.0.0/15 for the time of the test.
    @Test(.enabled(if: tapAvailable, "needs root and /dev/net/tun (a TAP device with IFF_NAPI)"))
    func udpDropsWhereTheKernelDoes() throws {
        let tap = try LiveTap(mac: [0x02, 0, 0, 0, 0, 0x01], address: [198, 18, 111, 1])
        defer { tap.close() }
        let udp = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { Glibc.close(udp) }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = UInt16(5353).bigEndian
        sin.sin_addr.s_addr = UInt32(198 | 18 << 8 | 111 << 16 | 1 << 24)
        let bound = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(udp, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        try #require(bound == 0, "bind 198.18.111.1:5353: errno \(errno)")
        func rmem() -> UInt32 {
            var info = [UInt32](repeating: 0, count: 9)  // SO_MEMINFO: SK_MEMINFO_RMEM_ALLOC first
            var len = socklen_t(36)
            _ = info.withUnsafeMutableBytes { getsockopt(udp, SOL_SOCKET, 55, $0.baseAddress!, &len) }
            return info[0]
        }
        func csumErrors() throws -> Int {
            let lines = try String(contentsOfFile: "/proc/net/snmp", encoding: .utf8).split(separator: "\n")
            let udpLines = lines.filter { $0.hasPrefix("Udp: ") }
            let keys = udpLines[0].split(separator: " ")
            let values = udpLines[1].split(separator: " ")
            return Int(values[try #require(keys.firstIndex(of: "InCsumErrors"))]) ?? -1
        }
        let sim = SkbSim()
        let driver = RxDriver(sim: sim)
        let sk = sim.sockets.makeSocket()
        for (payload, corrupt) in [(40, true), (68, true), (69, true), (900, true), (900, false)] {
            var frame = Packet(
                link: .ethernet(
                    EthernetHeader(destination: MACAddress(0x02_00_00_00_00_01), source: TestHosts.serverMAC)),
                network: .ipv4(
                    IPv4Header(source: IPv4Address(198, 18, 111, 2), destination: IPv4Address(198, 18, 111, 1))),
                transport: .udp(UDPHeader(sourcePort: 40000, destinationPort: 5353)),
                payload: TCPFlow.pattern(count: payload, seed: UInt32(payload))
            ).encode()
            if corrupt { TransportChecksum.corrupt(&frame) }
            // The model: dropped in __udp4_lib_rcv, or queued then read or dropped by udp_recvmsg.
            let skb = try #require(
                try frame.withUnsafeBytes { b throws(SkbError) in try driver.receive(bytes: b, linkType: .ethernet) })
            let modelDropsAtReceive = try sim.udpChecksumError(skb)
            var modelReads = false
            if modelDropsAtReceive {
                try sim.kfree_skb_reason(skb, sim.reasons.udpCsum)
            } else {
                let errors = sim.udpRecvChecksumErrors
                #expect(try sim.__udp_enqueue_schedule_skb(skb, socket: sk))
                try sim.udpRecvmsg(socket: sk)
                modelReads = sim.udpRecvChecksumErrors == errors
            }
            // The kernel.
            let before = try csumErrors()
            _ = try tap.exchange([frame], quiet: 0.05)
            let afterReceive = try csumErrors()
            let charged = rmem()
            var buf = [UInt8](repeating: 0, count: 2048)
            let n = buf.withUnsafeMutableBytes { recv(udp, $0.baseAddress!, $0.count, Int32(MSG_DONTWAIT)) }
            let afterRead = try csumErrors()
            print(
                "payload \(payload) corrupt \(corrupt): kernel InCsumErrors +\(afterReceive - before) at receive, rmem \(charged), recv \(n), +\(afterRead - afterReceive) at read; model drops at receive \(modelDropsAtReceive), reads \(modelReads)"
            )
            #expect((afterReceive - before == 1) == modelDropsAtReceive)
            #expect((charged > 0) == !modelDropsAtReceive)
            #expect((n == payload) == modelReads)
            #expect((afterRead - afterReceive == 1) == (!modelDropsAtReceive && !modelReads))
            #expect(rmem() == 0)
        }
        #expect(sim.liveCount == 0)
    }
}

/// A non-persistent TAP device and an `AF_PACKET` socket on it; closing the
/// descriptor removes the device.
struct LiveTap {
    let fd: Int32
    let packetSocket: Int32
    let name: String

    static let TUNSETIFF: UInt = 0x4004_54CA
    static let IFF_TAP: Int16 = 0x0002
    static let IFF_NAPI: Int16 = 0x0010
    static let IFF_NO_PI: Int16 = 0x1000

    /// Root, /dev/net/tun, and a TAP with IFF_NAPI can be made.
    static func probe() -> Bool {
        guard geteuid() == 0, access("/dev/net/tun", R_OK | W_OK) == 0 else { return false }
        guard let tap = try? LiveTap(mac: nil) else { return false }
        tap.close()
        return true
    }

    /// `ifreq` with the name and a 16-bit field (flags) at offset 16.
    static func ifreq(_ name: String, short: Int16 = 0) -> [UInt8] {
        var r = [UInt8](repeating: 0, count: 40)
        for (k, b) in name.utf8.prefix(15).enumerated() { r[k] = b }
        r[16] = UInt8(truncatingIfNeeded: short)
        r[17] = UInt8(truncatingIfNeeded: short >> 8)
        return r
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(mac: [UInt8]?, address: [UInt8]? = nil) throws {
        let name = "csumtap\(getpid() % 10000)"
        let tun = open("/dev/net/tun", O_RDWR)
        guard tun >= 0 else { throw Failure(description: "open /dev/net/tun: errno \(errno)") }
        var req = Self.ifreq(name, short: Self.IFF_TAP | Self.IFF_NO_PI | Self.IFF_NAPI)
        guard req.withUnsafeMutableBytes({ ioctl(tun, Self.TUNSETIFF, $0.baseAddress!) }) == 0 else {
            let e = errno
            Glibc.close(tun)
            throw Failure(description: "TUNSETIFF: errno \(e)")
        }
        let sock = socket(AF_PACKET, Int32(SOCK_RAW.rawValue), Int32(UInt16(3).bigEndian))  // ETH_P_ALL
        self.name = name
        fd = tun
        packetSocket = sock
        guard let mac else { return }
        do { try configure(mac: mac, address: address) } catch {
            close()
            throw error
        }
    }

    /// MAC address, up, GRO flush timeout, the AF_PACKET socket bound, an IPv4 address.
    func configure(mac: [UInt8], address: [UInt8]?) throws {
        let sock = packetSocket
        let ctl = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { Glibc.close(ctl) }
        // SIOCSIFHWADDR (sa_family ARPHRD_ETHER), then SIOCGIFFLAGS / SIOCSIFFLAGS with IFF_UP.
        var hw = Self.ifreq(name, short: 1)
        for (k, b) in mac.enumerated() { hw[18 + k] = b }
        guard hw.withUnsafeMutableBytes({ ioctl(ctl, 0x8924, $0.baseAddress!) }) == 0 else {
            throw Failure(description: "SIOCSIFHWADDR: errno \(errno)")
        }
        var flags = Self.ifreq(name)
        _ = flags.withUnsafeMutableBytes { ioctl(ctl, 0x8913, $0.baseAddress!) }
        flags[16] |= 1  // IFF_UP
        guard flags.withUnsafeMutableBytes({ ioctl(ctl, 0x8914, $0.baseAddress!) }) == 0 else {
            throw Failure(description: "SIOCSIFFLAGS: errno \(errno)")
        }
        try "20000000".write(
            toFile: "/sys/class/net/\(name)/gro_flush_timeout", atomically: false, encoding: .utf8)
        // struct sockaddr_ll (linux/if_packet.h, 20 bytes): family, protocol (be16), ifindex.
        var ll = [UInt8](repeating: 0, count: 20)
        ll[0] = UInt8(AF_PACKET)
        ll[3] = 3  // htons(ETH_P_ALL)
        withUnsafeBytes(of: Int32(if_nametoindex(name)).littleEndian) { for k in 0..<4 { ll[4 + k] = $0[k] } }
        let bound = ll.withUnsafeBytes {
            bind(sock, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(20))
        }
        guard sock >= 0, bound == 0 else { throw Failure(description: "AF_PACKET bind: errno \(errno)") }
        if let address {
            // SIOCSIFADDR, SIOCSIFNETMASK (/24): sockaddr_in at offset 16.
            for (request, bytes) in [(UInt(0x8916), address), (UInt(0x891C), [255, 255, 255, 0])] {
                var req = Self.ifreq(name, short: Int16(AF_INET))
                for (k, b) in bytes.enumerated() { req[20 + k] = b }
                guard req.withUnsafeMutableBytes({ ioctl(ctl, request, $0.baseAddress!) }) == 0 else {
                    throw Failure(description: "SIOCSIFADDR/NETMASK: errno \(errno)")
                }
            }
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 300_000)
        setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func close() {
        if packetSocket >= 0 { Glibc.close(packetSocket) }
        Glibc.close(fd)
    }

    /// Drain, write `frames` back to back, and collect what the socket sees
    /// until it stays quiet for 300 ms (GRO's flush timer is 20 ms).
    func exchange(_ frames: [[UInt8]], quiet: Double = 0.3) throws -> [[UInt8]] {
        var buf = [UInt8](repeating: 0, count: 70_000)
        func receive() -> [UInt8]? {
            let n = buf.withUnsafeMutableBytes { recv(packetSocket, $0.baseAddress!, $0.count, 0) }
            return n > 0 ? Array(buf[0..<n]) : nil
        }
        while receive() != nil {}
        for f in frames {
            let n = f.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
            guard n == f.count else { throw Failure(description: "write to the TAP: errno \(errno)") }
        }
        var got: [[UInt8]] = []
        var timeout = timeval(tv_sec: 0, tv_usec: Int(quiet * 1_000_000))
        setsockopt(packetSocket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        while let f = receive() { got.append(f) }
        return got
    }
}
