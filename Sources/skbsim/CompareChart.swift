import Release

#if canImport(Glibc)
    import Glibc
#endif

/// The SVG chart of `compare --svg`: simulated memory in use (MiB, the peak
/// of each time bucket) over capture time in the upper panel, page_frag
/// refills so far in the lower one; one line per configuration, each with
/// its own colour and dash pattern (identical lines stay visible), axes with
/// units, and a legend. 800 px wide. The text is a pure function of the
/// timelines, so equal runs give byte-identical files.
enum CompareChart {
    static let width = 800.0
    static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
    static let dashes = ["", "9 4", "3 3", "12 4 3 4"]

    static func svg(_ series: [(name: String, timeline: RunTimeline)], title: String) -> String {
        let left = 90.0
        let right = width - 20
        let plotWidth = right - left
        let memoryTop = 60.0
        let memoryBottom = 300.0
        let refillTop = 350.0
        let refillBottom = 500.0
        let legendTop = 560.0
        let perRow = 3
        let legendRows = (series.count + perRow - 1) / perRow
        let height = legendTop + Double(legendRows) * 22 + 12

        let spanNs = max(1, series.map { $0.timeline.spanNanoseconds }.max() ?? 1)
        let (timeUnit, timeDivisor) = unit(forNanoseconds: spanNs)
        let span = Double(spanNs) / timeDivisor
        let mib = 1024.0 * 1024.0
        let memoryMax = max(
            1.0 / 1024, Double(series.flatMap { $0.timeline.points.map(\.memoryBytes) }.max() ?? 0) / mib)
        let refillMax = max(1.0, Double(series.flatMap { $0.timeline.points.map(\.pageFragRefills) }.max() ?? 0))
        let memoryTicks = ticks(upTo: memoryMax)
        let refillTicks = ticks(upTo: refillMax, integer: true)
        let timeTicks = ticks(upTo: span, target: 8)
        let memoryScale = memoryTicks.last ?? memoryMax
        let refillScale = refillTicks.last ?? refillMax
        let timeScale = max(span, timeTicks.last ?? span)

        var s = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(n(width))" height="\(n(height))" viewBox="0 0 \(n(width)) \(n(height))" font-family="sans-serif" font-size="13">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(n(left))" y="30" font-size="16" font-weight="bold">\(escape(title))</text>

            """
        func x(_ t: Double) -> Double { left + t / timeScale * plotWidth }
        func panel(top: Double, bottom: Double, ticks: [Double], scale: Double, label: String) {
            s += "<g stroke=\"#ccc\" stroke-width=\"1\">\n"
            for v in ticks {
                let y = bottom - v / scale * (bottom - top)
                s += "<line x1=\"\(n(left))\" y1=\"\(n(y))\" x2=\"\(n(right))\" y2=\"\(n(y))\"/>\n"
            }
            for t in timeTicks {
                s += "<line x1=\"\(n(x(t)))\" y1=\"\(n(top))\" x2=\"\(n(x(t)))\" y2=\"\(n(bottom))\"/>\n"
            }
            s += "</g>\n"
            s +=
                "<rect x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(plotWidth))\" height=\"\(n(bottom - top))\" fill=\"none\" stroke=\"#333\"/>\n"
            for v in ticks {
                let y = bottom - v / scale * (bottom - top)
                s += "<text x=\"\(n(left - 6))\" y=\"\(n(y + 4))\" text-anchor=\"end\">\(n(v))</text>\n"
            }
            for t in timeTicks {
                s += "<text x=\"\(n(x(t)))\" y=\"\(n(bottom + 16))\" text-anchor=\"middle\">\(n(t))</text>\n"
            }
            let mid = (top + bottom) / 2
            s +=
                "<text x=\"18\" y=\"\(n(mid))\" text-anchor=\"middle\" transform=\"rotate(-90 18 \(n(mid)))\">\(escape(label))</text>\n"
        }
        panel(
            top: memoryTop, bottom: memoryBottom, ticks: memoryTicks, scale: memoryScale,
            label: "simulated memory in use (MiB)")
        panel(
            top: refillTop, bottom: refillBottom, ticks: refillTicks, scale: refillScale,
            label: "page refills")
        s +=
            "<text x=\"\(n(left + plotWidth / 2))\" y=\"\(n(refillBottom + 36))\" text-anchor=\"middle\">capture time (\(timeUnit)) — memory: peak per interval; refills: pages the page_frag caches and the rx ring took so far</text>\n"

        for (i, item) in series.enumerated() {
            let t = item.timeline
            let width = Double(t.bucketNanoseconds) / timeDivisor
            var memory: [String] = []
            var refills: [String] = []
            for p in t.points {
                let start = Double(p.offsetNanoseconds) / timeDivisor
                let ym = memoryBottom - Double(p.memoryBytes) / mib / memoryScale * (memoryBottom - memoryTop)
                let yr = refillBottom - Double(p.pageFragRefills) / refillScale * (refillBottom - refillTop)
                memory.append("\(n(x(start))),\(n(ym)) \(n(x(start + width))),\(n(ym))")
                refills.append("\(n(x(start))),\(n(yr)) \(n(x(start + width))),\(n(yr))")
            }
            let style = lineStyle(i)
            s += "<polyline fill=\"none\" \(style) points=\"\(memory.joined(separator: " "))\"/>\n"
            s += "<polyline fill=\"none\" \(style) points=\"\(refills.joined(separator: " "))\"/>\n"
        }
        for (i, item) in series.enumerated() {
            let lx = left + Double(i % perRow) * (plotWidth / Double(perRow))
            let ly = legendTop + Double(i / perRow) * 22
            s += "<line x1=\"\(n(lx))\" y1=\"\(n(ly))\" x2=\"\(n(lx + 30))\" y2=\"\(n(ly))\" \(lineStyle(i))/>\n"
            s += "<text x=\"\(n(lx + 38))\" y=\"\(n(ly + 4))\">\(escape(item.name))</text>\n"
        }
        s += "</svg>\n"
        return s
    }

    static func lineStyle(_ i: Int) -> String {
        let dash = dashes[(i / colors.count + i) % dashes.count]
        return "stroke=\"\(colors[i % colors.count])\" stroke-width=\"2\""
            + (dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\"")
    }

    /// The time unit that keeps the axis numbers readable.
    static func unit(forNanoseconds span: Int64) -> (String, Double) {
        if span >= 10_000_000_000 { return ("s", 1e9) }
        if span >= 10_000_000 { return ("ms", 1e6) }
        return ("µs", 1e3)
    }

    /// 0 and multiples of a 1-2-5 step (about `target` of them; whole
    /// numbers for counts) up to the first at or above `maximum`.
    static func ticks(upTo maximum: Double, target: Double = 5, integer: Bool = false) -> [Double] {
        guard maximum > 0 else { return [0, 1] }
        let raw = maximum / target
        let magnitude = pow(10, floor(log10(raw)))
        var step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        if integer { step = max(1, step.rounded(.up)) }
        var out: [Double] = [0]
        var v = 0.0
        while v < maximum * (1 - 1e-9) {
            v += step
            out.append((v / step).rounded() * step)
        }
        return out
    }

    /// A coordinate or label: at most 3 decimals, no trailing zeros.
    static func n(_ v: Double) -> String {
        let thousandths = Int((v * 1000).rounded())
        let sign = thousandths < 0 ? "-" : ""
        let a = abs(thousandths)
        var fraction = a % 1000 == 0 ? "" : String(String(a % 1000 + 1000).dropFirst())
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return sign + String(a / 1000) + (fraction.isEmpty ? "" : "." + fraction)
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(ch)
            }
        }
        return out
    }
}
