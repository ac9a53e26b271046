import KernelReference

/// What one loopback UDP run measured for one payload size.
public struct UDPTruesizeMeasurement: Sendable, Hashable {
    public var family: IPFamily
    public var payload: Int
    public var datagrams: Int
    /// SO_MEMINFO sk_rmem_alloc growth after each datagram, in send order.
    public var charges: [Int]
    /// sk_rmem_alloc via SO_MEMINFO after the last datagram.
    public var rmemAllocTotal: Int
    /// `rx_queue` of the socket's /proc/net/udp(6) line after the last datagram.
    public var procRxQueue: Int
    /// `drops` column of the socket's /proc/net/udp(6) line.
    public var procDrops: Int
    /// SK_MEMINFO_DROPS.
    public var memInfoDrops: Int
    public var kernelRelease: String

    /// True when every datagram was charged the same amount.
    public var isUniform: Bool { Set(charges).count == 1 }
    /// The per-datagram charge (truesize) when uniform, else nil.
    public var rmemPerDatagram: Int? { isUniform ? charges.first : nil }
    /// /proc rx_queue divided by the datagram count.
    public var procRxQueuePerDatagram: Double { Double(procRxQueue) / Double(max(datagrams, 1)) }
    /// rx_queue and SO_MEMINFO agree.
    public var procAgreesWithMemInfo: Bool { procRxQueue == rmemAllocTotal }
}

/// Sends datagrams over loopback UDP into a socket nobody reads and measures how much
/// receive memory (sk_rmem_alloc, i.e. summed skb->truesize) each one costs.
///
/// Traffic only goes between two sockets this probe creates on 127.0.0.1 / ::1; every
/// socket is closed when the measurement returns.
public struct UDPTruesizeProbe: Sendable {
    /// The payload sizes of the standard table (65507 is the IPv4 maximum, 65527 IPv6's).
    public static let standardSizes = [
        0, 1, 18, 64, 100, 200, 256, 300, 500, 512, 1000, 1024,
        1400, 1472, 2000, 3000, 4000, 8000, 9000, 16000, 32000,
        60000, 65507, 65527,
    ]

    public var datagramsPerSize: Int

    public init(datagramsPerSize: Int = 8) {
        precondition((1...64).contains(datagramsPerSize), "keep the probe bounded")
        self.datagramsPerSize = datagramsPerSize
    }

    /// Whether the probe can run here: the /proc table is readable and a loopback UDP
    /// socket of this family can be bound.
    public static func isAvailable(_ family: IPFamily) -> Bool {
        guard SystemFiles.isReadable(family.procTable("udp")),
            let s = try? LoopbackSocket.udp(family),
            (try? s.bindLoopback()) != nil
        else { return false }
        return true
    }

    /// Standard sizes valid for the family (65527 only for IPv6).
    public static func sizes(for family: IPFamily) -> [Int] {
        standardSizes.filter { $0 <= family.maxUDPPayload }
    }

    public func measure(payload: Int, family: IPFamily) throws -> UDPTruesizeMeasurement {
        precondition((0...family.maxUDPPayload).contains(payload))
        let receiver = try LoopbackSocket.udp(family)
        // Room for every datagram with margin, so __udp_enqueue_schedule_skb never drops.
        try receiver.forceReceiveBuffer(max(1 << 20, datagramsPerSize * (payload + 8192) * 2))
        try receiver.bindLoopback()
        let port = try receiver.localPort()
        let inode = try receiver.inode()
        let sender = try LoopbackSocket.udp(family)
        try sender.bindLoopback()

        let bytes = [UInt8](repeating: 0x5a, count: payload)
        var charges: [Int] = []
        var previous = try receiver.rmemAlloc()
        for i in 0..<datagramsPerSize {
            let sent = try sender.sendDatagram(bytes, toPort: port)
            guard sent == payload else { throw ProbeError.notDelivered("short send \(sent)/\(payload)") }
            let delivered = try waitUntil { try receiver.rmemAlloc() != previous }
            guard delivered else { throw ProbeError.notDelivered("datagram \(i) of \(payload) bytes") }
            let now = try receiver.rmemAlloc()
            charges.append(now - previous)
            previous = now
        }
        let info = try receiver.memInfo()
        let table = family.procTable("udp")
        guard let lines = ProcNetTable.read(table) else { throw ProbeError.procUnreadable(table) }
        guard let line = lines.first(where: { $0.localPort == port && $0.inode == inode })
        else { throw ProbeError.socketNotInProcTable(table: table, port: port) }

        return UDPTruesizeMeasurement(
            family: family, payload: payload, datagrams: datagramsPerSize, charges: charges,
            rmemAllocTotal: Int(info[SKMemInfo.rmemAlloc]), procRxQueue: line.rxQueue,
            procDrops: line.drops ?? -1, memInfoDrops: Int(info[SKMemInfo.drops]),
            kernelRelease: RunningKernel.current().release)
    }

    /// Measures every size, in order.
    public func measureAll(family: IPFamily, sizes: [Int]? = nil) throws -> [UDPTruesizeMeasurement] {
        try (sizes ?? Self.sizes(for: family)).map { try measure(payload: $0, family: family) }
    }
}
