import ArgumentParser
import Capture
import KernelMemory
import Release
import SkbModel

/// `skbsim pagemap`: an SVG of every page the page_frag caches used.
struct PageMap: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pagemap",
        abstract: "Draw every page_frag page the run used, with each skb buffer on it, as SVG.",
        usage: CaptureOptions.usage("pagemap", "-o FILE [--max-pages N] [model options] "),
        discussion: """
            Each page a page_frag cache (netdev_alloc_cache, napi_alloc_cache) handed \
            out, and each page of the driver's rx ring (build-skb, sg-copybreak), \
            becomes a horizontal bar (32 KiB order-3, 8 KiB order-1 or 4 KiB order-0, \
            to scale); every skb head or frag placed on it is a box at its offset, coloured \
            by flow. Solid boxes were still allocated at the end of the run, pale ones \
            were freed; hatched stretches were never held by an skb (alignment, the \
            tail a cache left behind, buffers a driver copied out and recycled). A page \
            the cache reused in place gets a new bar.

            Examples:
              skbsim pagemap -o map.svg samples/tcp-bulk.pcap
              skbsim pagemap -o map.svg --rx-path build-skb -r samples/jumbo-9000.pcap
              skbsim pagemap -o - --max-pages 50 samples/tcp-bulk.pcap 'tcp port 443' > map.svg
            """
    )

    @Option(
        name: .customShort("o"),
        help: ArgumentHelp("Write the SVG to FILE ('-' for standard output).", valueName: "FILE"))
    var output: String

    @Option(
        name: .customLong("max-pages"),
        help: ArgumentHelp("Draw at most N page bars (1…10000); the rest are counted in the picture.", valueName: "N"))
    var maxPages: Int = 400

    @OptionGroup var simulation: SimulationOptions
    @OptionGroup var capture: CaptureOptions

    func validate() throws {
        guard (1...10_000).contains(maxPages) else {
            throw ValidationError("--max-pages must be between 1 and 10000, got \(maxPages)")
        }
    }

    func run() throws {
        var recorder: PageMapRecorder?
        var liveAtEnd: Set<UInt64> = []
        // Flows of the packets whose skb may still come up (GRO holds it);
        // forgotten whenever GRO holds nothing.
        var flows: [Int: FlowKey] = [:]
        var held: (() -> Int)?
        let summary = try CaptureRun.run(
            capture: capture, options: simulation.runOptions(),
            opened: { _, run in
                recorder = PageMapRecorder(sim: run.sim)
                let napi = run.napi
                held = { napi.gro.heldCount }
            },
            before: { packet, linkType in
                if let flow = HeaderDecoder.decode(packet.bytes, linkType: linkType).flow { flows[packet.index] = flow }
            },
            after: { _ in
                if held?() == 0 { flows.removeAll(keepingCapacity: true) }
            },
            observe: { sim, skb in
                let packet = Int(try sim.skb(skb).packet)
                try recorder?.record(skb: skb, packet: packet, flow: flows[packet])
            },
            beforeDrain: { sim in
                // Whatever page_frag memory is still allocated before the caches
                // are drained: the model's own account of live fragments.
                for object in sim.memory.leakReport().objects where object.owner.hasPrefix("page_frag:") {
                    liveAtEnd.insert(object.address.raw)
                }
            })
        guard let recorder else { return try summary.conclude(check: true) }
        recorder.finish(liveAtEnd: liveAtEnd)
        let title =
            "\(capture.path == "-" ? "stdin" : capture.path): \(summary.packets) packets on \(simulation.rxPath.rawValue)"
            + (simulation.gro ? " with GRO" : "")
            + (summary.readError.map {
                " (the capture ends early, at packet \(($0.packetIndex ?? 0) + 1): \($0.message))"
            } ?? "")
        let svg = PageMapSVG(recorder: recorder, title: title, maxPages: maxPages).render()
        try OutputFile.write(svg, to: output)
        try summary.conclude(check: true)
    }
}

