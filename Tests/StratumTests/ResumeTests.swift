import Foundation
import StratumCore
import StratumData
import StratumImaging
import StratumStore
import Testing

/// A real `stratum run` killed with SIGKILL at seeded random moments (decoding, fitting,
/// inference, store writes, report drawing), resumed each time: in the end every variant has
/// exactly one prediction per sample, and every metric equals an uninterrupted run's.
@Suite(.serialized) struct ResumeTests {
    static func experiment(in directory: URL, count: Int = 1200) throws -> URL {
        try FaceDatasetWriter.write(count: count, seed: 5, size: 40, to: directory.appendingPathComponent("data"))
        let cnn = TestSupport.repositoryRoot.appendingPathComponent("Experiments/models/small-cnn").path
        try TestSupport.write("""
        name: resume
        dataset: {manifest: data/manifest.csv, label: sex, labels: [female, male]}
        variants:
          - {name: logistic, kind: logistic, path: logistic.json, options: {size: 8, C: 0.1}}
          - {name: cnn, kind: tfjs, path: \(cnn)}
        slices: {by: [age_group, hair_length], min_size: 2}
        batch_size: 8
        """, to: directory.appendingPathComponent("e.yaml"))
        return directory.appendingPathComponent("e.yaml")
    }

    /// Every metric of run 1 as comparable rows.
    static func metrics(_ database: URL) throws -> [String] {
        let store = try Store(readingOnly: database.path)
        return try store.metrics(named: "accuracyScore", runID: 1).map { "\($0.variant)|\($0.slice)|\($0.value ?? -1)|\($0.n)" }.sorted()
            + ["balancedAccuracyScore", "macroF1Score"].flatMap { name in
                try store.metrics(named: name, runID: 1).map { "\(name)|\($0.variant)|\($0.slice)|\($0.value ?? -1)" }.sorted()
            }
    }

