/// The names of the counters a run described (`EventSink.describeCounter`),
/// kept by the sinks that print them.
public struct CounterNames: Sendable {
    private var names: [UInt64: String] = [:]

    public init() {}

    private static func key(_ kind: SkbEventKind, _ id: UInt32) -> UInt64 { UInt64(kind.rawValue) << 32 | UInt64(id) }

    public mutating func set(_ kind: SkbEventKind, id: UInt32, name: String) { names[Self.key(kind, id)] = name }

    /// The name given to counter `id` of `kind`, nil if none was.
    public func name(_ kind: SkbEventKind, id: UInt32) -> String? { names[Self.key(kind, id)] }

    /// The counter's track label: "page_frag napi_alloc_cache", "slab
    /// skbuff_cache", "socket 0", "memory"; without a name, the kind's
    /// prefix and the id.
    public func label(_ kind: SkbEventKind, id: UInt32) -> String {
        let prefix = kind.counterTrackPrefix.description
        if kind == .memoryCounter { return prefix }
        if kind == .socketCounter { return "\(prefix) \(id)" }
        if let name = name(kind, id: id) { return "\(prefix) \(name)" }
        return "\(prefix) \(id)"
    }
}

/// `string`'s UTF-8 inside a JSON string literal (no quotes): `"`, `\` and
/// control characters escaped.
func jsonStringBody(_ string: String) -> [UInt8] {
    var out: [UInt8] = []
    let hex = Array("0123456789abcdef".utf8)
    for byte in string.utf8 {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"):
            out.append(UInt8(ascii: "\\"))
            out.append(byte)
        case 0..<0x20:
            out.append(contentsOf: Array("\\u00".utf8))
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0xf)])
        default: out.append(byte)
        }
    }
    return out
}
