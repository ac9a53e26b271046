extension PacketHeaders {
    /// A `tcpdump -n`-style one-line description, e.g.
    /// `IP 192.0.2.1.443 > 192.0.2.2.51000: Flags [P.], seq 1:1449, ack 1, win 502, length 1448`.
    /// Sequence numbers are absolute (tcpdump's `-S`). VLAN tags are shown as
    /// `vlan 100, p 0, ethertype IPv4, `. A stopped decode ends in
    /// `[|reason]`, as tcpdump marks a truncated header. Allocates; keep it
    /// off the per-packet path. `bytes` must be the buffer that was decoded.
    public func summary(_ bytes: UnsafeRawBufferPointer) -> String {
        var out = ""
        if vlanDepth > 0, let mac = macHeader {
            // Tags start after the addresses (Ethernet) or at the end of a cooked header.
            let first = mac + (macLength - 4 * vlanDepth)
            for index in 0..<vlanDepth {
                let tci = bytes.be16(first + 4 * index)
                let type = bytes.be16(first + 4 * index + 2)
                out += "vlan \(tci & 0x0FFF), p \(tci >> 13), ethertype \(Self.etherTypeName(type)), "
            }
        }
        out += networkSummary(bytes)
        if let stop { out += " [|\(stop.reason)]" }
        return out
    }

    /// `summary` on an array's storage.
    public func summary(_ bytes: [UInt8]) -> String { bytes.withUnsafeBytes { summary($0) } }

    static func etherTypeName(_ type: UInt16) -> String {
        switch type {
        case 0x0800: "IPv4"
        case 0x86DD: "IPv6"
        case 0x0806: "ARP"
        case 0x8100: "802.1Q"
        case 0x88A8: "802.1Q-QinQ"
        case 0x9100: "802.1Q-9100"
        default: "Unknown (0x" + String(type, radix: 16) + ")"
        }
    }

    private func networkSummary(_ bytes: UnsafeRawBufferPointer) -> String {
        guard let n = networkHeader else {
            if case .unsupportedLinkType(let dlt)? = stop?.reason {
                return "link-type \(LinkType(dlt: dlt).name), length \(bytes.count)"
            }
            return macHeader == nil ? "truncated link header, length \(bytes.count)" : "link, length \(bytes.count)"
        }
        if networkProtocol == 0x0806 { return Self.arpSummary(bytes, at: n) }
        guard let version = ipVersion, let flow else {
            return "ethertype \(Self.etherTypeName(networkProtocol)), length \(bytes.count - n)"
        }
        let family = version == 4 ? "IP" : "IP6"
        let source = Self.format(flow.source, version: version)
        let destination = Self.format(flow.destination, version: version)
        let ipPayload = (ipTotalLength ?? 0) - networkLength
        if let tcp {
            var text = "\(family) \(source).\(tcp.sourcePort) > \(destination).\(tcp.destinationPort): "
            text += "Flags [\(Self.flagString(tcp.flags))], seq \(tcp.sequenceNumber)"
            if tcp.payloadLength > 0 {
                text += ":\(tcp.sequenceNumber &+ UInt32(truncatingIfNeeded: tcp.payloadLength))"
            }
            if tcp.flags.contains(.ack) { text += ", ack \(tcp.acknowledgmentNumber)" }
            return text + ", win \(tcp.window), length \(tcp.payloadLength)"
        }
        if let udp {
            return
                "\(family) \(source).\(udp.sourcePort) > \(destination).\(udp.destinationPort): UDP, length \(udp.payloadLength)"
        }
        if let icmp {
            let name = version == 4 ? "ICMP" : "ICMP6,"
            var text = "\(family) \(source) > \(destination): \(name) "
            switch (version, icmp.type) {
            case (4, 8), (6, 128): text += "echo request"
            case (4, 0), (6, 129): text += "echo reply"
            default: text += "type \(icmp.type), code \(icmp.code)"
            }
            if let id = icmp.echoIdentifier, let seq = icmp.echoSequence { text += ", id \(id), seq \(seq)" }
            return text + ", length \(ipPayload)"
        }
        let proto = ipProtocol.map(String.init) ?? "?"
        if fragmentOffset != 0 {
            return
                "\(family) \(source) > \(destination): ip-proto-\(proto) (frag offset \(fragmentOffset)), length \(ipPayload)"
        }
        return "\(family) \(source) > \(destination): ip-proto-\(proto) \(ipPayload)"
    }

    /// tcpdump's flag letters in bit order; ACK prints as ".".
    static func flagString(_ flags: TCPHeaderInfo.Flags) -> String {
        let letters: [(TCPHeaderInfo.Flags, Character)] = [
            (.fin, "F"), (.syn, "S"), (.rst, "R"), (.psh, "P"),
            (.ack, "."), (.urg, "U"), (.ece, "E"), (.cwr, "W"),
        ]
        return String(letters.filter { flags.contains($0.0) }.map(\.1))
    }

    /// Dotted quad, or RFC 5952 IPv6 text (longest run of ≥ 2 zero groups as "::").
    static func format(_ address: FlowKey.Address, version: UInt8) -> String {
        if version == 4 {
            let v = address.ipv4
            return "\(v >> 24).\(v >> 16 & 0xFF).\(v >> 8 & 0xFF).\(v & 0xFF)"
        }
        let groups = (0..<8).map { i -> UInt16 in
            let half = i < 4 ? address.high : address.low
            return UInt16(truncatingIfNeeded: half >> (48 - 16 * UInt64(i % 4)))
        }
        var best = (start: -1, length: 0)
        var index = 0
        while index < 8 {
            var end = index
            while end < 8 && groups[end] == 0 { end += 1 }
            if end - index > best.length { best = (index, end - index) }
            index = max(end, index + 1)
        }
        let hex = groups.map { String($0, radix: 16) }
        guard best.length >= 2 else { return hex.joined(separator: ":") }
        let head = hex[..<best.start].joined(separator: ":")
        let tail = hex[(best.start + best.length)...].joined(separator: ":")
        return head + "::" + tail
    }

    static func arpSummary(_ bytes: UnsafeRawBufferPointer, at n: Int) -> String {
        // Ethernet/IPv4 ARP only: htype 1, ptype 0x0800, hlen 6, plen 4.
        guard n + 28 <= bytes.count, bytes.be16(n) == 1, bytes.be16(n + 2) == 0x0800 else {
            return "ARP, length \(bytes.count - n)"
        }
        func ip(_ o: Int) -> String { format(FlowKey.Address(ipv4: bytes.be32(o)), version: 4) }
        switch bytes.be16(n + 6) {
        case 1:
            return "ARP, Request who-has \(ip(n + 24)) tell \(ip(n + 14)), length 28"
        case 2:
            let mac = (0..<6).map { i -> String in
                let s = String(bytes[n + 8 + i], radix: 16)
                return s.count == 1 ? "0" + s : s
            }.joined(separator: ":")
            return "ARP, Reply \(ip(n + 14)) is-at \(mac), length 28"
        case let op:
            return "ARP, op \(op), length 28"
        }
    }
}
