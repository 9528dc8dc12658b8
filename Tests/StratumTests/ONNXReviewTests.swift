import Foundation
@testable import StratumModelONNX
import StratumEngine
import Testing

/// Attribute values a review of the ONNX loader found accepted and computed otherwise than
/// onnxruntime (Tests/Fixtures/onnx/review, made by scripts/onnx_review_fixtures.py): pooling
/// ceil_mode under auto_pad VALID, Resize tf_half_pixel_for_nn on an axis of scale 1, integer
/// ReduceMean, Resize, Clip and Cast to float16; beside them cases that were right, and models
/// whose attribute values are refused (BatchNormalization training_mode=1, Squeeze with an
/// empty axes list and Cast of a negative value to uint64 among them, once silently wrong).
@Suite struct ONNXReviewTests {
    static let folder = ONNXTests.fixtures.appendingPathComponent("review")
    static var index: [String: Any] { ONNXTests.index(in: folder) }
    static let cases = ONNXTests.cases(of: index)

    struct Refused: Sendable, CustomTestStringConvertible {
        var name: String, model: String, notes: String
        var inputs: [(name: String, shape: [Int], file: String)]
        var testDescription: String { name }
    }

    static let refused: [Refused] = ((index["refused"] as? [[String: Any]]) ?? []).compactMap { entry in
        guard let name = entry["name"] as? String, let model = entry["model"] as? String, let inputs = entry["inputs"] as? [[String: Any]] else { return nil }
        let parsed = inputs.compactMap { t -> (String, [Int], String)? in
            guard let name = t["name"] as? String, let shape = t["shape"] as? [Int], let file = t["file"] as? String else { return nil }
            return (name, shape, file)
        }
        guard parsed.count == inputs.count else { return nil }
        return Refused(name: name, model: model, notes: entry["notes"] as? String ?? "", inputs: parsed.map { ($0.0, $0.1, $0.2) })
    }

    @Test func everyEntryIsParsed() throws {
        #expect(Self.cases.count == (Self.index["cases"] as? [Any])?.count && Self.cases.count >= 20)
        #expect(Self.refused.count == (Self.index["refused"] as? [Any])?.count && Self.refused.count >= 18)
    }

    @Test(arguments: cases)
    func matchesOnnxruntime(_ testCase: ONNXTests.Case) throws {
        let model = try ONNXModel(contentsOf: Self.folder.appendingPathComponent(testCase.model))
        var feeds: [String: Tensor] = [:]
        for input in testCase.inputs { feeds[input.name] = try ONNXTests.floats(input.file, shape: input.shape, in: Self.folder) }
        let reference = try #require(testCase.outputs.first { $0.name == model.outputName }, "no reference for output '\(model.outputName)'")
        let expected = try ONNXTests.floats(reference.file, shape: reference.shape, in: Self.folder)
        let actual = try model.run(feeds: feeds)
        #expect(actual.shape == expected.shape, "shape \(actual.shape) vs onnxruntime \(expected.shape)")
        // Infinities (a float16 cast of 70000) must match as infinities.
        let worst = zip(actual.data, expected.data).map { $0 == $1 ? 0 : abs($0 - $1) }.max() ?? 0
        #expect(worst <= testCase.tolerance, "off by \(worst) (tolerance \(testCase.tolerance))")
    }

    /// Refused at load or on the first run, with an error naming the model file.
    @Test(arguments: refused)
    func isRefusedWithAnError(_ entry: Refused) throws {
        let url = Self.folder.appendingPathComponent(entry.model)
        var feeds: [String: Tensor] = [:]
        for input in entry.inputs { feeds[input.name] = try ONNXTests.floats(input.file, shape: input.shape, in: Self.folder) }
        let error = try #require(throws: (any Error).self, "\(entry.notes)") {
            let model = try ONNXModel(contentsOf: url)
            _ = try model.run(feeds: feeds)
        }
        #expect(error is ONNXError || error is EngineError, "\(error)")
        if let error = error as? ONNXError { #expect(error.description.contains(entry.model.split(separator: "/").last.map(String.init) ?? "?"), "\(error)") }
    }
}
