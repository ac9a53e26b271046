/// Minimal DNS messages (RFC 1035) for the UDP samples: one question, and for
/// a response one answer that points back at the question name.
enum DNSMessage {
    static let typeA: UInt16 = 1
    static let typeAAAA: UInt16 = 28

    static func query(id: UInt16, name: String, type: UInt16) -> [UInt8] {
        header(id: id, flags: 0x0100, answers: 0) + question(name: name, type: type)
    }

    /// A response with an answer carrying `address` (4 bytes for A, 16 for AAAA).
    static func response(id: UInt16, name: String, type: UInt16, address: [UInt8], ttl: UInt32 = 300) -> [UInt8] {
        var out = header(id: id, flags: 0x8180, answers: 1) + question(name: name, type: type)
        out.appendBigEndian(UInt16(0xC00C))  // compression pointer to the question name at offset 12
        out.appendBigEndian(type)
        out.appendBigEndian(UInt16(1))  // class IN
        out.appendBigEndian(ttl)
        out.appendBigEndian(UInt16(address.count))
        return out + address
    }

    private static func header(id: UInt16, flags: UInt16, answers: UInt16) -> [UInt8] {
        var out: [UInt8] = []
        out.appendBigEndian(id)
        out.appendBigEndian(flags)
        out.appendBigEndian(UInt16(1))  // QDCOUNT
        out.appendBigEndian(answers)  // ANCOUNT
        out.appendBigEndian(UInt16(0))  // NSCOUNT
        out.appendBigEndian(UInt16(0))  // ARCOUNT
        return out
    }

    private static func question(name: String, type: UInt16) -> [UInt8] {
        var out: [UInt8] = []
        for label in name.split(separator: ".") {
            out.append(UInt8(label.utf8.count))
            out += label.utf8
        }
        out.append(0)
        out.appendBigEndian(type)
        out.appendBigEndian(UInt16(1))  // class IN
        return out
    }
}
