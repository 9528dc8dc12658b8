import Foundation
import StratumCore
import StratumData
import StratumReports
import StratumStore

/// Builds report data from the store alone and renders a run's reports.
public enum StoredRunReports {
    /// Parses `RUN` as `N`, `EXPERIMENT/N`, `EXPERIMENT` or `latest` (latest run).
    public static func parseSelector(_ text: String) -> (experiment: String?, number: Int?) {
        if text == "latest" { return (nil, nil) }
        if let number = Int(text) { return (nil, number) }
        if let slash = text.lastIndex(of: "/"), let number = Int(text[text.index(after: slash)...]) {
            return (String(text[..<slash]), number)
        }
        return (text, nil)
    }

    /// Everything the reports of one stored run need, read from the store.
    /// `dataRoot`: where the dataset is now, when it moved since the run (stored paths are
    /// relative to the dataset root; by default the root is the manifest's folder at run time).
    public static func data(store: any RunStore, experiment: String?, number: Int?, dataRoot: URL? = nil) throws -> RunReportData {
        let (name, run) = try store.run(experiment: experiment, number: number)
        let runID = run.id
        // Samples first: building their table needs more memory than holding it.
        let stored = try store.samples(runID: runID)
        let slices = try store.slices(runID: runID)
        // Positions, not copies or dictionaries by key: a run of a million samples reads them all.
        let storedPosition = SampleIDIndex(stored.map(\.id))
        let evaluated: [Int]
        if let overall = slices.first(where: { $0.name == "overall" }) {
            evaluated = overall.memberIDs.compactMap { storedPosition[$0] }
        } else {
            // Slices are stored when the run finishes: a run interrupted before that has none.
            // Its evaluated samples are those of the split its experiment file names.
            let split = (try? ExperimentSpec.parse(run.spec, file: URL(fileURLWithPath: "/\(name).yaml")))?.split
            evaluated = stored.indices.filter { index in
                guard let split else { return true }
                return split == Dataset.allSplits || stored[index].split == split
            }
        }
        let position = SampleIDIndex(evaluated.map { stored[$0].id })
        // Each sample's tags, as one shared array per distinct combination.
        var tagSets: [[String]] = [[]], tagSetCode: [[String]: Int32] = [[]: 0]
        var tagCodes = [Int32](repeating: 0, count: evaluated.count)
        for slice in slices {
            guard let tag = slice.parts.tag else { continue }
            for id in slice.memberIDs {
                guard let p = position[id] else { continue }
                let tags = tagSets[Int(tagCodes[p])] + [tag]
                if let code = tagSetCode[tags] {
                    tagCodes[p] = code
                } else {
                    tagCodes[p] = Int32(tagSets.count)
                    tagSetCode[tags] = tagCodes[p]
                    tagSets.append(tags)
                }
            }
        }
        let movedRoot = dataRoot.map(SampleRoot.init)
        let reportSamples = evaluated.enumerated().map { p, storedAt in
            ReportSample(sample: stored[storedAt].sample, movedTo: movedRoot, tags: tagSets[Int(tagCodes[p])])
        }
        tagCodes = []
        var fingerprints: [UInt64] = []
        try store.forEachImageFingerprint(runID: runID) { sampleID, fingerprint in
            guard let p = position[sampleID] else { return }
            if fingerprints.isEmpty { fingerprints = [UInt64](repeating: 0, count: reportSamples.count) }
            fingerprints[p] = fingerprint
        }
        let accuracy = try store.metrics(named: "accuracyScore", runID: runID)
        let storedVariants = try store.variants(runID: runID)
        // Each variant's stored predictions, kept as a code and a confidence per sample, read
        // on threads of their own: reading is parsing rows on one core (a 200,000-image run's
        // three variants took most of `stratum report`'s 2 s, at 110% CPU).
        let sampleCount = reportSamples.count
        let read = ConcurrentResults<ReportPredictions>(count: storedVariants.count)
        DispatchQueue.concurrentPerform(iterations: storedVariants.count) { v in
            read.set(v, Result {
                var predictions = ReportPredictions(sampleCount: sampleCount)
                try store.forEachPrediction(runID: runID, variantID: storedVariants[v].id) { record in
                    guard let p = position[record.sampleID] else { return }
                    predictions[p] = ReportPrediction(predicted: record.predicted, probabilities: record.probabilities)
                }
                return predictions
            })
        }
        let variants = try zip(storedVariants, read.values()).map { variant, predictions in
            // A variant still marked running in a run that ended (interrupted, failed) stopped with it.
            let status = variant.status == .running && run.status != .running ? run.status.rawValue : variant.status.rawValue
            return ReportVariant(
                name: variant.name, kind: variant.kind, status: status, error: variant.error, labels: variant.labels,
                predictions: predictions,
                scores: accuracy.filter { $0.variant == variant.name }.map {
                    SliceScore(slice: $0.slice, n: $0.n, accuracy: $0.value, ciLow: $0.ciLow, ciHigh: $0.ciHigh)
                })
        }
        var data = RunReportData(
            experiment: name, runNumber: run.number, status: run.status.rawValue, startedAt: run.startedAt,
            split: evaluated.first.map { stored[$0].split } ?? "",
            samples: reportSamples,
            slices: slices.map { ReportSlice(name: $0.name, definition: $0.definition, members: $0.memberIDs.compactMap { position[$0] }, parts: $0.parts) },
            variants: variants)
        data.imageFingerprints = fingerprints
        data.unreadable = try store.unreadableSamples(runID: runID).map { ReportUnreadable(key: $0.key, path: $0.path, reason: $0.reason) }
        data.metrics = try store.allMetrics(runID: runID).map {
            ReportMetric(variant: $0.variant, slice: $0.slice, name: $0.name, value: $0.value, ciLow: $0.ciLow, ciHigh: $0.ciHigh,
                         intervalMethod: $0.intervalMethod, n: $0.n, denominator: $0.denominator, note: $0.note)
        }
        return data
    }

