import Foundation
import StratumCore
import StratumRunner

/// The run summary as a compact text table: slices down, variants across, accuracy with n.
enum SummaryTable {
    static func render(_ summary: RunSummary, allSlices: Bool) -> String {
        let variants = summary.variants.map(\.name)
        let shown = summary.slices.filter { slice in
            allSlices || !slice.parts.isIntersection || slice.parts.contains { if case .named = $0 { return true } else { return false } }
        }
        var cells: [String: SliceAccuracy] = [:]
        for cell in summary.accuracies { cells["\(cell.variant)\u{0}\(cell.slice)"] = cell }
        // Names are shown with their control characters escaped (`terminalSafe`): an attribute
        // value could otherwise colour, retitle or break the terminal's lines.
        let sliceWidth = max(5, shown.map(\.name.terminalSafe.count).max() ?? 5)
        let columnWidth = max(16, variants.map(\.terminalSafe.count).max() ?? 16)
        var lines: [String] = []
        lines.append("\(summary.experiment) run \(summary.runNumber): \(summary.status)")
        lines.append(pad("slice", sliceWidth) + "  " + pad("n", 5) + variants.map { "  " + pad($0, columnWidth) }.joined())
        lines.append(String(repeating: "-", count: sliceWidth + 7 + variants.count * (columnWidth + 2)))
        for slice in shown {
            var line = pad(slice.name, sliceWidth) + "  " + pad(String(slice.size), 5)
            for variant in variants {
                let text: String
                if let cell = cells["\(variant)\u{0}\(slice.name)"], let accuracy = cell.accuracy {
                    let interval = cell.interval.map { String(format: " [%.2f,%.2f]", $0.low, $0.high) } ?? ""
                    text = String(format: "%.3f", accuracy) + interval
                } else {
                    text = "—"
                }
                line += "  " + pad(text, columnWidth)
            }
            lines.append(line)
        }
        lines.append("accuracy with its 95% Wilson interval; n = slice size")
        for variant in summary.variants where variant.failed != nil {
            // A failure may carry the plugin's stderr: its own lines, indented (escaping the
            // whole line showed them as \u{A}).
            let message = (variant.failed ?? "").split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            lines.append("FAILED \(variant.name): \(message.first ?? "")")
            lines += message.dropFirst().map { "  " + $0 }
        }
        if !summary.unreadable.isEmpty {
            lines.append("UNREADABLE \(summary.unreadable.count) image(s), left out of every variant:")
            for sample in summary.unreadable.prefix(10) { lines.append("  \(sample.id) (\(sample.path)): \(sample.reason)") }
            if summary.unreadable.count > 10 { lines.append("  … and \(summary.unreadable.count - 10) more (see index.html or --format json)") }
        }
        if !summary.stageSeconds.isEmpty {
            lines.append("time: " + summary.stageSeconds.map { String(format: "%@ %.2f s", $0.stage, $0.seconds) }.joined(separator: " · "))
        }
        if let times = summary.predictionTimes {
            lines.append("predictions: " + times.summary)
        }
        lines.append("database: \(summary.database)")
        lines.append("reports:  \(summary.reportDirectory.path)")
        return lines.map(\.terminalSafe).joined(separator: "\n")
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        let text = text.terminalSafe
        return text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}

/// The run summary as JSON.
struct RunSummaryJSON: Encodable {
    struct Variant: Encodable { var name: String; var kind: String; var status: String; var error: String? }
    struct Cell: Encodable { var variant: String; var slice: String; var n: Int; var accuracy: Double?; var ciLow: Double?; var ciHigh: Double? }
    var experiment: String
    var run: Int
    var status: String
    var database: String
    var reports: String
    var variants: [Variant]
    var accuracy: [Cell]
    /// Every stored metric of every variant on every slice (as `stratum metrics --format json`).
    var metrics: [MetricsCommand.Row] = []
    var slices: [String] = []
    /// Samples left out because their image could not be decoded.
    var unreadable: [UnreadableSample]
    /// Wall time per stage (dataset, models, predictions, metrics, reports), in order.
    var stages: [Stage]
    /// For one shard of a sharded run: its index, the shard count and how many are done.
    var shard: ShardProgress?
    /// Where the predictions stage's time went (`PredictionTimes`).
    var predictions: Predictions?
    struct Stage: Encodable { var stage: String; var seconds: Double }
    struct Predictions: Encodable {
        struct Variant: Encodable { var name: String; var seconds: Double }
        var variants: [Variant]
        var decode: Double, store: Double, waitingForDecode: Double, waitingForStore: Double
    }

    init(_ summary: RunSummary) {
        experiment = summary.experiment
        run = summary.runNumber
        status = summary.status
        database = summary.database
        reports = summary.reportDirectory.path
        variants = summary.variants.map { Variant(name: $0.name, kind: $0.kind, status: $0.failed == nil ? "completed" : "failed", error: $0.failed) }
        accuracy = summary.accuracies.map { Cell(variant: $0.variant, slice: $0.slice, n: $0.n, accuracy: $0.accuracy, ciLow: $0.interval?.low, ciHigh: $0.interval?.high) }
        unreadable = summary.unreadable
        shard = summary.shard
        stages = summary.stageSeconds.map { Stage(stage: $0.stage, seconds: Self.milliseconds($0.seconds)) }
        predictions = summary.predictionTimes.map { times in
            Predictions(variants: times.variants.map { .init(name: $0.name, seconds: Self.milliseconds($0.seconds)) },
                        decode: Self.milliseconds(times.decode), store: Self.milliseconds(times.store),
                        waitingForDecode: Self.milliseconds(times.waitingForDecode), waitingForStore: Self.milliseconds(times.waitingForStore))
        }
    }

    /// Seconds rounded to the millisecond.
    static func milliseconds(_ seconds: Double) -> Double {
        (seconds * 1000).rounded() / 1000
    }
}
