import Foundation

/// Accuracy of variants on one slice across the stored runs of an experiment, oldest first.
public struct HistoryChart: Sendable {
    public struct Point: Sendable, Equatable {
        public var run: Int
        public var variant: String
        public var accuracy: Double
        public var ciLow: Double?
        public var ciHigh: Double?
        public var n: Int

        public init(run: Int, variant: String, accuracy: Double, ciLow: Double?, ciHigh: Double?, n: Int) {
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

    public init(title: String, points: [Point]) {
        self.title = title
        self.points = points
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
            plots.append("$v\(v) using 1:2:3:4 with yerrorlines lw 2 pt 7 lc rgb \(color) title \(variant.gnuplotQuoted)")
        }
        let low = (runs.first ?? 1) - 1, high = (runs.last ?? 1) + 1
        return """
        set terminal pngcairo size 900,520 noenhanced font 'DejaVu Sans,10'
        set output \(output.gnuplotQuoted)
        \(blocks)set title \(title.gnuplotQuoted) font ',12'
        set xrange [\(low):\(high)]
        set xtics 1
        set yrange [0:1.05]
        set xlabel 'run'
        set ylabel 'accuracy (95% Wilson interval)'
        set grid lc rgb '#e0e0e0'
        set key bottom right
        plot \(plots.isEmpty ? "NaN notitle" : plots.joined(separator: ", \\\n     "))
        """
    }

    public func render(to url: URL, gnuplot: Gnuplot) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try gnuplot.run(script(output: url.path))
    }
}