/// Collects where each skb buffer sits in its page_frag page, from the skbs
/// the model built (head when `head_frag`, every frag, frag_list members).
/// A page's fragments come in rising offsets (the count-up page_frag
/// algorithm); a fragment below the last one on its page means the cache
/// reused the page in place, which starts a new bar.
final class PageMapRecorder {
    struct Fragment {
        var offset: Int
        var size: Int
        var packet: Int
        var flow: Int
        var address: UInt64
        var live = false
    }

    struct PageUse {
        var cache: String
        var address: UInt64
        var order: Int
        var size: Int
        var firstPacket: Int
        var fragments: [Fragment] = []
        var lastEnd = 0
    }

    let sim: SkbSim
    private(set) var uses: [PageUse] = []
    private var currentUse: [UInt64: Int] = [:]
    private(set) var flows: [String] = []
    private var flowIndex: [FlowKey: Int] = [:]
    private(set) var fragmentCount = 0

    init(sim: SkbSim) { self.sim = sim }

    func flowID(_ flow: FlowKey?) -> Int {
        guard let flow else { return -1 }
        let key = flow.canonical
        if let i = flowIndex[key] { return i }
        flowIndex[key] = flows.count
        flows.append(key.label)
        return flows.count - 1
    }

    func record(skb: SkbID, packet: Int, flow: FlowKey?) throws {
        let f = flowID(flow)
        var cur: SkbID? = skb
        var first = true
        while let c = cur {
            let s = try sim.skb(c)
            if s.headFrag {
                let size = Int(s.end) + sim.config.skbDataAlign(sim.config.sizeofSharedInfo)
                place(s.head.raw, size: size, packet: packet, flow: f)
            }
            let sh = try sim.shinfo(c)
            for frag in sh.frags { place(frag.address.raw, size: Int(frag.size), packet: packet, flow: f) }
            cur = first ? sh.fragList : s.next
            first = false
        }
    }

    private func place(_ address: UInt64, size: Int, packet: Int, flow: Int) {
        let memory = sim.memory
        let addr = KernelAddress(address)
        let pfn = memory.virt_to_head_page(addr)
        let info = memory.page(pfn)
        let cacheName: String
        switch info.owner {
        case .pageFrag(let cache): cacheName = memory.pageFragCacheName(cache)
        case .caller(tag: RxDriver.ringPageTag): cacheName = "rx_ring"
        default: return
        }
        let base = memory.page_address(pfn)
        let offset = addr - base
        var u: Int
        if let existing = currentUse[base.raw], offset >= uses[existing].lastEnd {
            u = existing
        } else {
            uses.append(
                PageUse(
                    cache: cacheName, address: base.raw, order: info.order,
                    size: memory.config.pageSize << info.order, firstPacket: packet))
            u = uses.count - 1
            currentUse[base.raw] = u
        }
        uses[u].fragments.append(Fragment(offset: offset, size: size, packet: packet, flow: flow, address: address))
        uses[u].lastEnd = offset + size
        fragmentCount += 1
    }

    /// Mark the fragments still allocated at the end; a page's live ones are
    /// on its last use.
    func finish(liveAtEnd: Set<UInt64>) {
        for (_, u) in currentUse {
            for k in uses[u].fragments.indices where liveAtEnd.contains(uses[u].fragments[k].address) {
                uses[u].fragments[k].live = true
            }
        }
    }
}

extension FlowKey {
    /// The same key for both directions of a connection.
    var canonical: FlowKey {
        let r = reversed
        let a = (source.high, source.low, sourcePort)
        let b = (r.source.high, r.source.low, r.sourcePort)
        return a <= b ? self : r
    }

    var label: String {
        let proto =
            ipProtocol == 6
            ? "TCP"
            : ipProtocol == 17 ? "UDP" : ipProtocol == 1 ? "ICMP" : ipProtocol == 58 ? "ICMPv6" : "proto \(ipProtocol)"
        return "\(proto) \(FlowKey.text(source)).\(sourcePort) ↔ \(FlowKey.text(destination)).\(destinationPort)"
    }

