import Foundation
@testable import StratumCore
import StratumReports
@testable import StratumRunner
import StratumStore
import Testing

/// The compact, position-based forms a run's rows are held in while reports and metrics read
/// every sample: each reads back exactly what was put in.
@Suite struct CompactRowsTests {
    /// Rows from a store bring their attributes as dictionaries with different keys: a new key
    /// adds a column, absent from the rows before it and from rows without it.
    @Test func storedRowsWithDifferentAttributeKeysReadBackAsGiven() {
        var builder = StoredSamplesBuilder(root: SampleRoot(URL(fileURLWithPath: "/data/set")))
        let rows: [[String: String]] = [["sex": "f"], ["sex": "m", "age": "9"], [:], ["age": "40", "hair": "short"]]
        for (i, attributes) in rows.enumerated() {
            builder.append(id: SampleID(rawValue: Int64(10 + i)), key: "k\(i)", path: "img/\(i).png", label: i % 2 == 0 ? "f" : "m", split: "test",
                           attributes: attributes)
        }
        let samples = builder.build()
        #expect(samples.map(\.id) == [10, 11, 12, 13])
        #expect(samples.map(\.key) == ["k0", "k1", "k2", "k3"])
        #expect(samples.map(\.label) == ["f", "m", "f", "m"])
        #expect(samples.map(\.attributes.dictionary) == rows)
        #expect(samples[3].image == URL(fileURLWithPath: "/data/set/img/3.png"))
        #expect(samples[1].root.url == URL(fileURLWithPath: "/data/set"))
    }

