import KernelReference

#if canImport(Glibc)
    import Glibc
#endif

/// What one loopback TCP run measured for one send size.
///
/// TCP cannot be read like UDP: /proc/net/tcp `rx_queue` is unread *bytes*, and the
/// receive queue coalesces segments (`tcp_try_coalesce` → `skb_try_coalesce`), so a send
/// is charged either a whole new skb (head + sk_buff + payload) or only its payload bytes
/// (the arriving skb's page frags move into the tail skb and its head is freed). Which
/// one happens depends on timing (the tail skb cannot take frags while the sender's clone
/// of it is still unacknowledged) and on the tail's frag count (MAX_SKB_FRAGS).
public struct TCPTruesizeMeasurement: Sendable, Hashable {
    public var family: IPFamily
    public var sendSize: Int
    public var sends: Int
    /// SO_MEMINFO sk_rmem_alloc growth on the receiver after each send.
    public var charges: [Int]
    /// sk_rmem_alloc after the last send.
    public var rmemAllocTotal: Int
    /// /proc/net/tcp(6) rx_queue of the receiving socket: bytes, not memory.
    public var procRxQueueBytes: Int
    /// FIONREAD on the receiver.
    public var pendingBytes: Int
    public var kernelRelease: String

    /// charge - sendSize per send: the memory beyond payload bytes.
    public var overheads: [Int] { charges.map { $0 - sendSize } }

    /// How many new receive-queue skbs each send created, if every overhead is a whole
    /// multiple of `skbOverhead` (head object + SKB_DATA_ALIGN(sizeof(struct sk_buff))).
    public func newSkbs(skbOverhead: Int) -> [Int]? {
        let o = overheads
        guard skbOverhead > 0, o.allSatisfy({ $0 >= 0 && $0 % skbOverhead == 0 }) else { return nil }
        return o.map { $0 / skbOverhead }
    }
}

/// Loopback TCP receive-memory probe: a connected pair on 127.0.0.1 / ::1, TCP_NODELAY
/// on the sender, nothing ever read on the receiver. Bounded: at most 64 sends of at most
/// 64 KiB, send timeout 2 s, every socket closed on return.
public struct TCPTruesizeProbe: Sendable {
    public static let standardSizes = [1, 100, 1000, 1448, 4000, 16000, 32000, 60000]
    public var sendsPerSize: Int

    public init(sendsPerSize: Int = 8) {
        precondition((1...64).contains(sendsPerSize), "keep the probe bounded")
        self.sendsPerSize = sendsPerSize
    }

    public static func isAvailable(_ family: IPFamily) -> Bool {
        guard SystemFiles.isReadable(family.procTable("tcp")),
            let s = try? LoopbackSocket.tcp(family),
            (try? s.bindLoopback()) != nil
        else { return false }
        return true
    }

    public func measure(sendSize: Int, family: IPFamily) throws -> TCPTruesizeMeasurement {
        precondition((1...65536).contains(sendSize))
        let listener = try LoopbackSocket.tcp(family)
        // Inherited by the accepted socket; big enough that tcp_prune_queue never collapses.
        try listener.forceReceiveBuffer(16 << 20)
        try listener.bindLoopback()
        try listener.listen()
        let port = try listener.localPort()

        let sender = try LoopbackSocket.tcp(family)
        try sender.setInt(Int32(IPPROTO_TCP), tcpNoDelay, 1)
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        _ = setsockopt(sender.fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        try sender.connectLoopback(port: port)
        let senderPort = try sender.localPort()
        let receiver = try listener.accept()

        let bytes = [UInt8](repeating: 0x5a, count: sendSize)
        var charges: [Int] = []
        var previous = try receiver.rmemAlloc()
        for i in 0..<sendsPerSize {
            try sender.sendAll(bytes)
            let want = (i + 1) * sendSize
            guard try waitUntil(attempts: 2000, { try receiver.pendingBytes() >= want }) else {
                throw ProbeError.notDelivered("TCP send \(i) of \(sendSize) bytes")
            }
            let now = try receiver.rmemAlloc()
            charges.append(now - previous)
            previous = now
        }
        let table = family.procTable("tcp")
        guard let lines = ProcNetTable.read(table) else { throw ProbeError.procUnreadable(table) }
        guard let line = lines.first(where: { $0.localPort == port && $0.remotePort == senderPort })
        else { throw ProbeError.socketNotInProcTable(table: table, port: port) }
        return TCPTruesizeMeasurement(
            family: family, sendSize: sendSize, sends: sendsPerSize, charges: charges,
            rmemAllocTotal: previous, procRxQueueBytes: line.rxQueue,
            pendingBytes: try receiver.pendingBytes(), kernelRelease: RunningKernel.current().release)
    }
}
