import Foundation

/// A metric of variants on one slice across stored runs, oldest first: a line per variant with
/// its interval as a shaded band.
public struct HistoryChart: Sendable {
    public struct Point: Sendable, Equatable {
        public var run: Int
        public var variant: String
        public var accuracy: Double
        public var ciLow: Double?
        public var ciHigh: Double?
        public var n: Int
        /// The x-axis label of the point's run (default: its number).
        public var tick: String?
        /// Not comparable with the latest run (its slice defined otherwise, another dataset
        /// file): ringed in red, as `history` flags it in its table.
        public var flagged: Bool

        public init(run: Int, variant: String, accuracy: Double, ciLow: Double?, ciHigh: Double?, n: Int, tick: String? = nil, flagged: Bool = false) {
            self.tick = tick
            self.flagged = flagged
            self.run = run
            self.variant = variant
            self.accuracy = accuracy
            self.ciLow = ciLow
            self.ciHigh = ciHigh
            self.n = n
        }
    }

    public var title: String
    public var points: [Point]
    public var yLabel: String
    /// Fix the y axis to [0, 1.05] (for proportions); otherwise it fits the data.
    public var unitRange: Bool

    public init(title: String, points: [Point], yLabel: String = "accuracy (95% Wilson interval)", unitRange: Bool = true) {
        self.title = title
        self.points = points
        self.yLabel = yLabel
        self.unitRange = unitRange
    }

    public func script(output: String) -> String {
        let variants = points.map(\.variant).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let runs = Set(points.map(\.run)).sorted()
        var blocks = ""
        var plots: [String] = []
        for (v, variant) in variants.enumerated() {
            let rows = points.filter { $0.variant == variant }.sorted { $0.run < $1.run }.map { p in
                "\(p.run) \(p.accuracy) \(p.ciLow ?? p.accuracy) \(p.ciHigh ?? p.accuracy)"
            }
            blocks += "$v\(v) << EOD\n\(rows.joined(separator: "\n"))\nEOD\n"
            let color = SliceAccuracyChart.palette[v % SliceAccuracyChart.palette.count].gnuplotQuoted
            plots.append("$v\(v) using 1:3:4 with filledcurves fs transparent solid 0.18 noborder lc rgb \(color) notitle")
            plots.append("$v\(v) using 1:2 with linespoints lw 2 pt 7 lc rgb \(color) title \(GnuplotText.clipped(variant).gnuplotQuoted)")
        }
        let flagged = points.filter(\.flagged).map { "\($0.run) \($0.accuracy)" }
        if !flagged.isEmpty {
            blocks += "$flagged << EOD\n\(flagged.joined(separator: "\n"))\nEOD\n"
            plots.append("$flagged using 1:2 with points pt 6 ps 2.4 lw 2 lc rgb '#d62728' title 'not comparable with the latest run (see the table)'")
        }
        let low = (runs.first ?? 1) - 1, high = (runs.last ?? 1) + 1
        let labelled = Dictionary(points.compactMap { p in p.tick.map { (p.run, $0) } }, uniquingKeysWith: { a, _ in a })
        let ticks = labelled.isEmpty ? "set xtics 1"
            : "set xtics (" + runs.map { "\((labelled[$0] ?? String($0)).gnuplotQuoted) \($0)" }.joined(separator: ", ") + ") rotate by -30"
        return """
        \(Gnuplot.pngTerminal(width: 900, height: 520, font: "DejaVu Sans,10"))
        set output \(output.gnuplotQuoted)
        \(blocks)set title \(title.gnuplotQuoted) font ',12'
        set xrange [\(low):\(high)]
        \(ticks)
        \(unitRange ? "set yrange [0:1.05]" : "set autoscale y")
        set xlabel 'run'
        set ylabel \(yLabel.gnuplotQuoted)
        set grid lc rgb '#e0e0e0'
        set key bottom right
        plot \(plots.isEmpty ? "NaN notitle" : plots.joined(separator: ", \\\n     "))
        """
    }

    public func render(to url: URL, gnuplot: some GnuplotRunner) throws {
        try Gnuplot.draw(to: url, with: gnuplot) { script(output: $0) }
    }
}