    static func start(_ arguments: [String], in directory: URL) throws -> Process {
        let process = Process()
        process.executableURL = CLITests.binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test func killedTwentyTimesAtRandomAndResumedGivesTheUninterruptedResult() throws {
        let directory = try TestSupport.temporaryDirectory()
        let experiment = try Self.experiment(in: directory)
        let common = ["run", experiment.path, "--chunk-size", "16", "--quiet"]

        // The reference, uninterrupted (it also fits the logistic model: the kills below refit
        // into their own database's run only when the file is missing, so remove it).
        let referenceStart = Date()
        let reference = try Self.start(common + ["--db", "reference.sqlite"], in: directory)
        reference.waitUntilExit()
        let duration = Date().timeIntervalSince(referenceStart)
        try #require(reference.terminationStatus == 0)
        try FileManager.default.removeItem(at: directory.appendingPathComponent("logistic.json"))

        var state: UInt64 = 20_261_201
        func nextUniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        let database = directory.appendingPathComponent("killed.sqlite")
        var kills = 0, completedEarly = false
        for _ in 0..<20 {
            // Resume once a run exists (a kill during start-up may come before it is created).
            let exists = ((try? Store(readingOnly: database.path).listRuns().count) ?? 0) > 0
            let resume = exists ? ["--resume"] : []
            let process = try Self.start(common + ["--db", database.path] + resume, in: directory)
            // Each attempt gets a random slice of the whole run's time, so the kills spread over
            // start-up, fitting, decoding, inference and store writes (and, if reached, reports).
            Thread.sleep(forTimeInterval: 0.05 + nextUniform() * duration / 12)
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            process.waitUntilExit()
            if (try? Store(readingOnly: database.path).listRuns().first?.status) == "completed" { completedEarly = true; break }
        }
        if !completedEarly {
            // On a loaded machine every kill can land before the run is created: then there is
            // nothing to resume, and the last attempt starts it.
            let exists = ((try? Store(readingOnly: database.path).listRuns().count) ?? 0) > 0
            let last = try Self.start(common + ["--db", database.path] + (exists ? ["--resume"] : []), in: directory)
            last.waitUntilExit()
            #expect(last.terminationStatus == 0)
        }
        #expect(kills >= 15, "only \(kills) kills landed before the run completed")

        let store = try Store(readingOnly: database.path)
        let runs = try store.listRuns()
        #expect(runs.map(\.status) == ["completed"], "one run, resumed, never restarted: \(runs.map(\.status))")
        let samples = try store.samples(runID: 1).filter { $0.split == "test" }.count
        let predictions = try store.predictions(runID: 1)
        #expect(predictions.count == 2 * samples)
        #expect(Set(predictions.map { "\($0.variantID)-\($0.sampleID)" }).count == predictions.count, "no duplicates")
        #expect(try Self.metrics(database) == Self.metrics(directory.appendingPathComponent("reference.sqlite")))
    }

    /// The moment the random kills above rarely hit: while the reports are drawn. The run is
    /// watched until its first report file appears, then killed; everything stored stays, the
    /// run is not finished (its status is stored after its reports), and `--resume` draws every
    /// report, as `stratum report` does.
    @Test func aKillWhileDrawingReportsLosesNothingAndReportRedrawsThem() throws {
        let directory = try TestSupport.temporaryDirectory()
        let experiment = try Self.experiment(in: directory, count: 300)
        let common = ["run", experiment.path, "--quiet", "--reports", "R"]
        let reference = try Self.start(common + ["--db", "reference.sqlite"], in: directory)
        reference.waitUntilExit()
        try #require(reference.terminationStatus == 0)
        let expected = try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("R/resume/run-1").path).sorted()

        let database = directory.appendingPathComponent("killed.sqlite")
        let process = try Self.start(["run", experiment.path, "--quiet", "--reports", "K", "--db", database.path], in: directory)
        let reports = directory.appendingPathComponent("K/resume/run-1")
        var killedWhileDrawing = false
        var charts: [Int32] = []
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning, Date() < deadline {
            let drawn = (try? FileManager.default.contentsOfDirectory(atPath: reports.path))?.filter { $0.hasSuffix(".png") } ?? []
            if !drawn.isEmpty {
                charts = Self.children(of: process.processIdentifier)
                kill(process.processIdentifier, SIGKILL)
                killedWhileDrawing = drawn.count < expected.filter { $0.hasSuffix(".png") }.count
                break
            }
            Thread.sleep(forTimeInterval: 0.005)
        }
        process.waitUntilExit()
        try #require(killedWhileDrawing, "the kill landed while the reports were being drawn")
        // A gnuplot drawing at that moment dies with stratum (it is not left running).
        let gone = Date().addingTimeInterval(5)
        while Date() < gone, charts.contains(where: { kill($0, 0) == 0 && !Self.isZombie($0) }) { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!charts.contains { kill($0, 0) == 0 && !Self.isZombie($0) }, "gnuplot children \(charts) outlived stratum")
        #expect(!FileManager.default.fileExists(atPath: reports.appendingPathComponent("index.html").path))

        // The run stores its final status once its reports are drawn: killed while drawing them,
        // it is not finished (interrupted for the next command), and --resume draws them.
        let listed = try CLITests.run(["runs", "--db", database.path, "--format", "json"], in: directory)
        #expect(listed.stdout.contains("\"status\" : \"interrupted\""), "\(listed.stdout)")
        #expect(try Self.metrics(database) == Self.metrics(directory.appendingPathComponent("reference.sqlite")))
        let resumed = try CLITests.run(["run", experiment.path, "--quiet", "--reports", "K", "--db", database.path, "--resume"], in: directory)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try Store(readingOnly: database.path).listRuns().map(\.status) == ["completed"])
        #expect(try Self.metrics(database) == Self.metrics(directory.appendingPathComponent("reference.sqlite")))
        // (A rare failure here under a loaded parallel run did not say which files differed.)
        func differences() throws -> String {
            let files = Set(try FileManager.default.contentsOfDirectory(atPath: reports.path))
            return "extra: \(files.subtracting(expected).sorted()), missing: \(Set(expected).subtracting(files).sorted())"
        }
        let afterResume = try differences()
        #expect(try FileManager.default.contentsOfDirectory(atPath: reports.path).sorted() == expected, "\(afterResume)")
        // `stratum report` draws them again too.
        let redraw = try CLITests.run(["report", "1", "--db", database.path, "--reports", "K"], in: directory)
        #expect(redraw.status == 0, "\(redraw.stderr)")
        let afterRedraw = try differences()
        #expect(try FileManager.default.contentsOfDirectory(atPath: reports.path).sorted() == expected, "\(afterRedraw)")
    }

    /// Processes whose parent is `pid` (from /proc).
    static func children(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { child in
            guard let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && Int32(fields[1]) == pid
        }
    }

    static func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(after: close)...].split(separator: " ").first == "Z"
    }

    /// Runs `experiment` into `r.sqlite` in `directory` and SIGKILLs it as soon as it has
    /// stored predictions; returns the store's path (the run is left `running`, its holder gone).
    static func killedOnceStored(_ experiment: URL, in directory: URL, extra: [String] = []) throws -> String {
        let process = try start(["run", experiment.path, "--db", "r.sqlite", "--quiet", "--chunk-size", "8"] + extra, in: directory)
        let path = directory.appendingPathComponent("r.sqlite").path
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, process.isRunning, (try? Store(readingOnly: path).listRuns().first?.predictions ?? 0) ?? 0 == 0 {
            Thread.sleep(forTimeInterval: 0.01)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try #require(try Store(readingOnly: path).listRuns().first?.status == "running", "the run finished before it could be killed")
        return path
    }

    /// A database file deleted while the run writes into it: SQLite goes on without an error,
    /// so the run says that nothing of it is stored instead of reporting success.
    @Test func aDatabaseDeletedDuringTheRunIsReported() throws {
        let directory = try TestSupport.temporaryDirectory()
        let experiment = try Self.experiment(in: directory)
        let process = Process()
        process.executableURL = CLITests.binary
        process.arguments = ["run", experiment.path, "--db", "gone.sqlite", "--quiet", "--chunk-size", "8"]
        process.currentDirectoryURL = directory
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let path = directory.appendingPathComponent("gone.sqlite").path
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, process.isRunning, (try? Store(readingOnly: path).listRuns().first?.predictions ?? 0) ?? 0 == 0 {
            Thread.sleep(forTimeInterval: 0.01)
        }
        try #require(process.isRunning, "the run finished before its database could be deleted")
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1 && stderr.contains("was deleted during the run"), "\(process.terminationStatus) \(stderr)")
    }

    /// A model file missing at resume stops the resume (the run stays interrupted) instead of
    /// failing that variant for good; once the file is back, the run resumes and completes.
    @Test func aModelMissingAtResumeLeavesTheRunResumable() throws {
        let directory = try TestSupport.temporaryDirectory()
        let experiment = try Self.experiment(in: directory)
        let cnn = directory.appendingPathComponent("cnn"), away = directory.appendingPathComponent("cnn-away")
        try FileManager.default.copyItem(at: TestSupport.repositoryRoot.appendingPathComponent("Experiments/models/small-cnn"), to: cnn)
        try TestSupport.write(try String(contentsOf: experiment, encoding: .utf8)
            .replacingOccurrences(of: TestSupport.repositoryRoot.appendingPathComponent("Experiments/models/small-cnn").path, with: cnn.path), to: experiment)
        let path = try Self.killedOnceStored(experiment, in: directory)
        try FileManager.default.moveItem(at: cnn, to: away)
        let refused = try CLITests.run(["run", experiment.path, "--db", "r.sqlite", "--resume"], in: directory)
        #expect(refused.status == 1 && refused.stderr.contains("variant 'cnn' cannot be loaded"), "\(refused.stderr)")
        #expect(try Store(readingOnly: path).listRuns().first?.status == "interrupted")
        try FileManager.default.moveItem(at: away, to: cnn)
        let resumed = try CLITests.run(["run", experiment.path, "--db", "r.sqlite", "--resume", "--quiet"], in: directory)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try Store(readingOnly: path).listRuns().first?.status == "completed")
    }

    /// Run 1's evaluated samples: all, those with a stored prediction, those without.
    static func evaluatedSamples(_ path: String) throws -> (all: [StoredSample], predicted: [StoredSample], notYet: [StoredSample]) {
        let store = try Store(readingOnly: path)
        let predicted = Set(try store.predictions(runID: 1).map(\.sampleID))
        let samples = try store.samples(runID: 1).filter { $0.split == "test" }
        return (samples, samples.filter { predicted.contains($0.id) }, samples.filter { !predicted.contains($0.id) })
    }

    /// Image files changed since their predictions were stored stop the resume, named (the
    /// run would mix predictions of two versions of them under one manifest); a file with no
    /// stored prediction yet may change, since it is decoded afresh.
    @Test func resumeRefusesImageFilesChangedSinceTheirPredictions() throws {
        let directory = try TestSupport.temporaryDirectory()
        let experiment = try Self.experiment(in: directory)
        let path = try Self.killedOnceStored(experiment, in: directory)
        let (samples, done, notYet) = try Self.evaluatedSamples(path)
        try #require(done.count >= 2 && !notYet.isEmpty, "\(done.count) predicted, \(notYet.count) not")
        let data = directory.appendingPathComponent("data")
        func url(_ sample: StoredSample) -> URL { data.appendingPathComponent(sample.path) }
        // Another image's pixels in place of one predicted file, another predicted file cut
        // short, and an image not predicted yet replaced too. (A file gone is refused before,
        // by the manifest check.)
        let changed = done[0], cut = done[1], later = notYet[0]
        let originals = try [changed, cut, later].map { try Data(contentsOf: url($0)) }
        var other = try ImageFile.read(url(samples.first { $0.id != changed.id }!))
        other.pixels[0] &+= 1
        try ImageFile.writePNG(other, to: url(changed))
        try ImageFile.writePNG(other, to: url(later))
        try originals[1].prefix(100).write(to: url(cut))
        // As if the killed run had decoded that one without predicting it: a fingerprint of
        // other bytes, no prediction. It is not checked, and the resumed run replaces it.
        try Store(path: path).insertImageFingerprints(runID: 1, [(sampleID: later.id, fingerprint: 42)])
        let refused = try CLITests.run(["run", experiment.path, "--db", "r.sqlite", "--resume"], in: directory)
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("cannot resume") && refused.stderr.contains("2 of the")
                && refused.stderr.contains("'\(changed.path)' (changed)") && refused.stderr.contains("'\(cut.path)' (changed)"), "\(refused.stderr)")
        #expect(!refused.stderr.contains(later.path), "\(refused.stderr)")
        #expect(try Store(readingOnly: path).listRuns().first?.status == "interrupted")
        // The predicted files as they were: the resume goes on (the changed unpredicted one is decoded now).
        try originals[0].write(to: url(changed))
        try originals[1].write(to: url(cut))
        let resumed = try CLITests.run(["run", experiment.path, "--db", "r.sqlite", "--resume", "--quiet"], in: directory)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try Store(readingOnly: path).listRuns().first?.status == "completed")
        // Its fingerprint is the file's as decoded in the resumed run.
        let fingerprints = try Store(readingOnly: path).imageFingerprints(runID: 1)
        #expect(fingerprints[later.id] == ContentFingerprint.of(Array(try Data(contentsOf: url(later)))))
        #expect(fingerprints[later.id] != ContentFingerprint.of(Array(originals[2])))
        #expect(fingerprints.count == samples.count)
    }

    /// Images recorded unreadable before the interruption are decoded again: one mended since
    /// is evaluated (as an uninterrupted run on the files as they are would), one still broken
    /// is recorded again.
    @Test func resumeDecodesImagesThatWereUnreadableAgain() throws {
        let directory = try TestSupport.temporaryDirectory()
        let experiment = try Self.experiment(in: directory)
        let path = try Self.killedOnceStored(experiment, in: directory)
        let (samples, _, notYet) = try Self.evaluatedSamples(path)
        try #require(notYet.count >= 2)
        let mended = notYet[0], broken = notYet[1]
        let brokenURL = directory.appendingPathComponent("data").appendingPathComponent(broken.path)
        try Data(try Data(contentsOf: brokenURL).prefix(60)).write(to: brokenURL)
        // As the killed run would have recorded them had it reached them (the first file broken then, mended since).
        try Store(path: path).insertUnreadableSamples(runID: 1, [(mended.id, "was truncated"), (broken.id, "was truncated")])
        let resumed = try CLITests.run(["run", experiment.path, "--db", "r.sqlite", "--resume", "--quiet"], in: directory)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let after = try Store(readingOnly: path)
        #expect(try after.unreadableSamples(runID: 1).map(\.key) == [broken.key])
        let rows = try after.predictions(runID: 1)
        #expect(rows.filter { $0.sampleID == mended.id }.count == 2 && !rows.contains { $0.sampleID == broken.id })
        #expect(rows.count == 2 * (samples.count - 1))
    }

    /// Every bootstrap interval of run 1 (`metrics` has the values alone).
    static func intervals(_ database: String, experiment: String = "resume") throws -> [String] {
        let store = try Store(readingOnly: database)
        let runID = try store.run(experiment: experiment, number: 1).run.id
        return try store.allMetrics(runID: runID).filter { $0.intervalMethod == "bootstrap-stratified-percentile" }
            .map { "\($0.variant)|\($0.slice)|\($0.name)|\($0.ciLow ?? -1)|\($0.ciHigh ?? -1)" }.sorted()
    }

    /// The bootstrap intervals of an uninterrupted run of `experiment` with `settings` (into
    /// `reference.sqlite` beside it): what a resumed or sharded run with them must give.
    static func referenceIntervals(_ experiment: URL, in directory: URL, settings: [String]) throws -> [String] {
        let reference = try CLITests.run(["run", experiment.path, "--db", "reference.sqlite", "--quiet"] + settings, in: directory)
        try #require(reference.status == 0, "\(reference.stderr)")
        let expected = try intervals(directory.appendingPathComponent("reference.sqlite").path)
        try #require(!expected.isEmpty)
        return expected
    }

    /// A resumed run computes its intervals with the bootstrap settings it started with, and
    /// refuses others: resumed without its `--seed`, it used the default one, and its intervals
    /// were not those of the same run uninterrupted.
    @Test func aResumedRunKeepsTheBootstrapSettingsItStartedWith() throws {
        let directory = try TestSupport.temporaryDirectory()
        let experiment = try Self.experiment(in: directory, count: 400)
        let settings = ["--seed", "7", "--resamples", "200"]
        let expected = try Self.referenceIntervals(experiment, in: directory, settings: settings)

        let path = try Self.killedOnceStored(experiment, in: directory, extra: settings)
        let refused = try CLITests.run(["run", experiment.path, "--db", "r.sqlite", "--resume", "--seed", "8"], in: directory)
        #expect(refused.status == 1 && refused.stderr.contains("run 1 was started with --resamples 200 --seed 7")
                && refused.stderr.contains("this command gives --seed 8 (leave it out"), "\(refused.stderr)")
        #expect(try Store(readingOnly: path).listRuns().first?.status == "interrupted")
        let resumed = try CLITests.run(["run", experiment.path, "--db", "r.sqlite", "--resume", "--quiet", "--resamples", "200"], in: directory)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try Self.intervals(path) == expected)
    }

    @Test func resumeRefusesWhenTheExperimentFileChanged() throws {
        let directory = try TestSupport.temporaryDirectory()
        let experiment = try Self.experiment(in: directory)
        _ = try Self.killedOnceStored(experiment, in: directory)
        try TestSupport.write(try String(contentsOf: experiment, encoding: .utf8).replacingOccurrences(of: "batch_size: 8", with: "batch_size: 4"), to: experiment)
        let result = try CLITests.run(["run", experiment.path, "--db", "r.sqlite", "--resume"], in: directory)
        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot resume") && result.stderr.contains("changed"), "\(result.stderr)")
        // Starting over instead: the note gives the command that resumes, with this store and reports folder.
        let over = try CLITests.run(["run", experiment.path, "--db", "r.sqlite", "--reports", "my reports", "--quiet"], in: directory)
        #expect(over.stderr.contains("stratum run \(experiment.path) --resume 1 --db r.sqlite --reports 'my reports'"), "\(over.stderr)")
    }
}

