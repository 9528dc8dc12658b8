import Foundation
import StratumCore
import StratumReports
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

    @Test(arguments: [
        [SampleID](arrayLiteral: 3, 5, 8, 13, 21),   // ascending: binary search
        [21, 3, 13, 5, 8],                          // any order: a dictionary
        [],
    ])
    func sampleIDIndexFindsEveryPositionAndNothingElse(_ ids: [SampleID]) {
        let index = SampleIDIndex(ids)
        for (position, id) in ids.enumerated() { #expect(index[id] == position) }
        for absent: SampleID in [0, 4, 22, -1] { #expect(index[absent] == nil) }
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
}
