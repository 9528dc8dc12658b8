import Foundation
import StratumCore

/// What draws a chart from a gnuplot script: a process per script (`Gnuplot`) or one process
/// kept for many scripts (`GnuplotSession`).
public protocol GnuplotRunner {
    /// Runs `script` to its end; throws `GnuplotError` with gnuplot's message if it fails.
    func run(_ script: String) throws
}

/// Runs gnuplot as a subprocess, feeding the script through a pipe (as gnuplot-iostream does).
public struct Gnuplot: Sendable, GnuplotRunner {
    /// The gnuplot executable.
    public var executable: URL
    /// Seconds before gnuplot is killed.
    public var timeout: Double

    /// Finds `gnuplot` on `PATH` (or `$STRATUM_GNUPLOT`).
    public init(timeout: Double = 60) throws {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["STRATUM_GNUPLOT"] {
            executable = URL(fileURLWithPath: explicit)
        } else {
            let directories = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
            guard let found = directories.map({ URL(fileURLWithPath: $0).appendingPathComponent("gnuplot") })
                .first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
                throw GnuplotError(message: "gnuplot not found on PATH (install Debian's gnuplot-nox)")
            }
            executable = found
        }
        self.timeout = timeout
    }

    /// util-linux's `setpriv --pdeathsig KILL` (on every Debian) in front of gnuplot: if
    /// `stratum` is killed (SIGKILL included) while a chart is drawn, the kernel kills gnuplot
    /// too instead of leaving it running. The signal follows the thread that started the child;
    /// that thread waits for gnuplot, so it cannot end first. Without setpriv, nothing is added.
    static let diesWithParent: [String] = FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
        ? ["/usr/bin/setpriv", "--pdeathsig", "KILL", "--"] : []

    /// Runs `script`; throws with gnuplot's stderr if it exits non-zero or times out.
    ///
    /// gnuplot is started through `ChildProcess` (clean signal mask, own process group), so the
    /// timeout works from any thread: at the deadline the whole group is killed and reaped. A
    /// gnuplot that exits before reading the whole script is an error naming its status and
    /// stderr, never a SIGPIPE death of `stratum`.
    public func run(_ script: String) throws {
        let child: ChildProcess
        do {
            child = try ChildProcess(command: Self.diesWithParent + [executable.path], directory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath), name: "gnuplot")
        } catch {
            throw GnuplotError(message: "cannot start \(executable.path): \(error)")
        }
        defer { child.terminate(grace: 0) }
        let deadline = Date().addingTimeInterval(timeout)
        do {
            try child.write(Array((script + "\nexit\n").utf8), deadline: deadline)
        } catch let failure as ChildProcess.Failure {
            child.terminate(grace: failure.timedOut ? 0 : 1)
            let stderr = child.stderr
            throw GnuplotError(message: failure.timedOut
                ? "gnuplot did not finish within \(Int(timeout)) s"
                : "gnuplot stopped reading its script: \(failure)\(stderr.isEmpty ? "" : ": " + stderr)")
        }
        child.closeInput()
        guard let status = child.waitForExit(deadline: deadline) else {
            child.terminate(grace: 0)
            throw GnuplotError(message: "gnuplot did not finish within \(Int(timeout)) s (killed)")
        }
        guard status == 0 else {
            throw GnuplotError(message: "gnuplot exited with status \(status): \(child.stderr)")
        }
    }
}

extension Gnuplot {
    /// The `set terminal pngcairo` line a figure's script begins with, giving every pngcairo
    /// option a value. gnuplot keeps a terminal's options from one `set terminal` to the next
    /// (after a gallery's `transparent`, a later `set terminal pngcairo size …` is transparent
    /// too), so in a `GnuplotSession` a script states them all; the values not passed here are
    /// gnuplot's defaults.
    ///
    /// Sizes grow with the data (slices, classes, rows) and are clamped to `maxSide`: cairo
    /// refuses surfaces past 32,767 pixels ("Cairo is unhappy"), which an attribute unique per
    /// sample reached; past the clamp the content is drawn closer together instead.
    public static func pngTerminal(width: Int, height: Int, font: String, transparent: Bool = false) -> String {
        let width = min(max(1, width), maxSide), height = min(max(1, height), maxSide)
        return "set terminal pngcairo color background '#ffffff' \(transparent ? "transparent" : "notransparent") nocrop noenhanced "
            + "font \(font.gnuplotQuoted) fontscale 1.0 linewidth 1.0 butt dashlength 1.0 pointscale 1.0 size \(width),\(height)"
    }
}

extension Gnuplot {
    /// The largest side of a figure, in pixels.
    public static let maxSide = 8_192

