/// `enum skb_drop_reason` values of a few reasons and `SKB_DROP_REASON_MAX`,
/// counted by hand in each release's list (`KernelReleaseFacts.dropReasons`),
/// written apart from Trace's tables. From v6.2 SKB_NOT_DROPPED_YET is 0,
/// SKB_CONSUMED 1 and the `DEFINE_DROP_REASON` list follows from 2; v6.1 has
/// no SKB_CONSUMED, so its list starts at 1.
public enum DropReasonReference {
    public struct Expected: Hashable, Sendable {
        public var name: String
        public var value: Int
    }

    /// The reasons of the fidelity rows (MAX is `SKB_DROP_REASON_MAX`).
    public static let names = ["NOT_SPECIFIED", "NETFILTER_DROP", "SOCKET_RCVBUFF", "NOMEM", "MAX"]

    /// Values in the list of `release` ("6.1", "6.18"); nil for a release not transcribed.
    public static func values(release: String) -> [Expected]? {
        guard let facts = KernelReleaseFacts.table.first(where: { $0.release == release }) else { return nil }
        return names.compactMap { n in facts.dropReasons[n].map { Expected(name: n, value: $0) } }
    }

    /// How the list of `release` was read (docs/fidelity.md).
    public static func source(release: String) -> String {
        switch release {
        case "6.1":
            "include/net/dropreason.h at v6.1: 0x7f454c46/linux 101b990beb71 less the v6.2/v6.3 additions (no SKB_CONSUMED before 0e84afe8ebfb, v6.2)"
        case "6.6":
            "dropreason-core.h of 6.6.y (gregkh/linux 14f679a8d2dd) less its two stable backports appended at the end"
        case "6.8": "torvalds/linux 03c11eb3b16d include/net/dropreason-core.h"
        case "6.12":
            "v6.8 list + the three v6.9 reasons; = a42d71e322a8 less v6.13 additions = android 6.12 (0c10203ea93f) less two v6.14 backports"
        case "6.18": "the running 6.18.44 kernel: tracefs events/skb/kfree_skb/format"
        default: "not transcribed"
        }
    }
}
