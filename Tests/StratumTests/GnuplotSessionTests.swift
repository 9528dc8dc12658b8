import Foundation
import StratumCore
import StratumImaging
import StratumMetrics
@testable import StratumReports
import Testing

/// One gnuplot process drawing script after script (`GnuplotSession`): each script sees gnuplot
/// as a fresh process would, and a failing script fails alone.
@Suite struct GnuplotSessionTests {
    static func chart() -> ConfusionMatrixChart {
        ConfusionMatrixChart(title: "t", matrix: ConfusionMatrix(labels: ["female", "male"], counts: [[1, 1], [1, 2]]))
    }

    /// A confusion matrix drawn after a gallery (transparent terminal, labels, its own ranges) in
    /// the same session is byte for byte the one a fresh gnuplot draws.
    @Test func aScriptDrawsAsInAFreshProcessWhateverRanBefore() throws {
        let directory = try TestSupport.temporaryDirectory()
        try Self.chart().render(to: directory.appendingPathComponent("fresh.png"), gnuplot: try Gnuplot())
        let session = GnuplotSession(try Gnuplot())
        defer { session.close() }
        let data = ReportTests.data()
        try Gallery.failures(of: data.variants[0], in: data, limit: 5, columns: 4, thumb: 32).render(to: directory.appendingPathComponent("g.png"), gnuplot: session)
        try session.run("set label 1 'left over' at 0,0\nset xrange [5:7]\nset terminal pngcairo crop linewidth 4\nx = 3")
        try Self.chart().render(to: directory.appendingPathComponent("after.png"), gnuplot: session)
        #expect(try Data(contentsOf: directory.appendingPathComponent("after.png")) == Data(contentsOf: directory.appendingPathComponent("fresh.png")))
    }

    /// What gnuplot leaves when the disk fills (nothing, or a PNG cut off after 4 KiB; gnuplot
    /// still exits 0) is an error naming the file, and the chart's final name is never
    /// written; a whole chart is moved into place and no working file stays behind.
    struct WritesPart: GnuplotRunner {
        var bytes: Int?
        func run(_ script: String) throws {
            let line = try #require(script.split(separator: "\n").first { $0.hasPrefix("set output '") })
            let path = String(line.dropFirst("set output '".count).dropLast())
            guard let bytes else { return }
            // Noise, so the whole file is well over 4 KiB.
            var state: UInt32 = 7
            let noise = (0..<(200 * 100 * 3)).map { _ -> UInt8 in state = state &* 1_664_525 &+ 1_013_904_223; return UInt8(state >> 24) }
            let png = try PNGCodec.encode(RGBImage(width: 200, height: 100, pixels: noise))
            try #require(png.count > 8192)
            try Data(png.prefix(bytes)).write(to: URL(fileURLWithPath: path))
        }
    }