    /// Draws a chart into `url` through a working file beside it (`.NAME.PID.tmp`), moved into place
    /// only once it holds a whole PNG: gnuplot exits 0 when pngcairo cannot write (a full disk),
    /// which left charts at 0 bytes, or cut off at 4 KiB, under their final names with the run
    /// reported fine. `script` gets the path to draw into. A killed run's working files are
    /// removed by the next render of the folder (`RunReport.removeLeftovers`).
    public static func draw(to url: URL, with gnuplot: some GnuplotRunner, script: (_ output: String) -> String) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let working = workingFile(for: url)
        try checkOutputPath(working)
        defer { try? FileManager.default.removeItem(at: working) }
        try gnuplot.run(script(working.path))
        try checkWholePNG(working)
        try moveIntoPlace(working, to: url)
    }

    /// Renames a finished working file to its final name (replacing what was there).
    static func moveIntoPlace(_ working: URL, to url: URL) throws {
        guard rename(working.path, url.path) == 0 else {
            throw ReportError(message: "cannot move \(working.path) to \(url.path): \(String(cString: strerror(errno)))")
        }
    }

    /// The hidden working file beside `url` that a chart is drawn into first (`role`, when
    /// given, tells apart several working files of one figure).
    /// `.NAME[.ROLE].PID.tmp`: this process's own (another process drawing the same run's reports
    /// at the same time, `stratum report` beside the run, has its own).
    static func workingFile(for url: URL, role: String? = nil) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent)\(role.map { "." + $0 } ?? "").\(ProcessStart.identity).tmp")
    }

    /// gnuplot gets the path of each file it writes as a quoted literal, which holds no control
    /// character (`GnuplotText.literal` shows one as a space): given `a<LF>b/x.png`, gnuplot
    /// wrote to `a b/x.png`, and the report failed with "is the disk full?". Such a path is
    /// refused by name.
    public static func checkOutputPath(_ url: URL) throws {
        guard !url.path.containsScalar(where: String.isLineOrControl) else {
            throw ReportError(message: "cannot draw into \(url.deletingLastPathComponent().path.terminalSafe): gnuplot cannot be given a path holding a control character")
        }
    }

    /// Throws unless `file` ends with a PNG's IEND chunk: anything shorter is what a full disk
    /// or a killed gnuplot left.
    static func checkWholePNG(_ file: URL) throws {
        let iend: [UInt8] = [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]
        var tail: [UInt8] = []
        if let handle = try? FileHandle(forReadingFrom: file) {
            defer { try? handle.close() }
            if let end = try? handle.seekToEnd(), end >= 8 + 12 {
                try? handle.seek(toOffset: end - 12)
                tail = (try? handle.read(upToCount: 12)).map { Array($0) } ?? []
            }
        }
        guard tail == iend else {
            let free = FileFailure.freeBytes(near: file).map { ", \($0 / 1024) KiB free there" } ?? ""
            throw ReportError(message: "gnuplot wrote no whole image to \(file.path) (is the disk full or the folder not writable?\(free))")
        }
    }
}

/// One gnuplot process that draws script after script, as gnuplot-iostream keeps one open: a
/// gnuplot start (dynamic linking, fontconfig) is 20–40 ms, about as long as drawing a chart,
/// so a report of 11 figures drawn through two sessions spends 0.5 s of gnuplot's time where
/// 11 processes spent 0.8 s (Zen 4).
///
/// Each script runs between `reset errors` and `reset session`, so nothing one script sets
/// (labels, ranges, data blocks, variables) reaches the next, and its output file is closed
/// before `run` returns. gnuplot reading from a pipe goes on after an error, so `run` asks it
/// after the script for `GPVAL_ERRNO` through a marker line that carries a random nonce (data
/// echoed in an error message cannot forge it), and throws with the diagnostics gnuplot wrote
/// since the script began (the marker is printed to its stderr, which is read in order with
/// its messages; its stdout, where pngcairo would write if `set output` failed, goes to /dev/null).
///
/// A gnuplot that exits, crashes or misses the deadline fails that script only: the process is
/// stopped and the next `run` starts a new one. Use a session from one thread at a time; the
/// thread that starts its gnuplot (the first `run`, or `prestart`) must go on running until
/// `close` has ended it (the `--pdeathsig` of `Gnuplot.diesWithParent` follows the thread that
/// started gnuplot).
public final class GnuplotSession: GnuplotRunner {
    public let gnuplot: Gnuplot
    private var child: ChildProcess?
    private var scripts = 0
    /// The marker of `prestart`'s warm-up while its output has not been read.
    private var pendingWarmUp: String?
    private let nonce = UInt64.random(in: 1...UInt64.max)

    public init(_ gnuplot: Gnuplot) {
        self.gnuplot = gnuplot
    }

    deinit { close() }

