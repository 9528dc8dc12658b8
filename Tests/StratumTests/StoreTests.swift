import StratumTesting
import Foundation
import GRDB
import StratumCore
import StratumMetrics
import StratumStore
import Testing

@Suite struct StoreTests {
    static func sample(_ id: String, label: String) -> Sample {
        Sample(id: id, url: URL(fileURLWithPath: "/d/\(id).png"), relativePath: "\(id).png", label: label, split: "test", attributes: ["age": "7", "sex": label], line: 2)
    }

    @Test func roundTripsARun() throws {
        let store = try Store()
        let run = try store.beginRun(experiment: "faces", spec: "name: faces", specHash: "abc", gitCommit: "0123")
        let runID = run.id
        #expect(run.number == 1)
        let samples = [Self.sample("a", label: "female"), Self.sample("b", label: "male")]
        let (_, ids) = try store.storeDataset(manifestPath: "/d/manifest.csv", manifestHash: "h", labelColumn: "sex", labels: ["female", "male"], samples: samples, runID: runID)
        let variantID = try store.insertVariant(runID: runID, name: "logistic", kind: "logistic", path: "/m.json", fileHash: "f", labels: ["female", "male"])
        let probabilities: [[Float]] = [[0.9, 0.1], [0.123456789, 0.876543211]]
        try store.insertPredictions(zip(["a", "b"], probabilities).map { key, row in
            StoredPrediction(runID: runID, variantID: variantID, sampleID: ids[key] ?? 0, predicted: row[0] > row[1] ? "female" : "male", probabilities: row)
        })
        let sliceIDs = try store.insertSlices(runID: runID, heldBy: .current, [("overall", "true", [], [ids["a"] ?? 0, ids["b"] ?? 0])])
        let outcomes = VariantOutcomes(labels: ["female", "male"], truth: [0, 1], predicted: [0, 1], probabilities: [0.9, 0.1, 0.2, 0.8])
        let metrics = MetricSuite.evaluate(outcomes, slice: EvaluationSlice(members: [0, 1], truth: outcomes.truth, classCount: 2))
        try store.insertMetrics(runID: runID, variantID: variantID, heldBy: .current, [(sliceIDs["overall"] ?? 0, metrics)])
        try store.setVariantStatus(variantID, .completed)
        try store.finishRun(runID, status: .completed)

        try store.read { db in
            let predictions = try PredictionRecord.order(Column("id")).fetchAll(db)
            #expect(predictions.map(\.probabilities) == probabilities, "probabilities keep full float precision")
            #expect(predictions.map(\.predicted) == ["female", "male"])
            let stored = try MetricRecord.fetchAll(db)
            #expect(stored.count == metrics.metrics.count)
            let accuracy = try #require(stored.first { $0.name == "accuracyScore" })
            #expect(accuracy.value == 1 && accuracy.n == 2 && accuracy.ciLow != nil && accuracy.denominator == 2 && accuracy.intervalMethod == "wilson")
            #expect(try ConfusionCellRecord.fetchCount(db) == 4)
            let sample = try #require(try SampleRecord.filter(Column("key") == "a").fetchOne(db))
            #expect(sample.attributes == ["age": "7", "sex": "female"])
            let runs = try RunRecord.fetchAll(db)
            #expect(runs.map(\.status) == [.completed] && runs[0].finishedAt != nil && runs[0].gitCommit == "0123")
            let variant = try #require(try ModelVariantRecord.fetchOne(db))
            #expect(variant.status == .completed && variant.labels == ["female", "male"])
        }
    }

