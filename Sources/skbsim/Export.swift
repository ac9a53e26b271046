import ArgumentParser
import CPcap
import Capture
import Release
import SkbModel

#if canImport(Glibc)
    import Glibc
#endif

/// `skbsim export`: the skbs as they are after the receive path, written
/// back as a capture: classic pcap through libpcap's dumper, or pcapng with
/// a comment per packet summing up its skb (`ExportComments`).
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the skbs after the receive path to a pcap or pcapng file (nanosecond timestamps).",
        usage: CaptureOptions.usage("export", "-o FILE [--format pcap|pcapng] [model options] "),
        discussion: """
            Every skb's full bytes — linear part, frags and frag_list, read with \
            skb_copy_bits — are written behind the link header the receive path \
            pulled (skb->mac_header up to skb->data), so the file has the capture's \
            own link type. Records are in the order netif_receive_skb got the skbs; \
            timestamps are the capture's, at nanosecond precision; the snapshot \
            length (262144) holds 64 KiB GRO super-packets: with --gro each skb GRO \
            sends up is one record, merged segments included, written when GRO \
            flushed it and stamped with its first segment's time (skb->tstamp).

            The format is pcapng when FILE ends in .pcapng or with --format pcapng, \
            else classic pcap. In pcapng every packet carries a comment (opt_comment) \
            with its skb: rx path, head, truesize, len, nr_frags, frag_list, GRO \
            member packets and its fate (docs/cli.md gives the grammar). In \
            Wireshark: frame.comment contains "frag_list".

            Examples:
              skbsim export -o out.pcap samples/tcp-bulk.pcap
              skbsim export -o merged.pcapng --gro --rx-path napi-alloc-skb samples/tcp-bulk.pcap
              skbsim export -o out.pcap --rx-path sg-copybreak -r samples/jumbo-9000.pcap
              skbsim export -o - samples/vlan.pcap 'vlan and tcp' | tcpdump -nr -
              skbsim export -o - --format pcapng samples/tcp-bulk.pcap | tcpdump -nr -
            """
    )

    @Option(
        name: .customShort("o"),
        help: ArgumentHelp("Write the capture to FILE ('-' for standard output).", valueName: "FILE"))
    var output: String

    @Option(
        help: ArgumentHelp(
            "File format: pcap or pcapng (default: pcapng when FILE ends in .pcapng, else pcap).",
            valueName: "FORMAT"))
    var format: String?

    @OptionGroup var simulation: SimulationOptions
    @OptionGroup var capture: CaptureOptions

    /// The formats `--format` takes.
    static let formats = ["pcap", "pcapng"]

    func validate() throws {
        if let format, !Self.formats.contains(format) {
            throw ValidationError("--format must be one of \(Self.formats.joined(separator: ", ")), got '\(format)'")
        }
    }

    /// pcapng by `--format`, else by the file's extension.
    var writesPcapng: Bool {
        if let format { return format == "pcapng" }
        return output.lowercased().hasSuffix(".pcapng")
    }

    func run() throws {
        var writer: SkbPcapWriter?
        var pcapng: SkbPcapngWriter?
        // The per-packet comments need the model's events (GRO members, the
        // fate); classic pcap attaches no sink.
        let comments =
            writesPcapng ? ExportComments(rxPath: simulation.rxPath.rawValue, reasons: simulation.dropReasonTable) : nil
        defer { writer?.close() }
        // Wire lengths of packets captured short (snaplen), by packet index,
        // until their skb is written; forgotten whenever GRO holds nothing.
        var wireLengths: [Int: (wire: Int, captured: Int)] = [:]
        // Capture pseudo-headers (cooked SLL/SLL2, null/loop), which are not
        // part of the skb, by packet index until their skb is written.
        var pseudoHeaders: [Int: [UInt8]] = [:]
        var gro: (() -> Int)?
        let summary = try CaptureRun.run(
            capture: capture, options: simulation.runOptions(sink: comments),
            opened: { reader, run in
                if let comments {
                    pcapng = try SkbPcapngWriter(path: output, linkType: reader.linkType, comments: comments)
                } else {
                    writer = try SkbPcapWriter(path: output, linkType: reader.linkType)
                }
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
                try pcapng?.writeReady()
            },
            observe: { sim, skb in
                // Each skb as netif_receive_skb gets it: with --gro a super-packet
                // is one record (skb->len can exceed the MTU), stamped with its
                // first segment's time (the held skb's tstamp, which GRO keeps).
                let s = try sim.skb(skb)
                let merged = try sim.shinfo(skb).gsoSegs > 1
                let wire = merged ? nil : wireLengths.removeValue(forKey: Int(s.packet))
                let pseudo = pseudoHeaders.removeValue(forKey: Int(s.packet)) ?? []
                // A packet cut by the snapshot length is written as captured: the
                // skb's bytes past it (built at the wire length) are not the packet's.
                if let pcapng {
                    try pcapng.add(
                        sim: sim, skb: skb, wireLength: wire?.wire, capturedLength: wire?.captured,
                        pseudoHeader: pseudo)
                } else {
                    try writer?.write(
                        sim: sim, skb: skb, timestampNanoseconds: s.timestampNanoseconds, wireLength: wire?.wire,
                        capturedLength: wire?.captured, pseudoHeader: pseudo)
                }
            })
        try pcapng?.finish()
        writer?.close()
        if let error = writer?.error ?? pcapng?.error { throw InputError(description: error) }
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
    /// restored with skb_push and pulled back after) and `skb->len` bytes,
    /// with the skb's VLAN tag (`vlan_tci`) re-inserted after the MAC addresses.
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
        var bytes = try Self.frame(sim: sim, skb: skb, capturedLength: capturedLength, pseudoHeader: pseudoHeader)
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

    /// The record's bytes for `skb` (see `write`): the pseudo-header, the
    /// pulled link header and `skb->len` bytes, the VLAN tag re-inserted,
    /// cut to `capturedLength`. Shared by the pcap and pcapng writers.
    static func frame(sim: SkbSim, skb: SkbID, capturedLength: Int?, pseudoHeader: [UInt8]) throws -> [UInt8] {
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
        if pseudoHeader.isEmpty && s.vlanTagPresent && linkHeader >= 12 {
            // The tag the NIC or skb_vlan_untag took out, put back after the
            // MAC addresses as libpcap does from PACKET_AUXDATA.
            bytes.insert(
                contentsOf: [
                    UInt8(s.vlanProto >> 8), UInt8(s.vlanProto & 0xFF), UInt8(s.vlanTCI >> 8), UInt8(s.vlanTCI & 0xFF),
                ], at: 12)
        }
        if let capturedLength, capturedLength < bytes.count { bytes.removeLast(bytes.count - capturedLength) }
        return bytes
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
