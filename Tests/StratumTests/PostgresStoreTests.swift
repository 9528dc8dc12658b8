import Foundation
import StratumCore
import StratumMetrics
import StratumRunner
import StratumStore
import StratumStorePostgres
import StratumTesting
import Testing

/// The PostgreSQL server these tests use: the one `scripts/test.sh` started (its folder in
/// `$STRATUM_TEST_POSTGRES_DIR`), else one started here with `scripts/postgres-test-server.sh`
/// and stopped when the test process exits. Each test gets a database of its own.
enum PostgresTestServer {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static let script = TestSupport.repositoryRoot.appendingPathComponent("scripts/postgres-test-server.sh").path

    /// The server's folder, and whether this process started it (and so stops it).
    static let server: Result<(directory: String, owned: Bool), Failure> = {
        if let directory = ProcessInfo.processInfo.environment["STRATUM_TEST_POSTGRES_DIR"], !directory.isEmpty {
            return .success((directory, false))
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stratum-pg-\(getpid())").path
        let started = shell([script, "start", directory])
        guard started.status == 0 else {
            return .failure(Failure(description: "cannot start a PostgreSQL server (scripts/postgres-test-server.sh start): \(started.output)"))
        }
        atexit {
            if case .success(let server) = PostgresTestServer.server, server.owned {
                _ = PostgresTestServer.shell([PostgresTestServer.script, "stop", server.directory])
            }
        }
        return .success((directory, true))
    }()

    private static let counter = Counter()

    /// A new, empty database on the server: its URL. With `icuLocale`, text sorts by that ICU
    /// collation (else by C, byte order).
    static func database(icuLocale: String? = nil) throws -> String {
        let server = try server.get()
        let name = "t\(getpid())_\(counter.next())"
        let made = shell([script, "createdb", server.directory, name] + (icuLocale.map { [$0] } ?? []))
        guard made.status == 0, let url = made.output.split(separator: "\n").last.map(String.init), url.hasPrefix("postgres://") else {
            throw Failure(description: "createdb \(name) failed: \(made.output)")
        }
        return url
    }

    /// Runs a bash script; output trimmed.
    static func shell(_ arguments: [String]) -> (status: Int32, output: String) {
        do {
            let result = try TestSupport.run("/bin/bash", arguments)
            return (result.status, result.output.trimmingCharacters(in: .whitespacesAndNewlines))
        } catch {
            return (-1, "\(error)")
        }
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func next() -> Int { lock.withLock { value += 1; return value } }
    }
}

@Suite struct PostgresLocationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var url: String
        var expected: PostgresLocation?
        var error: String?
        var testDescription: String { url }
    }

    static func location(_ user: String, _ password: String?, _ host: String, _ port: Int, _ database: String, tls: Bool = false) -> PostgresLocation? {
        var location = try? PostgresLocation(url: "postgres://u@h/d")
        location?.user = user; location?.password = password; location?.host = host; location?.port = port
        location?.database = database; location?.tls = tls ? .require : .disable
        return location
    }

    static let cases: [Case] = [
        Case(url: "postgres://stratum@db.internal/runs", expected: location("stratum", nil, "db.internal", 5432, "runs")),
        Case(url: "postgresql://alice:p%40ss%3Aword@10.0.0.7:6543/team%20runs?sslmode=require",
             expected: location("alice", "p@ss:word", "10.0.0.7", 6543, "team runs", tls: true)),
        // Decoded once: a literal "%41" is written %2541 and stays "%41" (it became "A").
        Case(url: "postgres://u%2541:100%2541@h/d%2541", expected: location("u%41", "100%41", "h", 5432, "d%41")),
        Case(url: "postgres://u@h/d?sslmode=disable&application_name=x", expected: location("u", nil, "h", 5432, "d")),
        Case(url: "postgres://u@h/d?sslmode=allow", expected: location("u", nil, "h", 5432, "d")),
        Case(url: "postgres://h/d", error: "names no user"),
        Case(url: "postgres://u@h", error: "names no database"),
        Case(url: "postgres://u@h/", error: "names no database"),
        Case(url: "postgres://u@h/a/b", error: "names no database"),
        Case(url: "postgres://u@h/d?sslmode=verify-full", expected: location("u", nil, "h", 5432, "d", tls: true)),
        Case(url: "postgres://u@h/d?sslmode=bogus", error: "sslmode 'bogus' is not supported"),
        Case(url: "postgres://u@h/d?options=-c%20x", error: "unknown URL parameter 'options'"),
        Case(url: "postgres://u@/d", error: "names no host"),
        Case(url: "mysql://u@h/d", error: "not a PostgreSQL URL"),
    ]

    @Test(arguments: cases)
    func parses(_ testCase: Case) {
        do {
            let location = try PostgresLocation(url: testCase.url)
            #expect(testCase.error == nil, "expected an error containing '\(testCase.error ?? "")', got \(location)")
            #expect(location == testCase.expected)
        } catch {
            #expect(testCase.error.map { "\(error)".contains($0) } == true, "\(error)")
        }
    }

    @Test func passwordsNeverAppearInMessages() throws {
        #expect(PostgresLocation.redact("postgres://u:hunter2@h:5/d") == "postgres://u:***@h:5/d")
        #expect(PostgresLocation.redact("postgres://u@h/d") == "postgres://u@h/d")
        #expect(try PostgresLocation(url: "postgres://u:hunter2@h/d").redacted == "postgres://u:***@h:5432/d")
        let error = try #require(throws: PostgresStoreError.self) { try PostgresLocation(url: "postgres://u:hunter2@h/d?sslmode=bad") }
        #expect(!"\(error)".contains("hunter2"))
    }

    /// Every form a password came back in, found by a review of the store: other schemes, a
    /// one-slash URL, a `password=` parameter; paths without one are shown as they are.
    static let shown: [(given: String, shown: String)] = [
        ("postgresql+psycopg://u:hunter2@h/db", "postgresql+psycopg://u:***@h/db"),
        ("jdbc:postgresql://u:hunter2@h/db", "jdbc:postgresql://u:***@h/db"),
        ("postgress://u:hunter2@h/db", "postgress://u:***@h/db"),
        ("postgres:/u:hunter2@h/db", "postgres:/u:***@h/db"),
        ("postgres://u@h/db?password=hunter2", "postgres://u@h/db?password=***"),
        ("postgres://u@h/db?sslmode=require&PASSWORD=hunter2&application_name=x", "postgres://u@h/db?sslmode=require&PASSWORD=***&application_name=x"),
        ("postgres://u:p@ss:word@h/db", "postgres://u:***@h/db"),
        ("Experiments/stratum.sqlite", "Experiments/stratum.sqlite"),
        ("/data/a:b/stratum.sqlite", "/data/a:b/stratum.sqlite"),
        ("/data/my-password=x.sqlite", "/data/my-password=x.sqlite"),
    ]

    @Test(arguments: shown)
    func passwordsAreHiddenInEveryForm(_ given: String, _ shown: String) {
        #expect(RunStores.displayName(given) == shown)
    }

    @Test(arguments: ["postgresql+psycopg://u:hunter2@h/db", "postgres:/u:hunter2@h/db", "PostgreSQL:u:hunter2@h/db", "postgres://u@h/db?password=hunter2"])
    func locationsThatAreNotStoresAreRefusedWithoutThePassword(_ location: String) throws {
        let error = try #require(throws: (any Error).self) { _ = try RunStores.openForWriting(location) }
        #expect(!"\(error)".contains("hunter2"), "\(error)")
        // Nothing made on disk (the one-slash URL made the folders ./postgres:/u:hunter2@h and a SQLite file in them).
        let first = String(location.split(separator: "/").first ?? "")
        #expect(!FileManager.default.fileExists(atPath: first), "\(first)")
    }
}

