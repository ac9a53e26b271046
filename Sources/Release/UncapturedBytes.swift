import Capture

/// Which length a received skb is built at.
public enum SkbBuildLength: String, CaseIterable, Sendable {
    /// The packet's length on the wire (`len`), as the kernel received it:
    /// bytes past the capture's snapshot length are unknown and filled with
    /// `UncapturedBytes.fill`.
    case wire
    /// The captured bytes only (`caplen`): a packet cut by the snapshot
    /// length becomes a shorter skb than the kernel's.
    case captured
}

/// The bytes of a packet that a capture cut by its snapshot length did not
/// keep. The kernel received them; skbsim does not know them. With
/// `SkbBuildLength.wire` an skb is built at the wire length and these bytes
/// are filled with `fill`, a value none of the kernel's poison patterns use
/// (`POISON_INUSE` 0x5a, `POISON_FREE` 0x6b, `POISON_END` 0xa5, `PAGE_POISON`
/// 0xaa), so that an uncaptured byte is recognisable in a dump.
public enum UncapturedBytes {
    public static let fill: UInt8 = 0xEE

    /// The largest wire length built in full: a longer "packet" is not a
    /// frame a NIC delivers (libpcap's MAXIMUM_SNAPLEN, 256 KiB).
    public static let maximumWireLength = CaptureReader.maximumCaptureLength
}

extension PacketRun {
    /// `PACKET_OUTGOING` in a Linux cooked header: the host sent the
    /// packet (the capture saw it on the way out), so it was never received.
    @inline(__always)
    static func isOutgoing(_ bytes: UnsafeRawBufferPointer, _ linkType: LinkType) -> Bool {
        switch linkType.dlt {
        case LinkType.linuxSLL.dlt: bytes.count >= 16 && bytes[0] == 0 && bytes[1] == 4
        case LinkType.linuxSLL2.dlt: bytes.count >= 20 && bytes[10] == 4
        default: false
        }
    }

    /// A packet cut by the snapshot length: with `.wire`, the captured bytes
    /// and `UncapturedBytes.fill` up to the wire length, copied into the
    /// run's scratch buffer (only cut packets pay for the copy); headers are
    /// those decoded from the captured bytes.
    func processCut(_ packet: CapturedPacket, linkType: LinkType, decoded: UnsafePointer<PacketHeaders>?) {
        snaplenCut += 1
        // The driver cannot verify a checksum over bytes the capture lost.
        driver.capturedBytes = packet.captureLength
        defer { driver.capturedBytes = .max }
        guard buildAtWireLength else {
            sim.beginPacket(index: packet.index, timestampNanoseconds: packet.timestampNanoseconds)
            return process(bytes: packet.bytes, linkType: linkType, decoded: decoded)
        }
        guard packet.wireLength <= UncapturedBytes.maximumWireLength else {
            return skip("wire length above \(UncapturedBytes.maximumWireLength) bytes")
        }
        let captured = packet.captureLength
        if captured > 0 { scratch.copyMemory(from: packet.bytes.baseAddress!, byteCount: captured) }
        (scratch + captured).initializeMemory(
            as: UInt8.self, repeating: UncapturedBytes.fill, count: packet.wireLength - captured)
        var headers = decoded?.pointee ?? HeaderDecoder.decode(packet.bytes, linkType: linkType)
        sim.beginPacket(index: packet.index, timestampNanoseconds: packet.timestampNanoseconds)
        withUnsafePointer(to: &headers) { headers in
            process(
                bytes: UnsafeRawBufferPointer(start: scratch, count: packet.wireLength), linkType: linkType,
                decoded: headers)
        }
    }
}