    static func text(_ a: Address) -> String {
        if a.isIPv4Mapped {
            let v = a.ipv4
            return "\(v >> 24).\(v >> 16 & 0xff).\(v >> 8 & 0xff).\(v & 0xff)"
        }
        let groups =
            (0..<4).map { String(a.high >> (48 - 16 * $0) & 0xffff, radix: 16) }
            + (0..<4).map { String(a.low >> (48 - 16 * $0) & 0xffff, radix: 16) }
        return groups.joined(separator: ":")
    }
}

/// Renders a `PageMapRecorder` as a deterministic SVG document.
struct PageMapSVG {
    let recorder: PageMapRecorder
    let title: String
    let maxPages: Int

    static let palette = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
        "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939",
    ]
    static let noFlow = "#555555"

    static func colour(_ flow: Int) -> String { flow < 0 ? noFlow : palette[flow % palette.count] }

    func render() -> String {
        let uses = recorder.uses
        let shown = Array(uses.prefix(maxPages))
        let maxBytes = max(shown.map(\.size).max() ?? 32768, 4096)
        let labelWidth = 250
        let barWidth = 960
        let left = labelWidth + 10
        let rowHeight = 16
        let gap = 4
        let scale = Double(barWidth) / Double(maxBytes)
        let legendFlows = min(recorder.flows.count, 12)
        let header = 58
        let axisTop = header + 18
        let rowsTop = axisTop + 8
        let rowsHeight = shown.count * (rowHeight + gap)
        let notesTop = rowsTop + rowsHeight + 24
        let legendTop = notesTop + (uses.count > shown.count ? 22 : 0) + 10
        let height = legendTop + 70 + legendFlows * 18 + (recorder.flows.count > legendFlows ? 18 : 0) + 10
        let width = left + barWidth + 30

        var s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        s +=
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" font-family=\"monospace\" font-size=\"11\">\n"
        s += "<title>\(xml("skbsim pagemap — " + title))</title>\n"
        s +=
            "<defs><pattern id=\"unused\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
        s +=
            "<rect width=\"6\" height=\"6\" fill=\"#f4f4f4\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#c8c8c8\" stroke-width=\"2\"/></pattern></defs>\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
        s +=
            "<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">\(xml("page_frag pages — " + title))</text>\n"
        let fragTotal = recorder.fragmentCount
        let live = uses.reduce(0) { $0 + $1.fragments.filter(\.live).count }
        s +=
            "<text x=\"10\" y=\"38\">\(xml("\(uses.count) page uses, \(fragTotal) skb buffers (\(live) live at end); bars to scale, \(maxBytes) bytes = \(barWidth) px"))</text>\n"
        // Byte axis.
        s += "<g class=\"axis\">\n"
        let tick = maxBytes >= 16384 ? 4096 : 1024
        var b = 0
        while b <= maxBytes {
            let x = Double(left) + Double(b) * scale
            s +=
                "<line x1=\"\(f(x))\" y1=\"\(axisTop)\" x2=\"\(f(x))\" y2=\"\(rowsTop + rowsHeight)\" stroke=\"#dddddd\"/>"
            s +=
                "<text x=\"\(f(x))\" y=\"\(axisTop - 4)\" text-anchor=\"middle\">\(b == 0 ? "0" : "\(b / 1024)K")</text>\n"
            b += tick
        }
        s += "</g>\n"
        // Pages.
        for (row, use) in shown.enumerated() {
            let y = rowsTop + row * (rowHeight + gap)
            let w = Double(use.size) * scale
            s +=
                "<g class=\"page\" data-cache=\"\(xml(use.cache))\" data-address=\"0x\(hex(use.address))\" data-order=\"\(use.order)\">"
            s += "<text x=\"10\" y=\"\(y + 12)\">\(xml("\(use.cache) \(hex(use.address)) o\(use.order)"))</text>"
            s +=
                "<rect class=\"bar\" x=\"\(left)\" y=\"\(y)\" width=\"\(f(w))\" height=\"\(rowHeight)\" fill=\"url(#unused)\" stroke=\"#888888\"/>\n"
            for frag in use.fragments {
                let x = Double(left) + Double(frag.offset) * scale
                let fw = max(Double(frag.size) * scale, 0.5)
                let state = frag.live ? "live" : "freed"
                s +=
                    "<rect class=\"frag \(state)\" x=\"\(f(x))\" y=\"\(y + 1)\" width=\"\(f(fw))\" height=\"\(rowHeight - 2)\" "
                s +=
                    "fill=\"\(PageMapSVG.colour(frag.flow))\" fill-opacity=\"\(frag.live ? "0.95" : "0.45")\" stroke=\"\(frag.live ? "#000000" : "#ffffff")\" stroke-width=\"0.5\">"
                s +=
                    "<title>\(xml("packet \(frag.packet), offset \(frag.offset), \(frag.size) bytes, \(state)" + (frag.flow >= 0 ? ", " + recorder.flows[frag.flow] : "")))</title></rect>\n"
            }
            s += "</g>\n"
        }
        if uses.count > shown.count {
            let hidden = uses[shown.count...]
            let frags = hidden.reduce(0) { $0 + $1.fragments.count }
            s +=
                "<text class=\"summary\" x=\"10\" y=\"\(notesTop)\" fill=\"#b00000\">\(xml("… \(hidden.count) more page uses (\(frags) skb buffers) not drawn: raise --max-pages to see them"))</text>\n"
        }
        // Legend.
        var y = legendTop
        s += "<g class=\"legend\">\n<text x=\"10\" y=\"\(y)\" font-weight=\"bold\">Legend</text>\n"
        y += 16
        s +=
            "<rect x=\"10\" y=\"\(y - 10)\" width=\"24\" height=\"12\" fill=\"\(PageMapSVG.palette[0])\" fill-opacity=\"0.95\" stroke=\"#000000\" stroke-width=\"0.5\"/><text x=\"40\" y=\"\(y)\">live at end of run</text>"
        s +=
            "<rect x=\"200\" y=\"\(y - 10)\" width=\"24\" height=\"12\" fill=\"\(PageMapSVG.palette[0])\" fill-opacity=\"0.45\"/><text x=\"230\" y=\"\(y)\">freed</text>"
        s +=
            "<rect x=\"330\" y=\"\(y - 10)\" width=\"24\" height=\"12\" fill=\"url(#unused)\" stroke=\"#888888\"/><text x=\"360\" y=\"\(y)\">never held by an skb (alignment, unused tail, recycled buffers)</text>\n"
        y += 20
        s +=
            "<text x=\"10\" y=\"\(y)\">Colour = flow (both directions); \(xml(PageMapSVG.noFlow)) = no flow (not IP)</text>\n"
        y += 18
        for i in 0..<legendFlows {
            s +=
                "<rect x=\"10\" y=\"\(y - 10)\" width=\"24\" height=\"12\" fill=\"\(PageMapSVG.colour(i))\"/><text x=\"40\" y=\"\(y)\">\(xml(recorder.flows[i]))</text>\n"
            y += 18
        }
        if recorder.flows.count > legendFlows {
            s +=
                "<text x=\"10\" y=\"\(y)\">\(xml("… \(recorder.flows.count - legendFlows) more flows (colours repeat)"))</text>\n"
        }
        s += "</g>\n</svg>\n"
        return s
    }

    func f(_ v: Double) -> String {
        let r = (v * 100).rounded() / 100
        return r == r.rounded() ? String(Int(r)) : String(r)
    }

    func hex(_ v: UInt64) -> String { String(v, radix: 16) }

    /// Escape text for XML content and attribute values.
    func xml(_ text: String) -> String {
        var out = ""
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // Characters XML 1.0 forbids become U+FFFD.
                if c.value < 0x20 && c != "\n" && c != "\t" && c != "\r" {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        return out
    }
}

#if canImport(Glibc)
    import Glibc
#endif

/// Writes a whole text file (or standard output for '-').
enum OutputFile {
    static func write(_ text: String, to path: String) throws {
        let bytes = Array(text.utf8)
        let fd = path == "-" ? 1 : open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw InputError(description: "\(path): cannot create: \(String(cString: strerror(errno)))")
        }
        defer { if path != "-" { close(fd) } }
        var done = 0
        while done < bytes.count {
            let n = bytes[done...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw InputError(description: "\(path): write failed: \(String(cString: strerror(errno)))")
            }
            done += n
        }
    }
}
