import ArgumentParser
import Foundation
import StratumCore
import StratumMetrics
import StratumReports
import StratumRunner
import StratumStatistics
import StratumStore

extension MultipleTesting.Method: ExpressibleByArgument {}

/// Statistical settings shared by `compare` and `gate`.
struct ComparisonOptions: ParsableArguments {
    @Option(help: "The metric whose paired difference is estimated (a stored name or alias, one class at most, e.g. accuracy, macro_f1, recall[male]).")
    var metric: String = "accuracy"

    @Option(help: "Bootstrap resamples for the interval of the difference (0: none).")
    var resamples: Int = 1000

    @Option(help: "Seed of the bootstrap (the same seed gives the same intervals).")
    var seed: UInt64 = BootstrapSettings().seed

    @Option(help: "Confidence level of the intervals.")
    var confidence: Double = 0.95

    func validate() throws {
        guard (0...BootstrapSettings.maximumResamples).contains(resamples) else {
            throw ValidationError("--resamples must be in 0…\(BootstrapSettings.maximumResamples)")
        }
        guard confidence > 0, confidence < 1 else { throw ValidationError("--confidence must lie strictly between 0 and 1") }
    }

    var bootstrap: BootstrapSettings { BootstrapSettings(resamples: resamples, seed: seed, confidence: confidence) }

    /// The one stored metric name `--metric` means for these labels.
    func metricName(labels: [String]) throws -> String {
        try Self.single(metric, among: MetricLayout(labels: labels).names)
    }