/// The PostgreSQL store against a real server: the `RunStore` contract, every read equal to the
/// SQLite store's after the same writes (the SQLite store is the oracle), several connections
/// writing at once, and hostile strings stored as data.
@Suite(.serialized) struct PostgresStoreTests {
    @Test func keepsTheRunStoreContract() throws {
        let store = try PostgresStore(url: try PostgresTestServer.database())
        #expect(RunStoreConformance.violations(of: store) == [])
    }

    /// Two machines whose clocks disagree by more than a lease's expiry (review of the store):
    /// heartbeats were written on the holder's clock and judged on the observer's, so a machine
    /// running ahead marked a live run interrupted and took over a live shard. Both are judged
    /// on the server's clock now, and a holder that stops renewing still expires on it.
    @Test func leasesAreJudgedOnTheServersClockWhateverTheMachinesClocksSay() throws {
        let url = try PostgresTestServer.database()
        let skew = 2 * RunLease.expiry
        let behindClock: @Sendable () -> Date = { Date().addingTimeInterval(-skew) }
        let aheadClock: @Sendable () -> Date = { Date().addingTimeInterval(skew) }
        let behind = try PostgresStore(url: url, clock: behindClock)
        let ahead = try PostgresStore(url: url, clock: aheadClock)
        let holder = RunLease(host: "node-behind", processSpace: "boot-b/pid:[1]", pid: 5, processStart: "1")
        let watcher = RunLease(host: "node-ahead", processSpace: "boot-a/pid:[1]", pid: 6, processStart: "1")

        let run = try behind.beginRun(experiment: "skew", spec: "", specHash: "", gitCommit: nil, lease: holder)
        #expect(try behind.heartbeat(run.id, heldBy: holder, at: behindClock()))
        let join = try behind.joinShardedRun(experiment: "skew-sharded", spec: "", specHash: "", gitCommit: nil, key: "k", shardCount: 2,
                                             shardIndex: 0, lease: holder, now: behindClock())
        #expect(try behind.shardHeartbeat(join.run.id, index: 0, heldBy: holder, at: behindClock()))

        #expect(try ahead.reconcileInterruptedRuns(observer: watcher, now: aheadClock()).isEmpty)
        #expect(throws: ShardRefusal.self) {
            try ahead.joinShardedRun(experiment: "skew-sharded", spec: "", specHash: "", gitCommit: nil, key: "k", shardCount: 2, shardIndex: 0,
                                     lease: watcher, now: aheadClock())
        }
        #expect(try ahead.run(experiment: "skew", number: nil).run.status == .running)

