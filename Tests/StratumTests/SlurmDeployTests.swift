import Foundation
import StratumRunner
import StratumStore
import StratumStorePostgres
import Testing

/// A one-node Slurm cluster for these tests: the one `scripts/test.sh` started (its
/// `slurm.conf` in `$STRATUM_TEST_SLURM_CONF`), else one started here with
/// `scripts/slurm-test-cluster.sh` and stopped when the test process exits.
enum SlurmTestCluster {
    static let script = TestSupport.repositoryRoot.appendingPathComponent("scripts/slurm-test-cluster.sh").path

    static let configuration: Result<String, PostgresTestServer.Failure> = {
        if let conf = ProcessInfo.processInfo.environment["STRATUM_TEST_SLURM_CONF"], !conf.isEmpty { return .success(conf) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stratum-slurm-\(getpid())").path
        let started = PostgresTestServer.shell([script, "start", directory])
        guard started.status == 0 else {
            return .failure(.init(description: "cannot start a local Slurm cluster (scripts/slurm-test-cluster.sh): \(started.output)"))
        }
        atexit {
            if case .success(let conf) = SlurmTestCluster.configuration {
                _ = PostgresTestServer.shell([SlurmTestCluster.script, "stop", URL(fileURLWithPath: conf).deletingLastPathComponent().path])
            }
        }
        return .success(started.output.split(separator: "\n").last.map(String.init) ?? "")
    }()

    /// Runs a Slurm client command against the cluster.
    static func run(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let conf = try configuration.get()
        return try TestSupport.run("/usr/bin/env", arguments, in: directory, environment: environment.merging(["SLURM_CONF": conf]) { _, conf in conf })
    }
}

/// `Experiments/deploy/slurm/stratum-shards.sbatch` on a real (one-node) Slurm: accepted by
/// `sbatch --test-only`, and submitted as a job array it runs a sharded run into PostgreSQL
/// that equals one unsharded run; re-running one index as the script documents works.
@Suite(.serialized) struct SlurmDeployTests {
    static let sbatchScript = TestSupport.repositoryRoot.appendingPathComponent("Experiments/deploy/slurm/stratum-shards.sbatch").path
    /// This machine has 2 cores and little memory to spare: the script's resources, scaled down.
    static let small = ["--cpus-per-task=1", "--mem=300M"]

    @Test func theArrayScriptIsAcceptedBySbatchTestOnly() throws {
        let directory = try TestSupport.temporaryDirectory()
        let result = try SlurmTestCluster.run(["sbatch", "--test-only"] + Self.small + [Self.sbatchScript], in: directory,
                                              environment: ["EXPERIMENT": "/nonexistent.yaml", "STRATUM_DB": "postgres://u@h/d"])
        #expect(result.status == 0 && result.output.contains("to start at"), "\(result.output)")
    }

    @Test func theArrayScriptRunsAShardedRunIntoPostgreSQL() throws {
        let directory = try TestSupport.temporaryDirectory()
        let experiment = try ResumeTests.experiment(in: directory, count: 120)
        let text = try String(contentsOf: experiment, encoding: .utf8)
        try TestSupport.write(text.replacingOccurrences(of: "labels: [female, male]}", with: "labels: [female, male], split: all}"), to: experiment)
        let reference = directory.appendingPathComponent("reference.sqlite").path
        let unsharded = try CLITests.run(["run", experiment.path, "--db", reference, "--quiet"], in: directory)
        try #require(unsharded.status == 0, "\(unsharded.stderr)")
        let expected = try PostgresShardedRunTests.predictions(try Store(readingOnly: reference))
        let expectedMetrics = try PostgresShardedRunTests.metrics(try Store(readingOnly: reference))

        let url = try PostgresTestServer.database()
        let environment = ["EXPERIMENT": experiment.path, "STRATUM_DB": url, "STRATUM_BIN": CLITests.binary.path]
        let submitted = try SlurmTestCluster.run(["sbatch", "--wait", "--array=0-3"] + Self.small + [Self.sbatchScript], in: directory, environment: environment)
        #expect(submitted.status == 0, "\(submitted.output)")
        let store = try PostgresStore(url: url)
        #expect(try PostgresShardedRunTests.predictions(store) == expected)
        #expect(try PostgresShardedRunTests.metrics(store) == expectedMetrics)
        let runs = try store.listRuns(experiment: nil)
        let jobID = try #require(submitted.output.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        #expect(runs.count == 1 && runs[0].status == "completed" && runs[0].shardCount == 4 && runs[0].shardsDone == 4, "\(runs)")
        #expect(try store.run(experiment: "resume", number: 1).run.shardCount == 4)
        let log = try String(contentsOf: directory.appendingPathComponent("stratum-\(jobID)_2.out"), encoding: .utf8)
        #expect(log.contains("shard auto, run key slurm-\(jobID)"), "\(log)")

        // An array whose index 2 never ran (here: left out), then index 2 run again as the script
        // says, under the first job's key with the shard count: the run completes, equal again.
        let partialURL = try PostgresTestServer.database()
        var partial = environment
        partial["STRATUM_DB"] = partialURL
        partial["STRATUM_SHARD_COUNT"] = "4"
        let first = try SlurmTestCluster.run(["sbatch", "--wait", "--array=0,1,3"] + Self.small + [Self.sbatchScript], in: directory, environment: partial)
        #expect(first.status == 0, "\(first.output)")
        let firstID = try #require(first.output.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        let waiting = try PostgresStore(url: partialURL)
        #expect(try waiting.listRuns(experiment: nil).map { "\($0.status) \($0.shardsDone ?? -1)/\($0.shardCount ?? -1)" } == ["running 3/4"])
        partial["STRATUM_RUN_KEY"] = "slurm-\(firstID)"
        let again = try SlurmTestCluster.run(["sbatch", "--wait", "--array=2"] + Self.small + [Self.sbatchScript], in: directory, environment: partial)
        #expect(again.status == 0, "\(again.output)")
        #expect(try waiting.listRuns(experiment: nil).map(\.status) == ["completed"])
        #expect(try PostgresShardedRunTests.predictions(waiting) == expected)
        #expect(try PostgresShardedRunTests.metrics(waiting) == expectedMetrics)
    }
}
