import Foundation
import StratumCore

/// Runs gnuplot as a subprocess, feeding the script through a pipe (as gnuplot-iostream does).
public struct Gnuplot: Sendable {
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
///   line of the block can be `EOD`), and `"` becomes `'` (the data reader has no escapes).
public enum GnuplotText {
    /// A single-quoted gnuplot string literal showing `text` (control characters as spaces).
    public static func literal(_ text: String) -> String {
        "'" + printable(text).replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// A double-quoted data-block field showing `text` (control characters as spaces, `"` as `'`).
    public static func dataField(_ text: String) -> String {
        "\"" + printable(text).replacingOccurrences(of: "\"", with: "'") + "\""
    }

    /// `text` with every Unicode control character (Cc) and line or paragraph separator as a space.
    static func printable(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .lineSeparator, .paragraphSeparator: scalars.append(" ")
            default: scalars.append(scalar)
            }
        }
        return String(scalars)
    }
}

extension String {
    /// The string as a gnuplot single-quoted literal (`GnuplotText.literal`).
    var gnuplotQuoted: String { GnuplotText.literal(self) }
}