        let later = try ahead.reconcileInterruptedRuns(observer: watcher, now: aheadClock().addingTimeInterval(RunLease.expiry + 1))
        #expect(Set(later.map(\.experiment)) == ["skew", "skew-sharded"])
        #expect(try ahead.shards(runID: join.run.id).map(\.status) == [.interrupted])
    }

    /// Lists come out in SQLite's (byte) order on a database collated by ICU's en-US, the
    /// default of managed servers and of the official image: runs, experiments in errors and
    /// unreadable samples sorted otherwise there (review of the store).
    @Test func textSortsAsInSQLiteWhateverTheDatabaseCollation() throws {
        let postgres = try PostgresStore(url: try PostgresTestServer.database(icuLocale: "en-US"))
        let sqlite = try Store()
        let names = ["a10", "B2", "a_1", "a 2", "A1", "é1", "e2"]
        var unreadable: [[(key: String, path: String, reason: String)]] = []
        for store in [postgres, sqlite] as [any RunStore] {
            for name in names { _ = try store.beginRun(experiment: name, spec: "", specHash: "", gitCommit: nil) }
            let run = try store.beginRun(experiment: "u", spec: "", specHash: "", gitCommit: nil).id
            let samples = names.map { Sample(id: $0, url: URL(fileURLWithPath: "/d/\($0).png"), relativePath: "\($0).png", label: "f", split: "test", attributes: [:], line: 2) }
            let ids = try store.storeDataset(manifestPath: "/d/m.csv", manifestHash: "mh", labelColumn: "sex", labels: ["f", "m"], samples: samples, runID: run).sampleIDs
            try store.insertUnreadableSamples(runID: run, names.map { (ids[$0] ?? -1, "bad") })
            unreadable.append(try store.unreadableSamples(runID: run))
        }
        #expect(try postgres.listRuns().map(\.experiment) == sqlite.listRuns().map(\.experiment))
        #expect(unreadable[0].map(\.key) == unreadable[1].map(\.key) && unreadable[1].map(\.key) == names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
        let missing = try #require(throws: (any Error).self) { _ = try postgres.run(experiment: "nosuch", number: nil) }
        let sqliteMissing = try #require(throws: (any Error).self) { _ = try sqlite.run(experiment: "nosuch", number: nil) }
        func listed(_ error: any Error) -> String { "\(error)".components(separatedBy: "no experiment").last ?? "" }
        #expect(listed(missing) == listed(sqliteMissing) && listed(missing).contains("(stored: A1, B2, a 2, a10, a_1, e2, u, é1)"), "\(missing)")
    }

    /// The same writes on both stores; every read of the protocol must agree.
    static func transcript(_ store: any RunStore) throws -> [String] {
        var lines: [String] = []
        func log(_ what: String, _ value: Any) { lines.append("\(what): \(value)") }
        let hostile = ["'; DROP TABLE run; --", "a ? b $1 \\x", "é\u{7}ü", "\"quoted\" & <b>", String(repeating: "long", count: 500)]
        let me = RunLease.current
        let run = try store.beginRun(experiment: hostile[0], spec: hostile[1], specHash: "h1", gitCommit: hostile[3], lease: me)
        log("run", [run.number, run.status.rawValue, run.spec, run.gitCommit ?? "-", run.lease.map { "\($0)" } ?? "-"] as [Any])
        let samples = hostile.enumerated().map { index, text in
            Sample(id: "s\(index)-\(text)", url: URL(fileURLWithPath: "/d/\(index).png"), relativePath: "\(index) \(text).png", label: index % 2 == 0 ? "f" : "m",
                   split: "test", attributes: ["hair": text, "age": "\(index)", text: "key"], line: index + 2)
        }
        let (_, ids) = try store.storeDataset(manifestPath: "/d/\(hostile[1]).csv", manifestHash: "mh", labelColumn: "sex", labels: ["f", "m", hostile[2]],
                                              samples: samples, runID: run.id)
        log("sample keys", ids.keys.sorted())
        log("labels", try store.datasetLabels(runID: run.id))
        log("hash", try store.datasetHash(runID: run.id) ?? "-")
        log("samples", try store.samples(runID: run.id).map { "\($0.key)|\($0.path)|\($0.image.path)|\($0.label)|\($0.attributes.dictionary.sorted { $0.key < $1.key })" })
        let v1 = try store.insertVariant(runID: run.id, name: hostile[4], kind: "tfjs", path: hostile[3], fileHash: nil, labels: ["f", "m"])
        let v2 = try store.insertVariant(runID: run.id, name: "second", kind: "onnx", path: "/m.onnx", fileHash: "fh", labels: ["m", "f"])
        log("same variant again", try store.insertVariant(runID: run.id, name: hostile[4], kind: "tfjs", path: "other", fileHash: nil, labels: []) == v1)
        try store.updateVariant(v1, path: nil, fileHash: hostile[2], labels: ["f", "m"])
        try store.setVariantStatus(v2, .failed, error: hostile[0])
        log("variants", try store.variants(runID: run.id).map { "\($0.name)|\($0.kind)|\($0.path)|\($0.fileHash ?? "-")|\($0.labels)|\($0.status)|\($0.error ?? "-")" })
        let keys = samples.map(\.id)
        let probabilities: [[Float]] = [[0.9, 0.1], [0.123456789, 0.876543211], [1, 0], [Float.leastNonzeroMagnitude, 1], [0.5, 0.5]]
        try store.insertPredictions(zip(keys, probabilities).map { key, row in
            StoredPrediction(runID: run.id, variantID: v1, sampleID: ids[key] ?? -1, predicted: row[0] >= row[1] ? "f" : hostile[0], probabilities: row)
        })
        let sampleKey = Dictionary(uniqueKeysWithValues: ids.map { ($0.value, $0.key) })
        log("predictions", try store.predictions(runID: run.id).map { "\(sampleKey[$0.sampleID] ?? "?")|\($0.predicted)|\($0.probabilities.map(\.bitPattern))" })
        log("predicted", try store.predictedLabels(runID: run.id, variantID: v1).map { "\(sampleKey[$0.key] ?? "?")=\($0.value)" }.sorted())
        try store.insertUnreadableSamples(runID: run.id, [(ids[keys[1]] ?? -1, "first"), (ids[keys[1]] ?? -1, hostile[3]), (ids[keys[2]] ?? -1, "bad")])
        log("unreadable", try store.unreadableSamples(runID: run.id).map { "\($0.key)|\($0.path)|\($0.reason)" })

        let all = keys.compactMap { ids[$0] }
        let sliceIDs = try store.insertSlices(runID: run.id, heldBy: me, [("overall", "true", [], all),
                                                             ("hair=\(hostile[0])", hostile[1], [.attribute("hair", value: hostile[0])], [all[0]]),
                                                             ("children", "age < 13", [.named("children")], Array(all.prefix(3)))])
        log("slices", try store.slices(runID: run.id).map { "\($0.name)|\($0.definition)|\($0.memberIDs.map { sampleKey[$0] ?? "?" })|\($0.parts)" })
        let outcomes = VariantOutcomes(labels: ["f", "m"], truth: [0, 1, 0, 1, 0], predicted: [0, 1, 0, 1, 0],
                                       probabilities: probabilities.flatMap { $0.map(Double.init) })
        try store.insertMetrics(runID: run.id, variantID: v1, heldBy: me, [("overall", [0, 1, 2, 3, 4] as [Int32]), ("children", [0, 1, 2])].map { name, members in
            (sliceIDs[name] ?? -1, MetricSuite.evaluate(outcomes, slice: EvaluationSlice(members: members, truth: outcomes.truth, classCount: 2)))
        })
        log("all metrics", try store.allMetrics(runID: run.id).map { "\($0)" })
        log("accuracy", try store.metrics(named: "accuracyScore", runID: run.id, experiment: hostile[0], slice: nil).map { "\($0)" })
        log("accuracy, children", try store.metrics(named: "accuracyScore", runID: nil, experiment: nil, slice: "children").map { "\($0)" })
        log("history", try store.metricHistory(named: "accuracyScore", slice: "overall", experiment: hostile[0], datasetHash: nil)
            .map { "\($0.experiment)|\($0.run)|\($0.variant)|\($0.slice)|\($0.sliceDefinition)|\($0.datasetHash ?? "-")|\($0.value ?? -1)|\($0.n)" })
        log("history by dataset", try store.metricHistory(named: "accuracyScore", slice: "children", experiment: nil, datasetHash: "mh").count)
        log("confusion", try store.confusionCells(runID: run.id).map { "\($0)" })

        let comparison = StoredComparison(baselineRunID: run.id, baselineVariant: hostile[4], candidateRunID: run.id, candidateVariant: "second",
                                          metric: "accuracyScore", correction: "holm", alpha: 0.05, resamples: 1000, seed: UInt64.max - 3,
                                          createdAt: Date(timeIntervalSince1970: 1_700_000_000.25), slices: [
            .init(slice: "overall", n: 5, baseline: 1, candidate: 0.6, difference: -0.4, low: -0.8, high: 0, baselineOnlyCorrect: 2,
                  candidateOnlyCorrect: 0, p: 0.5, adjustedP: 1, verdict: "no significant difference"),
            .init(slice: hostile[0], n: 1, baseline: nil, candidate: nil, difference: nil, low: nil, high: nil, baselineOnlyCorrect: 0,
                  candidateOnlyCorrect: 0, p: nil, adjustedP: nil, verdict: "too few samples"),
        ])
        _ = try store.insertComparison(comparison)
        log("comparisons", try store.comparisons(candidateRunID: run.id).map {
            "\($0.baselineVariant)|\($0.candidateVariant)|\($0.seed)|\($0.createdAt.timeIntervalSince1970)|\($0.slices.map { "\($0)" })"
        })
        try store.clearDerivedResults(run.id, heldBy: me)
        log("cleared", [try store.slices(runID: run.id).count, try store.allMetrics(runID: run.id).count, try store.confusionCells(runID: run.id).count])

        // Shards of a second run.
        let join = try store.joinShardedRun(experiment: hostile[0], spec: "s", specHash: "h2", gitCommit: nil, key: hostile[1], shardCount: 3,
                                            shardIndex: 2, lease: me, now: Date())
        log("joined", [join.run.number, join.created, join.shardAlreadyDone, join.run.shardCount ?? -1] as [Any])
        let other = RunLease(host: "node-2", processSpace: "elsewhere", pid: 77, processStart: "5")
        let second = try store.joinShardedRun(experiment: hostile[0], spec: "s", specHash: "h2", gitCommit: nil, key: hostile[1], shardCount: 3,
                                              shardIndex: 0, lease: other, now: Date())
        log("second shard", [second.run.number, second.created] as [Any])
        do {
            _ = try store.joinShardedRun(experiment: hostile[0], spec: "s", specHash: "other", gitCommit: nil, key: hostile[1], shardCount: 3,
                                         shardIndex: 1, lease: me, now: Date())
            log("refused", false)
        } catch let refusal as ShardRefusal {
            log("refused", refusal.message)
        }
        log("finish shard", "\(try store.finishShard(join.run.id, index: 2, lease: .current, now: Date()))")
        log("shards", try store.shards(runID: join.run.id).map { "\($0.index)|\($0.status)|\($0.lease.host)|\($0.finishedAt != nil)" })
        // Shard 0's holder stops renewing: it is interrupted, and the run with it.
        let marked = try store.reconcileInterruptedRuns(observer: me, now: Date().addingTimeInterval(RunLease.expiry + 60))
        log("reconciled", marked.map { "\($0.number)" })
        log("runs", try store.listRuns(experiment: nil).map { "\($0.experiment)|\($0.number)|\($0.status)|\($0.variants)|\($0.predictions)|\($0.shardCount ?? -1)|\($0.shardsDone ?? -1)|\($0.error ?? "-")" })
        let latest = try store.run(experiment: hostile[0], number: nil).run
        log("latest", [latest.number, latest.status.rawValue, latest.error ?? "-"])
        try store.finishRun(run.id, status: .completedWithErrors, error: hostile[2])
        let first = try store.run(experiment: nil, number: 1)
        log("first", [first.experiment, first.run.status.rawValue, first.run.error ?? "-", first.run.finishedAt != nil] as [Any])
        do {
            _ = try store.run(experiment: "nope", number: nil)
        } catch {
            log("missing experiment", "\(error)".components(separatedBy: ": ").dropFirst().joined(separator: ": "))
        }
        return lines
    }

    @Test func everyReadAgreesWithTheSQLiteStore() throws {
        let expected = try Self.transcript(try Store())
        let actual = try Self.transcript(try PostgresStore(url: try PostgresTestServer.database()))
        #expect(actual.count == expected.count)
        for (a, e) in zip(actual, expected) { #expect(a == e) }
    }

    /// Predictions and image fingerprints are read through a cursor a batch at a time (not one
    /// array of the whole result): every row once, in the order stored, across batch ends and
    /// when the last batch is full; a body that throws leaves the store usable.
    @Test func resultsReadThroughACursorComeWholeAndInOrder() throws {
        let store = try PostgresStore(url: try PostgresTestServer.database(), readBatch: 3)
        let run = try store.beginRun(experiment: "e", spec: "", specHash: "", gitCommit: nil, lease: .current)
        let samples = (0..<10).map { Sample(id: "s\($0)", url: URL(fileURLWithPath: "/d/\($0).png"), relativePath: "\($0).png", label: "f", split: "test", attributes: [:], line: $0 + 2) }
        let (_, ids) = try store.storeDataset(manifestPath: "/d/m.csv", manifestHash: "mh", labelColumn: "sex", labels: ["f", "m"], samples: samples, runID: run.id)
        let variant = try store.insertVariant(runID: run.id, name: "v", kind: "k", path: "/m", fileHash: nil, labels: ["f", "m"])
        for part in [[7, 2, 9, 0], [5, 1, 8], [3, 6, 4]] {
            try store.insertPredictions(part.map {
                StoredPrediction(runID: run.id, variantID: variant, sampleID: ids["s\($0)"] ?? -1, predicted: $0 % 2 == 0 ? "f" : "m", probabilities: [Float($0) / 10, 1 - Float($0) / 10])
            })
        }
        var read: [StoredPrediction] = []
        try store.forEachPrediction(runID: run.id, variantID: variant) { read.append($0) }
        let whole = try store.predictions(runID: run.id, variantID: variant)
        #expect(read.count == 10 && read == whole)
        #expect(read.map(\.sampleID) == [7, 2, 9, 0, 5, 1, 8, 3, 6, 4].map { ids["s\($0)"] ?? -1 })
        let stored = (0..<9).map { (ids["s\($0)"] ?? -1, UInt64($0) &* 0x9E37_79B9_7F4A_7C15) }
        try store.insertImageFingerprints(runID: run.id, stored)
        var fingerprints: [SampleID: UInt64] = [:]
        var calls = 0
        try store.forEachImageFingerprint(runID: run.id) { fingerprints[$0] = $1; calls += 1 }
        #expect(calls == 9 && fingerprints == Dictionary(uniqueKeysWithValues: stored))
        struct Stop: Error {}
        var before = 0
        #expect(throws: Stop.self) { try store.forEachPrediction(runID: run.id, variantID: variant) { _ in before += 1; if before == 4 { throw Stop() } } }
        var again = 0
        try store.forEachPrediction(runID: run.id, variantID: variant) { _ in again += 1 }
        #expect(before == 4 && again == 10)
    }

    /// Eight connections (as eight shard processes would have) allocating run numbers and
    /// storing predictions at once: no number twice, no row lost or doubled.
    @Test func concurrentConnectionsNeitherLoseNorDoubleRows() throws {
        let url = try PostgresTestServer.database()
        let setup = try PostgresStore(url: url)
        let base = try setup.beginRun(experiment: "e", spec: "", specHash: "", gitCommit: nil, lease: .current)
        let samples = (0..<400).map { Sample(id: "s\($0)", url: URL(fileURLWithPath: "/d/\($0).png"), relativePath: "\($0).png", label: "f", split: "test", attributes: [:], line: $0 + 2) }
        let (_, ids) = try setup.storeDataset(manifestPath: "/d/m.csv", manifestHash: "mh", labelColumn: "sex", labels: ["f", "m"], samples: samples, runID: base.id)
        let variant = try setup.insertVariant(runID: base.id, name: "v", kind: "k", path: "/m", fileHash: nil, labels: ["f", "m"])
        let results = ConcurrentResults<[Int]>(count: 8)
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            results.set(worker, Result {
                let store = try PostgresStore(url: url)
                var numbers: [Int] = []
                for round in 0..<5 {
                    numbers.append(try store.beginRun(experiment: "e", spec: "", specHash: "", gitCommit: nil, lease: .current).number)
                    let mine = samples.indices.filter { $0 % 8 == worker }.dropFirst(round * 10).prefix(10)
                    try store.insertPredictions(mine.map {
                        StoredPrediction(runID: base.id, variantID: variant, sampleID: ids[samples[$0].id] ?? -1, predicted: "f", probabilities: [1, 0])
                    })
                }
                return numbers
            })
        }
        let numbers = try results.values().flatMap { $0 }
        #expect(numbers.sorted() == Array(2...41))
        #expect(try setup.predictions(runID: base.id).count == 400)
        #expect(Set(try setup.predictions(runID: base.id).map(\.sampleID)).count == 400)
    }

    /// Several processes opening a new database at once migrate it once.
    @Test func concurrentFirstOpensMigrateOnce() throws {
        let url = try PostgresTestServer.database()
        let opened = ConcurrentResults<Int>(count: 6)
        DispatchQueue.concurrentPerform(iterations: 6) { index in
            opened.set(index, Result { try PostgresStore(url: url).listRuns(experiment: nil).count })
        }
        #expect(try opened.values() == Array(repeating: 0, count: 6))
    }
}

