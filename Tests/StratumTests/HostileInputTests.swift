import Foundation
import StratumCore
import StratumData
import StratumImaging
@testable import StratumModelProcess
import StratumReports
@testable import StratumRunner
import StratumStore
import Testing

/// Data, experiment and model files written by someone hostile or careless: each finding of
/// the hostile-input review has a test here that failed before its fix.
@Suite(.serialized) struct HostileInputTests {
    /// A dataset folder of copies of one small PNG, with a manifest holding `rows`
    /// (`id,path,sex,split,group` values; the header is written here).
    static func dataset(in directory: URL, rows: [[String]]) throws -> URL {
        let data = directory.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let png = try Data(contentsOf: TestSupport.fixtures.appendingPathComponent("images/gradient-24x16.png"))
        func csv(_ field: String) -> String { "\"" + field.mappingScalars { $0 == "\"" ? "\"\"" : nil } + "\"" }
        var text = "id,path,sex,split,group\n"
        for row in rows {
            if !FileManager.default.fileExists(atPath: data.appendingPathComponent(row[1]).path) {
                try png.write(to: data.appendingPathComponent(row[1]))
            }
            text += row.map(csv).joined(separator: ",") + "\n"
        }
        try TestSupport.write(text, to: data.appendingPathComponent("manifest.csv"))
        return data.appendingPathComponent("manifest.csv")
    }

    static func experiment(_ yaml: String, in directory: URL) throws -> ExperimentSpec {
        let url = directory.appendingPathComponent("e.yaml")
        try TestSupport.write(yaml, to: url)
        return try ExperimentSpec.load(url)
    }

    // MARK: Security

    /// An attribute value that closes gnuplot's inline data block and runs a shell command.
    @Test func attributeValuesCannotRunCommandsThroughGnuplot() throws {
        let directory = try TestSupport.temporaryDirectory()
        let marker = directory.appendingPathComponent("pwned")
        let payloads = [
            "x\nEOD\nsystem \"touch \(marker.path)\"\n$slices << EOD\n",
            "y\r\nEOD\r\nsystem 'touch \(marker.path)-cr'\r\n",
            "`touch \(marker.path)-backquote`",
            "z' . system('touch \(marker.path)-quote') . '",
            // A quote and a combining mark are one Character but still a quote byte to gnuplot.
            "p'\u{301}`touch \(marker.path)-combining`'",
            "q\"\u{301}\u{301} 1 2\n`touch \(marker.path)-combining-field`",
        ]
        var rows: [[String]] = []
        for (index, payload) in payloads.enumerated() {
            rows.append(["a\(index)", "a\(index).png", "female", "test", payload])
            rows.append(["b\(index)", "b\(index).png", "male", "test", payload])
        }
        let manifest = try Self.dataset(in: directory, rows: rows)
        let spec = try Self.experiment("""
        name: "inj`touch \(marker.path)-name`"
        dataset: {manifest: \(manifest.path), label: sex, labels: [female, male]}
        variants:
          - {name: "v' . system('touch \(marker.path)-variant') . '", kind: scripted, path: none}
          - {name: "w'\\u0301`touch \(marker.path)-combining-variant`", kind: scripted, path: none}
        slices: {by: [group], intersections: false}
        """, in: directory)
        let summary = try Runner(registry: RunnerTests.registry).run(spec, options: RunOptions(reportsRoot: directory.appendingPathComponent("Reports")))
        #expect(summary.reportError == nil, "\(summary.reportError ?? "")")
        let made = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix("pwned") }
        #expect(made.isEmpty, "gnuplot ran an injected command: \(made)")
        let chart = summary.reportDirectory.appendingPathComponent("slice-accuracy.png")
        #expect(try ImageFile.read(chart).width >= 900)

