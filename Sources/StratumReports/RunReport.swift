import Foundation
import StratumCore
import Synchronization

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

    /// What `render` wrote.
    public struct Output: Sendable {
        /// The files, `index.html` last.
        public var files: [URL]
        /// Samples a gallery did not draw because their image file changed since the run or
        /// cannot be read now (`Gallery.render`), each once, by key.
        public var omitted: [Gallery.Omission]
    }

    /// Writes the files. Figures are drawn in parallel, each drawing thread through its own
    /// `GnuplotSession` (one gnuplot process for all its figures), galleries first: they take
    /// the longest. A gallery ready to compose while another holds the canvas draws charts
    /// meanwhile, so that its core does not idle.
    ///
    /// `sessions`: gnuplot processes started ahead (`GnuplotSessions`), one taken by each drawing
    /// thread; a thread that finds none starts its own.
    public func render(to directory: URL, gnuplot: Gnuplot, sessions: GnuplotSessions? = nil) throws -> Output {
        do {
            try FileFailure.makeDirectory(directory)
            // A folder that exists but cannot be written fails here, by name, before any drawing.
            let probe = directory.appendingPathComponent(".stratum-probe.\(ProcessStart.identity).tmp")
            try Data("probe".utf8).write(to: probe)
            try FileManager.default.removeItem(at: probe)
        } catch {
            throw ReportError(message: "cannot write reports into \(directory.path): \(FileFailure.cause(of: error))")
        }
        Self.removeLeftovers(in: directory)
        // `draw` gets the thread's session and what to do while the canvas is taken (see `ExclusiveSection.run`).
        var jobs: [(figure: HTMLIndex.Figure, gallery: Bool, draw: @Sendable (URL, GnuplotSession, _ whileTaken: () -> Bool) throws -> Void)] = []
        let data = self.data, limit = galleryLimit, columns = galleryColumns, thumb = self.thumb
        // A gallery's canvas (~7 MB with its encoded file at 40 thumbnails of 96 px): two at once
        // were the largest part of a 200,000-sample run's report stage. gnuplot draws every
        // figure's text in parallel; the galleries compose their canvases one at a time.
        let oneCanvasAtATime = ExclusiveSection()
        let omitted = OmissionSet()
        // A gallery's job: what it left out is noted; while the canvas is taken, `whileTaken` runs.
        func job(_ gallery: Gallery) -> @Sendable (URL, GnuplotSession, () -> Bool) throws -> Void {
            { url, session, whileTaken in
                omitted.insert(try gallery.render(to: url, gnuplot: session) { try oneCanvasAtATime.run($0, whileTaken: whileTaken) })
            }
        }
        let completed = data.variants.filter(\.completed)
        if !completed.isEmpty {
            let chart = SliceAccuracyChart(data)
            jobs.append((.init(title: "Accuracy by slice, all variants", file: "slice-accuracy.png", section: "Slices"), false, { url, session, _ in try chart.render(to: url, gnuplot: session) }))
        }
        let ranked = completed.sorted { ($0.overallAccuracy ?? 0) > ($1.overallAccuracy ?? 0) }
        if ranked.count >= 2 {
            // Half the thumbnails a side (rounded up: --limit 1 still shows one; --limit 0 none).
            let gallery = Gallery.disagreement(between: ranked[0], and: ranked[1], in: data, limit: (limit + 1) / 2, columns: max(1, columns / 2), thumb: thumb)
            jobs.append((.init(title: "Disagreements: \(ranked[0].name) vs \(ranked[1].name)", file: "disagreement-\(FileNameComponent.joined([ranked[0].name, ranked[1].name], separator: "-vs-")).png", section: "Disagreements"), true,
                         job(gallery)))
        }
        for variant in data.variants where !variant.predictions.isEmpty {
            let name = Self.safe(variant.name)
            let confusion = data.confusion(of: variant)
            let accuracy = confusion.total == 0 ? "—" : String(format: "%.3f", Double(confusion.correct) / Double(confusion.total))
            // A variant that did not complete (failed, or its run was interrupted) is drawn from the
            // predictions it made, and every figure of it says so.
            let partial = variant.completed ? "" : " — PARTIAL (\(variant.status): \(variant.predictions.count) of \(data.samples.count) samples)"
            let matrix = ConfusionMatrixChart(title: "\(data.experiment) run \(data.runNumber) — \(variant.name) (\(variant.kind)) on \(data.split), n=\(confusion.total), accuracy \(accuracy)\(partial)", matrix: confusion)
            jobs.append((.init(title: "\(variant.name): confusion matrix\(partial)", file: "confusion-\(name).png", section: variant.name), false, { url, session, _ in try matrix.render(to: url, gnuplot: session) }))
            let failures = { var gallery = Gallery.failures(of: variant, in: data, limit: limit, columns: columns, thumb: thumb); gallery.title += partial; return gallery }()
            jobs.append((.init(title: "\(variant.name): most confident failures\(partial)", file: "failures-\(name).png", section: variant.name), true,
                         job(failures)))
            let reliability = { var chart = ReliabilityChart(variant: variant, in: data); chart.title += partial; return chart }()
            jobs.append((.init(title: "\(variant.name): reliability diagram\(partial)", file: "reliability-\(name).png", section: variant.name), false, { url, session, _ in try reliability.render(to: url, gnuplot: session) }))
        }
        let drawn = ConcurrentResults<Void>(count: jobs.count)
        let work = jobs
        let queue = FigureQueue(galleries: jobs.indices.filter { jobs[$0].gallery }, charts: jobs.indices.filter { !jobs[$0].gallery })
        @Sendable func draw(_ index: Int, _ session: GnuplotSession) {
            drawn.set(index, Result {
                do {
                    // While this gallery waits for the canvas: a chart, if one is left.
                    try work[index].draw(directory.appendingPathComponent(work[index].figure.file), session) {
                        guard let chart = queue.nextChart() else { return false }
                        draw(chart, session)
                        return true
                    }
                } catch {
                    let domain = (error as NSError).domain
                    let cause = domain == NSCocoaErrorDomain || domain == NSPOSIXErrorDomain ? FileFailure.cause(of: error) : "\(error)"
                    throw ReportError(message: "\(directory.appendingPathComponent(work[index].figure.file).path): \(cause)")
                }
            })
        }
        DispatchQueue.concurrentPerform(iterations: Self.drawingThreads(figures: work.count)) { _ in
            // Closed on this thread before `render` returns: the thread that started a
            // prestarted session is the caller, waiting here (see `GnuplotSession`).
            let session = sessions?.take() ?? GnuplotSession(gnuplot)
            defer { session.close() }
            while let index = queue.next() { draw(index, session) }
        }
        _ = try drawn.values()
        let index = directory.appendingPathComponent("index.html")
        let notDrawn = omitted.sorted()
        try Self.writeWhole(Data(HTMLIndex(data: data, figures: jobs.map(\.figure), omitted: notDrawn).html().utf8), to: index)
        return Output(files: jobs.map { directory.appendingPathComponent($0.figure.file) } + [index], omitted: notDrawn)
    }

    static func safe(_ name: String) -> String { FileNameComponent.safe(name) }

    /// Writes `data` to `url` whole, through a hidden working file beside it
    /// (`.NAME.whole.PID-START.tmp`) moved into place once written. Foundation's atomic write
    /// goes through a `.dat.nosync….XXXXXX` file instead, which a run killed while writing a
    /// gallery or the index left in the reports folder for good (no render knew to remove it;
    /// the likely cause of a kill-while-drawing test failure under load, whose file names were
    /// not captured); this one the next render of the folder removes (`removeLeftovers`).
    static func writeWhole(_ data: Data, to url: URL) throws {
        let working = Gnuplot.workingFile(for: url, role: "whole")
        defer { try? FileManager.default.removeItem(at: working) }
        do {
            try data.write(to: working)
        } catch {
            throw ReportError(message: "cannot write \(url.path): \(FileFailure.cause(of: error))")
        }
        try Gnuplot.moveIntoPlace(working, to: url)
    }

    /// The threads that draw a report of `figures` figures, each through one gnuplot session:
    /// one per core, at most one per figure.
    public static func drawingThreads(figures: Int) -> Int {
        min(max(1, figures), max(1, CPUCores.available))
    }

    /// Removes the hidden `.NAME.PID-START.tmp` working files a killed render left in
    /// `directory`: those of processes no longer running (`ProcessStart.isRunning`: the pid and
    /// its start time, as a pid alone is handed to another process once pids wrap), and older
    /// `.NAME.PID.tmp` and unnumbered ones. A render running beside this one (`stratum report`
    /// while the run draws) keeps its files; removing them failed that render with a misleading
    /// "disk full?" (store review).
    static func removeLeftovers(in directory: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasPrefix(".") && name.hasSuffix(".tmp") {
            let parts = name.dropLast(4).split(separator: ".")
            if let last = parts.last, parts.count >= 2, ProcessStart.isRunning(last) { continue }
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
    }
}

