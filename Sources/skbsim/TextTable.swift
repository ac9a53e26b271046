/// A plain-text table: a header row, a rule, then rows; the first column
/// left-aligned, the others right-aligned, columns two spaces apart.
/// Widths count Unicode scalars (the cells are ASCII but for Δ).
struct TextTable {
    var header: [String]
    var rows: [[String]] = []

    init(header: [String]) { self.header = header }

    mutating func append(_ row: [String]) { rows.append(row) }

    var text: String {
        let columns = ([header] + rows).map(\.count).max() ?? 0
        var widths = Array(repeating: 0, count: columns)
        for row in [header] + rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.unicodeScalars.count) }
        }
        func line(_ row: [String]) -> String {
            var parts: [String] = []
            for i in 0..<columns {
                let cell = i < row.count ? row[i] : ""
                let pad = String(repeating: " ", count: widths[i] - cell.unicodeScalars.count)
                parts.append(i == 0 ? cell + pad : pad + cell)
            }
            var s = parts.joined(separator: "  ")
            while s.hasSuffix(" ") { s.removeLast() }
            return s
        }
        var out = [line(header), String(repeating: "-", count: widths.reduce(0, +) + 2 * max(0, columns - 1))]
        out += rows.map(line)
        return out.joined(separator: "\n")
    }
}