    /// A new database's folders are made as the reports' are; a path that is a folder or lies
    /// under a file is refused by name, before SQLite's "unable to open database file".
    @Test func aNewStoresFoldersAreCreatedAndImpossiblePathsNamed() throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let nested = root.appendingPathComponent("a/b/runs.sqlite").path
        _ = try Store(path: nested)
        #expect(FileManager.default.fileExists(atPath: nested))
        let file = root.appendingPathComponent("plain")
        try Data("x".utf8).write(to: file)
        for (path, says) in [(root.path, "is a folder"), (file.appendingPathComponent("c/runs.sqlite").path, "\(file.path) is a file")] {
            let error = try #require(throws: StoreError.self) { try Store(path: path) }
            #expect(error.path == path && error.message.contains(says), "\(error)")
        }
    }

    @Test func runsAreNumberedPerExperiment() throws {
        let store = try Store()
        #expect(try store.beginRun(experiment: "a", spec: "", specHash: "", gitCommit: nil).number == 1)
        #expect(try store.beginRun(experiment: "a", spec: "", specHash: "", gitCommit: nil).number == 2)
        #expect(try store.beginRun(experiment: "b", spec: "", specHash: "", gitCommit: nil).number == 1)
        #expect(try store.listRuns(experiment: "a").map(\.number) == [1, 2])
    }

    @Test func aPredictionIsNeverStoredTwice() throws {
        let store = try Store()
        let runID = try store.beginRun(experiment: "a", spec: "", specHash: "", gitCommit: nil).id
        let (_, ids) = try store.storeDataset(manifestPath: "/m", manifestHash: "h", labelColumn: "sex", labels: ["f", "m"], samples: [Self.sample("a", label: "f")], runID: runID)
        let variantID = try store.insertVariant(runID: runID, name: "v", kind: "logistic", path: "/p", fileHash: nil, labels: ["f", "m"])
        let record = StoredPrediction(runID: runID, variantID: variantID, sampleID: ids["a"] ?? 0, predicted: "f", probabilities: [1, 0])
        try store.insertPredictions([record])
        // A batch holding a duplicate fails whole: the good row in it is not stored either.
        let other = StoredPrediction(runID: runID, variantID: variantID, sampleID: ids["a"] ?? 0, predicted: "m", probabilities: [0, 1])
        #expect(throws: (any Error).self) { try store.insertPredictions([other]) }
        #expect(try store.read { try PredictionRecord.fetchCount($0) } == 1)
    }

    /// A holder killed but not reaped by its parent (a zombie) holds nothing: its run would
    /// otherwise stay `running` for as long as the parent lives.
    @Test func aZombieHolderIsNotAlive() throws {
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sleep"), strdup("0.3"), nil]
        defer { argv.forEach { free($0) } }
        try #require(posix_spawn(&pid, "/bin/sleep", nil, nil, argv, environ) == 0)
        defer { var status: Int32 = 0; waitpid(pid, &status, 0) }
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let start = String(stat[stat.index(after: try #require(stat.lastIndex(of: ")")))...].split(separator: " ")[19])
        let me = RunLease.current
        let holder = RunLease(host: me.host, processSpace: me.processSpace, pid: pid, processStart: start)
        #expect(holder.isAlive(heartbeat: nil, observer: me))
        Thread.sleep(forTimeInterval: 0.8)  // exited, not reaped: a zombie
        #expect(try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8).contains(") Z "))
        #expect(!holder.isAlive(heartbeat: nil, observer: me))
    }

    @Test func deadRunsAreMarkedInterruptedByLease() throws {
        let store = try Store()
        let me = RunLease.current
        let now = Date()
        // Same process space: judged by pid and start time.
        let alive = try store.beginRun(experiment: "a", spec: "", specHash: "", gitCommit: nil, lease: me)
        var reused = me
        reused.processStart = "1"
        let pidReused = try store.beginRun(experiment: "a", spec: "", specHash: "", gitCommit: nil, lease: reused)
        var gone = me
        gone.pid = Int32.max - 7
        let pidGone = try store.beginRun(experiment: "a", spec: "", specHash: "", gitCommit: nil, lease: gone)
        // Another container or machine: judged by heartbeat, whatever its pid says here.
        let elsewhere = RunLease(host: "node-7", processSpace: "other-boot/pid:[4026531836]", pid: me.pid, processStart: me.processStart)
        let fresh = try store.beginRun(experiment: "a", spec: "", specHash: "", gitCommit: nil, lease: elsewhere)
        let stale = try store.beginRun(experiment: "a", spec: "", specHash: "", gitCommit: nil, lease: elsewhere)
        try store.heartbeat(stale.id, heldBy: elsewhere, at: now.addingTimeInterval(-RunLease.expiry - 5))
        try store.heartbeat(fresh.id, heldBy: elsewhere, at: now.addingTimeInterval(-5))

        let marked = try store.reconcileInterruptedRuns(observer: me, now: now)
        #expect(Set(marked.map(\.id)) == [pidReused.id, pidGone.id, stale.id])
        let statuses = Dictionary(uniqueKeysWithValues: try store.listRuns().map { ($0.number, $0.status) })
        #expect(statuses[alive.number] == "running" && statuses[fresh.number] == "running")
        #expect(statuses[stale.number] == "interrupted")
        #expect(try store.listRuns().first { $0.number == stale.number }?.error?.contains("node-7") == true)
    }

    @Test func twoProcessesOpeningANewStoreAtOnceBothMigrateIt() throws {
        for attempt in 0..<5 {
            let path = try TestSupport.temporaryDirectory().appendingPathComponent("race-\(attempt).sqlite").path
            let opened = ConcurrentResults<Int>(count: 6)
            DispatchQueue.concurrentPerform(iterations: 6) { index in
                opened.set(index, Result { try Store(path: path).listRuns().count })
            }
            #expect(try opened.values() == Array(repeating: 0, count: 6))
        }
    }

    @Test func aReadOnlyStoreCanStillBeListedAndRefusesWrites() throws {
        let path = try TestSupport.temporaryDirectory().appendingPathComponent("ro.sqlite").path
        do {
            let store = try Store(path: path)
            _ = try store.beginRun(experiment: "a", spec: "", specHash: "", gitCommit: nil, lease: RunLease(host: "h", processSpace: "gone", pid: 1, processStart: "0"))
        }
        let reader = try Store(readingOnly: path)
        #expect(reader.isReadOnly)
        #expect(try reader.reconcileInterruptedRuns().isEmpty, "a reader never writes")
        #expect(try reader.listRuns().map(\.experiment) == ["a"])
        let error = try #require(throws: (any Error).self) { try reader.beginRun(experiment: "b", spec: "", specHash: "", gitCommit: nil) }
        #expect("\(error)".lowercased().contains("readonly") || "\(error)".lowercased().contains("read-only"), "\(error)")
    }

    @Test func theSQLiteStoreKeepsTheRunStoreContract() throws {
        let path = try TestSupport.temporaryDirectory().appendingPathComponent("c.sqlite").path
        #expect(RunStoreConformance.violations(of: try Store(path: path)) == [])
    }

    @Test func fileStoreSurvivesReopening() throws {
        let path = try TestSupport.temporaryDirectory().appendingPathComponent("s.sqlite").path
        do {
            let store = try Store(path: path)
            _ = try store.beginRun(experiment: "a", spec: "", specHash: "", gitCommit: nil)
        }
        let reopened = try Store(path: path)
        #expect(try reopened.listRuns().count == 1)
    }

    @Test func aFileThatIsNotADatabaseIsAClearError() throws {
        let url = try TestSupport.temporaryDirectory().appendingPathComponent("bad.sqlite")
        try TestSupport.write(String(repeating: "not a database ", count: 100), to: url)
        let error = try #require(throws: StoreError.self) { try Store(path: url.path) }
        #expect(error.description.contains(url.path))
    }

    /// Someone else's SQLite database given as `--db` is refused by every way of opening a
    /// store, byte for byte untouched (no WAL switch, no tables, no migration table), even
    /// when one of its tables has a name Stratum uses; an empty file becomes a store.
    @Test(arguments: ["CREATE TABLE users(id INTEGER, name TEXT); INSERT INTO users VALUES (1, 'a')", "CREATE TABLE run(x)"])
    func aForeignDatabaseIsRefusedAndLeftUntouched(_ sql: String) throws {
        let url = try TestSupport.temporaryDirectory().appendingPathComponent("theirs.sqlite")
        try DatabaseQueue(path: url.path).write { try $0.execute(sql: sql) }
        let before = try Data(contentsOf: url)
        for open in [{ _ = try Store(path: url.path) }, { _ = try Store(readingOnly: url.path) }, { _ = try Store.open(path: url.path) }] as [() throws -> Void] {
            let error = try #require(throws: StoreError.self) { try open() }
            #expect(error.description.contains("not a Stratum store") && error.description.contains(url.path), "\(error)")
        }
        #expect(try Data(contentsOf: url) == before)
        let files = try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)
        #expect(files == ["theirs.sqlite"], "no -wal or -shm beside it: \(files)")

        let empty = url.deletingLastPathComponent().appendingPathComponent("empty.sqlite")
        FileManager.default.createFile(atPath: empty.path, contents: Data())
        #expect(try Store(path: empty.path).listRuns().isEmpty)
    }
}
