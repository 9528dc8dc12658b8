import Foundation

/// Per-slice paired differences (candidate − baseline) with their intervals, one row per slice,
/// a vertical line at 0 and, for a gate, at the allowed drop.
public struct ForestPlot: Sendable {
    public struct Row: Sendable, Equatable {
        public var label: String
        public var difference: Double?
        public var low: Double?
        public var high: Double?
        /// Drawn in the colour of its verdict: better, worse, or neither.
        public var verdict: String

        public init(label: String, difference: Double?, low: Double?, high: Double?, verdict: String) {
            self.label = label; self.difference = difference; self.low = low; self.high = high; self.verdict = verdict
        }
    }

    public var title: String
    public var xLabel: String
    public var rows: [Row]
    /// Extra vertical reference lines (e.g. −max drop).
    public var references: [Double]

    public init(title: String, xLabel: String, rows: [Row], references: [Double] = []) {
        self.title = title; self.xLabel = xLabel; self.rows = rows; self.references = references
    }

    static let colours: [String: Int] = ["better": 0x1A9850, "worse": 0xD73027]
    /// Longest row label shown (a slice name and its n); longer ones end in `…`.
    static let labelLimit = 80

    public func script(output: String) -> String {
        // Top row first: y counts down.
        let data = rows.enumerated().map { index, row -> String in
            let y = rows.count - index
            let d = row.difference.map { String($0) } ?? "NaN"
            let colour = Self.colours[row.verdict] ?? 0x555555
            return "\(y) \(d) \(row.low.map { String($0) } ?? d) \(row.high.map { String($0) } ?? d) \(colour) \(GnuplotText.dataField(GnuplotText.clipped(row.label, to: Self.labelLimit)))"
        }
        let values = rows.flatMap { [$0.low, $0.high, $0.difference].compactMap { $0 } } + references + [0]
        let span = max(0.02, (values.max() ?? 0) - (values.min() ?? 0))
        let lo = (values.min() ?? 0) - 0.08 * span, hi = (values.max() ?? 0) + 0.08 * span
        let longest = min(Self.labelLimit, rows.map(\.label.count).max() ?? 10)
        let lines = ([0] + references).map { "set arrow from \($0), graph 0 to \($0), graph 1 nohead lc rgb '#888888' dt 2" }
        return """
        \(Gnuplot.pngTerminal(width: 700 + 7 * longest, height: 140 + 26 * max(1, rows.count), font: "DejaVu Sans,10"))
        set output \(output.gnuplotQuoted)
        $rows << EOD
        \(data.joined(separator: "\n"))
        EOD
        set title \(title.gnuplotQuoted) font ',11'
        set xlabel \(xLabel.gnuplotQuoted)
        set xrange [\(lo):\(hi)]
        set yrange [0.3:\(Double(rows.count) + 0.7)]
        set ytics () scale 0
        set lmargin \(max(12, longest + 2))
        set grid xtics lc rgb '#eeeeee'
        set datafile missing 'NaN'
        \(lines.joined(separator: "\n"))
        plot $rows using 2:1:3:4:5:ytic(6) with xerrorbars pt 7 ps 1.1 lc rgb variable notitle
        """
    }

    public func render(to url: URL, gnuplot: some GnuplotRunner) throws {
        try Gnuplot.draw(to: url, with: gnuplot) { script(output: $0) }
    }
}
