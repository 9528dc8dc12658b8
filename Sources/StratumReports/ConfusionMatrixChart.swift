import Foundation
import StratumMetrics

/// A confusion-matrix figure: counts and row-normalised side by side (data only; `script` draws).
///
/// Rows are true labels (top to bottom in label order), columns predicted labels.
public struct ConfusionMatrixChart: Sendable, Equatable {
    public var title: String
    public var matrix: ConfusionMatrix

    public init(title: String, matrix: ConfusionMatrix) {
        self.title = title
        self.matrix = matrix
    }

    /// Pixel size of the PNG.
    public var size: (width: Int, height: Int) {
        // 360 × 160 pixels a class, closer together past 10 classes (a 120-class matrix would
        // be 43,600 pixels wide): the two panels stay within ~4,000 pixels.
        let k = max(1, matrix.labels.count), cell = max(8, min(360, 3_600 / k))
        return (max(1000, cell * k + 400), max(480, cell * 4 / 9 * k + 240))
    }

    /// The gnuplot script that writes the PNG to `output` (pngcairo).
    public func script(output: String) -> String {
        let labels = matrix.labels, k = labels.count
        let counts = matrix.counts.map { $0.map(String.init).joined(separator: " ") }.joined(separator: "\n")
        let normalized = matrix.rowNormalized.map { $0.map { String(format: "%.6f", $0) }.joined(separator: " ") }.joined(separator: "\n")
        let tics = labels.enumerated().map { "\(GnuplotText.clipped($1, to: 30).gnuplotQuoted) \($0)" }.joined(separator: ", ")
        let maxCount = max(1, matrix.counts.joined().max() ?? 1)
        let (width, height) = size
        return """
        \(Gnuplot.pngTerminal(width: width, height: height, font: "DejaVu Sans,12"))
        set output \(output.gnuplotQuoted)
        $counts << EOD
        \(counts)
        EOD
        $normalized << EOD
        \(normalized)
        EOD
        set multiplot layout 1,2 title \(title.gnuplotQuoted) font ',14'
        set size ratio -1
        set xrange [-0.5:\(k) - 0.5]
        set yrange [\(k) - 0.5:-0.5]
        set xtics (\(tics)) scale 0
        set ytics (\(tics)) scale 0
        set xlabel 'predicted label'
        set ylabel 'true label'
        set palette defined (0 '#ffffff', 1 '#6aaed6', 2 '#2b7bba')
        set title 'counts'
        set cbrange [0:\(maxCount)]
        plot $counts matrix with image notitle, $counts matrix using 1:2:(sprintf('%d', $3)) with labels font ',16' notitle
        set title 'row-normalised (recall per true label)'
        set cbrange [0:1]
        plot $normalized matrix with image notitle, $normalized matrix using 1:2:(sprintf('%.2f', $3)) with labels font ',16' notitle
        unset multiplot
        """
    }

    /// Draws the chart to `url` with gnuplot.
    public func render(to url: URL, gnuplot: some GnuplotRunner) throws {
        try Gnuplot.draw(to: url, with: gnuplot) { script(output: $0) }
    }
}
