import ArgumentParser
import Capture
import Release
import SkbModel
import Trace

/// `skbsim inspect`: one line per packet with its timestamp, lengths, a
/// protocol summary and the header offsets the kernel's receive path sets;
/// with `--skb`, the skb the model built for it and its lifecycle events.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print each packet with the header offsets the kernel would set.",
        usage: CaptureOptions.usage("inspect", "[-e] [-l] [-t...] [--utc] [--skb] [model options] "),
        discussion: """
            With --skb every packet also goes through the model on --rx-path: after \
            its line come the skb's head, its layout line (headroom | linear | \
            tailroom | skb_shared_info), frags, frag_list, truesize, and the \
            packet's lifecycle events from allocation to consume_skb. The skb shown is \
            the one netif_receive_skb gets: with --gro, super-packets as GRO sends \
            them up (docs/cli.md).

            Examples:
              skbsim inspect samples/tcp-handshake.pcap
              skbsim inspect -r samples/vlan.pcap -c 3 'vlan and tcp'
              skbsim inspect - < samples/udp-dns.pcap
              skbsim inspect --skb --rx-path build-skb -c 2 samples/jumbo-9000.pcap
              skbsim inspect --skb --gro --rx-path napi-alloc-skb -c 20 samples/tcp-bulk.pcap
            """
    )

    @Flag(help: "Show each packet's skb layout and lifecycle events (runs the model).")
    var skb = false

    @Flag(name: .customShort("e"), help: "Print the link-level header on each line (tcpdump -e).")
    var linkLevel = false

    @OptionGroup var print: PrintOptions
    @OptionGroup var simulation: SimulationOptions
    @OptionGroup var capture: CaptureOptions

    func run() throws {
        print.configureOutput()
        if skb { return try runWithSkbs() }
        let reader = try capture.openSource(streaming: true)
        Diagnostics.line(Inspect.headerLine(reader))
        var times = print.makeFormatter()
        let linkType = reader.linkType
        try reader.forEachPacket(limit: capture.count) { packet in
            let headers = HeaderDecoder.decode(packet.bytes, linkType: linkType)
            Swift.print(line(packet, headers, linkType, &times))
        }
    }

    func line(
        _ packet: CapturedPacket, _ headers: PacketHeaders, _ linkType: LinkType, _ times: inout TimestampFormatter
    ) -> String {
        InspectLine.format(
            packet: packet, headers: headers, time: times.format(packet.timestampNanoseconds),
            link: linkLevel ? headers.linkSummary(packet.bytes, linkType: linkType, wireLength: packet.wireLength) : "")
    }

    /// tcpdump's first line, on standard error:
    /// `reading from file F, link-type EN10MB (Ethernet), snapshot length 262144`.
    static func headerLine(_ reader: any PacketSource) -> String {
        let name = reader.path == "-" ? "stdin" : reader.path
        let description = reader.linkType.libpcapDescription.map { " (\($0))" } ?? ""
        return
            "reading from file \(name), link-type \(reader.linkTypeName)\(description), snapshot length \(reader.snaplen)"
    }

    func runWithSkbs() throws {
        let events = PacketEventBuffer(timestamps: print.makeFormatter())
        var times = print.makeFormatter()
        var lines: [String] = []
        var currentPacket = -1
        var noMemBefore = 0
        var skippedBefore: [(what: String, count: Int)] = []
        var cut: (captured: Int, wire: Int)?
        var packetRun: PacketRun?
        var modelled = true
        var linkTypeName = ""
        let summary = try CaptureRun.run(
            capture: capture, options: simulation.runOptions(sink: events), progress: false, streaming: true,
            opened: { reader, run in
                packetRun = run
                modelled = reader.linkType.hasReceiveModel
                linkTypeName = reader.linkTypeName
                Diagnostics.line(Inspect.headerLine(reader))
            },
            before: { packet, linkType in
                currentPacket = packet.index
                noMemBefore = packetRun?.driver.statistics.rxDropped ?? 0
                skippedBefore = packetRun?.notModelledCounts ?? []
                cut = packet.captureLength < packet.wireLength ? (packet.captureLength, packet.wireLength) : nil
                let headers = HeaderDecoder.decode(packet.bytes, linkType: linkType)
                Swift.print(line(packet, headers, linkType, &times))
            },
            after: { _ in
                if lines.isEmpty {
                    if !modelled {
                        Swift.print("    skb: none (not modelled: link type \(linkTypeName))")
                    } else if let skipped = packetRun?.notModelledCounts.first(where: { now in
                        now.count > (skippedBefore.first { $0.what == now.what }?.count ?? 0)
                    }) {
                        Swift.print("    skb: none (not modelled: \(skipped.what))")
                    } else if let packetRun, packetRun.driver.statistics.rxDropped > noMemBefore {
                        Swift.print(
                            "    skb: none (allocation failed: the driver counted rx_dropped, no drop tracepoint)")
                    } else if simulation.gro {
                        Swift.print("    skb: held or merged by GRO (delivered later)")
                    }
                }
                for line in lines { Swift.print(line) }
                if let cut, !lines.isEmpty {
                    Swift.print(
                        simulation.buildLength == .wire
                            ? "    uncaptured: bytes \(cut.captured)…\(cut.wire - 1) of the frame (\(cut.wire - cut.captured) bytes past the snapshot length) are not the packet's: filled with 0x\(String(UncapturedBytes.fill, radix: 16))"
                            : "    uncaptured: \(cut.wire - cut.captured) of \(cut.wire) bytes not captured; the skb holds the \(cut.captured) captured (--length captured)"
                    )
                }
                lines.removeAll()
                Swift.print("    events:")
                for line in events.render() { Swift.print("      " + line) }
            },
            observe: { sim, skb in
                // Every skb netif_receive_skb gets while this packet is processed:
                // normally the packet's own; with --gro a super-packet, or skbs
                // GRO held since an earlier packet.
                let s = try sim.skb(skb)
                if Int(s.packet) != currentPacket {
                    let segs = try sim.shinfo(skb).gsoSegs
                    lines.append(
                        "    skb of packet \(Int(s.packet) + 1) (GRO, \(max(Int(segs), 1)) segment(s)), delivered now:")
                }
                for line in InspectLine.skbLines(try SkbLayout(sim: sim, skb: skb)) { lines.append("    " + line) }
            })
        try summary.conclude(check: true)
    }
}