    /// The one stored metric name `query` means among `names` (an error when none or several).
    static func single(_ query: String, among names: [String]) throws -> String {
        let matched = MetricLayout.resolve(query, among: names)
        guard matched.count == 1, let name = matched.first else {
            throw ValidationError(matched.isEmpty
                ? "unknown metric '\(query)' (known: \(names.joined(separator: ", ")))"
                : "'\(query)' means \(matched.count) metrics (\(matched.joined(separator: ", "))); name one")
        }
        return name
    }
}

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Paired comparison of two variants on the same samples, overall and per slice, with corrected verdicts.",
        discussion: """
        BASELINE and CANDIDATE are RUN[:VARIANT], RUN being N, EXPERIMENT/N, EXPERIMENT (its latest run) or latest.
        Two variants of one run:   stratum compare faces/1:small-cnn faces/1:automl-mobilenet
        One variant in two runs:   stratum compare faces/1:small-cnn faces/2
        Every common variant:      stratum compare faces/1 faces/2
        Across runs, samples are matched by id (and label) and the candidate run's slices are used.

        Each slice with at least --min-samples samples is tested with the exact McNemar test on the samples exactly \
        one variant gets right; the p-values (overall included) are corrected together (--correction holm, the default, \
        or bh) and the slice is labelled better, worse (adjusted p ≤ --alpha), no significant difference, or too few \
        samples. The difference of --metric (candidate − baseline) gets a paired bootstrap interval. Results are stored \
        (tables comparison, comparisonSlice) and drawn: a forest plot and a gallery of the samples that flipped.

        Exit codes: 0 done (whatever the verdicts); 1 failure; 64 bad command line; 65 bad input.
        """)

    @Argument(help: "The baseline: RUN[:VARIANT].")
    var baseline: String

    @Argument(help: "The candidate: RUN[:VARIANT].")
    var candidate: String

    @OptionGroup var store: StoreOptions
    @OptionGroup var statistics: ComparisonOptions

    @Option(help: "Only these variants, when comparing every common variant of two runs (repeatable).")
    var variant: [String] = []

    @Option(help: "Correction across the slices of one comparison: holm or bh (Benjamini–Hochberg).")
    var correction: MultipleTesting.Method = .holm

    @Option(help: "Significance level of the corrected tests.")
    var alpha: Double = 0.05

    @Option(help: "Slices with fewer samples get the verdict 'too few samples' and are not tested.")
    var minSamples: Int = 20

    @Option(help: "Where the forest plot and the flip gallery go: <reports>/<experiment>/run-<N>/compare/.")
    var reports: String = "Reports"

    @Flag(help: "Neither draw the forest plot and flip gallery nor store the comparison.")
    var dryRun = false

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    @OptionGroup var layout: GalleryLayoutOptions

    func validate() throws {
        guard alpha > 0, alpha < 1 else { throw ValidationError("--alpha must lie strictly between 0 and 1") }
        guard minSamples >= 1 else { throw ValidationError("--min-samples must be at least 1") }
    }

    struct PairOutput: Encodable {
        var baseline: String
        var candidate: String
        var metric: String
        var correction: String
        var alpha: Double
        var resamples: Int
        var seed: UInt64
        var slices: [SliceComparison]
        var rightToWrong: [String]
        var wrongToRight: [String]
        var changes: [String]
        var notes: [String]
        var forestPlot: String?
        var flipGallery: String?
        var comparisonID: Int64?
    }

    func run() throws {
        do {
            let opened = try store.open()
            let pairs = try RunComparison.pairs(store: opened, baseline: VariantReference(baseline), candidate: VariantReference(candidate), only: variant)
            var outputs: [PairOutput] = []
            // Thumbnails the flip galleries left out, warned about once after every pair.
            var omitted: [Gallery.Omission] = [], omittedRun = 0
            for pair in pairs {
                let metric = try statistics.metricName(labels: pair.candidateOutcomes.labels)
                let settings = ComparisonSettings(metric: metric, correction: correction, alpha: alpha, minimumSamples: minSamples, bootstrap: statistics.bootstrap)
                let rows = try PairedComparison.compare(baseline: pair.baselineOutcomes, candidate: pair.candidateOutcomes, slices: pair.slices, settings: settings)
                let flips = pair.flips
                let baseName = "\(pair.baseline.experiment)/\(pair.baseline.run.number):\(pair.baselineVariant)"
                let candName = "\(pair.candidate.experiment)/\(pair.candidate.run.number):\(pair.candidateVariant)"
                var output = PairOutput(
                    baseline: baseName, candidate: candName, metric: metric, correction: correction.rawValue, alpha: alpha,
                    resamples: settings.bootstrap.resamples, seed: settings.bootstrap.seed, slices: rows,
                    rightToWrong: flips.rightToWrong.map { pair.samples[$0].key }, wrongToRight: flips.wrongToRight.map { pair.samples[$0].key },
                    changes: try RunComparison.changes(store: opened, baseline: pair.baseline, candidate: pair.candidate), notes: pair.notes)
                if !dryRun {
                    let folder = URL(fileURLWithPath: reports)
                        .appendingPathComponent(FileNameComponent.safe(pair.candidate.experiment))
                        .appendingPathComponent("run-\(pair.candidate.run.number)").appendingPathComponent("compare")
                    // One file per pair of (experiment, run, variant): `1-a-vs-2-b` within one
                    // experiment (the folder is the candidate's), every part named across two.
                    let stem = pair.baseline.experiment == pair.candidate.experiment
                        ? FileNameComponent.joined(["\(pair.baseline.run.number)-\(pair.baselineVariant)", "\(pair.candidate.run.number)-\(pair.candidateVariant)"], separator: "-vs-")
                        : FileNameComponent.joined([pair.baseline.experiment, String(pair.baseline.run.number), pair.baselineVariant,
                                                    pair.candidate.experiment, String(pair.candidate.run.number), pair.candidateVariant], separator: "-")
                    let forest = folder.appendingPathComponent("\(stem)-forest.png")
                    let gnuplot = try Gnuplot()
                    try ForestPlot(title: "\(candName) − \(baseName): \(metric) by slice (\(Int(statistics.confidence * 100))% paired bootstrap)",
                                   xLabel: "difference in \(metric) (candidate − baseline)",
                                   rows: rows.map { ForestPlot.Row(label: "\($0.slice) (n=\($0.n))", difference: $0.difference, low: $0.low, high: $0.high, verdict: $0.verdict.rawValue) })
                        .render(to: forest, gnuplot: gnuplot)
                    output.forestPlot = forest.path
                    let gallery = folder.appendingPathComponent("\(stem)-flips.png")
                    for omission in try flipGallery(pair, flips: flips, title: "\(baseName) → \(candName): samples that flipped").render(to: gallery, gnuplot: gnuplot)
                    where !omitted.contains(where: { $0.sampleKey == omission.sampleKey }) {
                        omitted.append(omission)
                    }
                    omittedRun = pair.candidate.run.number
                    output.flipGallery = gallery.path
                    if opened.isReadOnly {
                        output.notes.append("the store is read-only here: the comparison was not stored")
                    } else {
                        output.comparisonID = try opened.insertComparison(StoredComparison(
                            baselineRunID: pair.baseline.run.id, baselineVariant: pair.baselineVariant, candidateRunID: pair.candidate.run.id,
                            candidateVariant: pair.candidateVariant, metric: metric, correction: correction.rawValue, alpha: alpha,
                            resamples: settings.bootstrap.resamples, seed: settings.bootstrap.seed,
                            slices: rows.map { StoredComparison.Row(slice: $0.slice, n: $0.n, baseline: $0.baseline, candidate: $0.candidate, difference: $0.difference,
                                                                   low: $0.low, high: $0.high, baselineOnlyCorrect: $0.baselineOnlyCorrect,
                                                                   candidateOnlyCorrect: $0.candidateOnlyCorrect, p: $0.p, adjustedP: $0.adjustedP, verdict: $0.verdict.rawValue) }))
                    }
                }
                outputs.append(output)
            }
            switch format {
            case .json: print(try JSONOutput.string(outputs))
            case .table: print(outputs.map(Self.table).joined(separator: "\n\n"))
            }
            GalleryLayoutOptions.warnAboutOmittedImages(omitted, run: omittedRun, hint: layout.unreadableHint)
        } catch let error as ComparisonError {
            Terminal.error("error: \(error)")
            throw ExitCode(ExitCodes.dataError)
        } catch {
            throw report(error)
        }
    }

    func flipGallery(_ pair: ComparedPair, flips: (rightToWrong: [Int], wrongToRight: [Int]), title: String) -> Gallery {
        let labels = pair.candidateOutcomes.labels
        func section(_ indices: [Int], _ heading: String, wrong: Bool) -> Gallery.Section {
            let items = indices.prefix(max(0, layout.limit)).map { i -> Gallery.Item in
                let sample = pair.samples[i]
                let image = layout.dataRootURL.map { SampleRoot($0).file(sample.path) } ?? sample.image
                return Gallery.Item(image: image, sampleKey: sample.key, caption: [
                    sample.key, "true \(sample.label)",
                    "before: \(labels[Int(pair.baselineOutcomes.predicted[i])])", "after: \(labels[Int(pair.candidateOutcomes.predicted[i])])",
                ], wrong: wrong, fingerprint: i < pair.imageFingerprints.count ? pair.imageFingerprints[i] : nil)
            }
            return Gallery.Section(title: "\(heading): \(indices.count)", items: items, total: indices.count)
        }
        return Gallery(title: title, subtitle: "\(flips.rightToWrong.count + flips.wrongToRight.count) of \(pair.samples.count) samples changed correctness",
                       sections: [section(flips.rightToWrong, "right → wrong", wrong: true), section(flips.wrongToRight, "wrong → right", wrong: false)],
                       columns: max(1, layout.columns / 2), thumb: layout.thumb)
    }

    static func table(_ o: PairOutput) -> String {
        func f(_ value: Double?, _ format: String = "%.3f") -> String { value.map { String(format: format, $0) } ?? "—" }
        var lines = ["\(o.baseline) → \(o.candidate)   metric \(o.metric); exact McNemar, \(o.correction == "holm" ? "Holm" : "Benjamini–Hochberg") across tested slices, α = \(o.alpha); \(o.resamples) paired bootstrap resamples"]
        let rows = o.slices.map { r -> [String] in
            [r.slice, String(r.n), f(r.baseline), f(r.candidate), f(r.difference, "%+.3f"),
             r.low.map { String(format: "[%+.3f, %+.3f]", $0, r.high ?? $0) } ?? "", "\(r.baselineOnlyCorrect)/\(r.candidateOnlyCorrect)",
             f(r.p, "%.4f"), f(r.adjustedP, "%.4f"), r.verdict.rawValue + (r.sameMembersAs.map { " (= \($0))" } ?? "")]
        }
        lines.append(TextTable.render(header: ["slice", "n", "baseline", "candidate", "diff", "interval", "b/c", "p", "adj. p", "verdict"], rows: rows))
        lines.append("b/c: samples only the baseline / only the candidate got right")
        let shown = 10
        lines.append("flipped right → wrong: \(o.rightToWrong.count)\(o.rightToWrong.isEmpty ? "" : " (" + o.rightToWrong.prefix(shown).joined(separator: ", ") + (o.rightToWrong.count > shown ? ", …" : "") + ")")")
        lines.append("flipped wrong → right: \(o.wrongToRight.count)\(o.wrongToRight.isEmpty ? "" : " (" + o.wrongToRight.prefix(shown).joined(separator: ", ") + (o.wrongToRight.count > shown ? ", …" : "") + ")")")
        if !o.changes.isEmpty { lines.append("changes between the runs:"); lines += o.changes.map { "  " + $0 } }
        lines += o.notes.map { "note: " + $0 }
        if let plot = o.forestPlot { lines.append("forest plot: \(plot)") }
        if let gallery = o.flipGallery { lines.append("flip gallery: \(gallery)") }
        return lines.joined(separator: "\n")
    }
}