    /// Starts gnuplot now and has it draw a small figure into `/dev/null` without waiting for
    /// it, so that its start (loading cairo and pango, reading the font configuration: ~20 ms
    /// of a core) happens while the caller does something else; the next `run` then finds it
    /// ready. (A session's first figure took 67–85 ms against 37 ms for the next ones;
    /// started while the report's data is read from the store, `stratum report` on a
    /// 2,000-image run went 0.445 → 0.430 s, medians of 20 alternating pairs, Zen 4.) Anything
    /// the warm-up says is read and dropped by the next `run`; a warm-up that fails leaves the
    /// next `run` to start gnuplot again and report what goes wrong.
    public func prestart() {
        guard child == nil, let child = try? running() else { return }
        scripts += 1
        let marker = marker(scripts)
        let warmUp = Gnuplot.pngTerminal(width: 64, height: 64, font: "DejaVu Sans,9") + "\nset output '/dev/null'\n"
            + "unset border; unset tics; unset key\nset xrange [0:1]; set yrange [0:1]\n"
            + "set label 1 'a' at 0.5,0.5 font 'DejaVu Sans Bold,9'\nplot NaN notitle\n"
        do {
            try child.write(Array(framed(warmUp, marker: marker).utf8), deadline: Date().addingTimeInterval(gnuplot.timeout))
            pendingWarmUp = marker
        } catch {
            stop()
        }
    }

    /// The marker line that ends script number `number`'s output.
    private func marker(_ number: Int) -> String { "stratum-done-\(String(nonce, radix: 16))-\(number)" }

    /// `script` between the resets, followed by the line that prints `marker` and gnuplot's error status.
    private func framed(_ script: String, marker: String) -> String {
        "reset errors\n" + script
            + "\nunset multiplot\nset output '/dev/null'\nset print\nprint sprintf('\(marker) %d', GPVAL_ERRNO)\nreset session\n"
    }

    /// Reads what `prestart`'s warm-up said, through its marker, and drops it; the process is
    /// stopped (the caller starts a new one) if it exits or misses `deadline` first.
    private func finishWarmUp(deadline: Date) {
        guard let marker = pendingWarmUp, let child else { return }
        pendingWarmUp = nil
        var said: [UInt8] = []
        do {
            while Self.status(after: marker, in: said) == nil {
                let chunk = try child.readAvailable(deadline: deadline)
                guard !chunk.isEmpty else { return stop() }
                said += chunk
            }
            // What followed the marker line belongs to no script yet: a warm-up prints nothing after it.
        } catch {
            stop()
        }
    }

    /// Runs `script`; throws with gnuplot's diagnostics if it reports an error, exits or times out.
    public func run(_ script: String) throws {
        let deadline = Date().addingTimeInterval(gnuplot.timeout)
        finishWarmUp(deadline: deadline)
        let child = try running()
        scripts += 1
        let marker = marker(scripts)
        let framed = framed(script, marker: marker)
        var said: [UInt8] = []
        do {
            try child.write(Array(framed.utf8), deadline: deadline)
            while true {
                let chunk = try child.readAvailable(deadline: deadline)
                guard !chunk.isEmpty else {
                    let status = child.waitForExit(deadline: Date().addingTimeInterval(1))
                    stop()
                    throw GnuplotError(message: "gnuplot exited\(status.map { " with status \($0)" } ?? "") while drawing\(Self.tail(said))")
                }
                said += chunk
                if let status = Self.status(after: marker, in: said) {
                    guard status.errno == 0 else {
                        throw GnuplotError(message: "gnuplot reported an error (\(status.errno))\(Self.tail(status.before))")
                    }
                    return
                }
            }
        } catch let failure as ChildProcess.Failure {
            stop()
            throw GnuplotError(message: failure.timedOut
                ? "gnuplot did not finish within \(Int(gnuplot.timeout)) s (killed)"
                : "gnuplot stopped: \(failure)\(Self.tail(said))")
        }
    }

    /// Ends the gnuplot process, if one is running.
    public func close() {
        guard let child else { return }
        try? child.write(Array("exit\n".utf8), deadline: Date().addingTimeInterval(1))
        child.closeInput()
        if child.waitForExit(deadline: Date().addingTimeInterval(2)) == nil { child.terminate(grace: 0) }
        self.child = nil
        pendingWarmUp = nil
    }

