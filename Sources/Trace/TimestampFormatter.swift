#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// How a packet's capture time is printed: tcpdump's `-t` options, at
/// nanosecond precision (`tcpdump --nano`).
public enum TimestampStyle: Sendable, Equatable, CaseIterable {
    /// `-t`: no time.
    case none
    /// The default: time of day, `HH:MM:SS.nnnnnnnnn`.
    case timeOfDay
    /// `-tt`: seconds since the Unix epoch, `1700000000.123456789`.
    case epoch
    /// `-ttt`: since the previous packet, `HH:MM:SS.nnnnnnnnn` (0 for the first).
    case sincePrevious
    /// `-tttt`: date and time of day, `YYYY-MM-DD HH:MM:SS.nnnnnnnnn`.
    case dateAndTime
    /// `-ttttt`: since the first packet, `HH:MM:SS.nnnnnnnnn`.
    case sinceFirst

    /// The style of `-t` given `count` times (0 = the default), as tcpdump
    /// counts them; nil past 5.
    public init?(tCount count: Int) {
        switch count {
        case 0: self = .timeOfDay
        case 1: self = .none
        case 2: self = .epoch
        case 3: self = .sincePrevious
        case 4: self = .dateAndTime
        case 5: self = .sinceFirst
        default: return nil
        }
    }
}

/// Formats capture timestamps in a `TimestampStyle`, in local time (the
/// C library's, so `TZ` is honoured as tcpdump honours it) or UTC.
///
/// Stateful for the relative styles: `format` of a packet's time sets the
/// previous and (the first time) the first packet. The broken-down time of
/// the last second is cached, so consecutive packets in one second call
/// `localtime_r` once.
public struct TimestampFormatter: Sendable {
    public let style: TimestampStyle
    /// UTC instead of local time (the absolute styles).
    public let utc: Bool
    private var first: Int64?
    private var previous: Int64?
    private var cachedSecond: Int64 = .min
    private var cached = (year: 0, month: 0, day: 0, secondOfDay: 0)

    public init(style: TimestampStyle = .timeOfDay, utc: Bool = false) {
        self.style = style
        self.utc = utc
    }

    /// `nanoseconds` since the epoch in this style ("" for `.none`); one call
    /// per packet.
    public mutating func format(_ nanoseconds: Int64) -> String {
        let seconds = Self.floorDivide(nanoseconds, 1_000_000_000)
        let fraction = Int(nanoseconds - seconds * 1_000_000_000)
        defer {
            if first == nil { first = nanoseconds }
            previous = nanoseconds
        }
        switch style {
        case .none:
            return ""
        case .epoch:
            return "\(seconds)." + Self.digits(fraction, 9)
        case .timeOfDay:
            let t = broken(seconds)
            return Self.clock(t.secondOfDay, fraction)
        case .dateAndTime:
            let t = broken(seconds)
            return "\(Self.digits(t.year, 4))-\(Self.digits(t.month, 2))-\(Self.digits(t.day, 2)) "
                + Self.clock(t.secondOfDay, fraction)
        case .sincePrevious:
            return Self.duration(nanoseconds - (previous ?? nanoseconds))
        case .sinceFirst:
            return Self.duration(nanoseconds - (first ?? nanoseconds))
        }
    }

    /// Broken-down local (or UTC) time of `seconds`, cached per second.
    private mutating func broken(_ seconds: Int64) -> (year: Int, month: Int, day: Int, secondOfDay: Int) {
        if seconds == cachedSecond { return cached }
        var time = time_t(seconds)
        var tm = tm()
        if utc { gmtime_r(&time, &tm) } else { localtime_r(&time, &tm) }
        cached = (
            Int(tm.tm_year) + 1900, Int(tm.tm_mon) + 1, Int(tm.tm_mday),
            Int(tm.tm_hour) * 3600 + Int(tm.tm_min) * 60 + Int(tm.tm_sec)
        )
        cachedSecond = seconds
        return cached
    }

    /// `HH:MM:SS.nnnnnnnnn` of a signed duration (hours past 99 widen).
    static func duration(_ nanoseconds: Int64) -> String {
        let sign = nanoseconds < 0 ? "-" : ""
        let magnitude = nanoseconds.magnitude
        return sign + clock(Int(magnitude / 1_000_000_000), Int(magnitude % 1_000_000_000))
    }

    static func clock(_ seconds: Int, _ fraction: Int) -> String {
        digits(seconds / 3600, 2) + ":" + digits(seconds / 60 % 60, 2) + ":" + digits(seconds % 60, 2) + "."
            + digits(fraction, 9)
    }

    static func digits(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let (q, r) = a.quotientAndRemainder(dividingBy: b)
        return r < 0 ? q - 1 : q
    }
}
