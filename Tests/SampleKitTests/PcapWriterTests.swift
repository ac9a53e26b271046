import SampleKit
import Testing

@Test func pcapMicrosecondLayout() {
    var writer = PcapWriter(linkType: 1, snapLength: 4)
    writer.append([1, 2, 3, 4, 5, 6], timestamp: 1_767_225_600 * 1_000_000_000 + 123_456_789)
    #expect(
        writer.bytes == [
            0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0,
            0x00, 0xb9, 0x55, 0x69,  // 1767225600 = 0x6955b900
            0x40, 0xe2, 0x01, 0x00,  // 123456 µs (truncated)
            4, 0, 0, 0, 6, 0, 0, 0,  // captured to the snaplen, original 6
            1, 2, 3, 4,
        ])
}

@Test func pcapNanosecondMagicAndFraction() {
    var writer = PcapWriter(linkType: 101, precision: .nanoseconds)
    writer.append([9], timestamp: 5_000_000_001)
    #expect(Array(writer.bytes[0..<4]) == [0x4d, 0x3c, 0xb2, 0xa1])
    #expect(Array(writer.bytes[20..<24]) == [101, 0, 0, 0])
    #expect(Array(writer.bytes[24..<32]) == [5, 0, 0, 0, 1, 0, 0, 0])
    #expect(writer.recordCount == 1)
}

@Test func pcapngBlockLayout() {
    var writer = PcapNGWriter(linkType: 1, snapLength: 65535, timestampResolution: 9)
    let shb: [UInt8] = [
        0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0,
    ]
    let idb: [UInt8] = [
        1, 0, 0, 0, 32, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 0, 0,
        9, 0, 1, 0, 9, 0, 0, 0,
        0, 0, 0, 0, 32, 0, 0, 0,
    ]  // end of options, block length
    #expect(writer.bytes == shb + idb)

    writer.append([0xAA, 0xBB, 0xCC], timestamp: 0x1_0000_0002, comment: "hi")
    let epb = Array(writer.bytes[(shb.count + idb.count)...])
    #expect(
        epb == [
            6, 0, 0, 0, 48, 0, 0, 0,
            0, 0, 0, 0,  // interface 0
            1, 0, 0, 0, 2, 0, 0, 0,  // timestamp high, low (ns units)
            3, 0, 0, 0, 3, 0, 0, 0,  // captured, original
            0xAA, 0xBB, 0xCC, 0,  // data padded to 32 bits
            1, 0, 2, 0, 0x68, 0x69, 0, 0,  // opt_comment "hi"
            0, 0, 0, 0,  // opt_endofopt
            48, 0, 0, 0,
        ])
}

@Test func pcapngMicrosecondResolutionScalesTimestamps() {
    var writer = PcapNGWriter(linkType: 1, timestampResolution: 6)
    writer.append([1, 2, 3, 4], timestamp: 2_000_999)
    let epb = Array(writer.bytes.suffix(36))
    #expect(Array(epb[12..<20]) == [0, 0, 0, 0, 0xD0, 0x07, 0, 0])  // 2000 µs
}

@Test func pcapngTakeBytesStreamsTheSameFile() {
    var whole = PcapNGWriter(linkType: 1)
    var streamed = PcapNGWriter(linkType: 1)
    var file = streamed.takeBytes()
    for n in 0..<3 {
        let packet = [UInt8](repeating: UInt8(n), count: 60 + n)
        whole.append(packet, timestamp: UInt64(n) * 1_000, comment: "packet \(n + 1)")
        streamed.append(packet, timestamp: UInt64(n) * 1_000, comment: "packet \(n + 1)")
        file += streamed.takeBytes()
        #expect(streamed.bytes.isEmpty)
    }
    #expect(file == whole.bytes)
    #expect(streamed.packetCount == 3)
}