        // The value is still shown, on one line, escaped.
        let script = SliceAccuracyChart(title: "t", slices: [(payloads[0], 2)], variants: [("v", [:])]).script(output: "/dev/null")
        let dataLine = try #require(script.split(separator: "\n").first { $0.hasPrefix("0 ") })
        // (Cut to 60 characters for the axis.)
        #expect(dataLine.contains("\"x EOD system 'touch \(marker.path.prefix(30))"), "\(dataLine)")
        #expect(!script.split(separator: "\n").contains { $0.hasPrefix("system") })
    }

    static let gnuplotLiterals: [(text: String, literal: String)] = [
        ("plain", "'plain'"),
        ("it's", "'it''s'"),
        ("a\nb\rc\u{0}d\u{2028}e", "'a b c d e'"),
        ("`id` @macro \"q\" \\n", "'`id` @macro \"q\" \\n'"),
        ("it'\u{301}s", "'it''\u{301}s'"),
        ("\u{301}'\u{301}\u{20DD}", "'\u{301}''\u{301}\u{20DD}'"),
    ]

    @Test(arguments: gnuplotLiterals)
    func gnuplotLiteralsCannotEndTheStringOrTheLine(_ text: String, _ literal: String) {
        #expect(Array(GnuplotText.literal(text).unicodeScalars) == Array(literal.unicodeScalars))
        // Checked byte by byte, as gnuplot reads it.
        let field = Array(GnuplotText.dataField(text).utf8)
        #expect(field.first == UInt8(ascii: "\"") && field.last == UInt8(ascii: "\"") && !field.dropFirst().dropLast().contains(UInt8(ascii: "\"")))
        #expect(!field.contains(UInt8(ascii: "\n")) && !field.contains(UInt8(ascii: "\r")) && !field.contains(UInt8(ascii: "\\")))
    }

    /// A run's recorded settings are read back from the store like any data: unreadable or out
    /// of range (a resample count that would run for hours, a negative one that traps), they
    /// are refused by name before any resampling.
    @Test(arguments: [
        ("{\"bootstrap\":{\"resamples\":1000000000,\"seed\":1,\"confidence\":0.95}}", "out of range"),
        ("{\"bootstrap\":{\"resamples\":-5,\"seed\":1,\"confidence\":0.95}}", "out of range"),
        ("{\"bootstrap\":{\"resamples\":10,\"seed\":1,\"confidence\":1.5}}", "out of range"),
        ("{\"bootstrap\":7}", "cannot be read"),
        ("not json\u{1B}[31m", "cannot be read"),
    ])
    func recordedRunSettingsAreCheckedBeforeUse(_ text: String, _ expected: String) throws {
        let store = try Store()
        let run = try store.beginRun(experiment: "e", spec: "", specHash: "", gitCommit: nil)
        _ = try store.recordSettings(run.id, text)
        do {
            _ = try RunSettings.settle(resamples: nil, seed: nil, run: run, store: store) { _ in RunError(message: "refused") }
            Issue.record("settings \(text) were used")
        } catch let error as RunError {
            #expect(error.isBadInput && error.message.contains(expected) && !error.message.contains("\u{1B}"), "\(error.message)")
        }
    }

    @Test func symlinkLeavingTheDatasetFolderIsRejected() throws {
        let directory = try TestSupport.temporaryDirectory()
        let outside = directory.appendingPathComponent("secret.png")
        try Data(contentsOf: TestSupport.fixtures.appendingPathComponent("images/gradient-24x16.png")).write(to: outside)
        let data = directory.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: data.appendingPathComponent("link.png").path, withDestinationPath: outside.path)
        try FileManager.default.createSymbolicLink(atPath: data.appendingPathComponent("sub/up").path, withDestinationPath: directory.path)
        try Data(contentsOf: outside).write(to: data.appendingPathComponent("inside.png"))
        try FileManager.default.createSymbolicLink(atPath: data.appendingPathComponent("alias.png").path, withDestinationPath: "inside.png")
        try TestSupport.write("id,path,label,split\na,link.png,x,test\nb,sub/up/secret.png,y,test\nc,alias.png,x,test\n", to: data.appendingPathComponent("m.csv"))
        let error = try #require(throws: ManifestError.self) { try ManifestReader.read(data.appendingPathComponent("m.csv")) }
        #expect(error.issues.map(\.line) == [2, 3], "\(error)")
        #expect(error.issues.allSatisfy { if case .symlinkEscapesDataset = $0.problem { true } else { false } })
        #expect(error.description.contains("link.png"))
    }

    /// A `..` after a symlink is resolved from the link's target (Foundation's standardising,
    /// and the kernel): `lnk/../secret.png` with `lnk` → a folder outside names a file outside,
    /// and is refused, as the reports would read it there too (review of hostile input).
    @Test func parentOfASymlinkedFolderLeavingTheDatasetIsRejected() throws {
        let directory = try TestSupport.temporaryDirectory()
        let outside = directory.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: outside.appendingPathComponent("sub"), withIntermediateDirectories: true)
        let png = try Data(contentsOf: TestSupport.fixtures.appendingPathComponent("images/gradient-24x16.png"))
        try png.write(to: outside.appendingPathComponent("secret.png"))
        let data = directory.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try png.write(to: data.appendingPathComponent("secret.png"))
        try FileManager.default.createSymbolicLink(atPath: data.appendingPathComponent("lnk").path, withDestinationPath: "../outside/sub")
        try TestSupport.write("id,path,label,split\na,lnk/../secret.png,x,test\nb,secret.png,y,test\n", to: data.appendingPathComponent("m.csv"))
        let error = try #require(throws: ManifestError.self) { try ManifestReader.read(data.appendingPathComponent("m.csv")) }
        #expect(error.issues.map(\.line) == [2], "\(error)")
    }

    @Test func byteOrderMarkBeforeTheHeaderIsSkipped() throws {
        let directory = try TestSupport.temporaryDirectory()
        try Data(contentsOf: TestSupport.fixtures.appendingPathComponent("images/gradient-24x16.png")).write(to: directory.appendingPathComponent("a.png"))
        try Data([0xEF, 0xBB, 0xBF] + Array("id,path,label,split\na,a.png,x,test\n".utf8)).write(to: directory.appendingPathComponent("m.csv"))
        let dataset = try ManifestReader.read(directory.appendingPathComponent("m.csv"))
        #expect(dataset.samples.map(\.id) == ["a"])
        #expect(dataset.columns.first == "id")
    }

    // MARK: Silently wrong numbers

    static let misspeltOptions: [(kind: String, options: String, option: String, suggestion: String?)] = [
        ("tfjs", "{normalise: symmetric}", "normalise", "normalize"),
        ("process", "{timout: 5}", "timout", "timeout"),
        ("process", "{commnd: x}", "commnd", "command"),
        ("logistic", "{c: 0.1}", "c", "C"),
        ("tfjs", "{options: {center_crop: true}}", "options", nil),
    ]

    @Test(arguments: misspeltOptions)
    func unknownOptionIsAnErrorNamingTheClosestKnownOne(_ kind: String, _ options: String, _ option: String, _ suggestion: String?) throws {
        let directory = try TestSupport.temporaryDirectory()
        let manifest = try Self.dataset(in: directory, rows: [["a", "a.png", "female", "test", "g"], ["b", "b.png", "male", "test", "g"]])
        let spec = try Self.experiment("""
        dataset: {manifest: \(manifest.path), label: sex}
        variants: [{name: v, kind: \(kind), path: none, options: \(options)}]
        """, in: directory)
        let error = try #require(throws: UnknownOptionError.self) { try Runner().run(spec, options: RunOptions(reportsRoot: directory)) }
        #expect(error.option == option && error.suggestion == suggestion && error.variant == "v")
        if let suggestion { #expect(error.description.contains("did you mean '\(suggestion)'")) }
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("stratum.sqlite").path))
    }

    /// Values the kind would refuse when loading the model, refused before the run is made (the
    /// variant used to be stored as failed in a failed run), with the kind's own message.
    static let invalidOptionValues: [(kind: String, options: String, message: String)] = [
        ("tfjs", "{normalize: bogus}", "option normalize 'bogus' is not unit, symmetric or raw"),
        ("tfjs", "{center_crop: 7}", "option center_crop '7' is not true or false"),
        ("onnx", "{normalize: imagenette}", "option normalize 'imagenette' is not unit, symmetric, raw or imagenet"),
        ("onnx", "{output: softmax}", "option output 'softmax' is not auto, probabilities or logits"),
        ("onnx", "{layout: chw}", "option layout 'chw' is not nchw, nhwc or flat"),
        ("onnx", "{size: 0}", "option size '0' is not an integer in 1…4096"),
        ("onnx", "{resize_shorter: big}", "option resize_shorter 'big' is not an integer in 1…8192"),
        ("onnx", "{mean: '0.5,x'}", "option mean '0.5,x' is not 1 or 3 numbers"),
        ("onnx", "{mean: [0.5, 0.5]}", "option mean '[\"0.5\",\"0.5\"]' is not 1 or 3 numbers"),
        ("onnx", "{std: '0.2,0,0.2'}", "option std has a value that is not positive"),
        ("onnx", "{center_crop: true, resize_shorter: 256}", "options center_crop and resize_shorter both crop"),
        ("logistic", "{size: 9999}", "option size must be in 1…512"),
        ("logistic", "{C: -1}", "option C must be a positive number"),
        ("process", "{timeout: soon}", "option 'timeout' must be a positive number of seconds"),
        ("process", "{env: '[1]'}", "option 'env' must be a mapping of names to strings"),
        ("process", "{command: '[]'}", "the command is empty"),
        ("onnx", "{labels: 'female, female'}", "option labels 'female, female' gives labels ['female', 'female'] name 'female' more than once"),
        ("onnx", "{labels: 'female,'}", "name an empty label"),
        ("tfjs", "{labels: [male, male]}", "gives labels ['male', 'male'] name 'male' more than once"),
        ("tfjs", "{labels: []}", "option labels '[]' gives no labels"),
        ("onnx", "{labels: {female: 0, male: 1}}", "is a mapping; give a list"),
        ("tfjs", "{labels: 'a,,b'}", "name an empty label"),
        ("tfjs", "{labels: [[a], b]}", "holds a list; its items must be strings or numbers"),
        ("tfjs", "{labels: '[a, b]'}", "starts with [ but is not a JSON list"),
        ("process", "{command: [[python3], x]}", "holds a list; its items must be strings or numbers"),
    ]

    @Test(arguments: invalidOptionValues)
    func invalidOptionValueIsAnErrorBeforeTheRun(_ kind: String, _ options: String, _ message: String) throws {
        let directory = try TestSupport.temporaryDirectory()
        let manifest = try Self.dataset(in: directory, rows: [["a", "a.png", "female", "test", "g"], ["b", "b.png", "male", "test", "g"]])
        let spec = try Self.experiment("""
        dataset: {manifest: \(manifest.path), label: sex}
        variants: [{name: ok, kind: \(kind), path: none}, {name: v, kind: \(kind), path: none, options: \(options)}]
        """, in: directory)
        let error = try #require(throws: InvalidOptionValueError.self) { try Runner().run(spec, options: RunOptions(reportsRoot: directory)) }
        #expect(error.variant == "v" && error.description.hasPrefix("variant 'v': ") && error.message.contains(message), "\(error)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("stratum.sqlite").path))
    }

    @Test func everyLoaderRecognisesItsOwnFilesAndNoOther() throws {
        let models = TestSupport.repositoryRoot.appendingPathComponent("Experiments/models")
        let registry = ModelRegistry.standard
        #expect(registry.kind(of: models.appendingPathComponent("small-cnn")) == "tfjs")
        #expect(registry.kind(of: models.appendingPathComponent("small-cnn/model.json")) == "tfjs")
        let plugins = TestSupport.fixtures.appendingPathComponent("plugins")
        let pluginFolder = try FileManager.default.contentsOfDirectory(at: plugins, includingPropertiesForKeys: nil)
            .first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("plugin.json").path) }
        if let pluginFolder { #expect(registry.kind(of: pluginFolder) == "process") }
        let directory = try TestSupport.temporaryDirectory()
        let logistic = directory.appendingPathComponent("m.json")
        try TestSupport.write(#"{"format": "stratum-logistic", "version": 1}"#, to: logistic)
        #expect(registry.kind(of: logistic) == "logistic")
        let other = directory.appendingPathComponent("other.json")
        try TestSupport.write(#"{"format": "something-else"}"#, to: other)
        #expect(registry.kind(of: other) == nil)
        #expect(registry.kind(of: directory.appendingPathComponent("missing")) == nil)
    }

    @Test func modelLabelOutsideTheDatasetFailsTheVariantNotTheMatrix() throws {
        let directory = try TestSupport.temporaryDirectory()
        let manifest = try Self.dataset(in: directory, rows: [["a", "a.png", "female", "test", "g"], ["b", "b.png", "male", "test", "g"]])
        let spec = try Self.experiment("""
        dataset: {manifest: \(manifest.path), label: sex, labels: [female, male]}
        variants:
          - {name: odd, kind: scripted, path: none, options: {labels: "female,male,cat"}}
          - {name: fine, kind: scripted, path: none}
        """, in: directory)
        let summary = try Runner(registry: RunnerTests.registry).run(spec, options: RunOptions(reportsRoot: directory.appendingPathComponent("Reports")))
        let odd = try #require(summary.variants.first { $0.name == "odd" })
        #expect(odd.failed?.contains("'cat'") == true, "\(odd.failed ?? "ok")")
        #expect(summary.variants.first { $0.name == "fine" }?.failed == nil)
        #expect(summary.status == "completed_with_errors")
    }

    // MARK: Crashes and memory exhaustion from small inputs

    /// Within the file's limit (`YAMLExpansion`: 9^5 + … ≈ 66,000 nodes), an option value
    /// still stops at its own (10,000).
    @Test func yamlAliasBombInOptionsIsRefusedQuickly() throws {
        let directory = try TestSupport.temporaryDirectory()
        var yaml = "dataset: {manifest: m.csv, label: sex}\nvariants:\n  - name: v\n    kind: tfjs\n    path: m\n    options:\n      a0: &a0 [x, x, x, x, x, x, x, x, x]\n"
        for level in 1...4 {
            let previous = "*a\(level - 1)"
            yaml += "      a\(level): &a\(level) [\(Array(repeating: previous, count: 9).joined(separator: ", "))]\n"
        }
        let started = Date()
        let error = try #require(throws: ExperimentError.self) { try Self.experiment(yaml, in: directory) }
        #expect(error.description.contains("too large"), "\(error)")
        #expect(Date().timeIntervalSince(started) < 10)
    }

    /// Nine anchors, each a list of nine of the one before: `*a9` stands for 9^10 nodes.
    static let nestedAnchors: String = {
        var yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            yaml += "a\(level): &a\(level) [\(Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", "))]\n"
        }
        return yaml
    }()

    /// Yams hashes mapping keys as it composes (its duplicate-key check), walking an aliased
    /// key fully expanded: this 700-byte file took minutes before `SpecReader` saw it.
    @Test func yamlAliasBombInAMappingKeyIsRefusedBeforeComposing() throws {
        let directory = try TestSupport.temporaryDirectory()
        let yaml = "dataset: {manifest: m.csv, label: sex}\n" + Self.nestedAnchors + "variants:\n  - name: v\n    kind: tfjs\n    path: m\n    options: {? *a9 : 1}\n"
        let started = Date()
        let error = try #require(throws: ExperimentError.self) { try Self.experiment(yaml, in: directory) }
        #expect(error.description.contains("more than 200000 values once YAML aliases are expanded"), "\(error)")
        #expect(error.line == 7, "the anchor that went past the limit (a5, 9^6 nodes)")
        #expect(Date().timeIntervalSince(started) < 10)
    }

    /// Each anchor nests the one before 900 levels down: a few lines nest 9,000 deep once
    /// expanded (libyaml's own limit, 1,000, counts written levels only).
    @Test func yamlAliasesNestingTooDeepAreRefused() throws {
        let directory = try TestSupport.temporaryDirectory()
        var yaml = "dataset: {manifest: m.csv, label: sex}\nvariants: []\nx:\n"
        yaml += "  - &d0 " + String(repeating: "[", count: 900) + "x" + String(repeating: "]", count: 900) + "\n"
        for level in 1...9 {
            yaml += "  - &d\(level) " + String(repeating: "[", count: 900) + "*d\(level - 1)" + String(repeating: "]", count: 900) + "\n"
        }
        let error = try #require(throws: ExperimentError.self) { try Self.experiment(yaml, in: directory) }
        #expect(error.description.contains("nests deeper than 1000 levels once YAML aliases are expanded"), "\(error)")
        #expect(error.line == 5, "\(error)")
    }

    /// Nodes counted with aliases expanded (mappings, sequences and scalars, each one).
    static let expansionCounts: [(yaml: String, nodes: Int?)] = [
        ("a: 1", 3),
        ("a: &x [1, 2]\nb: *x", 9),
        ("a: &x {k: [1, 2]}\nb: [*x, *x]\nc: *x", 1 + 1 + 5 + 1 + 11 + 1 + 5),
        ("- &s one\n- *s\n- *s", 4),
        ("a: *undefined", nil),
        ("a: [1, 2", nil),
        ("", 0),
    ]

    @Test(arguments: expansionCounts)
    func yamlExpansionCountsEveryNodeAnAliasStandsFor(_ yaml: String, _ nodes: Int?) throws {
        #expect(try YAMLExpansion.check(yaml) == nodes)
        if let nodes, nodes > 0 {
            #expect(throws: YAMLExpansion.TooLarge.self) { try YAMLExpansion.check(yaml, nodeLimit: nodes - 1) }
            #expect(try YAMLExpansion.check(yaml, nodeLimit: nodes) == nodes)
        }
    }

    /// An experiment sharing options through an anchor, well within the limits, still loads.
    @Test func experimentFilesUsingAliasesStillLoad() throws {
        let directory = try TestSupport.temporaryDirectory()
        let spec = try Self.experiment("""
            dataset: {manifest: m.csv, label: sex}
            variants:
              - {name: a, kind: tfjs, path: m, options: &shared {normalize: unit, labels: [female, male]}}
              - {name: b, kind: tfjs, path: m, options: *shared}
            """, in: directory)
        #expect(spec.variants.map(\.options) == [spec.variants[0].options, spec.variants[0].options])
        #expect(spec.variants[1].options["normalize"] == "unit")
    }

    static let deepExpressions: [(name: String, source: String)] = [
        ("parentheses", String(repeating: "(", count: 30_000) + "a == 1" + String(repeating: ")", count: 30_000)),
        ("nots", String(repeating: "not ", count: 100_000) + "a == 1"),
        ("ors", Array(repeating: "a == 1", count: 200_000).joined(separator: " or ")),
        ("nested 65", String(repeating: "(", count: 65) + "a == 1" + String(repeating: ")", count: 65)),
        ("ors 257", Array(repeating: "a == 1", count: 258).joined(separator: " or ")),
    ]

    @Test(arguments: deepExpressions)
    func deepOrLongSliceExpressionsAreErrorsNotCrashes(_ name: String, _ source: String) {
        #expect(throws: SliceExpressionError.self, "\(name)") { try SliceExpression(parsing: source) }
    }

    @Test func sliceExpressionsWithinTheLimitsStillParse() throws {
        let nested = String(repeating: "(", count: 64) + "a == 1" + String(repeating: ")", count: 64)
        let ors = Array(repeating: "a == 1", count: 257).joined(separator: " or ")
        _ = try SliceExpression(parsing: nested)
        _ = try SliceExpression(parsing: ors)
    }

    @Test func declaredSizeOverTheLimitIsRefusedBeforeDecoding() throws {
        // A valid IHDR declaring 10,000 × 10,000 and an empty IDAT: refused on the header alone.
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            let n = UInt32(data.count), crc = CRC32.checksum(body)
            return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + body
                + [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]
        }
        let side: [UInt8] = [0, 0, 0x27, 0x10]
        let png = PNGCodec.signature + chunk("IHDR", side + side + [8, 2, 0, 0, 0]) + chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]) + chunk("IEND", [])
        let error = try #require(throws: ImageError.self) { try ImageFile.decode(png, source: "huge.png") }
        #expect(error.reason == .tooLarge(width: 10_000, height: 10_000, limit: ImageLimits.maxPixels), "\(error)")
        #expect(error.description.contains("huge.png") && error.description.contains("10000×10000"))
    }

    // MARK: Child processes

    /// An executable shell script standing in for gnuplot.
    static func fakeGnuplot(_ body: String, timeout: Double = 3) throws -> Gnuplot {
        let directory = try TestSupport.temporaryDirectory()
        let url = directory.appendingPathComponent("gnuplot")
        // The executable is written by a child (`cp`), never open for writing in this process:
        // a child another test spawns meanwhile would inherit that descriptor and keep the
        // script "Text file busy" for as long as it runs (a shard or plugin process: seconds).
        let source = directory.appendingPathComponent("gnuplot.txt")
        try TestSupport.write("#!/bin/sh\n\(body)\n", to: source)
        let copy = Process()
        copy.executableURL = URL(fileURLWithPath: "/bin/cp")
        copy.arguments = [source.path, url.path]
        try copy.run()
        copy.waitUntilExit()
        try #require(copy.terminationStatus == 0, "cp failed")
        chmod(url.path, 0o755)
        var gnuplot = try Gnuplot(timeout: timeout)
        gnuplot.executable = url
        return gnuplot
    }

    /// `body`, again while it fails because the fake program could not be executed yet: another
    /// test spawning a child while the script was being written leaves it "Text file busy" for a moment.
    static func retryingTextFileBusy(_ body: () throws -> Void) throws {
        for attempt in 1...10 {
            do {
                return try body()
            } catch let error as GnuplotError where error.message.contains("status 126") && attempt < 10 {
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
    }

    /// Runs `body` on a new thread that blocks SIGTERM (as worker threads may), and waits.
    static func onThreadBlockingSIGTERM(_ body: @escaping @Sendable () -> Void) {
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            var set = sigset_t()
            sigemptyset(&set)
            sigaddset(&set, SIGTERM)
            pthread_sigmask(SIG_BLOCK, &set, nil)
            body()
            done.signal()
        }
        thread.start()
        done.wait()
    }

    @Test func stuckGnuplotIsKilledAtItsDeadlineEvenFromAThreadBlockingSIGTERM() throws {
        let marker = try TestSupport.temporaryDirectory().appendingPathComponent("pid")
        // Ignores TERM and never reads: only a kill of its group at the deadline ends it.
        let gnuplot = try Self.fakeGnuplot("trap '' TERM\necho $$ > \(marker.path)\nwhile :; do sleep 1; done")
        var elapsed = 0.0
        let error = try #require(throws: GnuplotError.self) {
            try Self.retryingTextFileBusy {
                let started = Date()
                let outcome = ConcurrentResults<Void>(count: 1)
                Self.onThreadBlockingSIGTERM { outcome.set(0, Result { try gnuplot.run("plot x") }) }
                elapsed = Date().timeIntervalSince(started)
                _ = try outcome.values()
            }
        }
        #expect(error.message.contains("did not finish"), "\(error)")
        #expect(elapsed < 10, "took \(elapsed) s")
        let pid = try #require(Int32(String(contentsOf: marker, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(pid, 0) != 0, "gnuplot (pid \(pid)) is still running")
    }

    /// A session's gnuplot that never answers is killed at the deadline, the script fails, and
    /// the session can go on (with a new process).
    @Test func stuckGnuplotSessionIsKilledAtItsDeadline() throws {
        let marker = try TestSupport.temporaryDirectory().appendingPathComponent("pid")
        let gnuplot = try Self.fakeGnuplot("trap '' TERM\necho $$ > \(marker.path)\nwhile :; do sleep 1; done", timeout: 1)
        let session = GnuplotSession(gnuplot)
        defer { session.close() }
        let error = try #require(throws: GnuplotError.self) { try Self.retryingTextFileBusy { try session.run("plot x") } }
        #expect(error.message.contains("did not finish"), "\(error)")
        let pid = try #require(Int32(String(contentsOf: marker, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(pid, 0) != 0, "gnuplot (pid \(pid)) is still running")
    }

    @Test func gnuplotExitingEarlyIsAnErrorNotASIGPIPEDeath() throws {
        let gnuplot = try Self.fakeGnuplot("echo 'cannot open terminal' >&2\nexit 3")
        let script = String(repeating: "set title 'padding to fill the pipe'\n", count: 200_000)
        let error = try #require(throws: GnuplotError.self) { try Self.retryingTextFileBusy { try gnuplot.run(script) } }
        #expect(error.message.contains("cannot open terminal") || error.message.contains("status 3"), "\(error)")
    }

    @Test func pluginThatExitsLeavingAChildHoldingItsOutputIsNoticedAtOnce() throws {
        let started = Date()
        let spec = ModelSpec(name: "p", kind: "process", path: URL(fileURLWithPath: "/bin/sh"),
                             options: ["command": #"["/bin/sh", "-c", "sleep 30 & exit 4"]"#, "startup_timeout": "20"])
        let error = try #require(throws: PluginError.self) { try ProcessLoader().load(spec) }
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(error.message.contains("status 4") && error.message.contains("exited"), "\(error)")
    }

    @Test func pluginRequestsOverTheFrameLimitAreSplit() {
        // 4096×4096×3 float32 images are 192 MiB each: five fit in a 1 GiB frame, not 22.
        let perFrame = ProcessClassifier.imagesPerFrame(imageBytes: 4096 * 4096 * 3 * 4)
        #expect(perFrame == 5)
        #expect(ProcessClassifier.imagesPerFrame(imageBytes: (1 << 30) + 1) == 0)
        #expect(throws: (any Error).self) { try PluginFrame(header: ["type": .string("predict")]).encoded(bodyLength: 22 * 4096 * 4096 * 3 * 4) }
    }

    /// A slice's structure is stored, not parsed back from its name: an attribute value holding
    /// " & " and "=" stays one single-attribute slice, and captions tag its samples with the
    /// whole value.
    @Test func attributeValuesWithAmpersandsAndEqualsAreOneSliceNotAnIntersection() throws {
        let directory = try TestSupport.temporaryDirectory()
        let value = "a & b=c"
        let manifest = try Self.dataset(in: directory, rows: (0..<8).map { ["s\($0)", "s\($0).png", $0 % 2 == 0 ? "female" : "male", "test", $0 < 4 ? value : "plain"] })
        let spec = try Self.experiment("""
        dataset: {manifest: \(manifest.path), label: sex, labels: [female, male]}
        variants: [{name: v, kind: scripted, path: none}]
        slices: {by: [group], min_size: 1}
        """, in: directory)
        let summary = try Runner(registry: RunnerTests.registry).run(spec, options: RunOptions(database: directory.appendingPathComponent("s.sqlite").path,
                                                                                            reportsRoot: directory.appendingPathComponent("R")))
        let slice = try #require(summary.slices.first { $0.name == "group=\(value)" })
        #expect(slice.parts == [.attribute("group", value: value)] && !slice.parts.isIntersection)
        let store = try Store(readingOnly: summary.database)
        #expect(try store.slices(runID: summary.runID).first { $0.name == "group=\(value)" }?.parts == [.attribute("group", value: value)])
        let data = try StoredRunReports.data(store: store, experiment: nil, number: nil)
        #expect(data.samples.first { $0.key == "s0" }?.tags == [value])
        #expect(data.chartedSlices.contains { $0.name == "group=\(value)" })
    }

    // MARK: File-system faults

    static func tinyRun(reportsRoot: URL, in directory: URL) throws -> RunSummary {
        let manifest = try Self.dataset(in: directory, rows: (0..<8).map { ["s\($0)", "s\($0).png", $0 % 2 == 0 ? "female" : "male", "test", "g\($0 % 2)"] })
        let spec = try Self.experiment("""
        dataset: {manifest: \(manifest.path), label: sex, labels: [female, male]}
        variants: [{name: v, kind: scripted, path: none}]
        slices: {by: [group]}
        """, in: directory)
        return try Runner(registry: RunnerTests.registry).run(spec, options: RunOptions(database: directory.appendingPathComponent("s.sqlite").path, reportsRoot: reportsRoot))
    }

    /// A reports folder that cannot be made is named with its cause before any work (it was
    /// found after the whole run; a folder that fails later is the full-disk test below).
    @Test func unwritableReportsFolderIsNamedWithItsCauseBeforeAnyWork() throws {
        let directory = try TestSupport.temporaryDirectory()
        let blocker = directory.appendingPathComponent("not-a-folder")
        try TestSupport.write("a file where the reports folder should be", to: blocker)
        let error = try #require(throws: RunError.self) { try Self.tinyRun(reportsRoot: blocker.appendingPathComponent("R"), in: directory) }
        #expect(error.isBadInput && error.message.contains(blocker.path) && error.message.contains("is a file, not a folder"), "\(error)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("s.sqlite").path))
    }

    /// gnuplot is given each output path as a quoted literal, where a control character
    /// becomes a space: it wrote into `a b` for `a<LF>b`, and the report failed as "disk full?".
    @Test func aReportsFolderWithAControlCharacterIsRefusedBeforeAnyWork() throws {
        let directory = try TestSupport.temporaryDirectory()
        let error = try #require(throws: RunError.self) { try Self.tinyRun(reportsRoot: directory.appendingPathComponent("R\nS"), in: directory) }
        #expect(error.isBadInput && error.message.contains("control character") && error.message.contains("R\\u{A}S"), "\(error)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("s.sqlite").path))
    }

    @Test func figuresAreNotDrawnThroughAPathGnuplotWouldMisread() throws {
        let directory = try TestSupport.temporaryDirectory()
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("a b"), withIntermediateDirectories: true)
        let error = try #require(throws: ReportError.self) {
            try RunReport(data: ReportTests.data(), galleryLimit: 4, galleryColumns: 2, thumb: 32).render(to: directory.appendingPathComponent("a\u{1}b"), gnuplot: try Gnuplot())
        }
        #expect(error.message.contains("control character"), "\(error)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("a b").path).isEmpty)
    }

    /// Runs `tool` with `arguments`; its exit status.
    static func tool(_ tool: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// A tmpfs of `size` mounted at `folder` (made first); needs root.
    static func mountTmpfs(at folder: URL, size: String) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try #require(try tool("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", folder.path]) == 0, "mount -t tmpfs failed")
    }

    @Test(.enabled(if: getuid() == 0, "mounting a tiny tmpfs needs root"))
    func fullDiskWhileDrawingSaysSoAndTheRunIsKept() throws {
        let directory = try TestSupport.temporaryDirectory()
        let tiny = directory.appendingPathComponent("tiny")
        try Self.mountTmpfs(at: tiny, size: "48k")
        defer { _ = try? Self.tool("/bin/umount", [tiny.path]) }
        let summary = try Self.tinyRun(reportsRoot: tiny, in: directory)
        let message = try #require(summary.reportError)
        #expect(message.contains(tiny.path), "\(message)")
        #expect(message.contains("No space left on device") || message.contains("disk full") || message.contains("gnuplot"), "\(message)")
        #expect(!message.contains("corrupt"), "\(message)")
        #expect(try Store(path: summary.database).listRuns().first?.status == "completed")
    }

    /// A WAL database in a read-only folder (a read-only mount here) cannot be read by SQLite
    /// without its -shm file: the error says so and what to do, instead of "attempt to write
    /// a readonly database".
    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func aDatabaseInAReadOnlyFolderSaysWhy() throws {
        let directory = try TestSupport.temporaryDirectory()
        let folder = directory.appendingPathComponent("ro")
        try Self.mountTmpfs(at: folder, size: "4m")
        defer { _ = try? Self.tool("/bin/umount", [folder.path]) }
        let path = folder.appendingPathComponent("s.sqlite").path
        do {
            let store = try Store(path: path)
            _ = try store.beginRun(experiment: "a", spec: "", specHash: "", gitCommit: nil)
        }
        try? FileManager.default.removeItem(atPath: path + "-shm")
        try? FileManager.default.removeItem(atPath: path + "-wal")
        try #require(try Self.tool("/bin/mount", ["-o", "remount,ro", folder.path]) == 0, "remount read-only failed")
        let writing = try #require(throws: StoreError.self) { try Store(path: path) }
        #expect(writing.message.contains("is read-only, and this command writes the store"), "\(writing)")
        do {
            let store = try Store.open(path: path)
            Issue.record("SQLite read the WAL database without its -shm file (\(try store.listRuns().count) runs): the message below went untested")
        } catch let error as StoreError {
            #expect(error.message.contains("-shm") && error.message.contains("copy the file"), "\(error)")
        }
    }

    // MARK: Names that collide

    @Test(arguments: ["overall", "group=g"])
    func namedSliceWithTheNameOfAnotherSliceIsAClearError(_ name: String) throws {
        let samples = [Sample(id: "a", url: URL(fileURLWithPath: "/a.png"), relativePath: "a.png", label: "x", split: "test", attributes: ["group": "g", "age": "3"], line: 2)]
        let spec = SliceSpec(by: ["group"], named: [(name, "age < 13")])
        let error = try #require(throws: SliceBuildError.self) { try SliceBuilder.build(spec, samples: samples) }
        #expect(error == .duplicateName(name, first: name == "overall" ? "true" : "group == 'g'", second: "age < 13"), "\(error)")
    }

    @Test func namesThatDifferOnlyInUnsafeCharactersGetDistinctFiles() {
        let names = ["a/b", "a_b", "a b", "a:b", "..", ".", ".hidden", "", String(repeating: "x", count: 300)]
        let files = names.map(FileNameComponent.safe)
        #expect(Set(files).count == names.count, "\(files)")
        #expect(files[1] == "a_b")
        #expect(files.allSatisfy { !$0.hasPrefix(".") && !$0.contains("/") && !$0.isEmpty && $0.count <= 130 })
    }
}

/// CRC-32 (ISO-HDLC, as PNG uses) for building test files.
enum CRC32 {
    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
