/// What the kernel would `BUG()` or panic on, as a thrown error carrying the
/// kernel's message, so that a simulation can report it instead of dying.
public struct SkbError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// `skb_over_panic` (skb_put past `end`).
        case overPanic
        /// `skb_under_panic` (skb_push before `head`).
        case underPanic
        /// A `BUG()`/`BUG_ON()` (e.g. `SKB_LINEAR_ASSERT`, `__skb_pull` into paged data,
        /// `pskb_expand_head` on a shared skb).
        case bug
        /// The `SkbID` refers to an skb that was already freed (the checker has a report).
        case useAfterFree
    }
    public var kind: Kind
    /// The kernel's console text.
    public var message: String
    public var description: String { message }

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
}
