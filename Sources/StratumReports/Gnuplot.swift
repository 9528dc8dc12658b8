import Foundation

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

    /// Runs `script`; throws with gnuplot's stderr if it exits non-zero or times out.
    public func run(_ script: String) throws {
        let process = Process()
        process.executableURL = executable
        let input = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw GnuplotError(message: "cannot start \(executable.path): \(error.localizedDescription)")
        }
        // Read stderr concurrently so a chatty gnuplot never blocks on a full pipe.
        let collected = ErrorCollector()
        let reader = Thread { collected.store(errors.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        input.fileHandleForWriting.write(Data((script + "\nexit\n").utf8))
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(2_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw GnuplotError(message: "gnuplot did not finish within \(Int(timeout)) s")
        }
        process.waitUntilExit()
        let stderr = String(decoding: collected.wait(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0 else {
            throw GnuplotError(message: "gnuplot exited with status \(process.terminationStatus): \(stderr)")
        }
    }
}

/// Collects a pipe's bytes from a reader thread. Invariant: `data` is only touched under `lock`.
private final class ErrorCollector: @unchecked Sendable {
    private let lock = NSCondition()
    private var data: Data?

    func store(_ bytes: Data) {
        lock.lock(); data = bytes; lock.signal(); lock.unlock()
    }

    func wait() -> Data {
        lock.lock(); defer { lock.unlock() }
        while data == nil { lock.wait() }
        return data ?? Data()
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
