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
import Synchronization

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
///
/// On a terminal, progress bars live at the bottom of the screen, one line each, redrawn in
/// place (`progress`); any other message is written above them, and they are drawn again
/// below it. Invariant: `live` is only touched under its mutex, and every write to standard
/// error goes through it, so that no message lands inside the block a redraw overwrites.
enum Terminal {
    static let isInteractive = isatty(STDERR_FILENO) == 1

    static func error(_ line: String) {
        write("stratum: " + safe(line) + "\n")
    }

    static func status(_ line: String) {
        write(safe(line) + "\n")
    }

    /// A message's own lines kept, control characters inside them escaped (`terminalSafe`):
    /// messages quote names, URLs and values from data, which may carry escape sequences.
    static func safe(_ text: String) -> String {
        text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map { String($0).terminalSafe }.joined(separator: "\n")
    }

    /// The progress bars on screen: their lines in the order they first came, top to bottom.
    struct LiveBlock {
        var order: [String] = []
        var lines: [String: String] = [:]
        var finished: Set<String> = []
        /// Lines of the block on screen, the cursor at the start of the line below them.
        var drawn = 0
        var lastDraw = Date.distantPast
        /// A redraw is due (an update came too soon after the last one, and none came since).
        var redrawDue = false

        /// Moves the cursor up to the block's first line and clears from there down.
        mutating func erase() -> String {
            defer { drawn = 0 }
            return drawn > 0 ? "\r\u{1B}[\(drawn)A\u{1B}[J" : ""
        }

        /// The lines, each cut to the terminal's width (a line that wrapped would take two rows,
        /// and the next erase, counting lines, would leave one behind), and no more of them than
        /// fit above the bottom row (cursor-up stops at the top: a taller block would push a
        /// copy of itself into the scrollback at every redraw); `all` for the last drawing of
        /// a finished block, which is never redrawn.
        mutating func draw(all: Bool = false) -> String {
            let (width, height) = Terminal.size
            var shown = order.map { lines[$0] ?? "" }
            if !all && shown.count > max(1, height - 1) {
                // The bars still under way first, in their order; finished ones fill what is left.
                let kept = max(0, height - 2)
                let running = order.indices.filter { !finished.contains(order[$0]) }
                let chosen = Set(running.prefix(kept) + order.indices.filter { finished.contains(order[$0]) }.prefix(max(0, kept - running.count)))
                shown = order.indices.filter(chosen.contains).map { shown[$0] } + ["… and \(order.count - chosen.count) more"]
            }
            drawn = shown.count
            return shown.map { Self.cut($0, to: width - 1) + "\u{1B}[K\n" }.joined()
        }

        /// Columns `text` takes, a character beyond ASCII counted as two (CJK and emoji take
        /// two; the rest are counted a little wide).
        static func columns(of text: String) -> Int { text.reduce(0) { $0 + width($1) } }
        private static func width(_ character: Character) -> Int { character.unicodeScalars.allSatisfy(\.isASCII) ? 1 : 2 }

        /// The longest start of `characters` within `columns` columns.
        private static func leading(_ characters: some Sequence<Character>, within columns: Int) -> [Character] {
            var kept: [Character] = [], used = 0
            for character in characters {
                guard used + width(character) <= columns else { break }
                kept.append(character)
                used += width(character)
            }
            return kept
        }

        /// `text` in at most `columns` columns, its middle cut out for an ellipsis (two columns
        /// kept for it): a label's end names the variant.
        static func cutMiddle(_ text: String, to columns: Int) -> String {
            guard Self.columns(of: text) > columns else { return text }
            let head = leading(text, within: columns * 2 / 5)
            let tail = leading(text.reversed(), within: columns - 2 - Self.columns(of: String(head)))
            return String(head) + "…" + String(tail.reversed())
        }

        /// `line` in at most `columns` columns, cut with an ellipsis (two columns kept for it).
        static func cut(_ line: String, to columns: Int) -> String {
            guard Self.columns(of: line) > columns else { return line }
            return String(leading(line, within: columns - 2)) + "…"
        }

        /// The block drawn again over itself.
        mutating func replaced(all: Bool = false) -> String { erase() + draw(all: all) }
    }

    private static let live = Mutex(LiveBlock())

    /// The terminal's columns and rows (80 and 24 where it does not say: a pseudo-terminal
    /// starts at 0 × 0).
    static var size: (columns: Int, rows: Int) {
        var size = winsize()
        guard ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0 else { return (80, 24) }
        return (size.ws_col > 0 ? Int(size.ws_col) : 80, size.ws_row > 0 ? Int(size.ws_row) : 24)
    }

    private static func write(_ text: String) {
        live.withLock { block in
            let redraw = block.drawn > 0
            var out = block.erase() + text
            if redraw { out += block.draw() }
            FileHandle.standardError.write(Data(out.utf8))
        }
    }