/// Two runs and readers on one store at once: no lost rows, no "database is locked".
@Suite(.serialized) struct ConcurrentStoreTests {
    @Test func twoRunsAndAReaderShareOneStore() throws {
        let directory = try TestSupport.temporaryDirectory()
        let experiment = try ResumeTests.experiment(in: directory, count: 500)
        // Both runs start on a new file at once (the migration race included).
        let runs = try (0..<2).map { _ in
            try ResumeTests.start(["run", experiment.path, "--db", "shared.sqlite", "--quiet", "--chunk-size", "16"], in: directory)
        }
        var readerFailures: [String] = []
        while runs.contains(where: \.isRunning) {
            let reader = try CLITests.run(["runs", "--db", "shared.sqlite", "--format", "json"], in: directory)
            if reader.status != 0 && !reader.stderr.contains("no database at") { readerFailures.append(reader.stderr) }
            Thread.sleep(forTimeInterval: 0.05)
        }
        runs.forEach { $0.waitUntilExit() }
        #expect(runs.map(\.terminationStatus) == [0, 0])
        #expect(readerFailures.isEmpty, "\(readerFailures)")
        let store = try Store(readingOnly: directory.appendingPathComponent("shared.sqlite").path)
        let listed = try store.listRuns()
        #expect(listed.map(\.number).sorted() == [1, 2] && listed.allSatisfy { $0.status == "completed" })
        let samples = try store.samples(runID: 1).filter { $0.split == "test" }.count
        #expect(listed.allSatisfy { $0.predictions == 2 * samples }, "\(listed.map(\.predictions)) for \(samples) samples")
    }
}
