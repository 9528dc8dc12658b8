import ArgumentParser
import Foundation
import StratumCore
import StratumData
import StratumImaging
import StratumModelLogistic
import StratumModelProcess
import StratumModelTFJS
import StratumModelONNX
import StratumRunner
import StratumStore

/// Exit codes shared by every command.
enum ExitCodes {
    static let failure: Int32 = 1
    static let partialFailure: Int32 = 2
    static let dataError: Int32 = 65
}

/// Prints `error` as one clear line (or a few, for manifests) on stderr and returns the exit code for it.
func report(_ error: Error) -> ExitCode {
    if let exit = error as? ExitCode { return exit }
    // A command line that parsed but asks for something impossible (`--metric recall` on two
    // classes): 64, as ArgumentParser gives for its own validation.
    if let invalid = error as? ValidationError {
        Terminal.error("error: \(invalid.message)")
        return ExitCode.validationFailure
    }
    let isInputError = error is ExperimentError || error is ManifestError || error is ImageError || error is SliceBuildError
        || error is RegistryError || error is SliceExpressionError || error is LogisticModelError || error is FaceDatasetError
        || error is PluginError || error is TFJSError || error is ONNXError || error is StoreLocationError || error is UnreadableImagesError || error is UnknownOptionError || error is InvalidOptionValueError
        || (error as? RunError)?.isBadInput == true || (error as? StoreError)?.isBadInput == true
    Terminal.error("error: \(error)")
    if error is ResumeRefusal || error is ShardRefusal { return ExitCode(ExitCodes.failure) }
    return ExitCode(isInputError ? ExitCodes.dataError : ExitCodes.failure)
}

/// Writes to standard error. The only place the CLI writes diagnostics.
enum Terminal {
    static let isInteractive = isatty(STDERR_FILENO) == 1

    static func error(_ line: String) {
        FileHandle.standardError.write(Data(("stratum: " + safe(line) + "\n").utf8))
    }

    static func status(_ line: String) {
        FileHandle.standardError.write(Data((safe(line) + "\n").utf8))
    }

    /// A message's own lines kept, control characters inside them escaped (`terminalSafe`):
    /// messages quote names, URLs and values from data, which may carry escape sequences.
    static func safe(_ text: String) -> String {
        text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map { String($0).terminalSafe }.joined(separator: "\n")
    }
}

/// A progress line: redrawn in place on a terminal, printed at 25% steps otherwise.
/// Invariant: `last` is only touched under `lock`.
final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private var last: [String: Int] = [:]
    let quiet: Bool

    init(quiet: Bool) {
        self.quiet = quiet
    }

    private var started: [String: Date] = [:]

    /// Progress of `label`: a bar with images/s and the time left on a terminal; plain lines at
    /// 25% steps otherwise (logs, CI). The rate counts from the first update of the label.
    func update(_ label: String, done: Int, total: Int) {
        guard !quiet, total > 0 else { return }
        let label = label.terminalSafe  // it names variants
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        let start = started[label] ?? now
        if started[label] == nil { started[label] = now }
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0.2 && done > 0 ? Double(done) / elapsed : nil
        let pace = rate.map { rate in
            let left = Double(total - done) / rate
            return String(format: "  %.0f/s, %@ left", rate, Self.duration(left))
        } ?? ""
        let percent = done * 100 / total
        if Terminal.isInteractive {
            let width = 30, filled = done * width / total
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(done)/\(total)\(done == total ? "" : pace)\u{1B}[K".utf8))
            if done == total { FileHandle.standardError.write(Data(String(format: "  (%@)\n", Self.duration(elapsed)).utf8)) }
        } else {
            let step = percent / 25
            if step > (last[label] ?? -1) {
                last[label] = step
                FileHandle.standardError.write(Data("\(label): \(done)/\(total)\(done == total ? String(format: " in %@", Self.duration(elapsed)) : pace)\n".utf8))
            }
        }
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let whole = Int(seconds.rounded())
        return whole < 3600 ? "\(whole / 60) min \(whole % 60) s" : "\(whole / 3600) h \(whole % 3600 / 60) min"
    }

    func note(_ line: String) {
        guard !quiet else { return }
        lock.lock(); defer { lock.unlock() }
        Terminal.status(line)
    }
}

/// A word as a POSIX shell reads it back: as is when it holds only safe characters, else in
/// single quotes (a quote inside as '\''), for commands the CLI suggests.
enum ShellWord {
    static func quoted(_ word: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:@%+,".unicodeScalars)
        if !word.isEmpty && word.unicodeScalars.allSatisfy(safe.contains) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
