import Foundation
import GRDB
import StratumData
import StratumRunner
import StratumStore
import Testing

/// Which shard a sample belongs to, and how `--shard` is read.
@Suite struct ShardSelectionTests {
    /// FNV-1a 64 of the id's UTF-8 bytes (values computed independently in Python).
    @Test(arguments: [("", 14_695_981_039_346_656_037 as UInt64), ("a", 12_638_187_200_555_641_996), ("face-00007", 10_045_161_857_126_459_436),
                      ("é", 775_207_407_765_167_617)])
    func shardIsFNV1aOfTheIdModuloTheCount(_ id: String, _ hash: UInt64) {
        for count in [1, 2, 4, 7, 1000] { #expect(ShardSelection.shard(of: id, count: count) == Int(hash % UInt64(count))) }
    }

    @Test func everySampleIsInExactlyOneShardAndShardsAreBalanced() {
        let ids = (0..<20_000).map { "face-\($0)" }
        let count = 8
        var sizes = [Int](repeating: 0, count: count)
        for id in ids {
            let owners = (0..<count).filter { ShardSelection(index: $0, count: count).owns(id) }
            #expect(owners.count == 1)
            sizes[owners[0]] += 1
        }
        #expect(sizes.allSatisfy { abs($0 - ids.count / count) < ids.count / count / 10 }, "\(sizes)")
    }

    struct ParseCase: Sendable, CustomTestStringConvertible {
        var text: String
        var environment: [String: String]
        var expected: ShardSelection?
        var error: String?
        var testDescription: String { "\(text) \(environment)" }
    }

    static let parseCases: [ParseCase] = [
        ParseCase(text: "0/4", environment: [:], expected: ShardSelection(index: 0, count: 4)),
        ParseCase(text: "3/4", environment: ["STRATUM_RUN_KEY": "nightly-7"], expected: ShardSelection(index: 3, count: 4, key: "nightly-7")),
        ParseCase(text: "4/4", environment: [:], error: "not in 0…3"),
        ParseCase(text: "1/0", environment: [:], error: "not in 1…"),
        ParseCase(text: "x/4", environment: [:], error: "expected an integer"),
        ParseCase(text: "2", environment: [:], error: "not i/n"),
        ParseCase(text: "auto/8", environment: ["JOB_COMPLETION_INDEX": "5"], expected: ShardSelection(index: 5, count: 8)),
        ParseCase(text: "auto/8", environment: [:], error: "JOB_COMPLETION_INDEX"),
        ParseCase(text: "auto", environment: ["SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "8", "SLURM_ARRAY_JOB_ID": "4242"],
                  expected: ShardSelection(index: 6, count: 8, key: "slurm-4242")),
        ParseCase(text: "auto", environment: ["SLURM_ARRAY_TASK_ID": "9", "SLURM_ARRAY_TASK_COUNT": "8"], error: "not in 0…7"),
        ParseCase(text: "auto", environment: [:], error: "SLURM_ARRAY_TASK_ID"),
    ]

    @Test(arguments: parseCases)
    func parsesShardArguments(_ testCase: ParseCase) {
        do {
            let parsed = try ShardSelection.parse(testCase.text, environment: testCase.environment)
            #expect(testCase.error == nil, "expected an error containing '\(testCase.error ?? "")', got \(parsed)")
            #expect(parsed == testCase.expected)
        } catch {
            #expect(testCase.error.map { "\(error)".contains($0) } == true, "\(error)")
        }
    }

    @Test func anExplicitKeyWinsOverTheEnvironment() throws {
        #expect(try ShardSelection.parse("0/2", key: "k", environment: ["STRATUM_RUN_KEY": "e"]).key == "k")
    }
}

/// Shards as real `stratum run --shard` processes on one store: the same predictions and
/// metrics as one unsharded run, also when a shard is killed with SIGKILL and run again.
@Suite(.serialized) struct ShardedRunTests {
    /// Every prediction as "variant|sample id|label|probabilities", sorted.
    static func predictions(_ database: URL, run: Int = 1) throws -> [String] {
        let store = try Store(readingOnly: database.path)
        let runID = try store.run(experiment: "resume", number: run).run.id
        let keys = Dictionary(uniqueKeysWithValues: try store.samples(runID: runID).map { ($0.id, $0.key) })
        let names = Dictionary(uniqueKeysWithValues: try store.variants(runID: runID).map { ($0.id, $0.name) })
        return try store.predictions(runID: runID).map { p in
            "\(names[p.variantID] ?? "?")|\(keys[p.sampleID] ?? "?")|\(p.predicted)|\(p.probabilities)"
        }.sorted()
    }

    static func runShards(_ indices: [Int], of count: Int, experiment: URL, database: URL, in directory: URL, extra: [String] = []) throws -> [Int32] {
        try runShards(indices, of: count, experiment: experiment, database: database.path, in: directory, extra: extra)
    }

    /// Starts shard processes at once (any store location) and waits for them all.
    static func runShards(_ indices: [Int], of count: Int, experiment: URL, database: String, in directory: URL, extra: [String] = []) throws -> [Int32] {
        let processes = try indices.map { index in
            try ResumeTests.start(["run", experiment.path, "--db", database, "--quiet", "--chunk-size", "16", "--shard", "\(index)/\(count)"] + extra, in: directory)
        }
        processes.forEach { $0.waitUntilExit() }
        return processes.map(\.terminationStatus)
    }

    @Test func fourConcurrentShardsThenAKilledShardRunAgainGiveTheUnshardedResult() throws {
        let directory = try TestSupport.temporaryDirectory()
        let experiment = try ResumeTests.experiment(in: directory, count: 400)
        // Every sample evaluated (800 predictions), so that each shard has work enough to be killed in.
        let text = try String(contentsOf: experiment, encoding: .utf8)
        try TestSupport.write(text.replacingOccurrences(of: "labels: [female, male]}", with: "labels: [female, male], split: all}"), to: experiment)
        let reference = directory.appendingPathComponent("reference.sqlite")
        let unsharded = try ResumeTests.start(["run", experiment.path, "--db", reference.path, "--quiet"], in: directory)
        unsharded.waitUntilExit()
        try #require(unsharded.terminationStatus == 0)
        let expected = try Self.predictions(reference)
        try #require(expected.count == 800)

        // Four shards at once.
        let concurrent = directory.appendingPathComponent("concurrent.sqlite")
        #expect(try Self.runShards([0, 1, 2, 3], of: 4, experiment: experiment, database: concurrent, in: directory) == [0, 0, 0, 0])
        #expect(try Self.predictions(concurrent) == expected)
        #expect(try ResumeTests.metrics(concurrent) == ResumeTests.metrics(reference))
        let listing = try Store(readingOnly: concurrent.path).listRuns()
        #expect(listing.count == 1 && listing[0].status == "completed" && listing[0].shardCount == 4 && listing[0].shardsDone == 4)

        // As if the last shard were still computing metrics (this test process holding the run's
        // lease): readers leave it running, and `finalize` refuses to compute them beside it.
        let me = RunLease.current
        try DatabaseQueue(path: concurrent.path).write { db in
            try db.execute(sql: "UPDATE run SET status = 'running', finishedAt = NULL, pid = ?, leaseHost = ?, leaseProcessSpace = ?, leaseProcessStart = ?",
                           arguments: [me.pid, me.host, me.processSpace, me.processStart])
        }
        let reader = try CLITests.run(["runs", "--db", concurrent.path, "--format", "json"], in: directory)
        #expect(reader.status == 0 && reader.stdout.contains("\"running\"") && !reader.stdout.contains("interrupted"), "\(reader.stdout)")
        let beside = try CLITests.run(["finalize", experiment.path, "--db", concurrent.path], in: directory)
        #expect(beside.status == 1 && beside.stderr.contains("is being finished by pid \(me.pid)"), "\(beside.stderr)")

        // As if the last shard had died while computing metrics: `finalize` finishes the run.
        try DatabaseQueue(path: concurrent.path).write { db in
            try db.execute(sql: "UPDATE run SET status = 'interrupted'")
            try db.execute(sql: "DELETE FROM metric")
        }
        let finalized = try CLITests.run(["finalize", experiment.path, "--db", concurrent.path, "--reports", "R"], in: directory)
        #expect(finalized.status == 0, "\(finalized.stderr)")
        #expect(try ResumeTests.metrics(concurrent) == ResumeTests.metrics(reference))
        #expect(try Store(readingOnly: concurrent.path).listRuns()[0].status == "completed")
        let again = try CLITests.run(["finalize", experiment.path, "--db", concurrent.path], in: directory)
        #expect(again.status == 1 && again.stderr.contains("already completed"), "\(again.stderr)")

        // Three shards, then the fourth killed mid-way: the run waits; run again, it completes.
        let killed = directory.appendingPathComponent("killed.sqlite")
        #expect(try Self.runShards([0, 1, 3], of: 4, experiment: experiment, database: killed, in: directory) == [0, 0, 0])
        // A shard not yet started is not a dead one: the run waits, still running.
        let waiting = try Store(path: killed.path)
        try waiting.reconcileInterruptedRuns()
        #expect(try waiting.listRuns().map(\.status) == ["running"])
        let victim = try ResumeTests.start(["run", experiment.path, "--db", killed.path, "--quiet", "--chunk-size", "16", "--shard", "2/4"], in: directory)
        let deadline = Date().addingTimeInterval(60)
        // Kill it once some of its predictions are stored.
        let before = try Store(readingOnly: killed.path).listRuns()[0].predictions
        while victim.isRunning && Date() < deadline && ((try? Store(readingOnly: killed.path).listRuns()[0].predictions) ?? before) == before {
            Thread.sleep(forTimeInterval: 0.01)
        }
        if victim.isRunning { kill(victim.processIdentifier, SIGKILL) }
        victim.waitUntilExit()
        let reconciled = try Store(path: killed.path)
        try reconciled.reconcileInterruptedRuns()
        let interrupted = try reconciled.listRuns()[0]
        #expect(victim.terminationReason == .uncaughtSignal, "shard 2 finished before it could be killed")
        #expect(interrupted.status == "interrupted" && interrupted.shardsDone == 3 && interrupted.error?.contains("shard 2") == true, "\(interrupted)")
        // `finalize` refuses while shard 2 is missing, naming it.
        let refused = try CLITests.run(["finalize", experiment.path, "--db", killed.path], in: directory)
        #expect(refused.status == 1 && refused.stderr.contains("still to run: 2"), "\(refused.stderr)")
        #expect(try Self.runShards([2], of: 4, experiment: experiment, database: killed, in: directory) == [0])
        #expect(try Self.predictions(killed) == expected)
        #expect(try ResumeTests.metrics(killed) == ResumeTests.metrics(reference))
        let done = try Store(readingOnly: killed.path).listRuns()
        #expect(done.count == 1 && done[0].status == "completed")
    }

    /// A shard whose experiment file differs from the run's is refused; nothing of it is stored.
    @Test func aShardWithAnotherExperimentFileIsRefused() throws {
        let directory = try TestSupport.temporaryDirectory()
        let experiment = try ResumeTests.experiment(in: directory, count: 60)
        let database = directory.appendingPathComponent("s.sqlite")
        #expect(try Self.runShards([0], of: 2, experiment: experiment, database: database, in: directory, extra: ["--run-key", "k1"]) == [0])
        let text = try String(contentsOf: experiment, encoding: .utf8).replacingOccurrences(of: "min_size: 2", with: "min_size: 3")
        try TestSupport.write(text, to: experiment)
        let refused = try CLITests.run(["run", experiment.path, "--db", database.path, "--quiet", "--shard", "1/2", "--run-key", "k1"], in: directory)
        #expect(refused.status == 1 && refused.stderr.contains("experiment file differs"), "\(refused.stderr)")
        let listing = try Store(readingOnly: database.path).listRuns()
        #expect(listing.count == 1 && listing[0].shardsDone == 1)
    }

    /// The shards of a run compute its intervals with the bootstrap settings of the shard that
    /// created it: a shard given others is refused, and the last shard (or `finalize`), given
    /// none, uses the run's. The finisher's own flags decided them, so they depended on which
    /// shard happened to finish last.
    @Test func shardsAndFinalizeUseTheRunsBootstrapSettings() throws {
        let directory = try TestSupport.temporaryDirectory()
        let experiment = try ResumeTests.experiment(in: directory, count: 120)
        let settings = ["--seed", "7", "--resamples", "200"]
        let expected = try ResumeTests.referenceIntervals(experiment, in: directory, settings: settings)
        let database = directory.appendingPathComponent("s.sqlite")
        #expect(try Self.runShards([0], of: 2, experiment: experiment, database: database, in: directory, extra: ["--run-key", "k"] + settings) == [0])
        let refused = try CLITests.run(["run", experiment.path, "--db", database.path, "--quiet", "--shard", "1/2", "--run-key", "k", "--seed", "8"], in: directory)
        #expect(refused.status == 1 && refused.stderr.contains("shard 1 cannot join run 1: run 1 was started with --resamples 200 --seed 7"), "\(refused.stderr)")
        #expect(try Self.runShards([1], of: 2, experiment: experiment, database: database, in: directory, extra: ["--run-key", "k"]) == [0])
        #expect(try ResumeTests.intervals(database.path) == expected)
        // finalize, on a run whose finisher died: the run's settings again, another refused.
        let store = try Store(path: database.path)
        let runID = try store.run(experiment: "resume", number: 1).run.id
        try store.finishRun(runID, status: .interrupted, error: "killed")
        let other = try CLITests.run(["finalize", experiment.path, "1", "--db", database.path, "--resamples", "300"], in: directory)
        #expect(other.status == 1 && other.stderr.contains("cannot finalize run 1: run 1 was started with") && other.stderr.contains("gives --resamples 300"), "\(other.stderr)")
        let finalized = try CLITests.run(["finalize", experiment.path, "1", "--db", database.path], in: directory)
        #expect(finalized.status == 0, "\(finalized.stderr)")
        #expect(try ResumeTests.intervals(database.path) == expected)
    }

    /// `--resume` without `--shard` does not take a sharded run over whole (it evaluated every
    /// shard's remaining samples while queued shards could join: review of the store).
    @Test func aShardedRunIsResumedByItsShardsNotWhole() throws {
        let directory = try TestSupport.temporaryDirectory()
        let experiment = try ResumeTests.experiment(in: directory, count: 40)
        let database = directory.appendingPathComponent("s.sqlite")
        #expect(try Self.runShards([0], of: 2, experiment: experiment, database: database, in: directory, extra: ["--run-key", "k"]) == [0])
        let store = try Store(path: database.path)
        let run = try #require(try store.listRuns().first)
        try store.finishRun(try store.run(experiment: run.experiment, number: run.number).run.id, status: .interrupted, error: "killed")
        let before = try Self.predictions(database).count
        let resumed = try CLITests.run(["run", experiment.path, "--db", database.path, "--quiet", "--resume", "1"], in: directory)
        #expect(resumed.status != 0 && resumed.stderr.contains("run 1 is split into 2 shards") && resumed.stderr.contains("--shard I/2"), "\(resumed.stderr)")
        let after = try Self.predictions(database).count
        #expect(before > 0 && after == before, "nothing more stored")
        #expect(try store.listRuns().count == 1)
        // A new run points at the shards, not at --resume.
        let fresh = try CLITests.run(["run", experiment.path, "--db", database.path, "--quiet"], in: directory)
        #expect(fresh.status == 0 && fresh.stderr.contains("split into 2 shards: run its unfinished shards again with --shard I/2")
                && !fresh.stderr.contains("--resume"), "\(fresh.stderr)")
    }

    /// A shard still held by a process elsewhere (another machine or container, judged by its
    /// heartbeat) is waited for until that lease expires, then taken over: what a Kubernetes
    /// replacement pod for a dead one meets. A holder in this process space is refused at once.
    @Test func aShardHeldByADeadHolderElsewhereIsTakenOverWhenItsLeaseExpires() throws {
        let directory = try TestSupport.temporaryDirectory()
        let experiment = try ResumeTests.experiment(in: directory, count: 40)
        let spec = try ExperimentSpec.load(experiment)
        let database = directory.appendingPathComponent("s.sqlite")
        let store = try Store(path: database.path)
        let elsewhere = RunLease(host: "node-9", processSpace: "other-boot/pid:[1]", pid: 4242, processStart: "7")
        // Its last heartbeat was 4 s short of the lease's expiry.
        let join = try store.joinShardedRun(experiment: spec.name, spec: spec.text, specHash: spec.hash, gitCommit: nil, key: "k", shardCount: 2,
                                            shardIndex: 1, lease: elsewhere, now: Date().addingTimeInterval(-(RunLease.expiry - 4)))
        let started = Date()
        let result = try CLITests.run(["run", experiment.path, "--db", database.path, "--shard", "1/2", "--run-key", "k"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("waiting to take shard 1 over"), "\(result.stderr)")
        #expect(Date().timeIntervalSince(started) >= 3)
        let shards = try store.shards(runID: join.run.id)
        #expect(shards.map(\.status) == [.completed] && shards[0].lease.host != "node-9")

        // Held here, alive: no waiting.
        let refusal = ShardRefusal.alreadyRunning(shard: 0, run: 1, experiment: "e", holder: .current, heartbeat: Date(), joiner: .current, now: Date())
        #expect(refusal.retryAfter == nil)
        let remote = ShardRefusal.alreadyRunning(shard: 0, run: 1, experiment: "e", holder: elsewhere, heartbeat: Date().addingTimeInterval(-30),
                                                 joiner: .current, now: Date())
        #expect(remote.retryAfter.map { abs($0 - (RunLease.expiry - 30)) < 1 } == true)
    }

    /// A location with an unknown scheme, or a PostgreSQL URL that does not parse, is refused
    /// by name (exit 65), not created as a SQLite file called `mysql:`; an unreachable server is
    /// an error (exit 1) that does not print the URL's password.
    @Test func storeLocationsAreCheckedNotTakenForFiles() throws {
        let directory = try TestSupport.temporaryDirectory()
        let cases: [([String], [String: String], Int32, String)] = [
            (["runs", "--db", "mysql://stratum@db/runs"], [:], 65, "'mysql://' is not a store Stratum knows"),
            (["history", "faces", "--db", "postgresql://h/x", "--metric", "accuracy"], [:], 65, "names no user"),
            (["runs"], ["STRATUM_DB": "postgres://u@h"], 65, "names no database"),
            (["runs", "--db", "postgres://u@h/x?sslmode=on"], [:], 65, "sslmode 'on' is not supported"),
            (["runs", "--db", "postgres://u:s3cret@127.0.0.1:1/x"], [:], 1, "postgres://u:***@127.0.0.1:1/x: cannot connect"),
        ]
        for (arguments, environment, status, message) in cases {
            let result = try CLITests.run(arguments, in: directory, environment: environment)
            #expect(result.status == status && result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("s3cret"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }
}