    private func running() throws -> ChildProcess {
        if let child { return child }
        // gnuplot's stderr joins the pipe `run` reads; its stdout is dropped.
        let command = ["/bin/sh", "-c", "exec \"$@\" 2>&1 >/dev/null", "sh"] + Gnuplot.diesWithParent + [gnuplot.executable.path]
        let started: ChildProcess
        do {
            started = try ChildProcess(command: command, directory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath), name: "gnuplot")
        } catch {
            throw GnuplotError(message: "cannot start \(gnuplot.executable.path): \(error)")
        }
        do {
            try started.write(Array("set output '/dev/null'\n".utf8), deadline: Date().addingTimeInterval(gnuplot.timeout))
        } catch {
            started.terminate(grace: 0)
            throw GnuplotError(message: "gnuplot stopped reading its input: \(error)")
        }
        child = started
        return started
    }

    private func stop() {
        child?.terminate(grace: 0)
        child = nil
        pendingWarmUp = nil
    }

    /// The status on the line that begins with `marker` in `text`, and what came before it.
    static func status(after marker: String, in text: [UInt8]) -> (errno: Int, before: [UInt8])? {
        let key = Array((marker + " ").utf8)
        var lineStart = 0
        for index in text.indices where text[index] == UInt8(ascii: "\n") {
            let line = text[lineStart..<index]
            if line.starts(with: key) {
                let number = String(decoding: line.dropFirst(key.count), as: UTF8.self)
                return (Int(number.trimmingCharacters(in: .whitespaces)) ?? -1, Array(text[..<lineStart]))
            }
            lineStart = index + 1
        }
        return nil
    }

    /// `": " +` the last 2 KiB of gnuplot's diagnostics, or nothing when it said nothing.
    static func tail(_ text: [UInt8]) -> String {
        let said = String(decoding: text.suffix(2048), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return said.isEmpty ? "" : ": " + said
    }
}

/// gnuplot failed or is missing.
public struct GnuplotError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public var description: String { message }
}

/// Text from data (names, labels, attribute values, paths) made safe for a gnuplot script.
///
/// Every string that reaches a script goes through one of these two functions; nothing from
/// data is ever interpolated otherwise. gnuplot ends a command at a line break and performs
/// backquote (command) and `@` (macro) substitution everywhere except inside single-quoted
/// strings, where the only escape is `''` for a quote. So:
/// - `literal` gives a single-quoted string with quotes doubled and every control character
///   (line feed, carriage return, NUL, …) replaced by a space: it cannot end the command or
///   the string, and nothing inside it is substituted;
/// - `dataField` gives a double-quoted field for an inline data block: no line break (so no
///   line of the block can be `EOD`), `"` becomes `'` and `\` becomes `∖` (the data reader
///   has no escape that keeps either).
///
/// Both work on Unicode scalars, as gnuplot reads bytes: a quote followed by a combining mark
/// is one `Character` that a character-wise replacement leaves alone, and it let a name end
/// the string and run a backquoted command (`String.mappingScalars`).
public enum GnuplotText {
    /// A single-quoted gnuplot string literal showing `text` (control characters as spaces).
    public static func literal(_ text: String) -> String {
        "'" + text.mappingScalars { String.isLineOrControl($0) ? " " : ($0 == "'" ? "''" : nil) } + "'"
    }

    /// A double-quoted data-block field showing `text` (control characters as spaces, `"` as
    /// `'`, and `\` as `∖`: gnuplot's data reader drops a backslash, and `\\` too).
    public static func dataField(_ text: String) -> String {
        "\"" + text.mappingScalars { scalar in
            if String.isLineOrControl(scalar) { return " " }
            switch scalar {
            case "\"": return "'"
            case "\\": return "\u{2216}"
            default: return nil
            }
        } + "\""
    }

    /// `text` cut to `limit` characters, the last one `…`: names shown on an axis or in a
    /// legend, whose length would otherwise size the figure or push the plot off it.
    public static func clipped(_ text: String, to limit: Int = 60) -> String {
        text.count <= limit ? text : String(text.prefix(max(1, limit - 1))) + "…"
    }
}

extension String {
    /// The string as a gnuplot single-quoted literal (`GnuplotText.literal`).
    var gnuplotQuoted: String { GnuplotText.literal(self) }
}

/// gnuplot sessions started ahead of a report's figures (`GnuplotSession.prestart`) by the
/// thread that will wait for the report, and handed to its drawing threads one each.
public final class GnuplotSessions: @unchecked Sendable {
    private let lock = NSLock()
    private var ready: [GnuplotSession]

    /// Starts `count` sessions now, on this thread: it must go on running until `close`.
    public init(_ gnuplot: Gnuplot, count: Int) {
        ready = (0..<max(0, count)).map { _ in
            let session = GnuplotSession(gnuplot)
            session.prestart()
            return session
        }
    }

    deinit { close() }

    /// A started session not yet taken, nil when none is left.
    func take() -> GnuplotSession? {
        lock.withLock { ready.popLast() }
    }

    /// Ends the sessions not taken (those taken are closed by whoever took them).
    public func close() {
        let left = lock.withLock { () -> [GnuplotSession] in
            defer { ready = [] }
            return ready
        }
        left.forEach { $0.close() }
    }
}
