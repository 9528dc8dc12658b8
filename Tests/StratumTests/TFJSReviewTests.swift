import Foundation
import StratumImaging
import StratumModelTFJS
import StratumRunner
import Testing

/// TF.js models a review found mishandled (`Tests/Fixtures/tfjs/review/cases.json`, made with
/// TensorFlow and the real tensorflowjs converter by `scripts/make_tfjs_review_fixtures.py`):
/// those Stratum cannot run as TensorFlow does are refused with a message saying why; the
/// others give TensorFlow's probabilities.
@Suite struct TFJSReviewTests {
    static let folder = TestSupport.fixtures.appendingPathComponent("tfjs/review")

    struct Case: Sendable, CustomStringConvertible {
        var folder: String
        var refusedWith: [String]
        var images: [String]
        var probabilities: [[Double]]
        var tolerance: Double
        var description: String { folder }
    }

    static let cases: [Case] = {
        guard let object = try? TestSupport.json("tfjs/review/cases.json") as? [String: Any], let list = object["cases"] as? [[String: Any]] else { return [] }
        return list.compactMap { entry in
            guard let folder = entry["folder"] as? String, let expect = entry["expect"] as? String else { return nil }
            return Case(folder: folder, refusedWith: expect == "refused" ? (entry["messages"] as? [String] ?? []) : [],
                        images: entry["images"] as? [String] ?? [], probabilities: entry["probabilities"] as? [[Double]] ?? [],
                        tolerance: entry["tolerance"] as? Double ?? 1e-5)
        }
    }()

    @Test func theCaseTableIsComplete() {
        #expect(Self.cases.filter { !$0.refusedWith.isEmpty }.count >= 8 && Self.cases.filter { $0.refusedWith.isEmpty }.count >= 3)
    }

    @Test(arguments: cases)
    func refusedOrAgreesWithTensorFlow(_ c: Case) throws {
        let model = Self.folder.appendingPathComponent(c.folder)
        func predict() throws -> Prediction.Output {
            try Prediction.run(model: model, kind: "tfjs", images: c.images.map { Self.folder.appendingPathComponent($0) },
                               options: ["normalize": "raw"])
        }
        if !c.refusedWith.isEmpty {
            // Refused at load, or (a Softmax's axis, known once shapes are) on the first image:
            // one at the model's input size when its model.json loads.
            var images: [URL] = []
            if let shape = (try? TFJSModel(contentsOf: model))?.inputShape, shape.count == 4, shape[1] > 0, shape[2] > 0 {
                let image = try TestSupport.temporaryDirectory(c.folder).appendingPathComponent("input.png")
                let pixels = (0..<(shape[1] * shape[2] * 3)).map { UInt8(($0 * 37) % 256) }
                try Data(PNGCodec.encode(RGBImage(width: shape[2], height: shape[1], pixels: pixels))).write(to: image)
                images = [image]
            }
            let error = try #require(throws: TFJSError.self) { _ = try Prediction.run(model: model, kind: "tfjs", images: images, options: ["normalize": "raw"]) }
            #expect(c.refusedWith.allSatisfy { error.description.contains($0) }, "\(error)")
            return
        }
        let output = try predict()
        #expect(output.predictions.count == c.probabilities.count)
        for (row, expected) in zip(output.predictions, c.probabilities) {
            let worst = zip(row.probabilities, expected).map { abs(Double($0) - $1) }.max() ?? .infinity
            #expect(row.probabilities.count == expected.count && worst <= c.tolerance, "\(c.folder) \(row.input): \(row.probabilities) against \(expected)")
        }
    }

    /// Weights named by position (the converter's --input_format=keras_keras): the error says
    /// so and how to convert instead, not only that 'conv2d/kernel' is missing.
    @Test func positionallyNamedWeightsAreExplained() throws {
        let model = TestSupport.fixtures.appendingPathComponent("tfjs/positional")
        let error = try #require(throws: TFJSError.self) { _ = try Prediction.run(model: model, kind: "tfjs", images: [], options: [:]) }
        #expect(error.description.contains("named by position") && error.description.contains("--input_format=keras"), "\(error)")
    }
}