/// Shards as real `stratum run --shard` processes against the PostgreSQL store: predictions and
/// every metric equal to one unsharded SQLite run, also when a shard is killed with SIGKILL and
/// run again; and the reading commands (`runs`, `history`, `compare`, `report`) on that store.
@Suite(.serialized) struct PostgresShardedRunTests {
    /// Every prediction as "variant|sample id|label|probabilities", sorted.
    static func predictions(_ store: any RunStore) throws -> [String] {
        let runID = try store.run(experiment: "resume", number: 1).run.id
        let keys = Dictionary(uniqueKeysWithValues: try store.samples(runID: runID).map { ($0.id, $0.key) })
        let names = Dictionary(uniqueKeysWithValues: try store.variants(runID: runID).map { ($0.id, $0.name) })
        return try store.predictions(runID: runID).map { p in
            "\(names[p.variantID] ?? "?")|\(keys[p.sampleID] ?? "?")|\(p.predicted)|\(p.probabilities)"
        }.sorted()
    }

    /// Every stored metric row of run 1 (value, interval, method, n, denominator, note), sorted.
    static func metrics(_ store: any RunStore) throws -> [String] {
        let runID = try store.run(experiment: "resume", number: 1).run.id
        return try store.allMetrics(runID: runID).map { "\($0)" }.sorted()
    }