    /// Paths kept as one prefix and suffix around the id, and lines as one offset from the row,
    /// when every row fits that; listed as given when one row does not (first, middle or last).
    @Test(arguments: [
        (ids: ["a1", "b22", "c333"], paths: ["img/a1.png", "img/b22.png", "img/c333.png"], lines: [2, 3, 4], derivedPaths: true, offsetLines: true),
        (ids: ["a1", "b22", "c333"], paths: ["a1", "b22", "c333"], lines: [1, 2, 3], derivedPaths: true, offsetLines: true),
        (ids: ["a1", "b22", "c333"], paths: ["img/a1.png", "img/b22.jpg", "img/c333.png"], lines: [2, 4, 5], derivedPaths: false, offsetLines: false),
        (ids: ["a1", "b22", "c333"], paths: ["x/a1.png", "img/b22.png", "img/c333.png"], lines: [2, 3, 3], derivedPaths: false, offsetLines: false),
        (ids: ["a1", "b22", "c333"], paths: ["img/a1.png", "img/b22.png", "img/c33.png"], lines: [9, 3, 4], derivedPaths: false, offsetLines: false),
        (ids: ["a1", "a1x", "c"], paths: ["a1/a1.png", "a1x/a1x.png", "c/c.png"], lines: [2, 3, 4], derivedPaths: false, offsetLines: true),
        (ids: ["é", "e\u{301}"], paths: ["p/e\u{301}.png", "p/é.png"], lines: [2, 3], derivedPaths: false, offsetLines: true),
        (ids: ["x"], paths: ["d/x.png"], lines: [7], derivedPaths: true, offsetLines: true),
    ])
    func pathsAndLinesReadBackAsGiven(ids: [String], paths: [String], lines: [Int], derivedPaths: Bool, offsetLines: Bool) {
        var builder = SampleTable.Builder(root: SampleRoot(URL(fileURLWithPath: "/data")))
        for (row, id) in ids.enumerated() {
            builder.append(id: id, relativePath: paths[row], label: "f", split: "test", attributes: [String?](), line: lines[row])
        }
        let table = builder.build()
        let samples = table.samples
        if case .fromIDs = table.paths { #expect(derivedPaths) } else { #expect(!derivedPaths) }
        if case .offset = table.lines { #expect(offsetLines) } else { #expect(!offsetLines) }
        #expect(samples.map(\.id) == ids)
        #expect(samples.map { Array($0.relativePath.utf8) } == paths.map { Array($0.utf8) })
        #expect(samples.map(\.line) == lines)
    }

    /// `filePath` joins plain paths as strings and sends the rest through the URL: either way it
    /// is the URL's path, for folders and manifest paths of every shape.
    @Test(arguments: ["/data/set", "/data/set/", "/", "/data/./set", "/data/x/../set", "/data//set", "/da ta/sét%20"])
    func filePathsAreTheURLsPaths(root: String) {
        let relatives = ["a.png", "img/a.png", "img/sub/b c.png", "./a.png", "img/../a.png", "../up.png", "img//a.png", "img/./a.png",
                         "img/a.png/", "/abs/a.png", ".hidden/a.png", "...", "a..b/..c.png", "x/.", "x/..", "é/e\u{301}.png",
                         "100%.png", "a#b?.png", "a;b.png"]
        var builder = SampleTable.Builder(root: SampleRoot(URL(fileURLWithPath: root, isDirectory: true)))
        for (row, relative) in relatives.enumerated() {
            builder.append(id: "s\(row)", relativePath: relative, label: "f", split: "test", attributes: [String?](), line: row + 2)
        }
        for (sample, relative) in zip(builder.build().samples, relatives) {
            #expect(sample.filePath == sample.url.path, "root \(root), path \(relative)")
        }
        #expect(SampleRoot.isPlain("img/a.png") && SampleRoot.isPlain("...") && SampleRoot.isPlain(".hidden"))
        #expect(!SampleRoot.isPlain("img/../a.png") && !SampleRoot.isPlain("./a") && !SampleRoot.isPlain("a//b") && !SampleRoot.isPlain("/a")
                && !SampleRoot.isPlain("a/") && !SampleRoot.isPlain("") && !SampleRoot.isPlain("x/.."))
    }

    @Test(arguments: [
        [SampleID](arrayLiteral: 3, 5, 8, 13, 21),   // ascending: binary search
        [21, 3, 13, 5, 8],                          // any order: a dictionary
        [],
        [7, 8, 9, 10, 11, 12],                      // consecutive: id - first is the position
        [7, 8, 10, 11, 12, 20, 21],                 // consecutive runs with gaps: a guess that misses, then the search
        [SampleID(rawValue: .max - 2), SampleID(rawValue: .max - 1), SampleID(rawValue: .max)],
    ])
    func sampleIDIndexFindsEveryPositionAndNothingElse(_ ids: [SampleID]) {
        let index = SampleIDIndex(ids)
        for (position, id) in ids.enumerated() { #expect(index[id] == position) }
        for absent: SampleID in [0, 4, 9, 13, 22, -1, SampleID(rawValue: .min), SampleID(rawValue: .max - 3)] where !ids.contains(absent) {
            #expect(index[absent] == nil)
        }
    }

    @Test func reportPredictionsKeepOneCodeAndConfidencePerSample() {
        var predictions = ReportPredictions(sampleCount: 5)
        #expect(predictions.isEmpty && predictions.sampleCount == 5)
        predictions[0] = ReportPrediction(predicted: "cat", probabilities: [0.7, 0.2, 0.1])
        predictions[3] = ReportPrediction(predicted: "dog", confidence: 0.55)
        predictions[4] = ReportPrediction(predicted: "cat", confidence: 0.9)
        #expect(predictions.count == 3)
        #expect(predictions[0] == ReportPrediction(predicted: "cat", confidence: 0.7))
        #expect(predictions[1] == nil && predictions[2] == nil)
        #expect(predictions[3]?.predicted == "dog" && predictions[4]?.confidence == 0.9)
        // Replacing one does not count twice; removing one does.
        predictions[3] = ReportPrediction(predicted: "bird", confidence: 0.4)
        #expect(predictions.count == 3 && predictions[3]?.predicted == "bird")
        predictions[0] = nil
        #expect(predictions.count == 2 && predictions[0] == nil)
        // Outside the samples: none.
        #expect(predictions[7] == nil)
        #expect(ReportPredictions([nil, ReportPrediction(predicted: "x", confidence: 1)]).count == 1)
    }

    @Test func sliceMembersAreSortedPositions() {
        let slice = ReportSlice(name: "s", definition: "d", members: [9, 2, 5])
        #expect(slice.members == [2, 5, 9])
        #expect([2, 5, 9].allSatisfy(slice.contains))
        #expect(![0, 3, 10].contains(where: slice.contains))
    }

    /// The bitset of ids a variant has predicted agrees with a `Set` on every id, for
    /// consecutive ids in any order, ids below the first, negative ones, and ids so far apart
    /// that it turns into a set.
    static let idSequences: [[Int64]] = [
        Array(Int64(1)...300),
        Array((Int64(1)...300).reversed()),
        [500, 3, 64, 63, 127, 128, 3, 1000, -5, -64, -65, 0],
        [1, 1 << 40, 7, (1 << 40) + 1, 2],
        (Int64(0)..<5000).map { $0 * 97 % 5003 },
    ]

    @Test(arguments: idSequences)
    func sampleIDSetAgreesWithASet(_ raw: [Int64]) {
        let ids = raw.map { SampleID(rawValue: $0) }
        var bits = SampleIDSet()
        var reference = Set<SampleID>()
        for (n, id) in ids.enumerated() {
            bits.insert(id)
            reference.insert(id)
            if n % 50 == 0 { #expect(bits.count == reference.count) }
        }
        #expect(bits.count == reference.count)
        let probes = Set(raw.flatMap { [$0 - 1, $0, $0 + 1] } + [-1000, 0, 1 << 41])
        let disagreeing = probes.filter { bits.contains(SampleID(rawValue: $0)) != reference.contains(SampleID(rawValue: $0)) }
        #expect(disagreeing.isEmpty, "\(disagreeing.sorted().prefix(10))")
        #expect(SampleIDSet(ids).count == reference.count)
    }

    @Test(arguments: [
        (values: [Int](), probe: 3, expected: Int?.none),
        (values: [3], probe: 3, expected: 0),
        (values: [1, 3, 3, 3, 8], probe: 3, expected: 1),
        (values: [1, 3, 8], probe: 8, expected: 2),
        (values: [1, 3, 8], probe: 0, expected: nil),
        (values: [1, 3, 8], probe: 5, expected: nil),
        (values: [1, 3, 8], probe: 9, expected: nil),
    ])
    func sortedIndexFindsTheFirstEqualElement(values: [Int], probe: Int, expected: Int?) {
        #expect(values.sortedIndex(of: probe) == expected)
        // A slice keeps its parent's indices.
        #expect(([-100] + values).dropFirst().sortedIndex(of: probe) == expected.map { $0 + 1 })
    }

    /// A chunk's prepared inputs stay within the budget however large the models' inputs are
    /// (a plugin's hello sets its own): the demo's sizes keep the full chunk, 4096² RGB gets 2.
    @Test func chunksShrinkForLargeInputs() {
        let demo = [InputSpec(width: 64, height: 64, channels: 3), InputSpec(width: 96, height: 96, channels: 3), InputSpec(width: 24, height: 24, channels: 3)]
        #expect(StreamingEvaluation.samplesPerChunk(64, inputs: demo) == 64)
        let huge = InputSpec(width: 4096, height: 4096, channels: 3)
        #expect(StreamingEvaluation.samplesPerChunk(64, inputs: demo + [huge]) == 2)
        #expect(StreamingEvaluation.samplesPerChunk(64, inputs: [huge, huge]) == 2, "one spec is prepared once")
        #expect(StreamingEvaluation.samplesPerChunk(64, inputs: []) == 64)
        #expect(StreamingEvaluation.samplesPerChunk(64, inputs: [InputSpec(width: 8192, height: 8192, channels: 3)]) == 1)
    }
}
