/// A value of the kernel's `enum skb_drop_reason`, as carried in
/// `SkbEvent.reason`.
///
/// The raw value is only meaningful with a `SkbDropReasonTable`; the static
/// constants and `description` use `SkbDropReasonTable.default`. A model
/// simulating another kernel takes its values from that kernel's table
/// (`SkbDropReasonTable.linux6_12.reason(named: "NOMEM")`) and gives the same
/// table to its sinks.
public struct SkbDropReason: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Looks a reason up by enumerator or short name in the default table.
    public init?(named name: String) {
        guard let value = SkbDropReasonTable.default.value(named: name) else { return nil }
        rawValue = value
    }

    /// The high 16 bits: 0 for core reasons, else `enum skb_drop_reason_subsys`.
    public var subsystem: UInt32 { (rawValue & SkbDropReasonTable.subsystemMask) >> SkbDropReasonTable.subsystemShift }

    /// False for the values the kernel does not print as a drop:
    /// NOT_DROPPED_YET and CONSUMED (v6.2+ numbering, as the default table).
    public var isDrop: Bool { rawValue >= 2 }

    /// The name the kernel prints, from the default table: "NOMEM",
    /// "NOT_SPECIFIED"; "CONSUMED" and "NOT_DROPPED_YET" for 1 and 0 (the
    /// kernel's `drop_reasons[]` strings); hex for values it has no name for.
    public var description: String { SkbDropReasonTable.default.displayName(of: rawValue) }

    /// Its name in `table`, or nil when the table has none.
    public func name(in table: SkbDropReasonTable) -> StaticString? { table.name(of: rawValue) }

    // Constants the skb model uses, valued from the default table. Their
    // presence in the table is checked by the tests.
    private static func core(_ name: String) -> SkbDropReason {
        guard let value = SkbDropReasonTable.default.value(named: name) else {
            preconditionFailure("drop reason \(name) missing from the default table")
        }
        return SkbDropReason(rawValue: value)
    }

    /// `SKB_NOT_DROPPED_YET` (0 in every kernel).
    public static let notDroppedYet = SkbDropReason(rawValue: 0)
    /// `SKB_CONSUMED` (1 from v6.2; v6.1 has none): freed after use, traced by `skb:consume_skb`.
    public static let consumed = SkbDropReason(rawValue: 1)
    /// `SKB_DROP_REASON_NOT_SPECIFIED` (2 from v6.2, 1 in v6.1): what plain `kfree_skb` passes.
    public static let notSpecified = SkbDropReason(rawValue: 2)
    public static let nomem = core("NOMEM")
    public static let netfilterDrop = core("NETFILTER_DROP")
    public static let pktTooSmall = core("PKT_TOO_SMALL")
    public static let hdrTrunc = core("HDR_TRUNC")
    public static let fullRing = core("FULL_RING")
    public static let cpuBacklog = core("CPU_BACKLOG")
    public static let queuePurge = core("QUEUE_PURGE")
}