    @Test(arguments: [nil, 0, 4096, 60] as [Int?])
    func aChartCutOffByAFullDiskIsAnErrorAndNeverInPlace(_ bytes: Int?) throws {
        let directory = try TestSupport.temporaryDirectory()
        let url = directory.appendingPathComponent("confusion.png")
        let error = try #require(throws: ReportError.self) { try Self.chart().render(to: url, gnuplot: WritesPart(bytes: bytes)) }
        #expect(error.message.contains("no whole image") && error.message.contains("confusion.png"), "\(error)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)

        try Self.chart().render(to: url, gnuplot: try Gnuplot())
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["confusion.png"])
        #expect(try ImageFile.read(url).width > 100)
    }

    @Test func oneProcessDrawsEveryScript() throws {
        let directory = try TestSupport.temporaryDirectory()
        let session = GnuplotSession(try Gnuplot())
        defer { session.close() }
        for index in 0..<3 {
            try session.run("set print \(directory.appendingPathComponent("pid-\(index)").path.gnuplotQuoted)\nprint system('echo $PPID')")
        }
        let pids = try (0..<3).map { try String(contentsOf: directory.appendingPathComponent("pid-\($0)"), encoding: .utf8) }
        #expect(Set(pids).count == 1, "\(pids)")
    }

    /// gnuplot reading a pipe goes on after an error: the session reports it for that script,
    /// with gnuplot's words, and the next script draws.
    @Test func anErrorFailsItsScriptOnly() throws {
        let directory = try TestSupport.temporaryDirectory()
        let session = GnuplotSession(try Gnuplot())
        defer { session.close() }
        let error = try #require(throws: GnuplotError.self) { try session.run("plot no_such_function(x)") }
        #expect(error.message.contains("undefined function"), "\(error)")
        let unwritable = try #require(throws: GnuplotError.self) {
            try session.run("set terminal pngcairo\nset output '/nonexistent-folder/x.png'\nplot x")
        }
        #expect(unwritable.message.contains("cannot open file"), "\(unwritable)")
        try Self.chart().render(to: directory.appendingPathComponent("ok.png"), gnuplot: session)
        #expect(try ImageFile.read(directory.appendingPathComponent("ok.png")).width == Self.chart().size.width)
    }

    /// A session started ahead (`prestart`) draws as a fresh process would, and what its
    /// warm-up said is not taken for the next script's diagnostics: those hold the script's
    /// own words only.
    @Test func aPrestartedSessionDrawsAsAFreshOneAndSaysNothingOfItsWarmUp() throws {
        let directory = try TestSupport.temporaryDirectory()
        try Self.chart().render(to: directory.appendingPathComponent("fresh.png"), gnuplot: try Gnuplot())
        let session = GnuplotSession(try Gnuplot())
        defer { session.close() }
        session.prestart()
        session.prestart()  // a second call while the first warm-up is pending does nothing
        let error = try #require(throws: GnuplotError.self) { try session.run("print 'said by the script'\nplot no_such_function(x)") }
        #expect(error.message.contains("said by the script") && error.message.contains("undefined function"), "\(error)")
        #expect(!error.message.contains("stratum-done"), "\(error)")
        try Self.chart().render(to: directory.appendingPathComponent("after.png"), gnuplot: session)
        #expect(try Data(contentsOf: directory.appendingPathComponent("after.png")) == Data(contentsOf: directory.appendingPathComponent("fresh.png")))
    }

    /// A report's sessions started ahead go one to each drawing thread; those left are closed.
    @Test func prestartedSessionsAreHandedOutOnce() throws {
        let sessions = GnuplotSessions(try Gnuplot(), count: 2)
        defer { sessions.close() }
        let first = try #require(sessions.take()), second = try #require(sessions.take())
        defer { first.close(); second.close() }
        #expect(first !== second)
        #expect(sessions.take() == nil)
        let directory = try TestSupport.temporaryDirectory()
        try Self.chart().render(to: directory.appendingPathComponent("a.png"), gnuplot: first)
        try Self.chart().render(to: directory.appendingPathComponent("b.png"), gnuplot: second)
        #expect(try Data(contentsOf: directory.appendingPathComponent("a.png")) == Data(contentsOf: directory.appendingPathComponent("b.png")))
    }

    /// A gnuplot that dies fails the script it was drawing; the next script starts a new one.
    @Test func aDeadGnuplotIsReplaced() throws {
        let directory = try TestSupport.temporaryDirectory()
        let session = GnuplotSession(try Gnuplot())
        defer { session.close() }
        let error = try #require(throws: GnuplotError.self) { try session.run("system 'kill -9 $PPID'\npause 5") }
        #expect(error.message.contains("gnuplot"), "\(error)")
        try Self.chart().render(to: directory.appendingPathComponent("ok.png"), gnuplot: session)
        _ = try ImageFile.read(directory.appendingPathComponent("ok.png"))
    }

    /// The marker is found only at the start of a line and with its exact nonce and number: an
    /// error message echoing a script line (gnuplot prefixes it) does not end the script.
    @Test(arguments: [
        (said: "stratum-done-ab-1 0\n", errno: 0 as Int?, before: ""),
        (said: "warning: x\nstratum-done-ab-1 3\nmore", errno: 3, before: "warning: x\n"),
        (said: "gnuplot> print 'stratum-done-ab-1 0'\nstratum-done-ab-1 7\n", errno: 7, before: "gnuplot> print 'stratum-done-ab-1 0'\n"),
        (said: "stratum-done-ab-12 0\n", errno: nil, before: ""),
        (said: "stratum-done-ab-1 0", errno: nil, before: ""),
        (said: "  stratum-done-ab-1 0\n", errno: nil, before: ""),
    ])
    func theMarkerIsALineOfItsOwn(said: String, errno: Int?, before: String) {
        let status = GnuplotSession.status(after: "stratum-done-ab-1", in: Array(said.utf8))
        #expect(status?.errno == errno)
        if let status { #expect(String(decoding: status.before, as: UTF8.self) == before) }
    }
}

