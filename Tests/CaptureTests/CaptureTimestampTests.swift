import Testing

@testable import Capture

struct CaptureTimestampTests {
    @Test func splitsSecondsAndNanoseconds() {
        let t = CaptureTimestamp(seconds: 1_700_000_000, nanoseconds: 123_456_789)
        #expect(t.nanosecondsSinceEpoch == 1_700_000_000_123_456_789)
        #expect(t.seconds == 1_700_000_000)
        #expect(t.nanosecondOfSecond == 123_456_789)
    }

    @Test(arguments: [
        (Int64(0), "00:00:00.000000000", "0.000000000"),
        (1_700_000_000_123_456_789, "22:13:20.123456789", "1700000000.123456789"),
        (86_399_999_999_999, "23:59:59.999999999", "86399.999999999"),
        (-1, "23:59:59.999999999", "-0.000000001"),
        (-86_400_000_000_000, "00:00:00.000000000", "-86400.000000000"),
        (Int64.max, "23:47:16.854775807", "9223372036.854775807"),
        (Int64.min, "00:12:43.145224192", "-9223372036.854775808"),
    ])
    func formats(nanoseconds: Int64, timeOfDay: String, epochSeconds: String) {
        let t = CaptureTimestamp(nanosecondsSinceEpoch: nanoseconds)
        #expect(t.timeOfDay == timeOfDay)
        #expect(t.epochSeconds == epochSeconds)
        #expect(t.description == epochSeconds)
    }

    @Test func orders() {
        #expect(CaptureTimestamp(nanosecondsSinceEpoch: -5) < CaptureTimestamp(nanosecondsSinceEpoch: 3))
    }
}
