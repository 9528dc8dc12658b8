import Foundation
import StratumCore

/// Renders every report of a run into one folder: per variant a confusion matrix, a failure
/// gallery and a reliability diagram; one slice-accuracy chart; one disagreement gallery for
/// the two best variants; and `index.html` tying them together.
public struct RunReport: Sendable {
    public var data: RunReportData
    public var galleryLimit: Int
    public var galleryColumns: Int
    public var thumb: Int

    public init(data: RunReportData, galleryLimit: Int = 40, galleryColumns: Int = 8, thumb: Int = 96) {
        self.data = data
        self.galleryLimit = galleryLimit
        self.galleryColumns = galleryColumns
        self.thumb = thumb
    }

    /// Writes the files; returns them, `index.html` last. Charts render in parallel.
    public func render(to directory: URL, gnuplot: Gnuplot) throws -> [URL] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        Self.removeLeftovers(in: directory)
        var jobs: [(figure: HTMLIndex.Figure, draw: @Sendable (URL) throws -> Void)] = []
        let data = self.data, limit = galleryLimit, columns = galleryColumns, thumb = self.thumb
        let completed = data.variants.filter(\.completed)
        if !completed.isEmpty {
            let chart = SliceAccuracyChart(data)
            jobs.append((.init(title: "Accuracy by slice, all variants", file: "slice-accuracy.png", section: "Slices"), { try chart.render(to: $0, gnuplot: gnuplot) }))
        }
        let ranked = completed.sorted { ($0.overallAccuracy ?? 0) > ($1.overallAccuracy ?? 0) }
        if ranked.count >= 2 {
            let gallery = Gallery.disagreement(between: ranked[0], and: ranked[1], in: data, limit: max(1, limit / 2), columns: max(1, columns / 2), thumb: thumb)
            jobs.append((.init(title: "Disagreements: \(ranked[0].name) vs \(ranked[1].name)", file: "disagreement-\(Self.safe(ranked[0].name))-vs-\(Self.safe(ranked[1].name)).png", section: "Disagreements"),
                         { try gallery.render(to: $0, gnuplot: gnuplot) }))
        }
        for variant in data.variants where !variant.predictions.isEmpty {
            let name = Self.safe(variant.name)
            let confusion = data.confusion(of: variant)
            let accuracy = confusion.total == 0 ? "—" : String(format: "%.3f", Double(confusion.correct) / Double(confusion.total))
            // A variant that did not complete (failed, or its run was interrupted) is drawn from the
            // predictions it made, and every figure of it says so.
            let partial = variant.completed ? "" : " — PARTIAL (\(variant.status): \(variant.predictions.count) of \(data.samples.count) samples)"
            let matrix = ConfusionMatrixChart(title: "\(data.experiment) run \(data.runNumber) — \(variant.name) (\(variant.kind)) on \(data.split), n=\(confusion.total), accuracy \(accuracy)\(partial)", matrix: confusion)
            jobs.append((.init(title: "\(variant.name): confusion matrix\(partial)", file: "confusion-\(name).png", section: variant.name), { try matrix.render(to: $0, gnuplot: gnuplot) }))
            let failures = Gallery.failures(of: variant, in: data, limit: limit, columns: columns, thumb: thumb)
            jobs.append((.init(title: "\(variant.name): most confident failures\(partial)", file: "failures-\(name).png", section: variant.name), { try failures.render(to: $0, gnuplot: gnuplot) }))
            let reliability = ReliabilityChart(variant: variant, in: data)
            jobs.append((.init(title: "\(variant.name): reliability diagram\(partial)", file: "reliability-\(name).png", section: variant.name), { try reliability.render(to: $0, gnuplot: gnuplot) }))
        }
        let drawn = ConcurrentResults<Void>(count: jobs.count)
        let work = jobs
        DispatchQueue.concurrentPerform(iterations: work.count) { index in
            drawn.set(index, Result {
                do {
                    try work[index].draw(directory.appendingPathComponent(work[index].figure.file))
                } catch {
                    throw ReportError(message: "\(work[index].figure.file): \(error)")
                }
            })
        }
        _ = try drawn.values()
        let index = directory.appendingPathComponent("index.html")
        try Data(HTMLIndex(data: data, figures: jobs.map(\.figure)).html().utf8).write(to: index, options: .atomic)
        return jobs.map { directory.appendingPathComponent($0.figure.file) } + [index]
    }

    static func safe(_ name: String) -> String { FileNameComponent.safe(name) }

    /// Removes the hidden `.….tmp` working files a killed render left in `directory`.
    static func removeLeftovers(in directory: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasPrefix(".") && name.hasSuffix(".tmp") {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
    }
}

/// A report could not be drawn.
public struct ReportError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(message: String) {
        self.message = message
    }
    public var description: String { message }
}
