import ArgumentParser
import CPcap
import Capture
import Release
import SkbModel

#if canImport(Glibc)
    import Glibc
#endif

/// `skbsim export`: the skbs as they are after the receive path, written
/// back as a capture through libpcap's dumper.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the skbs after the receive path to a pcap file (nanosecond timestamps).",
        usage: CaptureOptions.usage("export", "-o FILE [model options] "),
        discussion: """
            Every skb's full bytes — linear part, frags and frag_list, read with \
            skb_copy_bits — are written behind the link header the receive path \
            pulled (skb->mac_header up to skb->data), so the file has the capture's \
            own link type. Timestamps are the capture's, at nanosecond precision; \
            the snapshot length (262144) holds 64 KiB GRO super-packets: with --gro \
            each skb GRO sends up is one record, merged segments included, stamped \
            with its first segment's time.

            Examples:
              skbsim export -o out.pcap samples/tcp-bulk.pcap
              skbsim export -o merged.pcap --gro --rx-path napi-alloc-skb samples/tcp-bulk.pcap
              skbsim export -o out.pcap --rx-path sg-copybreak -r samples/jumbo-9000.pcap
              skbsim export -o - samples/vlan.pcap 'vlan and tcp' | tcpdump -nr -
            """
    )

    @Option(
        name: .customShort("o"),
        help: ArgumentHelp("Write the capture to FILE ('-' for standard output).", valueName: "FILE"))
    var output: String

    @OptionGroup var simulation: SimulationOptions
    @OptionGroup var capture: CaptureOptions

    func run() throws {
        var writer: SkbPcapWriter?
        defer { writer?.close() }
        // Wire lengths of packets captured short (snaplen), by packet index,
        // until their skb is written; forgotten whenever GRO holds nothing.
        var wireLengths: [Int: (wire: Int, captured: Int)] = [:]
        // Capture pseudo-headers (cooked SLL/SLL2, null/loop), which are not
        // part of the skb, by packet index until their skb is written.
        var pseudoHeaders: [Int: [UInt8]] = [:]
        var gro: (() -> Int)?
        let summary = try CaptureRun.run(
            capture: capture, options: simulation.runOptions(),
            opened: { reader, run in
                writer = try SkbPcapWriter(path: output, linkType: reader.linkType)
                let napi = run.napi
                gro = { napi.gro.heldCount }
            },
            before: { packet, linkType in
                if packet.wireLength > packet.captureLength {
                    wireLengths[packet.index] = (packet.wireLength, packet.captureLength)
                }
                let pseudo = RxDriver.pseudoHeaderLength(
                    linkType, HeaderDecoder.decode(packet.bytes, linkType: linkType))
                if pseudo > 0 { pseudoHeaders[packet.index] = Array(packet.bytes.prefix(pseudo)) }
            },
            after: { _ in
                if gro?() == 0 {
                    if !wireLengths.isEmpty { wireLengths.removeAll() }
                    if !pseudoHeaders.isEmpty { pseudoHeaders.removeAll() }
                }
            },
            observe: { sim, skb in
                // Each skb as netif_receive_skb gets it: with --gro a super-packet
                // is one record (skb->len can exceed the MTU), stamped with its
                // first segment's time.
                let s = try sim.skb(skb)
                let merged = try sim.shinfo(skb).gsoSegs > 1
                let wire = merged ? nil : wireLengths.removeValue(forKey: Int(s.packet))
                let pseudo = pseudoHeaders.removeValue(forKey: Int(s.packet)) ?? []
                // A packet cut by the snapshot length is written as captured: the
                // skb's bytes past it (built at the wire length) are not the packet's.
                try writer?.write(
                    sim: sim, skb: skb, timestampNanoseconds: s.timestampNanoseconds, wireLength: wire?.wire,
                    capturedLength: wire?.captured, pseudoHeader: pseudo)
            })
        writer?.close()
        if let error = writer?.error { throw InputError(description: error) }
        try summary.conclude(check: true)
    }
}

/// Writes skbs to a pcap file with libpcap's dumper
/// (`pcap_open_dead_with_tstamp_precision` + `pcap_dump_open` + `pcap_dump`,
/// nanosecond precision). Takes an `SkbID`: any skb — a received packet or a
/// GRO super-packet — is written with its full bytes, from its mac header.
final class SkbPcapWriter {
    /// Large enough for a 64 KiB GRO super-packet plus its link header.
    static let snaplen: Int32 = 262_144

