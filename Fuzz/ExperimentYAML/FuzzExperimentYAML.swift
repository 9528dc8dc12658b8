// Experiment files: ExperimentSpec.parse (Yams.compose of the YAML text, then every field
// check, option values rendered as JSON with the alias-bomb limits, slice expressions).
import Foundation
import StratumRunner

let experimentFile = URL(fileURLWithPath: "/fuzz/experiments/experiment.yaml")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    do {
        let spec = try ExperimentSpec.parse(fuzzText(data, size), file: experimentFile)
        _ = spec.hash
    } catch {
        _ = "\(error)"
    }
    return 0
}
