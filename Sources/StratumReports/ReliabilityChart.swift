import Foundation
import StratumMetrics

/// A reliability diagram: accuracy against mean confidence per bin, the diagonal, and bin counts.
public struct ReliabilityChart: Sendable {
    public var title: String
    public var calibration: Calibration

    public init(title: String, calibration: Calibration) {
        self.title = title
        self.calibration = calibration
    }

    /// Built from a variant's stored predictions.
    public init(variant: ReportVariant, in data: RunReportData, binCount: Int = 10) {
        var confidences: [Double] = [], correct: [Bool] = []
        for (position, sample) in data.samples.enumerated() {
            guard let prediction = variant.predictions[position] else { continue }
            confidences.append(Double(prediction.confidence))
            correct.append(prediction.predicted == sample.trueLabel)
        }
        let calibration = Calibration(confidences: confidences, correct: correct, binCount: binCount)
        let ece = calibration.expectedCalibrationError.number.map { String(format: "%.3f", $0) } ?? "undefined"
        self.init(title: "\(data.experiment) run \(data.runNumber) — \(variant.name): reliability (ECE \(ece), n=\(confidences.count))", calibration: calibration)
    }

    public func script(output: String) -> String {
        let rows = calibration.bins.map { bin in
            let centre = (bin.lower + bin.upper) / 2
            return "\(centre) \(bin.meanConfidence.map { String($0) } ?? "NaN") \(bin.accuracy.map { String($0) } ?? "NaN") \(bin.count)"
        }
        let maxCount = max(1, calibration.bins.map(\.count).max() ?? 1)
        return """
        \(Gnuplot.pngTerminal(width: 760, height: 640, font: "DejaVu Sans,10"))
        set output \(output.gnuplotQuoted)
        $bins << EOD
        \(rows.joined(separator: "\n"))
        EOD
        set title \(title.gnuplotQuoted) font ',12'
        set xrange [0:1]
        set yrange [0:1]
        set y2range [0:\(maxCount * 4)]
        set y2tics nomirror
        set ytics nomirror
        set xlabel 'confidence (top-class probability)'
        set ylabel 'accuracy'
        set y2label 'predictions in bin'
        set grid lc rgb '#e0e0e0'
        set key top left
        set datafile missing 'NaN'
        set style fill solid 0.35 noborder
        plot $bins using 1:4:(0.09) axes x1y2 with boxes lc rgb '#9ecae1' title 'count', \\
             x with lines dt 2 lc rgb '#888888' title 'perfect calibration', \\
             $bins using 2:3 with linespoints pt 7 ps 1.2 lw 2 lc rgb '#d62728' title 'accuracy at mean confidence'
        """
    }

    public func render(to url: URL, gnuplot: some GnuplotRunner) throws {
        try Gnuplot.draw(to: url, with: gnuplot) { script(output: $0) }
    }
}
