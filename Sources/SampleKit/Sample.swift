/// One generated capture file: its name, bytes, and what it is for.
public struct Sample: Sendable {
    public var name: String
    public var bytes: [UInt8]
    /// Records in the file (for the broken samples, records the header promises).
    public var packetCount: Int
    /// Link type as libpcap names it, e.g. "EN10MB (1)".
    public var linkType: String
    /// What the file exercises, one sentence for samples/README.md.
    public var purpose: String

    public init(name: String, bytes: [UInt8], packetCount: Int, linkType: String, purpose: String) {
        self.name = name
        self.bytes = bytes
        self.packetCount = packetCount
        self.linkType = linkType
        self.purpose = purpose
    }
}