/// Buffers one packet's events; `render` formats them with Trace's
/// `TextEventSink` (one sink for the whole run, so relative times run on)
/// and starts the next packet afresh.
final class PacketEventBuffer: EventSink {
    private var events: [SkbEvent] = []
    private let output = TraceOutput.memory()
    private let text: TextEventSink

    init(timestamps: TimestampFormatter) {
        text = TextEventSink(output: output, timeFormat: .timeOfDay, timestamps: timestamps)
    }

    func receive(_ event: SkbEvent) { events.append(event) }
    /// One packet's skb events: the memory counters are `trace`'s.
    var wantsCounters: Bool { false }

    func render() -> [String] {
        for e in events { text.receive(e) }
        text.finish()
        events.removeAll(keepingCapacity: true)
        return output.takeText().split(separator: "\n").map(String.init)
    }
}

/// Formats `inspect`'s per-packet line. Separate from the command so tests and
/// other subcommands share one format.
enum InspectLine {
    /// `N TIME caplen C len L [LINK]SUMMARY | mac … protocol 0x…`: N is the
    /// packet's number in the file, counted from 1 (tcpdump `-#`,
    /// Wireshark); `time` as `PrintOptions` formats it ("" = none); `link` the
    /// `-e` link-level header.
    static func format(packet: CapturedPacket, headers: PacketHeaders, time: String, link: String = "") -> String {
        var line = "\(packet.index + 1) "
        if !time.isEmpty { line += time + " " }
        line += "caplen \(packet.captureLength) len \(packet.wireLength) "
        line += link
        line += headers.summary(packet.bytes)
        line += " | mac \(offset(headers.macHeader)) network \(offset(headers.networkHeader))"
        line += " transport \(offset(headers.transportHeader))"
        line += " protocol 0x" + hex4(headers.protocolType)
        if let stop = headers.stop { line += " [\(stop)]" }
        // Cut by the snapshot length, marked as tcpdump marks what it could not print.
        if packet.captureLength < packet.wireLength {
            line += " [|\(packet.wireLength - packet.captureLength) of \(packet.wireLength) bytes not captured]"
        }
        return line
    }

    /// The `--skb` lines under a packet's line.
    static func skbLines(_ layout: SkbLayout) -> [String] {
        var lines = [
            "skb: head \(layout.headDescription), \(layout.headSize) bytes; len \(layout.len) data_len \(layout.dataLen) truesize \(layout.truesize)"
        ]
        if let vlan = layout.vlan {
            lines.append(
                "vlan: vlan_proto 0x\(hex4(vlan.proto)) vlan_tci 0x\(hex4(vlan.tci)) (vid \(vlan.tci & 0x0FFF), prio \(vlan.tci >> 13)), not in the skb's data"
            )
        }
        lines.append("layout: " + layout.diagramLine)
        if layout.frags.isEmpty {
            lines.append("frags: none")
        } else {
            lines.append("frags: \(layout.frags.count)")
            for (i, f) in layout.frags.enumerated() { lines.append("  frag \(i): " + layout.fragsLine(f)) }
        }
        if layout.fragList.isEmpty {
            lines.append("frag_list: none")
        } else {
            lines.append(
                "frag_list: "
                    + layout.fragList.map { "sk_buff (len \($0.len), nr_frags \($0.nrFrags), truesize \($0.truesize))" }
                    .joined(separator: " --> "))
        }
        lines.append("ip_summed: " + layout.checksumDescription)
        return lines
    }

    static func offset(_ value: Int?) -> String { value.map(String.init) ?? "~0" }

    static func hex4(_ value: UInt16) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }
}
