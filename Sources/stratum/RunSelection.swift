import ArgumentParser
import StratumRunner
import StratumStore

/// The run a command's `RUN` argument names (`StoredRunReports.parseSelector`). `compare` and
/// `gate` take `RUN:VARIANT`; the commands that take the variant as `--variant` read the same
/// text as an experiment name, so when it contains a colon and names no experiment while its
/// part before the colon names a run, the error says how to write it for this command.
enum RunSelection {
    /// `takesVariant`: whether `command` has a `--variant` option (`report` draws them all).
    static func parse(_ selector: String, in store: any RunStore, command: String, takesVariant: Bool = true) throws -> (experiment: String?, number: Int?) {
        let parsed = StoredRunReports.parseSelector(selector)
        guard selector.contains(":") else { return parsed }
        do {
            _ = try store.run(experiment: parsed.experiment, number: parsed.number)
        } catch let error as StoreError {
            let reference = VariantReference(selector)
            guard let variant = reference.variant, let colon = selector.firstIndex(of: ":"),
                  (try? store.run(experiment: reference.experiment, number: reference.number)) != nil else { throw error }
            let run = selector[..<colon].isEmpty ? "latest" : String(selector[..<colon])
            throw ValidationError("\(error). RUN:VARIANT is the form `compare` and `gate` take; " + (takesVariant
                ? "`\(command)` takes the run and the variant apart: stratum \(command) \(run) --variant \(variant)"
                : "`\(command)` draws every variant of a run: stratum \(command) \(run)"))
        }
        return parsed
    }
}
