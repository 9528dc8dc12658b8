import ArgumentParser
import StratumStatistics

/// `--resamples` and `--seed` of a run's bootstrap, shared by `run` and `finalize`: a run
/// records them when it starts, and every later process of it (a resume, a shard, `finalize`)
/// uses those, refusing others (`RunSettings`).
struct BootstrapOptions: ParsableArguments {
    @Option(help: "Bootstrap resamples for the intervals of metrics that are not proportions (0: none). Default: \(BootstrapSettings().resamples) for a new run; a resumed run, a joining shard or finalize uses the run's, recorded when it started, and refuses another.")
    var resamples: Int?

    @Option(help: "Seed of the bootstrap (the same seed gives the same intervals). Default: \(BootstrapSettings().seed) for a new run; a resumed run, a joining shard or finalize uses the run's, recorded when it started, and refuses another.")
    var seed: UInt64?

    func validate() throws {
        if let resamples, !(0...BootstrapSettings.maximumResamples).contains(resamples) {
            throw ValidationError("--resamples must be in 0…\(BootstrapSettings.maximumResamples)")
        }
    }
}
