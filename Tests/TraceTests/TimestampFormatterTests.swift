import Testing
import Trace

/// tcpdump's time formats at nanosecond precision, in UTC (local time is
/// checked through the CLI with TZ set, which is process-wide).
@Suite struct TimestampFormatterTests {
    /// 2024-02-29 23:59:59.999999999 UTC, a leap day.
    static let leapDayEnd: Int64 = 1_709_251_199_999_999_999

    @Test func absoluteStylesInUTC() {
        var day = TimestampFormatter(style: .timeOfDay, utc: true)
        #expect(day.format(Self.leapDayEnd) == "23:59:59.999999999")
        #expect(day.format(Self.leapDayEnd + 1) == "00:00:00.000000000")
        var date = TimestampFormatter(style: .dateAndTime, utc: true)
        #expect(date.format(Self.leapDayEnd) == "2024-02-29 23:59:59.999999999")
        // The cached second must not leak into the next one.
        #expect(date.format(Self.leapDayEnd + 1) == "2024-03-01 00:00:00.000000000")
        var epoch = TimestampFormatter(style: .epoch, utc: true)
        #expect(epoch.format(Self.leapDayEnd) == "1709251199.999999999")
        var none = TimestampFormatter(style: .none)
        #expect(none.format(Self.leapDayEnd) == "")
    }

    /// Before 1970: whole seconds round down, the fraction stays positive.
    @Test func beforeTheEpoch() {
        var date = TimestampFormatter(style: .dateAndTime, utc: true)
        #expect(date.format(-1) == "1969-12-31 23:59:59.999999999")
        var epoch = TimestampFormatter(style: .epoch, utc: true)
        #expect(epoch.format(-1_500_000_000) == "-2.500000000")
    }

    @Test func relativeStyles() {
        var previous = TimestampFormatter(style: .sincePrevious)
        var first = TimestampFormatter(style: .sinceFirst)
        let times: [Int64] = [
            5_000_000_000, 5_000_250_000, 5_001_000_000, 365_000_000_000_000 + 5_000_000_000, 4_000_000_000,
        ]
        #expect(
            times.map { previous.format($0) } == [
                "00:00:00.000000000", "00:00:00.000250000", "00:00:00.000750000", "101:23:19.999000000",
                "-101:23:21.000000000",
            ])
        #expect(
            times.map { first.format($0) } == [
                "00:00:00.000000000", "00:00:00.000250000", "00:00:00.001000000", "101:23:20.000000000",
                "-00:00:01.000000000",
            ])
    }

    @Test func tCountsAsTcpdump() {
        #expect(
            (0...5).map { TimestampStyle(tCount: $0) } == [
                .timeOfDay, TimestampStyle.none, .epoch, .sincePrevious, .dateAndTime, .sinceFirst,
            ])
        #expect(TimestampStyle(tCount: 6) == nil)
    }
}
