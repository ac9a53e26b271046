import Testing
import SampleKit

// RFC 1071 section 3 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2.
@Test func rfc1071Example() {
    var sum = InternetChecksum()
    sum.add([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7])
    #expect(sum.value == ~UInt16(0xddf2))
}