    /// The least time between two redraws: a chunk of 64 images per variant came every few
    /// milliseconds, and redrawn each time, a 20,000-image run wrote 117 KB of progress.
    static let redrawInterval = 0.1

    /// Sets the progress line of `label` and redraws the bars: at once for a new or finished
    /// label, else at most every `redrawInterval` (an update that comes sooner is drawn when
    /// the interval is up). Once every bar is finished, the block stays on screen as plain lines.
    static func progress(_ label: String, line: String, finished: Bool) {
        live.withLock { block in
            let isNew = block.lines[label] == nil
            if isNew { block.order.append(label) }
            block.lines[label] = line
            if finished { block.finished.insert(label) }
            let wait = redrawInterval - Date().timeIntervalSince(block.lastDraw)
            if isNew || finished || wait <= 0 {
                redraw(&block)
            } else if !block.redrawDue {
                block.redrawDue = true
                DispatchQueue.global().asyncAfter(deadline: .now() + wait) {
                    live.withLock { block in if block.redrawDue { redraw(&block) } }
                }
            }
        }
    }

    private static func redraw(_ block: inout LiveBlock) {
        block.lastDraw = Date()
        block.redrawDue = false
        let done = block.order.allSatisfy(block.finished.contains)
        let out = block.replaced(all: done)
        if done { block = LiveBlock() }
        FileHandle.standardError.write(Data(out.utf8))
    }

    /// Leaves the bars on screen as they are (one that stopped short, a failed variant's, say)
    /// and writes what follows below them, never over them: for the end of the work they show,
    /// before output on standard output, which the block knows nothing of.
    static func endProgress() {
        live.withLock { block in
            // Every bar, as for a finished block: it is never redrawn.
            if block.drawn > 0 { FileHandle.standardError.write(Data(block.replaced(all: true).utf8)) }
            block = LiveBlock()
        }
    }
}

/// Progress lines: bars redrawn in place on a terminal, one per label (`Terminal.progress`),
/// printed at 25% steps otherwise. Invariant: the dictionaries are only touched under `lock`.
final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private var last: [String: Int] = [:]
    let quiet: Bool

    init(quiet: Bool) {
        self.quiet = quiet
    }

    /// When and at what count each label's first update came.
    private var started: [String: (time: Date, done: Int)] = [:]
    /// The highest count shown per label: updates come from several threads and can arrive out
    /// of order (the faces writer's last, short chunk is often done first); a lower count, or
    /// any after the label finished, is not shown.
    private var shown: [String: Int] = [:]

    /// Progress of `label`: a bar with images/s and the time left on a terminal; plain lines at
    /// 25% steps otherwise (logs, CI). The rate counts what was done since the label's first
    /// update (a resumed run starts with part of the work done before).
    func update(_ label: String, done: Int, total: Int) {
        guard !quiet, total > 0 else { return }
        let label = label.terminalSafe  // it names variants
        lock.lock(); defer { lock.unlock() }
        if let before = shown[label], done <= before || before >= total { return }
        shown[label] = done
        let now = Date()
        let start = started[label] ?? (now, done)
        if started[label] == nil { started[label] = start }
        let elapsed = now.timeIntervalSince(start.time)
        let rate = elapsed > 0.2 && done > start.done ? Double(done - start.done) / elapsed : nil
        let pace = rate.map { rate in
            let left = Double(total - done) / rate
            return String(format: "  %.0f/s, %@ left", rate, Self.duration(left))
        } ?? ""
        let percent = done * 100 / total
        if Terminal.isInteractive {
            // The bar narrows (30 to 10 columns), then the label is cut, before the counts, rate
            // and time left are. The width is set from the longest the end can be (total/total,
            // a rate and an hour's time left), so that it does not change as the figures do.
            let end = " \(done)/\(total)" + (done >= total ? String(format: "  (%@)", Self.duration(elapsed)) : pace)
            let longestEnd = 2 * String(total).count + 2 + 28  // "  123456/s, 59 min 59 s left"
            let room = Terminal.size.columns - 1 - 3 - longestEnd
            let shownLabel = Terminal.LiveBlock.cutMiddle(label, to: max(16, room - 10))
            let width = max(10, min(30, room - Terminal.LiveBlock.columns(of: shownLabel)))
            let filled = min(width, done * width / total)
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            Terminal.progress(label, line: "\(shownLabel) [\(bar)]\(end)", finished: done >= total)
        } else {
            let step = percent / 25
            if step > (last[label] ?? -1) {
                last[label] = step
                Terminal.status("\(label): \(done)/\(total)\(done == total ? String(format: " in %@", Self.duration(elapsed)) : pace)")
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
        Terminal.status(line)
    }

    /// The end of the work the bars show (`Terminal.endProgress`).
    func finish() {
        guard !quiet else { return }
        Terminal.endProgress()
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
