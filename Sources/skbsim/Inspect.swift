import ArgumentParser
import Capture

/// `skbsim inspect`: one line per packet with its timestamp, lengths, a
/// protocol summary and the header offsets the kernel's receive path sets.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print each packet with the header offsets the kernel would set.",
        discussion: """
            Examples:
              skbsim inspect samples/tcp-handshake.pcap
              skbsim inspect -r samples/vlan.pcap -c 3 'vlan and tcp'
              skbsim inspect - < samples/udp-dns.pcap
            """
    )

    @OptionGroup var capture: CaptureOptions

    func run() throws {
        let reader = try capture.openReader()
        let name = reader.path == "-" ? "stdin" : reader.path
        print("reading from file \(name), link-type \(reader.linkTypeName), snapshot length \(reader.snaplen)")
        try reader.forEachPacket(limit: capture.count) { packet in
            let headers = HeaderDecoder.decode(packet.bytes, linkType: reader.linkType)
            print(InspectLine.format(packet: packet, headers: headers))
        }
    }
}

/// Formats `inspect`'s per-packet line. Separate from the command so tests and
/// other subcommands share one format.
enum InspectLine {
    static func format(packet: CapturedPacket, headers: PacketHeaders) -> String {
        var line = "\(packet.index) \(packet.timestamp.timeOfDay)"
        line += " caplen \(packet.captureLength) len \(packet.wireLength) "
        line += headers.summary(packet.bytes)
        line += " | mac \(offset(headers.macHeader)) network \(offset(headers.networkHeader))"
        line += " transport \(offset(headers.transportHeader))"
        line += " protocol 0x" + hex4(headers.protocolType)
        if let stop = headers.stop { line += " [\(stop)]" }
        return line
    }

    static func offset(_ value: Int?) -> String { value.map(String.init) ?? "~0" }

    static func hex4(_ value: UInt16) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }
}
