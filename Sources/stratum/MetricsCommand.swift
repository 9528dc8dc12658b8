import ArgumentParser
import Foundation
import StratumCore
import StratumMetrics
import StratumRunner
import StratumStore

/// `--format` for commands whose output is a table of data that spreadsheets read too.
enum TabularFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv
}

struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Every stored metric of a run per variant and slice, with n, denominator, interval and gap to overall.",
        discussion: """
        Metrics (stored names; short aliases in brackets): accuracyScore [accuracy], balancedAccuracyScore \
        [balanced_accuracy], macroF1Score [macro_f1], weightedF1Score [weighted_f1], matthewsCorrcoef [mcc], \
        rocAucScore [roc_auc], logLoss [log_loss], brierScoreLoss [brier], expectedCalibrationError [ece], and per \
        class precisionScore[c] [precision], recallScore[c] [recall], f1Score[c] [f1], selectionRate[c] \
        [selection_rate], truePositiveRate[c] [tpr], falsePositiveRate[c] [fpr]. A name without [class] means every class.
        Intervals: Wilson 95% for proportions, stratified bootstrap percentile 95% for the rest (column "method").
        An undefined value is shown as "undefined" with its reason, never as 0.

        Examples:
          stratum metrics faces/1 --metric recall --slice children
          stratum metrics latest --variant small-cnn --format csv > metrics.csv
        """)

    @Argument(help: ArgumentHelp("The run: N, EXPERIMENT/N, EXPERIMENT (its latest run) or latest.", valueName: "run"))
    var selector: String = "latest"

    @OptionGroup var store: StoreOptions

    @Option(help: "Only these variants (repeatable).")
    var variant: [String] = []

    @Option(help: "Only these slices (repeatable).")
    var slice: [String] = []

    @Option(help: "Only these metrics (repeatable; names or aliases, see above).")
    var metric: [String] = []

    @Option(help: "Output format: table, json or csv.")
    var format: TabularFormat = .table

    struct Row: Encodable {
        var variant: String
        var slice: String
        var metric: String
        var n: Int
        var denominator: Int?
        var value: Double?
        var ciLow: Double?
        var ciHigh: Double?
        var intervalMethod: String?
        /// value − the same variant's value on `overall`.
        var gapToOverall: Double?
        var undefinedReason: String?

        /// Every key in every row, null where there is no value (an undefined metric's value,
        /// interval and denominator were left out, so readers met rows of two shapes).
        func encode(to encoder: Encoder) throws {
            enum Key: String, CodingKey { case variant, slice, metric, n, denominator, value, ciLow, ciHigh, intervalMethod, gapToOverall, undefinedReason }
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(variant, forKey: .variant); try c.encode(slice, forKey: .slice); try c.encode(metric, forKey: .metric)
            try c.encode(n, forKey: .n); try c.encode(denominator, forKey: .denominator); try c.encode(value, forKey: .value)
            try c.encode(ciLow, forKey: .ciLow); try c.encode(ciHigh, forKey: .ciHigh); try c.encode(intervalMethod, forKey: .intervalMethod)
            try c.encode(gapToOverall, forKey: .gapToOverall); try c.encode(undefinedReason, forKey: .undefinedReason)
        }
    }

    func run() throws {
        do {
            let opened = try store.open()
            let (experiment, number) = try RunSelection.parse(selector, in: opened, command: "metrics")
            let (name, run) = try opened.run(experiment: experiment, number: number)
            let all = try opened.allMetrics(runID: run.id)
            if ![.completed, .completedWithErrors].contains(run.status) {
                Terminal.status("note: \(name)/\(run.number) is \(run.status.rawValue): its metrics may cover some variants only (resume the run to complete them)")
            }
            guard !all.isEmpty else {
                Terminal.error("error: \(name)/\(run.number) has no stored metrics (status: \(run.status.rawValue))")
                throw ExitCode(ExitCodes.dataError)
            }
            let rows = try Self.select(all, variants: variant, slices: slice, metrics: metric)
            switch format {
            case .json:
                struct Output: Encodable { var experiment: String; var run: Int; var metrics: [Row] }
                print(try JSONOutput.string(Output(experiment: name, run: run.number, metrics: rows)))
            case .csv:
                print("variant,slice,metric,n,denominator,value,ci_low,ci_high,interval_method,gap_to_overall,undefined_reason")
                for r in rows {
                    let fields: [String] = [CSVField.text(r.variant), CSVField.text(r.slice), CSVField.text(r.metric), String(r.n), r.denominator.map(String.init) ?? "",
                                            CSVField.number(r.value), CSVField.number(r.ciLow), CSVField.number(r.ciHigh), r.intervalMethod ?? "",
                                            CSVField.number(r.gapToOverall), CSVField.text(r.undefinedReason ?? "")]
                    print(fields.joined(separator: ","))
                }
            case .table:
                print(Self.table(rows))
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw report(error)
        }
    }

    /// The rows the filters select, each with its gap to the same variant's overall value.
    static func select(_ all: [StoredMetricRow], variants: [String], slices: [String], metrics: [String]) throws -> [Row] {
        let names = Array(Set(all.map(\.name))).sorted()
        var wanted: Set<String>?
        if !metrics.isEmpty {
            var set = Set<String>()
            for query in metrics {
                let matched = MetricLayout.resolve(query, among: names)
                guard !matched.isEmpty else {
                    throw ValidationError("unknown metric '\(query)' (stored: \(names.joined(separator: ", ")); aliases: \(MetricLayout.aliases.keys.sorted().joined(separator: ", ")))")
                }
                set.formUnion(matched)
            }
            wanted = set
        }
        for (given, present, what) in [(variants, Set(all.map(\.variant)), "variant"), (slices, Set(all.map(\.slice)), "slice")] {
            for name in given where !present.contains(name) {
                throw ValidationError("no \(what) '\(name)' in this run (stored: \(present.sorted().joined(separator: ", ")))")
            }
        }
        var overall: [String: Double] = [:]
        for m in all where m.slice == "overall" { if let value = m.value { overall[m.variant + "\u{0}" + m.name] = value } }
        return all.filter { m in
            (variants.isEmpty || variants.contains(m.variant)) && (slices.isEmpty || slices.contains(m.slice)) && (wanted?.contains(m.name) ?? true)
        }.map { m in
            Row(variant: m.variant, slice: m.slice, metric: m.name, n: m.n, denominator: m.denominator, value: m.value, ciLow: m.ciLow,
                ciHigh: m.ciHigh, intervalMethod: m.intervalMethod,
                gapToOverall: m.slice == "overall" ? nil : m.value.flatMap { v in overall[m.variant + "\u{0}" + m.name].map { v - $0 } },
                undefinedReason: m.note)
        }
    }

    static func table(_ rows: [Row]) -> String {
        // An undefined value's reason goes last, so that it does not widen the value column.
        let header = ["variant", "slice", "metric", "n", "denom", "value", "95% interval", "method", "gap", "note"]
        let body = rows.map { r -> [String] in
            let value = r.value.map { String(format: "%.4f", $0) } ?? "undefined"
            let interval = r.ciLow.map { String(format: "[%.4f, %.4f]", $0, r.ciHigh ?? $0) } ?? ""
            let method = r.intervalMethod.map { $0 == "wilson" ? "wilson" : "bootstrap" } ?? ""
            let gap = r.gapToOverall.map { String(format: "%+.4f", $0) } ?? ""
            return [r.variant, r.slice, r.metric, String(r.n), r.denominator.map(String.init) ?? "", value, interval, method, gap, r.undefinedReason ?? ""]
        }
        return TextTable.render(header: header, rows: body)
    }
}