    @Test func fourConcurrentShardsOnPostgreSQLGiveTheUnshardedSQLiteResult() throws {
        let directory = try TestSupport.temporaryDirectory()
        let experiment = try ResumeTests.experiment(in: directory, count: 400)
        let text = try String(contentsOf: experiment, encoding: .utf8)
        try TestSupport.write(text.replacingOccurrences(of: "labels: [female, male]}", with: "labels: [female, male], split: all}"), to: experiment)
        let reference = directory.appendingPathComponent("reference.sqlite").path
        let unsharded = try ResumeTests.start(["run", experiment.path, "--db", reference, "--quiet"], in: directory)
        unsharded.waitUntilExit()
        try #require(unsharded.terminationStatus == 0)
        let referenceStore = try Store(readingOnly: reference)
        let expected = try Self.predictions(referenceStore)
        let expectedMetrics = try Self.metrics(referenceStore)
        try #require(expected.count == 800 && expectedMetrics.count > 100)

        // Four shards at once, each its own process and connection.
        let concurrent = try PostgresTestServer.database()
        #expect(try ShardedRunTests.runShards([0, 1, 2, 3], of: 4, experiment: experiment, database: concurrent, in: directory) == [0, 0, 0, 0])
        let store = try PostgresStore(url: concurrent)
        #expect(try Self.predictions(store) == expected)
        #expect(try Self.metrics(store) == expectedMetrics)
        let listing = try store.listRuns(experiment: nil)
        #expect(listing.count == 1 && listing[0].status == "completed" && listing[0].shardCount == 4 && listing[0].shardsDone == 4)

        // Three shards, then the fourth killed once some of its predictions are stored.
        let killed = try PostgresTestServer.database()
        #expect(try ShardedRunTests.runShards([0, 1, 3], of: 4, experiment: experiment, database: killed, in: directory) == [0, 0, 0])
        let watcher = try PostgresStore(url: killed)
        let before = try watcher.listRuns(experiment: nil)[0].predictions
        let victim = try ResumeTests.start(["run", experiment.path, "--db", killed, "--quiet", "--chunk-size", "16", "--shard", "2/4"], in: directory)
        let deadline = Date().addingTimeInterval(60)
        while victim.isRunning && Date() < deadline && ((try? watcher.listRuns(experiment: nil)[0].predictions) ?? before) == before {
            Thread.sleep(forTimeInterval: 0.01)
        }
        if victim.isRunning { kill(victim.processIdentifier, SIGKILL) }
        victim.waitUntilExit()
        #expect(victim.terminationReason == .uncaughtSignal, "shard 2 finished before it could be killed")
        try watcher.reconcileInterruptedRuns(observer: .current, now: Date())
        let interrupted = try watcher.listRuns(experiment: nil)[0]
        #expect(interrupted.status == "interrupted" && interrupted.shardsDone == 3 && interrupted.error?.contains("shard 2") == true, "\(interrupted)")
        #expect(try ShardedRunTests.runShards([2], of: 4, experiment: experiment, database: killed, in: directory) == [0])
        #expect(try Self.predictions(watcher) == expected)
        #expect(try Self.metrics(watcher) == expectedMetrics)
        #expect(try watcher.listRuns(experiment: nil).map(\.status) == ["completed"])

        // The reading commands on the PostgreSQL store.
        let runs = try CLITests.run(["runs", "--db", killed, "--format", "json"], in: directory)
        #expect(runs.status == 0 && runs.stdout.contains("\"shardsDone\" : 4"), "\(runs.stdout) \(runs.stderr)")
        let history = try CLITests.run(["history", "resume", "--db", killed, "--metric", "accuracy", "--format", "json"], in: directory)
        #expect(history.status == 0 && history.stdout.contains("\"variant\" : \"cnn\""), "\(history.stdout) \(history.stderr)")
        let compare = try CLITests.run(["compare", "resume/1:logistic", "resume/1:cnn", "--db", killed, "--reports", "R", "--resamples", "200"], in: directory)
        #expect(compare.status == 0 && compare.stdout.contains("overall"), "\(compare.stdout) \(compare.stderr)")
        #expect(try watcher.comparisons(candidateRunID: try watcher.run(experiment: "resume", number: 1).run.id).count == 1)
        let report = try CLITests.run(["report", "resume/1", "--db", killed, "--reports", "R2"], in: directory)
        #expect(report.status == 0, "\(report.stderr)")
        let index = directory.appendingPathComponent("R2/resume/run-1/index.html")
        #expect(FileManager.default.fileExists(atPath: index.path))
        #expect(!(try String(contentsOf: index, encoding: .utf8)).isEmpty)
    }
}

/// TLS: the test server offers it with a self-signed certificate, which no CA vouches for. A
/// client asking for TLS must negotiate it and refuse that certificate; a plain one connects.
@Suite struct PostgresTLSTests {
    @Test(arguments: ["require", "verify-full", "prefer"])
    func aCertificateNoCAVouchesForIsRefused(_ mode: String) throws {
        let url = try PostgresTestServer.database()
        let error = try #require(throws: PostgresStoreError.self) { try PostgresStore(url: url + "?sslmode=" + mode) }
        #expect("\(error)".contains("cannot connect") && "\(error)".lowercased().contains("certificate"), "\(error)")
    }

    @Test func aPlainConnectionWorks() throws {
        let store = try PostgresStore(url: try PostgresTestServer.database() + "?sslmode=disable")
        #expect(try store.listRuns(experiment: nil).isEmpty)
    }
}