    let path: String
    private var pcap: OpaquePointer?
    private var dumper: OpaquePointer?
    private(set) var error: String?
    private(set) var packetsWritten = 0

    init(path: String, linkType: LinkType) throws {
        self.path = path
        guard
            let p = pcap_open_dead_with_tstamp_precision(
                linkType.dlt, SkbPcapWriter.snaplen, UInt32(PCAP_TSTAMP_PRECISION_NANO))
        else {
            throw InputError(description: "\(path): pcap_open_dead failed")
        }
        pcap = p
        guard let d = pcap_dump_open(p, path) else {
            let message = String(cString: pcap_geterr(p))
            pcap_close(p)
            pcap = nil
            throw InputError(description: "\(path): cannot create: \(message)")
        }
        dumper = d
    }

    deinit { close() }

    /// Write `skb` as one record: the pulled link header (mac_header..data,
    /// restored with skb_push and pulled back after), an out-of-band VLAN
    /// tag re-inserted, and `skb->len` bytes.
    /// `wireLength` is the original length on the wire when the skb is a
    /// received packet (it can exceed what was captured); default = captured.
    /// `pseudoHeader`: the capture's pseudo-header (cooked SLL, null),
    /// which is not part of the skb, written before its bytes.
    /// `capturedLength`: write at most this many bytes (the packet's
    /// captured length when its skb was built at the wire length).
    func write(
        sim: SkbSim, skb: SkbID, timestampNanoseconds: Int64, wireLength: Int? = nil, capturedLength: Int? = nil,
        pseudoHeader: [UInt8] = []
    ) throws {
        guard let dumper else { return }
        let s = try sim.skb(skb)
        let linkHeader =
            s.macHeader != SkBuff.unsetHeader && Int(s.macHeader) < Int(s.data) ? Int(s.data) - Int(s.macHeader) : 0
        if linkHeader > 0 { _ = try sim.skb_push(skb, linkHeader, caller: "skbsim_export") }
        var bytes: [UInt8]
        do {
            bytes = pseudoHeader.isEmpty ? try sim.bytes(skb) : pseudoHeader + (try sim.bytes(skb))
        } catch {
            if linkHeader > 0 { _ = try sim.skb_pull(skb, linkHeader) }
            throw error
        }
        if linkHeader > 0 { _ = try sim.skb_pull(skb, linkHeader) }
        // A tag skb_vlan_untag took out of the data goes back in after the
        // addresses, as libpcap re-inserts it from PACKET_AUXDATA.
        if s.vlanProto != 0 && linkHeader >= 12 {
            let at = pseudoHeader.count + 12
            bytes.insert(
                contentsOf: [
                    UInt8(s.vlanProto >> 8), UInt8(s.vlanProto & 0xff), UInt8(s.vlanTci >> 8), UInt8(s.vlanTci & 0xff),
                ], at: at)
        }
        if let capturedLength, capturedLength < bytes.count { bytes.removeLast(bytes.count - capturedLength) }
        var header = pcap_pkthdr()
        var seconds = timestampNanoseconds / 1_000_000_000
        var nanos = timestampNanoseconds % 1_000_000_000
        if nanos < 0 {
            nanos += 1_000_000_000
            seconds -= 1
        }
        header.ts.tv_sec = Int(seconds)
        header.ts.tv_usec = Int(nanos)  // nanoseconds with PCAP_TSTAMP_PRECISION_NANO
        header.caplen = UInt32(bytes.count)
        header.len = UInt32(max(bytes.count, wireLength ?? 0))
        bytes.withUnsafeBufferPointer { buf in
            pcap_dump(UnsafeMutableRawPointer(dumper).assumingMemoryBound(to: UInt8.self), &header, buf.baseAddress)
        }
        packetsWritten += 1
    }

    /// Flush and close; records a write error (reported by the caller).
    func close() {
        if let dumper {
            if pcap_dump_flush(dumper) != 0 { error = "\(path): write failed: \(String(cString: strerror(errno)))" }
            pcap_dump_close(dumper)
            self.dumper = nil
        }
        if let pcap {
            pcap_close(pcap)
            self.pcap = nil
        }
    }
}
