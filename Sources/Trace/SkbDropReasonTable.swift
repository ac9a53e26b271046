/// The `enum skb_drop_reason` of one kernel version: its names in numeric order.
///
/// The numbers are not ABI: new reasons are inserted mid-list from one kernel
/// to the next (NOMEM is 56 in 6.1, 63 in 6.8, 81 in 6.18). A run uses one
/// table for both the model (which stores raw values in `SkbEvent.reason`)
/// and the sinks (which print the names). Compare reasons across kernels by
/// name.
public struct SkbDropReasonTable: Sendable, CustomStringConvertible {
    /// The kernel release this list belongs to, e.g. "6.8".
    public let kernel: String
    /// Where the list was read from.
    public let source: String
    /// Short names (as the kernel prints them), indexed by value. Index 0 is
    /// NOT_DROPPED_YET, 1 CONSUMED (v6.2+; NOT_SPECIFIED in v6.1);
    /// SKB_DROP_REASON_MAX (`maxValue`) is not an entry.
    public let names: [StaticString]

    /// `SKB_DROP_REASON_SUBSYS_MASK`: the high 16 bits select a subsystem
    /// (mac80211, openvswitch, ...); 0 is the core list this table holds.
    public static let subsystemMask: UInt32 = 0xffff_0000
    /// `SKB_DROP_REASON_SUBSYS_SHIFT`.
    public static let subsystemShift: UInt32 = 16

    /// The table used when none is chosen: that of the default profile (6.18).
    public static let `default`: SkbDropReasonTable = .linux6_18

    /// Every table this build knows, oldest first.
    public static let all: [SkbDropReasonTable] = [.linux6_1, .linux6_6, .linux6_8, .linux6_12, .linux6_18]

    public init(kernel: String, source: String, names: [StaticString]) {
        self.kernel = kernel
        self.source = source
        self.names = names
    }

    /// Finds a table by kernel release, e.g. "6.8" or "v6.18".
    public static func named(_ kernel: String) -> SkbDropReasonTable? {
        let wanted = kernel.hasPrefix("v") ? String(kernel.dropFirst()) : kernel
        return all.first { $0.kernel == wanted }
    }

    /// `SKB_DROP_REASON_MAX`: one past the last core reason.
    public var maxValue: UInt32 { UInt32(names.count) }

    /// The short name of `value` (e.g. "NOMEM"), or nil for MAX, values past
    /// it and subsystem reasons.
    @inline(__always)
    public func name(of value: UInt32) -> StaticString? {
        value < UInt32(names.count) ? names[Int(value)] : nil
    }

    /// The C enumerator of `value`: "SKB_NOT_DROPPED_YET", "SKB_CONSUMED" or
    /// "SKB_DROP_REASON_<NAME>".
    public func enumeratorName(of value: UInt32) -> String? {
        guard let short = name(of: value) else { return nil }
        return SkbDropReasonTable.isBare(short.description) ? "SKB_\(short)" : "SKB_DROP_REASON_\(short)"
    }

    /// NOT_DROPPED_YET and CONSUMED are spelled `SKB_<NAME>`, not
    /// `SKB_DROP_REASON_<NAME>`.
    static func isBare(_ short: String) -> Bool { short == "NOT_DROPPED_YET" || short == "CONSUMED" }

    /// The value of a reason given as its enumerator ("SKB_DROP_REASON_NOMEM",
    /// "SKB_CONSUMED") or short name ("NOMEM", "CONSUMED"). MAX and unknown
    /// names give nil.
    public func value(named name: String) -> UInt32? {
        // Short names first: some start with "SKB_" themselves (SKB_CSUM).
        if let value = index(of: Substring(name)) { return value }
        if name.hasPrefix("SKB_DROP_REASON_") {
            let short = name.dropFirst("SKB_DROP_REASON_".count)
            return SkbDropReasonTable.isBare(String(short)) ? nil : index(of: short)
        }
        if name.hasPrefix("SKB_"), SkbDropReasonTable.isBare(String(name.dropFirst(4))) {
            return index(of: name.dropFirst(4))
        }
        return nil
    }

    private func index(of short: Substring) -> UInt32? {
        for (index, candidate) in names.enumerated() where candidate.description == short {
            return UInt32(index)
        }
        return nil
    }

    /// The reason named `name` in this table (see `value(named:)`).
    public func reason(named name: String) -> SkbDropReason? {
        value(named: name).map(SkbDropReason.init(rawValue:))
    }

    /// The name as the kernel prints it: the short name for core reasons,
    /// otherwise the value in hex (as `__print_symbolic` does for values it
    /// has no name for), e.g. "0x10002" for a mac80211 reason.
    public func displayName(of value: UInt32) -> String {
        if let short = name(of: value) { return short.description }
        return "0x" + String(value, radix: 16)
    }

    public var description: String { "skb_drop_reason table of Linux \(kernel) (\(source))" }
}
