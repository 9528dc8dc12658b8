import Foundation
import StratumCore
import StratumStatistics
import StratumStore

/// What a run's metrics are computed with besides its data and models: the bootstrap's
/// resamples and seed. The process that starts a run records them in the store
/// (`RunStore.recordSettings`); a resume, a shard joining the run and `finalize` take them from
/// there. Before, each used the flags it was given (or the defaults): a run resumed without
/// its `--seed`, or whose last shard was started with another, got other intervals than the
/// same run uninterrupted, and nothing said so.
public struct RunSettings: Codable, Equatable {
    public var bootstrap: BootstrapSettings

    /// The bootstrap settings in a run's recorded settings (`RunListing.settings`); nil when
    /// none are recorded or they cannot be read.
    public static func bootstrap(recorded text: String?) -> BootstrapSettings? {
        text.flatMap { try? decoded($0).bootstrap }
    }

    /// The settings a run recorded, as `settle` encodes them.
    static func decoded(_ text: String) throws -> RunSettings {
        try JSONDecoder().decode(RunSettings.self, from: Data(text.utf8))
    }

    /// The run's settings: those recorded, else those given (the defaults for what is not),
    /// recorded now. A setting given that differs from the recorded one is refused with
    /// `refusal(what)`: the run's intervals are computed with one set of settings.
    static func settle(resamples: Int?, seed: UInt64?, run: StoredRun, store: any RunStore,
                       refusal: (_ what: String) -> any Error) throws -> RunSettings {
        let defaults = BootstrapSettings()
        let given = RunSettings(bootstrap: BootstrapSettings(resamples: resamples ?? defaults.resamples, seed: seed ?? defaults.seed))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let text = try store.recordSettings(run.id, String(decoding: try encoder.encode(given), as: UTF8.self))
        let recorded: RunSettings
        do {
            recorded = try decoded(text)
        } catch {
            throw RunError(message: "run \(run.number)'s recorded settings cannot be read (\(String(text.prefix(200)).terminalSafe)): \(error)", isBadInput: true)
        }
        // The store's text is data like any other (a store shared by a team, copied from elsewhere):
        // a recorded count past the bound `--resamples` has would run for hours, a negative one trap.
        guard (0...BootstrapSettings.maximumResamples).contains(recorded.bootstrap.resamples),
              recorded.bootstrap.confidence > 0, recorded.bootstrap.confidence < 1 else {
            throw RunError(message: "run \(run.number)'s recorded settings are out of range (resamples \(recorded.bootstrap.resamples), "
                + "at most \(BootstrapSettings.maximumResamples); confidence \(recorded.bootstrap.confidence), between 0 and 1)", isBadInput: true)
        }
        var differing: [String] = []
        if let resamples, resamples != recorded.bootstrap.resamples { differing.append("--resamples \(resamples)") }
        if let seed, seed != recorded.bootstrap.seed { differing.append("--seed \(seed)") }
        guard differing.isEmpty else {
            throw refusal("run \(run.number) was started with --resamples \(recorded.bootstrap.resamples) --seed \(recorded.bootstrap.seed), "
                + "which its intervals are computed with; this command gives \(differing.joined(separator: " ")) (leave \(differing.count == 1 ? "it" : "them") out to use the run's)")
        }
        return recorded
    }
}