/// The cause of a failed file operation in plain words ("No space left on device", …).
enum FileFailure {
    static func cause(of error: Error) -> String {
        if let report = error as? ReportError { return report.message }
        return FileAccessError.cause(of: error)
    }

    /// `Folders.make`, its failure as a `ReportError`.
    static func makeDirectory(_ url: URL) throws {
        do { try Folders.make(url) } catch { throw ReportError(message: error.description) }
    }

    /// Free bytes on the file system holding `url`, when known.
    static func freeBytes(near url: URL) -> Int? {
        var stats = statvfs()
        guard statvfs(url.deletingLastPathComponent().path, &stats) == 0 else { return nil }
        return Int(stats.f_bavail) * Int(stats.f_frsize)
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

/// Omitted thumbnails gathered from several galleries' threads, one per sample.
final class OmissionSet: Sendable {
    private let byKey = Mutex<[String: Gallery.Omission]>([:])
    func insert(_ more: [Gallery.Omission]) { byKey.withLock { for o in more where $0[o.sampleKey] == nil { $0[o.sampleKey] = o } } }
    func sorted() -> [Gallery.Omission] { byKey.withLock { $0.values.sorted { $0.sampleKey < $1.sampleKey } } }
}

/// Runs its bodies one at a time, whichever threads call it.
final class ExclusiveSection: Sendable {
    private let lock = NSLock()

    /// Runs `body` once no other body runs. While another does, `whileTaken` is called (to do
    /// other work) until it returns false, then this thread waits.
    func run(_ body: () throws -> Void, whileTaken: () -> Bool = { false }) rethrows {
        while !lock.try() {
            if !whileTaken() {
                lock.lock()
                break
            }
        }
        defer { lock.unlock() }
        try body()
    }
}

/// The figures of a report still to draw: galleries first (they take the longest), then
/// charts, which a gallery waiting for the canvas may also take.
final class FigureQueue: Sendable {
    private let waiting: Mutex<(galleries: ArraySlice<Int>, charts: ArraySlice<Int>)>

    init(galleries: [Int], charts: [Int]) {
        waiting = Mutex((galleries[...], charts[...]))
    }

    /// The next figure of either kind, nil when none is left.
    func next() -> Int? {
        waiting.withLock { $0.galleries.popFirst() ?? $0.charts.popFirst() }
    }

    /// The next chart, nil when none is left.
    func nextChart() -> Int? {
        waiting.withLock { $0.charts.popFirst() }
    }
}
