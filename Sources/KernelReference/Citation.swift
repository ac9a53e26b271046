/// Where a kernel rule comes from: file, function and the releases it holds for.
/// Rendered as `net/core/skbuff.c __netdev_alloc_skb (v6.14+)`.
public struct Citation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var function: String
    /// Releases the rule holds for ("v6.14+", "v6.3–v6.13"); empty = all 6.x.
    public var versions: String

    public init(_ file: String, _ function: String, _ versions: String = "") {
        self.file = file
        self.function = function
        self.versions = versions
    }

    public var description: String {
        versions.isEmpty ? "\(file) \(function)" : "\(file) \(function) (\(versions))"
    }
}
