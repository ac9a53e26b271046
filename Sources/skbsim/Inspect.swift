import ArgumentParser
import Capture
import Release
import SkbModel
import Trace

#if canImport(Glibc)
    import Glibc
#endif

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
        // Everything goes through one buffered output, in order: the
        // packet lines, the skb lines and the events (formatted straight
        // into the buffer, no per-line String).
        let out = TraceOutput(fileDescriptor: 1)
        defer { out.close() }
        let flushEachPacket = print.lineBuffered || Diagnostics.standardOutputIsPipe
        let events = PacketEventBuffer(output: out, timestamps: print.makeFormatter())
        var times = print.makeFormatter()
        // skb lines written for the current packet (observe writes them
        // straight out, right after the packet's line).
        var skbLinesWritten = 0
        var endOfCapture = false
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
                skbLinesWritten = 0
                let headers = HeaderDecoder.decode(packet.bytes, linkType: linkType)
                out.writeLine(line(packet, headers, linkType, &times))
            },
            after: { packet in
                if skbLinesWritten == 0 {
                    if !modelled {
                        out.writeLine("    skb: none (not modelled: link type \(linkTypeName))")
                    } else if let skipped = packetRun?.notModelledCounts.first(where: { now in
                        now.count > (skippedBefore.first { $0.what == now.what }?.count ?? 0)
                    }) {
                        out.writeLine("    skb: none (not modelled: \(skipped.what))")
                    } else if let packetRun, packetRun.driver.statistics.rxDropped > noMemBefore {
                        out.writeLine(
                            "    skb: none (allocation failed: the driver counted rx_dropped, no drop tracepoint)")
                    } else if simulation.gro {
                        out.writeLine("    skb: " + events.groFate(ofPacket: packet.index))
                    }
                }
                if let cut, skbLinesWritten > 0 {
                    out.writeLine(
                        simulation.buildLength == .wire
                            ? "    uncaptured: bytes \(cut.captured)…\(cut.wire - 1) of the frame (\(cut.wire - cut.captured) bytes past the snapshot length) are not the packet's: filled with 0x\(String(UncapturedBytes.fill, radix: 16))"
                            : "    uncaptured: \(cut.wire - cut.captured) of \(cut.wire) bytes not captured; the skb holds the \(cut.captured) captured (--length captured)"
                    )
                }
                out.writeLine("    events:")
                events.render()
                // What the end of the capture delivers belongs to no packet.
                currentPacket = -1
                if flushEachPacket { out.flush() }
            },
            observe: { sim, skb in
                // Every skb netif_receive_skb gets while this packet is processed:
                // normally the packet's own; with --gro a super-packet, or skbs
                // GRO held since an earlier packet; after the last packet, what
                // the final napi_gro_flush sends up.
                let s = try sim.skb(skb)
                if currentPacket < 0 && !endOfCapture {
                    endOfCapture = true
                    out.writeLine("end of capture:")
                }
                if Int(s.packet) != currentPacket {
                    let segs = try sim.shinfo(skb).gsoSegs
                    out.writeLine(
                        "    skb of packet \(Int(s.packet) + 1) (GRO, \(max(Int(segs), 1)) segment(s)), delivered now:")
                }
                InspectLine.writeSkbLines(try SkbLayout(sim: sim, skb: skb), to: out, indent: "    ")
                skbLinesWritten += 1
            })
        // The end of the capture: GRO's final flush (napi_gro_flush) sent up
        // what it still held (written above), then the socket was drained.
        if endOfCapture || events.hasEvents {
            if !endOfCapture { out.writeLine("end of capture:") }
            out.writeLine("    events:")
            events.render()
        }
        out.close()
        if out.writeError != 0 {
            throw InputError(description: "standard output: write failed: \(String(cString: strerror(out.writeError)))")
        }
        try summary.conclude(check: true)
    }
}

/// Buffers one packet's events; `render` formats them with Trace's
/// `TextEventSink` straight into the command's output (one sink for the
/// whole run, so relative times run on), each line indented, and starts
/// the next packet afresh. It also remembers which packet each held GRO
/// skb belongs to, to say where a merged packet went.
final class PacketEventBuffer: EventSink {
    private var events: [SkbEvent] = []
    private let text: TextEventSink
    /// Pool slot of a held GRO skb → its tracking id.
    private var heldTrack: [UInt32: UInt32] = [:]

    init(output: TraceOutput, timestamps: TimestampFormatter) {
        text = TextEventSink(output: output, timeFormat: .timeOfDay, timestamps: timestamps)
        text.linePrefix = "      "
    }

