import Foundation
import Testing

/// Progress on a terminal: `stratum run` under a pseudo-terminal (`script`, util-linux), its
/// output replayed on a small screen model. Every bar keeps a line of its own, and messages
/// land above the bars, not under a redraw.
@Suite struct TerminalProgressTests {
    /// Every line `output` leaves on a terminal `width` columns wide (unbounded: nil) and
    /// `height` rows high, the scrollback first: printable text (CJK and emoji two columns),
    /// `\r`, `\n`, and the escapes the CLI writes (cursor up `ESC[nA`, which stops at the
    /// screen's top row; erase to end of line `ESC[K` and of screen `ESC[J`). A line reaching
    /// the width wraps; a line past the bottom scrolls the screen up.
    static func screen(_ output: String, width: Int? = nil, height: Int? = nil) -> [String] {
        let filler: Character = "\u{0}"  // the second cell of a wide character
        var rows: [[Character]] = [[]], row = 0, column = 0, top = 0
        func newLine() {
            row += 1
            column = 0
            if row == rows.count { rows.append([]) }
            if let height { top = max(top, row - height + 1) }
        }
        func cells(_ character: Character) -> Int {
            let scalar = character.unicodeScalars.first!.value
            let wide = (0x1100...0x115F).contains(scalar) || (0x2E80...0xA4CF).contains(scalar) || (0xAC00...0xD7A3).contains(scalar)
                || (0xF900...0xFAFF).contains(scalar) || (0xFF00...0xFF60).contains(scalar) || (0x1F300...0x1FAFF).contains(scalar) || scalar >= 0x20000
            return wide ? 2 : 1
        }
        func put(_ character: Character) {
            let size = cells(character)
            if let width, column + size > width { newLine() }
            while rows[row].count < column { rows[row].append(" ") }
            for (offset, cell) in ([character] + Array(repeating: filler, count: size - 1)).enumerated() {
                if column + offset < rows[row].count { rows[row][column + offset] = cell } else { rows[row].append(cell) }
            }
            column += size
        }
        var characters = Array(output)[...]
        while let character = characters.popFirst() {
            switch character {
            case "\r": column = 0
            case "\n", "\r\n": newLine()
            case "\u{1B}":
                guard characters.first == "[" else { continue }
                characters.removeFirst()
                var digits = ""
                while let next = characters.first, next.isNumber { digits.append(characters.removeFirst()) }
                guard let command = characters.popFirst() else { break }
                switch command {
                case "A": row = max(top, row - (Int(digits) ?? 1))
                case "K": if column < rows[row].count { rows[row].removeSubrange(column...) }
                case "J":
                    if column < rows[row].count { rows[row].removeSubrange(column...) }
                    rows.removeSubrange((row + 1)...)
                default: Issue.record("unexpected escape ESC[\(digits)\(command)")
                }
            default: put(character)
            }
        }
        return rows.map { String($0.filter { $0 != filler }) }.filter { !$0.isEmpty }
    }

    @Test func screenModel() {
        #expect(Self.screen("a\r\nb [..] 1/2\u{1B}[K\r\n\r\u{1B}[1A\u{1B}[Jnote\r\nb [##] 2/2\u{1B}[K\r\n") == ["a", "note", "b [##] 2/2"])
        // Wrapping (a wide character does not split), and cursor-up stopping at the top row.
        #expect(Self.screen("abcde分x", width: 6) == ["abcde", "分x"])
        #expect(Self.screen("1\n2\n3\n\u{1B}[5Ax", height: 2) == ["1", "2", "x"])
    }

