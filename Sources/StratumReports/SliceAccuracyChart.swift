import Foundation

/// Accuracy per slice for every variant, with 95% Wilson interval bars and n on the axis.
public struct SliceAccuracyChart: Sendable {
    public var title: String
    /// Slice names in drawing order with their sizes.
    public var slices: [(name: String, n: Int)]
    /// One entry per variant: its scores by slice name.
    public var variants: [(name: String, scores: [String: SliceScore])]

    public init(title: String, slices: [(name: String, n: Int)], variants: [(name: String, scores: [String: SliceScore])]) {
        self.title = title
        self.slices = slices
        self.variants = variants
    }

    /// Built from a run: charted slices, completed variants.
    public init(_ data: RunReportData) {
        let charted = data.chartedSlices
        let sizes = Dictionary(data.variants.flatMap(\.scores).map { ($0.slice, $0.n) }, uniquingKeysWith: { a, _ in a })
        self.init(
            title: "\(data.experiment) run \(data.runNumber): accuracy by slice (bars: 95% Wilson interval)",
            slices: charted.map { ($0.name, sizes[$0.name] ?? $0.memberCount) },
            variants: data.variants.filter(\.completed).map { variant in
                (variant.name, Dictionary(variant.scores.map { ($0.slice, $0) }, uniquingKeysWith: { a, _ in a }))
            })
    }

    public var size: (width: Int, height: Int) {
        (max(900, 110 + slices.count * max(42, 18 * variants.count + 16)), 620)
    }

    public func script(output: String) -> String {
        var rows: [String] = []
        for (index, slice) in slices.enumerated() {
            var columns = ["\(index)", GnuplotText.dataField("\(GnuplotText.clipped(slice.name)) (n=\(slice.n))")]
            for variant in variants {
                if let score = variant.scores[slice.name], let accuracy = score.accuracy {
                    columns += [String(accuracy), String(score.ciLow ?? accuracy), String(score.ciHigh ?? accuracy)]
                } else {
                    columns += ["NaN", "NaN", "NaN"]
                }
            }
            rows.append(columns.joined(separator: " "))
        }
        let plots = variants.enumerated().map { v, variant in
            let base = 3 + v * 3
            let first = v == 0 ? "$slices using \(base):\(base + 1):\(base + 2):xtic(2)" : "'' using \(base):\(base + 1):\(base + 2)"
            return "\(first) title \(GnuplotText.clipped(variant.name).gnuplotQuoted) linecolor rgb \(Self.palette[v % Self.palette.count].gnuplotQuoted)"
        }
        let (width, height) = size
        return """
        \(Gnuplot.pngTerminal(width: width, height: height, font: "DejaVu Sans,10"))
        set output \(output.gnuplotQuoted)
        $slices << EOD
        \(rows.joined(separator: "\n"))
        EOD
        set title \(title.gnuplotQuoted) font ',13'
        set style data histogram
        set style histogram errorbars gap 1 lw 1.2
        set style fill solid 0.85 border -1
        set boxwidth 0.9
        set yrange [0:1.05]
        set ytics 0.1
        set grid ytics lc rgb '#dddddd'
        set ylabel 'accuracy'
        set xtics rotate by -40 scale 0 font ',9'
        set bmargin 12
        set rmargin 14
        set key outside top center horizontal
        set datafile missing 'NaN'
        plot \(plots.isEmpty ? "NaN notitle" : plots.joined(separator: ", \\\n     "))
        """
    }

    public func render(to url: URL, gnuplot: some GnuplotRunner) throws {
        try Gnuplot.draw(to: url, with: gnuplot) { script(output: $0) }
    }

    static let palette = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#9d755d"]
}
