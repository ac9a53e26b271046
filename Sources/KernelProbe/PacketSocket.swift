#if canImport(Glibc)
    import Glibc
#endif

/// One skb an `AF_PACKET` socket received: what `__netif_receive_skb_core`
/// handed to the `ptype_all` taps after GRO.
public struct LiveDelivery: Sendable, Hashable {
    /// `skb->len` with the MAC header pushed back (`packet_rcv`, SOCK_RAW).
    public var length: Int
    /// `skb->truesize`: the drop of SK_MEMINFO_RMEM_ALLOC across the
    /// `recv` that consumed it (`skb_set_owner_r` charged the clone's
    /// truesize, which `__skb_clone` copies; `skb_free_datagram` →
    /// `sock_rfree` gives it back).
    public var truesize: Int
    /// `sll_pkttype` (PACKET_HOST, ..., PACKET_OUTGOING 4).
    public var packetType: UInt8
    /// The first bytes (headers), up to `PacketSocket.headBytes`.
    public var head: [UInt8]
}

/// An `AF_PACKET`/`SOCK_RAW` socket for `ETH_P_ALL` bound to one device
/// (net/packet/af_packet.c `packet_rcv`), with a large receive buffer
/// (`SO_RCVBUFFORCE`), read with `MSG_DONTWAIT`.
final class PacketSocket {
    let fd: Int32
    /// Bytes of each skb kept in `LiveDelivery.head`.
    static let headBytes = 256
    var buffer = [UInt8](repeating: 0, count: 1 << 17)

    static let afPacket: Int32 = 17
    static let ethPAllBE: UInt16 = UInt16(0x0003).bigEndian
    static let solPacket: Int32 = 263
    static let packetStatistics: Int32 = 6

    init(ifindex: Int32, rcvbuf: Int32 = 256 << 20) throws(LiveKernelError) {
        let fd = socket(Self.afPacket, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(Self.ethPAllBE))
        guard fd >= 0 else { throw errno == EPERM ? .notRoot : .system(call: "socket AF_PACKET", errno: errno) }
        self.fd = fd
        var size = rcvbuf
        guard setsockopt(fd, SOL_SOCKET, soRcvbufForce, &size, 4) == 0 else {
            close(fd)
            throw .system(call: "setsockopt SO_RCVBUFFORCE", errno: errno)
        }
        // struct sockaddr_ll: family, protocol, ifindex, hatype, pkttype, halen, addr[8].
        var sll = [UInt8](repeating: 0, count: 20)
        sll.withUnsafeMutableBytes {
            $0.storeBytes(of: UInt16(Self.afPacket), toByteOffset: 0, as: UInt16.self)
            $0.storeBytes(of: Self.ethPAllBE, toByteOffset: 2, as: UInt16.self)
            $0.storeBytes(of: ifindex, toByteOffset: 4, as: Int32.self)
        }
        let r = sll.withUnsafeBytes { bind(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), 20) }
        guard r == 0 else {
            close(fd)
            throw .system(call: "bind AF_PACKET", errno: errno)
        }
    }

    deinit { close(fd) }

    /// SK_MEMINFO_RMEM_ALLOC (`SO_MEMINFO`): the truesize of the skbs queued.
    func rmemAlloc() throws(LiveKernelError) -> Int {
        var info = [UInt32](repeating: 0, count: SKMemInfo.count)
        var len = socklen_t(4 * SKMemInfo.count)
        guard info.withUnsafeMutableBytes({ getsockopt(fd, SOL_SOCKET, soMeminfo, $0.baseAddress, &len) }) == 0 else {
            throw .system(call: "getsockopt SO_MEMINFO", errno: errno)
        }
        return Int(info[SKMemInfo.rmemAlloc])
    }

    /// Every skb queued now, oldest first, each with its truesize.
    func drain(into out: inout [LiveDelivery]) throws(LiveKernelError) {
        while let d = try receive() { out.append(d) }
    }

    /// One queued skb, or nil when the queue is empty.
    func receive() throws(LiveKernelError) -> LiveDelivery? {
        let before = try rmemAlloc()
        var sll = [UInt8](repeating: 0, count: 20)
        var slen = socklen_t(20)
        let n = buffer.withUnsafeMutableBytes { b in
            sll.withUnsafeMutableBytes { a in
                recvfrom(
                    fd, b.baseAddress, b.count, Int32(MSG_TRUNC | MSG_DONTWAIT),
                    a.baseAddress!.assumingMemoryBound(to: sockaddr.self), &slen)
            }
        }
        if n < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK { return nil }
            if errno == EINTR { return try receive() }
            throw .system(call: "recvfrom AF_PACKET", errno: errno)
        }
        let after = try rmemAlloc()
        return LiveDelivery(
            length: n, truesize: before - after, packetType: sll[10],
            head: Array(buffer[0..<min(n, Self.headBytes, buffer.count)]))
    }

    /// `PACKET_STATISTICS` tp_drops (reading it resets the counters).
    func drops() throws(LiveKernelError) -> Int {
        var stats: (UInt32, UInt32) = (0, 0)
        var len = socklen_t(8)
        guard getsockopt(fd, Self.solPacket, Self.packetStatistics, &stats, &len) == 0 else {
            throw .system(call: "getsockopt PACKET_STATISTICS", errno: errno)
        }
        return Int(stats.1)
    }
}
