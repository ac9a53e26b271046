/// A packet timestamp: nanoseconds since the Unix epoch, UTC.
///
/// The reader opens every file with nanosecond precision, so libpcap scales
/// microsecond pcap files and pcapng `if_tsresol` values to nanoseconds.
/// Formatting uses integer arithmetic only (no calendar, no locale).
public struct CaptureTimestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanosecondsSinceEpoch: Int64

    public init(nanosecondsSinceEpoch: Int64) {
        self.nanosecondsSinceEpoch = nanosecondsSinceEpoch
    }

    /// `nanoseconds` may be outside `0..<1_000_000_000`; it is carried into
    /// the seconds.
    public init(seconds: Int64, nanoseconds: Int64) {
        self.nanosecondsSinceEpoch = seconds &* 1_000_000_000 &+ nanoseconds
    }

    /// Whole seconds since the epoch, rounded towards negative infinity.
    public var seconds: Int64 {
        let (q, r) = nanosecondsSinceEpoch.quotientAndRemainder(dividingBy: 1_000_000_000)
        return r < 0 ? q - 1 : q
    }

    /// Nanoseconds within `seconds`, always in `0..<1_000_000_000`.
    public var nanosecondOfSecond: Int64 {
        let r = nanosecondsSinceEpoch % 1_000_000_000
        return r < 0 ? r + 1_000_000_000 : r
    }

    /// tcpdump's default time column at nanosecond precision
    /// (`tcpdump --nano` in UTC): `HH:MM:SS.nnnnnnnnn`.
    public var timeOfDay: String {
        let remainder = Int(seconds % 86_400)
        let secondOfDay = remainder < 0 ? remainder + 86_400 : remainder
        let fraction = Int(nanosecondOfSecond)
        return String(unsafeUninitializedCapacity: 18) { out in
            Self.writeDigits(secondOfDay / 3600, count: 2, into: out, at: 0)
            out[2] = UInt8(ascii: ":")
            Self.writeDigits(secondOfDay / 60 % 60, count: 2, into: out, at: 3)
            out[5] = UInt8(ascii: ":")
            Self.writeDigits(secondOfDay % 60, count: 2, into: out, at: 6)
            out[8] = UInt8(ascii: ".")
            Self.writeDigits(fraction, count: 9, into: out, at: 9)
            return 18
        }
    }

    /// Seconds since the epoch with nine decimals, as `tcpdump -tt --nano`
    /// prints them: `1700000000.123456789`; negative values get a leading `-`.
    public var epochSeconds: String {
        let negative = nanosecondsSinceEpoch < 0
        // magnitude avoids overflow on Int64.min.
        let magnitude = nanosecondsSinceEpoch.magnitude
        let whole = magnitude / 1_000_000_000
        let fraction = Int(magnitude % 1_000_000_000)
        var wholeDigits = 1
        var rest = whole / 10
        while rest > 0 {
            wholeDigits += 1
            rest /= 10
        }
        let length = (negative ? 1 : 0) + wholeDigits + 1 + 9
        return String(unsafeUninitializedCapacity: length) { out in
            var position = 0
            if negative {
                out[0] = UInt8(ascii: "-")
                position = 1
            }
            var value = whole
            for i in stride(from: position + wholeDigits - 1, through: position, by: -1) {
                out[i] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
            position += wholeDigits
            out[position] = UInt8(ascii: ".")
            Self.writeDigits(fraction, count: 9, into: out, at: position + 1)
            return length
        }
    }

    public var description: String { epochSeconds }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch
    }

    /// Writes `value` (non-negative) as exactly `count` zero-padded digits.
    private static func writeDigits(
        _ value: Int, count: Int, into out: UnsafeMutableBufferPointer<UInt8>, at start: Int
    ) {
        var value = value
        for i in stride(from: start + count - 1, through: start, by: -1) {
            out[i] = UInt8(ascii: "0") + UInt8(value % 10)
            value /= 10
        }
    }
}
