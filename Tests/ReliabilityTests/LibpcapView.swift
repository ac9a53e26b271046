import CPcap

/// What libpcap alone makes of a file, without skbsim's checks: whether it
/// opens, and how many records `pcap_next_ex` delivers before it stops.
struct LibpcapView {
    var opens: Bool
    var records: Int

    init(path: String) {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let handle = pcap_open_offline(path, &errorBuffer) else {
            opens = false
            records = 0
            return
        }
        defer { pcap_close(handle) }
        opens = true
        var count = 0
        var header: UnsafeMutablePointer<pcap_pkthdr>? = nil
        var data: UnsafePointer<UInt8>? = nil
        while pcap_next_ex(handle, &header, &data) == 1 { count += 1 }
        records = count
    }
}