/// A render removes the working files killed renders left, not those of a render running
/// beside it (`stratum report` while the run draws the same folder).
@Suite struct ReportLeftoverTests {
    @Test func onlyTheFilesOfProcessesNoLongerRunningAreRemoved() throws {
        let directory = try TestSupport.temporaryDirectory()
        // A live render (whatever its name: a symlink's, say); a live process that holds the
        // pid a killed render had (pids wrap) but started later; a finished one.
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["30"]
        try sleeper.run()
        defer { sleeper.terminate() }
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let pid = sleeper.processIdentifier, start = try #require(ProcessStart.ticks(of: pid))
        let live = ".confusion-a.png.\(pid)-\(start).tmp", dead = ".confusion-b.png.\(finished.processIdentifier).tmp"
        let reused = ".confusion-d.png.\(pid)-\(Int(start)! - 1).tmp", mine = ".confusion-e.png.\(ProcessStart.identity).tmp"
        let older = ".confusion-f.png.\(pid).tmp"  // named before start times were
        // A gallery's or the index's whole-file working copy (`RunReport.writeWhole`), of a live
        // render and of a killed one.
        let liveWhole = ".index.html.whole.\(pid)-\(start).tmp", deadWhole = ".failures-g.png.whole.\(pid)-\(Int(start)! - 1).tmp"
        for name in [live, dead, reused, mine, older, liveWhole, deadWhole, ".slice-accuracy.png.tmp", "confusion-c.png"] {
            try Data("x".utf8).write(to: directory.appendingPathComponent(name))
        }
        RunReport.removeLeftovers(in: directory)
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: directory.path))
        #expect(left == [live, mine, older, liveWhole, "confusion-c.png"], "\(left)")
    }

    /// A gallery or the index is written whole through a working file the next render knows
    /// to remove if this process is killed half-way (`RunReport.writeWhole`; Foundation's atomic
    /// write left `.dat.nosync…` files no render removed), replacing what was there; nothing
    /// else is left beside it, and a file that cannot be written is an error naming it.
    @Test func wholeFilesAreWrittenThroughWorkingFilesARenderRemoves() throws {
        let directory = try TestSupport.temporaryDirectory()
        let url = directory.appendingPathComponent("index.html")
        try Data("old".utf8).write(to: url)
        try RunReport.writeWhole(Data("new".utf8), to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == "new")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["index.html"])
        // The working file's place taken by a folder: the write fails, by the final file's name.
        let working = Gnuplot.workingFile(for: url, role: "whole")
        try FileManager.default.createDirectory(at: working, withIntermediateDirectories: false)
        let error = try #require(throws: ReportError.self) { try RunReport.writeWhole(Data("newer".utf8), to: url) }
        #expect(error.message.contains(url.path), "\(error)")
        #expect(try String(contentsOf: url, encoding: .utf8) == "new")
        // That working name is one `removeLeftovers` reads as this process's own.
        #expect(working.lastPathComponent.hasSuffix(".\(ProcessStart.identity).tmp") && working.lastPathComponent.hasPrefix("."))
    }
}