    /// `stratum run` of two variants on 48 test images, under a pseudo-terminal `columns` wide
    /// (nil: script's default); what it wrote there.
    static func runOnATerminal(columns: Int? = nil, rows: Int? = nil, variants: [String] = ["first", "second"]) throws -> String {
        let directory = try TestSupport.temporaryDirectory()
        let generate = try CLITests.run(["dataset", "generate", "faces", "--count", "300", "--seed", "5", "--size", "32", "--out", "data", "--quiet"], in: directory)
        try #require(generate.status == 0, "\(generate.stderr)")
        try TestSupport.write("""
        name: bars
        dataset: {manifest: data/manifest.csv, label: sex}
        variants:
        \(variants.enumerated().map { "  - {name: \($1), kind: logistic, path: v\($0).json, options: {size: \(8 + $0)}}" }.joined(separator: "\n"))
        """, to: directory.appendingPathComponent("bars.yaml"))
        let size = (columns.map { " cols \($0)" } ?? "") + (rows.map { " rows \($0)" } ?? "")
        let command = (size.isEmpty ? "" : "stty\(size); ") + [CLITests.binary.path, "run", "bars.yaml", "--db", "s.sqlite", "--reports", "R", "--chunk-size", "8"]
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
            let bar = shown.first.flatMap { $0.hasPrefix("\(label) [") ? $0.dropFirst(label.count + 2).split(separator: "]", maxSplits: 1) : nil }
            #expect(shown.count == 1 && bar?.count == 2 && bar![0].count >= 10 && bar![0].allSatisfy { $0 == "#" } && bar![1].hasPrefix(" \(evaluated)/\(evaluated)  ("),
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
    /// Also with names of CJK characters, two columns each.
    @Test(arguments: [["first", "second"], ["分类器一号", "模型二"]])
    func barsAreCutToTheTerminalsWidth(_ variants: [String]) throws {
        let lines = Self.screen(try Self.runOnATerminal(columns: 40, variants: variants), width: 40)
        for label in ["decoding images"] + variants.map({ "predicting \($0)" }) {
            // A label too long is cut in its middle: its end still names the variant.
            let shown = lines.filter { $0.contains("\(label.suffix(2)) [") }
            #expect(shown.count == 1 && shown[0].hasSuffix("…"), "\(label): \(shown)\n\(lines.joined(separator: "\n"))")
        }
    }

    /// On a terminal too short for every bar, the block keeps to the rows above the bottom one
    /// (cursor-up stops at the top row: a taller block left a copy of itself in the scrollback
    /// at every redraw); once all are finished, every bar is written out, once.
    @Test func aBlockTallerThanTheTerminalKeepsToItsRows() throws {
        let variants = (1...5).map { "v\($0)" }
        let lines = Self.screen(try Self.runOnATerminal(rows: 5, variants: variants), height: 5)
        for label in ["decoding images"] + variants.map({ "predicting \($0)" }) {
            #expect(lines.filter { $0.hasPrefix(label) }.count == 1, "\(label)\n\(lines.joined(separator: "\n"))")
        }
        #expect(!lines.contains { $0.hasPrefix("… and") }, "\(lines.joined(separator: "\n"))")
    }

    /// Counts from several threads come out of order (the faces writer's last, short chunk is
    /// often done first): a lower count after the finished one drew a second, unfinished bar.
    @Test func aLateLowerCountDrawsNoSecondBar() throws {
        let directory = try TestSupport.temporaryDirectory()
        let command = [CLITests.binary.path, "dataset", "generate", "faces", "--count", "3001", "--seed", "1", "--size", "32", "--out", "faces"]
            .map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let script = try CLITests.run(["--quiet", "--return", "--command", command, "/dev/null"], in: directory, program: URL(fileURLWithPath: "/usr/bin/script"))
        try #require(script.status == 0, "\(script.stdout)\(script.stderr)")
        let lines = Self.screen(script.stdout)
        let bars = lines.filter { $0.hasPrefix("rendering faces") }
        #expect(bars.count == 1 && bars[0].contains("3001/3001"), "\(lines)")
        #expect(lines.last?.hasPrefix("wrote 3001 faces") == true, "\(lines)")
    }
}
