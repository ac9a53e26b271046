// libFuzzer harness: arbitrary bytes as one captured packet.
//
// Decodes the input with every link type `HeaderDecoder` knows (and one it
// does not), with and without a host address, checks the offsets' invariant
// (mac <= network <= transport <= length) and renders the summary. Compiled
// together with Sources/Capture by scripts/fuzz.sh; not a SwiftPM target.

private let linkTypes: [LinkType] = [
    .null, .ethernet, .raw, .loop, .linuxSLL, .ipv4, .ipv6, .linuxSLL2,
    LinkType(dlt: 14), LinkType(dlt: 101), LinkType(dlt: 147),
]

private let host = EthernetAddress(0x0200_0000_0001)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDecode(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    var sink = 0
    for linkType in linkTypes {
        for hostAddress in [nil, host] {
            let h = HeaderDecoder.decode(bytes, linkType: linkType, hostAddress: hostAddress)
            check(h, size: size)
            sink &+= h.summary(bytes).utf8.count
        }
    }
    withExtendedLifetime(sink) {}
    return 0
}

/// The documented invariant of `PacketHeaders`.
private func check(_ h: PacketHeaders, size: Int) {
    var last = 0
    for offset in [h.macHeader, h.networkHeader, h.transportHeader] {
        guard let offset else { continue }
        precondition(offset >= last && offset <= size, "offsets out of order: \(h)")
        last = offset
    }
    if let stop = h.stop { precondition(stop.offset >= 0 && stop.offset <= size, "stop \(stop) outside \(size)") }
    if let tcp = h.tcp { precondition(tcp.payloadOffset <= size && tcp.payloadLength >= 0, "tcp \(tcp)") }
    if let udp = h.udp { precondition(udp.payloadOffset <= size, "udp \(udp)") }
}
