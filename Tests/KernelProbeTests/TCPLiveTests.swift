import KernelProbe
import KernelReference
import Testing

@Suite(.serialized) struct TCPLiveTests {
    static let v4 = TCPTruesizeProbe.isAvailable(.ipv4)
    static let v6 = TCPTruesizeProbe.isAvailable(.ipv6)

    func check(_ family: IPFamily) throws {
        let probe = TCPTruesizeProbe(sendsPerSize: 8)
        // One new receive-queue skb costs the head tcp_stream_alloc_skb asks for
        // (MAX_TCP_HEADER = L1_CACHE_ALIGN(128 + MAX_HEADER) = 192 here) + struct sk_buff.
        let layout = SkbLayout(snapshot: .current()) ?? .firecracker6_18
        let skbOverhead = layout.allocTruesize(request: 192)
        print(
            "kernel \(RunningKernel.current().release) — loopback TCP \(family.rawValue), TCP_NODELAY, \(probe.sendsPerSize) sends/size, receiver never reads"
        )
        print("send  rmem growth per send  (new skbs per send, overhead \(skbOverhead))  rx_queue bytes")
        for size in TCPTruesizeProbe.standardSizes {
            let m = try probe.measure(sendSize: size, family: family)
            let skbs = m.newSkbs(skbOverhead: skbOverhead)
            print("\(size)\t\(m.charges)\t\(skbs.map { "\($0)" } ?? "not whole skbs")\t\(m.procRxQueueBytes)")
            #expect(m.procRxQueueBytes == size * m.sends, "rx_queue counts bytes")
            #expect(m.pendingBytes == size * m.sends)
            #expect(m.rmemAllocTotal == m.charges.reduce(0, +))
            // Every send costs its bytes plus a whole number of skb heads (0 if coalesced).
            #expect(skbs != nil, "send \(size): overheads \(m.overheads)")
            // The first segment always starts the receive queue: at least one new skb.
            #expect((skbs?.first ?? 0) >= 1)
        }
    }

    @Test(.enabled(if: v4, "loopback IPv4 TCP or /proc/net/tcp unavailable"))
    func ipv4() throws { try check(.ipv4) }

    @Test(.enabled(if: v6, "loopback IPv6 TCP (::1) or /proc/net/tcp6 unavailable"))
    func ipv6() throws { try check(.ipv6) }
}