    var hasEvents: Bool { !events.isEmpty }
    /// One packet's skb events: the memory counters are `trace`'s.
    var wantsCounters: Bool { false }

    func receive(_ event: SkbEvent) {
        if event.kind == .groHold { heldTrack[event.skb] = event.track }
        events.append(event)
    }

    func render() {
        for e in events { text.receive(e) }
        events.removeAll(keepingCapacity: true)
    }

    /// What GRO did with packet `index` (0-based), from its buffered events:
    /// held, or merged into the skb of packet N at a position.
    func groFate(ofPacket index: Int) -> String {
        let track = UInt32(index + 1)
        if let merge = events.last(where: { $0.kind == .groMerge && $0.track == track }) {
            let into =
                heldTrack[UInt32(truncatingIfNeeded: merge.arg0)].map { "the skb of packet \($0)" } ?? "a held skb"
            let how = SkbEventEnum.strategy.name(of: merge.arg1)?.description ?? "\(merge.arg1)"
            let place = merge.arg1 == 2 ? "frag_list member \(merge.arg2)" : "frag \(merge.arg2)"
            return "merged by GRO into \(into) (\(how), \(place)), delivered with it"
        }
        if events.contains(where: { $0.kind == .groHold && $0.track == track }) {
            return "held by GRO (delivered later)"
        }
        return "held or merged by GRO (delivered later)"
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

    /// `skbLines`, each line after `indent`, formatted straight into `out`
    /// (no String per line for the common lines: `inspect --skb` writes
    /// them for every packet).
    static func writeSkbLines(_ layout: SkbLayout, to out: TraceOutput, indent: StaticString) {
        out.write(indent)
        out.write("skb: head ")
        switch layout.headKind {
        case .pageFrag:
            out.write("page_frag (")
            out.write(layout.cache ?? "?")
            out.write(", order-")
            out.writeDecimal(layout.order ?? 0)
            out.write(" page)")
        case .smallHeadCache:
            out.write("small-head cache (")
            out.write(layout.cache ?? "skbuff_small_head")
            out.write(")")
        case .kmalloc, .kmallocLarge:
            out.write(layout.headDescription)
        }
        out.write(", ")
        out.writeDecimal(layout.headSize)
        out.write(" bytes; len ")
        out.writeDecimal(layout.len)
        out.write(" data_len ")
        out.writeDecimal(layout.dataLen)
        out.write(" truesize ")
        out.writeDecimal(layout.truesize)
        out.write("\n")
        if layout.vlan != nil {
            // Rare: the String form.
            let vlan = skbLines(layout)[1]
            out.write(indent)
            out.writeLine(vlan)
        }
        out.write(indent)
        out.write("layout: headroom ")
        out.writeDecimal(layout.headroom)
        out.write(" | linear ")
        out.writeDecimal(layout.linear)
        out.write(layout.dataLen == 0 ? " | tailroom " : " | unused ")
        out.writeDecimal(layout.unused)
        out.write(" | skb_shared_info ")
        out.writeDecimal(layout.shinfoSize)
        if !layout.frags.isEmpty {
            out.write(" + frags ")
            out.writeDecimal(layout.frags.count)
            out.write(" (")
            out.writeDecimal(layout.frags.reduce(0) { $0 + $1.size })
            out.write(" bytes)")
        }
        if !layout.fragList.isEmpty {
            out.write(" + frag_list ")
            out.writeDecimal(layout.fragList.count)
            out.write(" skb (")
            out.writeDecimal(layout.fragList.reduce(0) { $0 + $1.len })
            out.write(" bytes)")
        }
        out.write("\n")
        if layout.frags.isEmpty {
            out.write(indent)
            out.write("frags: none\n")
        } else {
            out.write(indent)
            out.write("frags: ")
            out.writeDecimal(layout.frags.count)
            out.write("\n")
            for (i, f) in layout.frags.enumerated() {
                out.write(indent)
                out.write("  frag ")
                out.writeDecimal(i)
                out.write(": ")
                out.writeLine(layout.fragsLine(f))
            }
        }
        out.write(indent)
        if layout.fragList.isEmpty {
            out.write("frag_list: none\n")
        } else {
            out.writeLine(skbLines(layout).first { $0.hasPrefix("frag_list: ") } ?? "frag_list:")
        }
        out.write(indent)
        out.write("ip_summed: ")
        out.writeLine(layout.checksumDescription)
    }

    static func offset(_ value: Int?) -> String { value.map(String.init) ?? "~0" }

    static func hex4(_ value: UInt16) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }
}