    /// `<reportsRoot>/<experiment>/run-<n>`, the experiment name made file-name safe (it comes
    /// from the experiment file and must never lead outside the reports folder).
    public static func directory(reportsRoot: URL, experiment: String, run: Int) -> URL {
        let safe = FileNameComponent.safe(experiment)
        return reportsRoot.appendingPathComponent(safe).appendingPathComponent("run-\(run)")
    }

    /// Renders every report of a stored run into `<reportsRoot>/<experiment>/run-<n>/`;
    /// `omitted`: samples whose image file changed since the run or cannot be read now, not
    /// drawn in galleries.
    /// `runStatus`: the status the run is about to be stored with (a run draws its reports
    /// before it stores its final status), shown in place of the stored one.
    public static func render(store: any RunStore, experiment: String?, number: Int?, reportsRoot: URL, dataRoot: URL? = nil,
                              limit: Int = 40, columns: Int = 8, thumb: Int = 96, runStatus: String? = nil)
        throws -> (directory: URL, runNumber: Int, files: [URL], omitted: [Gallery.Omission]) {
        FreedMemory.returnPromptly()  // drawing holds a few large blocks at a time, not many small ones
        // gnuplot starts while the run is read from the store (which keeps one core busy), not
        // in front of the first figures. (gnuplot missing is reported below, after the store's errors.)
        let gnuplot = try? Gnuplot()
        let sessions = gnuplot.map { GnuplotSessions($0, count: RunReport.drawingThreads(figures: .max)) }
        defer { sessions?.close() }
        var data = try data(store: store, experiment: experiment, number: number, dataRoot: dataRoot)
        if let runStatus { data.status = runStatus }
        let directory = Self.directory(reportsRoot: reportsRoot, experiment: data.experiment, run: data.runNumber)
        let output = try RunReport(data: data, galleryLimit: limit, galleryColumns: columns, thumb: thumb)
            .render(to: directory, gnuplot: try gnuplot ?? Gnuplot(), sessions: sessions)
        return (directory, data.runNumber, output.files, output.omitted)
    }
}
