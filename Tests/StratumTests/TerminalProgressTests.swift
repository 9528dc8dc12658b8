import Foundation
import Testing

/// Progress on a terminal: `stratum run` under a pseudo-terminal (`script`, util-linux), its
/// output replayed on a small screen model. Every bar keeps a line of its own, and messages
/// land above the bars, not under a redraw.
@Suite struct TerminalProgressTests {
    /// The screen left by `output`: printable text, `\r`, `\n`, and the escapes the CLI writes
    /// (cursor up `ESC[nA`, erase to end of line `ESC[K`, erase to end of screen `ESC[J`).
    /// With `width`, a line reaching it wraps to the next row, as a terminal's does.
    static func screen(_ output: String, width: Int? = nil) -> [String] {
        var rows: [[Character]] = [[]], row = 0, column = 0
        var characters = Array(output)[...]
        func put(_ character: Character) {
            if let width, column == width {
                row += 1
                column = 0
                if row == rows.count { rows.append([]) }
            }
            while rows[row].count < column { rows[row].append(" ") }
            if column < rows[row].count { rows[row][column] = character } else { rows[row].append(character) }
            column += 1
        }
        while let character = characters.popFirst() {
            switch character {
            case "\r": column = 0
            case "\n", "\r\n":
                row += 1
                column = 0
                if row == rows.count { rows.append([]) }
            case "\u{1B}":
                guard characters.first == "[" else { continue }
                characters.removeFirst()
                var digits = ""
                while let next = characters.first, next.isNumber { digits.append(characters.removeFirst()) }
                guard let command = characters.popFirst() else { break }
                switch command {
                case "A": row = max(0, row - (Int(digits) ?? 1))
                case "K": if column < rows[row].count { rows[row].removeSubrange(column...) }
                case "J":
                    if column < rows[row].count { rows[row].removeSubrange(column...) }
                    rows.removeSubrange((row + 1)...)
                default: Issue.record("unexpected escape ESC[\(digits)\(command)")
                }
            default: put(character)
            }
        }
        return rows.map { String($0) }.filter { !$0.isEmpty }
    }

    @Test func screenModel() {
        #expect(Self.screen("a\r\nb [..] 1/2\u{1B}[K\r\n\r\u{1B}[1A\u{1B}[Jnote\r\nb [##] 2/2\u{1B}[K\r\n") == ["a", "note", "b [##] 2/2"])
    }

    /// `stratum run` of two variants on 48 test images, under a pseudo-terminal `columns` wide
    /// (nil: script's default); what it wrote there.
    static func runOnATerminal(columns: Int? = nil) throws -> String {
        let directory = try TestSupport.temporaryDirectory()
        let generate = try CLITests.run(["dataset", "generate", "faces", "--count", "300", "--seed", "5", "--size", "32", "--out", "data", "--quiet"], in: directory)
        try #require(generate.status == 0, "\(generate.stderr)")
        try TestSupport.write("""
        name: bars
        dataset: {manifest: data/manifest.csv, label: sex}
        variants:
          - {name: first, kind: logistic, path: first.json, options: {size: 8}}
          - {name: second, kind: logistic, path: second.json, options: {size: 12}}
        """, to: directory.appendingPathComponent("bars.yaml"))
        let command = (columns.map { "stty cols \($0); " } ?? "") + [CLITests.binary.path, "run", "bars.yaml", "--db", "s.sqlite", "--reports", "R", "--chunk-size", "8"]
            .map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let script = try CLITests.run(["--quiet", "--return", "--command", command, "/dev/null"], in: directory, program: URL(fileURLWithPath: "/usr/bin/script"))
        try #require(script.status == 0, "\(script.stdout)\(script.stderr)")
        return script.stdout
    }

    @Test func everyBarHasItsOwnLineAndMessagesStayAbove() throws {
        let output = try Self.runOnATerminal()
        let lines = Self.screen(output)
        let evaluated = try #require(lines.first { $0.hasPrefix("dataset: 300 samples, evaluating ") }.flatMap { Int($0.split(separator: " ")[4]) }, "\(lines)")
        for label in ["decoding images", "predicting first", "predicting second"] {
            let shown = lines.filter { $0.contains(label) }
            #expect(shown.count == 1 && shown[0].hasPrefix("\(label) [##############################] \(evaluated)/\(evaluated)  ("),
                    "\(label): \(shown)\n\(lines.joined(separator: "\n"))")
        }
        // While the work goes on, the bars show side by side: decoding runs ahead of the variants
        // (a frame: the screen after each line written, which ends with an erase to its end).
        let parts = output.components(separatedBy: "\u{1B}[K")
        let frames = parts.indices.dropFirst().map { Self.screen(parts.prefix($0).joined(separator: "\u{1B}[K")) }
        let unfinishedTogether = frames.map { $0.filter { $0.contains(" [") && $0.contains("/") && !$0.contains("  (") }.count }.max() ?? 0
        #expect(unfinishedTogether >= 2, "never two bars under way on screen at once (\(frames.count) frames)")
        // Notes and the fitting messages come before the bars, whole; the summary after them.
        let fitted = try #require(lines.firstIndex { $0.hasPrefix("fitted second:") }, "\(lines)")
        let decoding = try #require(lines.firstIndex { $0.hasPrefix("decoding images") })
        let summary = try #require(lines.firstIndex { $0.contains("bars run 1") }, "\(lines)")
        #expect(fitted < decoding && decoding < summary, "\(lines.joined(separator: "\n"))")
    }

    /// On a narrow terminal the bars are cut to its width: a wrapped bar would take two rows,
    /// and the next redraw, going up one row per bar, would leave its first half behind.
    @Test func barsAreCutToTheTerminalsWidth() throws {
        let lines = Self.screen(try Self.runOnATerminal(columns: 40), width: 40)
        for label in ["decoding images", "predicting first", "predicting second"] {
            let shown = lines.filter { $0.hasPrefix(label) }
            #expect(shown.count == 1 && shown[0].hasSuffix("…") && shown[0].count == 39, "\(label): \(shown)\n\(lines.joined(separator: "\n"))")
        }
    }
}
