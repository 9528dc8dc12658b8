import Foundation
import StratumCore

/// The on-disk form of a logistic baseline (JSON, `format: "stratum-logistic"`, `version: 1`).
///
/// Prediction for an image: preprocess to `input` (resize, gray if 1 channel, normalise),
/// flatten HWC to x, standardise zⱼ = (xⱼ − mean[j]) / scale[j], then
/// two labels: p(labels[1]) = σ(coef[0]·z + intercept[0]);
/// k labels: softmax over coef[r]·z + intercept[r].
public struct LogisticModelFile: Codable, Sendable, Equatable {
    public struct Standardization: Codable, Sendable, Equatable {
        public var mean: [Double]
        public var scale: [Double]
    }

    public struct Training: Codable, Sendable, Equatable {
        public var samples: Int
        public var iterations: Int
        public var objective: Double
        public var gradientNorm: Double
        public var converged: Bool
    }

    public var format: String = "stratum-logistic"
    public var version: Int = 1
    public var labels: [String]
    public var input: InputSpec
    public var standardization: Standardization
    /// Inverse regularisation strength, as scikit-learn's `C`.
    public var C: Double
    public var coef: [[Double]]
    public var intercept: [Double]
    public var training: Training?
    /// What the model was fitted with and on (absent in files made elsewhere).
    public var fit: FitProvenance?

    /// Reads and checks a model file; errors name the file and the field.
    public static func read(_ url: URL) throws -> LogisticModelFile {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw LogisticModelError(file: url.path, message: "cannot read: \(error.localizedDescription)")
        }
        let model: LogisticModelFile
        do {
            model = try JSONDecoder().decode(LogisticModelFile.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw LogisticModelError(file: url.path, message: "missing field '\(key.stringValue)'")
        } catch let DecodingError.typeMismatch(_, context) {
            throw LogisticModelError(file: url.path, message: "wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'")
        } catch {
            throw LogisticModelError(file: url.path, message: "not valid JSON: \(error)")
        }
        try model.validate(file: url.path)
        return model
    }

    func validate(file: String) throws {
        func fail(_ message: String) -> LogisticModelError { LogisticModelError(file: file, message: message) }
        guard format == "stratum-logistic" else { throw fail("format is '\(format)', expected 'stratum-logistic'") }
        guard version == 1 else { throw fail("version \(version) is not supported (expected 1)") }
        guard labels.count >= 2, Set(labels).count == labels.count else { throw fail("labels must be at least 2 distinct strings") }
        if let problem = ModelOption.labelsProblem(labels) { throw fail(problem) }
        guard [1, 3].contains(input.channels), InputSpec.sideIsValid(input.width), InputSpec.sideIsValid(input.height) else {
            throw fail("input must have width and height in 1…\(InputSpec.maxSide) and 1 or 3 channels")
        }
        let d = input.width * input.height * input.channels
        let rows = labels.count == 2 ? 1 : labels.count
        guard standardization.mean.count == d, standardization.scale.count == d else { throw fail("standardization needs \(d) means and scales") }
        guard standardization.scale.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw fail("standardization scales must be positive") }
        guard coef.count == rows, coef.allSatisfy({ $0.count == d }) else { throw fail("coef must be \(rows)×\(d) for \(labels.count) labels and a \(input.width)×\(input.height)×\(input.channels) input") }
        guard intercept.count == rows else { throw fail("intercept must have \(rows) values") }
        guard (coef.joined() + intercept).allSatisfy(\.isFinite) else { throw fail("coefficients must be finite") }
    }

    /// Writes pretty-printed JSON atomically.
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try encoder.encode(self).write(to: url, options: .atomic)
        } catch {
            throw FileAccessError("write the fitted model", url.path, error)
        }
    }
}

/// A logistic model file is unreadable or inconsistent.
public struct LogisticModelError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var message: String
    public var description: String { "\(file): \(message)" }
}
