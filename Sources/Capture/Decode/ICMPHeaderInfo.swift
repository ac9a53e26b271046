/// Type and code of an ICMP or ICMPv6 message; echo identifier and sequence
/// when the message is an echo request/reply and they were captured.
public struct ICMPHeaderInfo: Hashable, Sendable {
    public var type: UInt8
    public var code: UInt8
    public var echoIdentifier: UInt16?
    public var echoSequence: UInt16?

    public init(type: UInt8, code: UInt8, echoIdentifier: UInt16? = nil, echoSequence: UInt16? = nil) {
        self.type = type
        self.code = code
        self.echoIdentifier = echoIdentifier
        self.echoSequence = echoSequence
    }
}