/// A plain left-aligned text table (columns as wide as their widest cell).
enum TextTable {
    /// Cells are shown with their control characters escaped (`terminalSafe`).
    static func render(header: [String], rows: [[String]]) -> String {
        let all = ([header] + rows).map { $0.map(\.terminalSafe) }
        let header = all[0]
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        // Padded by hand and trimmed of the last cell's padding: Foundation's `padding(toLength:)`
        // and a regular expression per line took 0.1 s of a 2,000-row table.
        func line(_ cells: [String]) -> String {
            var text = ""
            for (column, (cell, width)) in zip(cells, widths).enumerated() {
                if column > 0 { text += "  " }
                text += cell
                text += String(repeating: " ", count: max(0, width - cell.count))
            }
            while text.last == " " { text.removeLast() }
            return text
        }
        return ([line(header), String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1))] + all.dropFirst().map(line)).joined(separator: "\n")
    }
}

/// CSV fields (RFC 4180). Text from datasets is hostile: a cell that a spreadsheet would read
/// as a formula (starting with =, +, -, @, tab or carriage return) gets a leading apostrophe.
/// Scalar by scalar: CR LF, or a quote or comma followed by a combining mark, is one
/// `Character` but still ends a CSV row or field.
enum CSVField {
    static func text(_ value: String) -> String {
        var value = value
        if let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { value = "'" + value }
        guard value.containsScalar(where: { ",\"\n\r".unicodeScalars.contains($0) }) else { return value }
        return "\"" + value.mappingScalars { $0 == "\"" ? "\"\"" : nil } + "\""
    }

    static func number(_ value: Double?) -> String {
        value.map { String($0) } ?? ""
    }
}
