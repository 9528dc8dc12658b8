import Foundation
import StratumCore

/// The logistic baseline as an `ImageClassifier`.
public struct LogisticClassifier: ImageClassifier {
    public let descriptor: ModelDescriptor
    let file: LogisticModelFile
    let model: LogisticRegression

    public init(name: String, file: LogisticModelFile, contentHash: String) {
        self.file = file
        self.model = LogisticRegression(coefficients: file.coef, intercepts: file.intercept, classCount: file.labels.count)
        self.descriptor = ModelDescriptor(name: name, kind: LogisticLoader.kindName, labels: file.labels, input: file.input, contentHash: contentHash)
    }

    public func predict(_ batch: ImageBatch) throws -> [[Float]] {
        let input = descriptor.input
        guard batch.width == input.width, batch.height == input.height, batch.channels == input.channels else {
            throw LogisticModelError(file: descriptor.name, message: "batch is \(batch.width)×\(batch.height)×\(batch.channels), model expects \(input.width)×\(input.height)×\(input.channels)")
        }
        let mean = file.standardization.mean, scale = file.standardization.scale
        return (0..<batch.count).map { index in
            let z = zip(batch.image(index), zip(mean, scale)).map { (Double($0) - $1.0) / $1.1 }
            return model.probabilities(z[...]).map { Float($0) }
        }
    }
}

/// Loads (and fits) logistic baselines: kind `logistic`.
///
/// Options (all optional): `size` (input side, default 24), `channels` (1 or 3, default 1),
/// `C` (default 1.0), `normalize` (`unit`, `symmetric`, `raw`; default `unit`).
public struct LogisticLoader: TrainableModelLoader {
    public static let kindName = "logistic"
    public var kind: String { Self.kindName }
    public var summary: String { "L2-regularised logistic regression on downsampled pixels, fitted by Stratum (JSON model file)" }

    public var options: [ModelOption] {
        [ModelOption("size", "input side in pixels, 1…512 (default 24)"),
         ModelOption("channels", "1 (gray, BT.601) or 3 (RGB) (default 1)"),
         ModelOption("C", "inverse L2 regularisation strength, > 0 (default 1.0)"),
         ModelOption("normalize", "pixel scaling before standardisation: unit (default), symmetric or raw")]
    }

    public init() {}

    /// A JSON file whose first 64 KiB name the `stratum-logistic` format.
    public func recognises(_ url: URL) -> Bool {
        guard url.pathExtension.lowercased() == "json", let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 65_536) else { return false }
        return String(decoding: head, as: UTF8.self).contains("\"stratum-logistic\"")
    }

    public func load(_ spec: ModelSpec) throws -> any ImageClassifier {
        let file = try LogisticModelFile.read(spec.path)
        return LogisticClassifier(name: spec.name, file: file, contentHash: try SHA256.hex(contentsOf: spec.path))
    }

    /// The options are read when fitting (a fitted file records what they were): checked before
    /// the run all the same.
    public func checkOptionValues(_ spec: ModelSpec) throws {
        _ = try trainingInput(for: spec)
        _ = try regularization(spec)
    }

    private func regularization(_ spec: ModelSpec) throws -> Double {
        let c = try option(spec, "C", default: 1.0, parse: Double.init)
        guard c > 0, c.isFinite else { throw LogisticModelError(file: spec.path.path, message: "option C must be a positive number") }
        return c
    }

    public func trainingInput(for spec: ModelSpec) throws -> InputSpec {
        let size = try option(spec, "size", default: 24, parse: Int.init)
        let channels = try option(spec, "channels", default: 1, parse: Int.init)
        let normalization = try option(spec, "normalize", default: .unit, parse: Normalization.init(rawValue:))
        guard size > 0, size <= 512 else { throw LogisticModelError(file: spec.path.path, message: "option size must be in 1…512") }
        guard channels == 1 || channels == 3 else { throw LogisticModelError(file: spec.path.path, message: "option channels must be 1 or 3") }
        return InputSpec(width: size, height: size, channels: channels, normalization: normalization)
    }

    public func provenance(of url: URL) -> FitProvenance? {
        (try? LogisticModelFile.read(url))?.fit
    }

    public func fit(_ spec: ModelSpec, labels: [String], examples: [TrainingExample], provenance: FitProvenance) throws -> FitSummary {
        let input = try trainingInput(for: spec)
        let c = try regularization(spec)
        let d = input.width * input.height * input.channels
        if examples.contains(where: { $0.values.count != d }) {
            throw LogisticModelError(file: spec.path.path, message: "training example has the wrong number of features (expected \(d))")
        }
        let classIndex = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        var y: [Int] = []
        for example in examples {
            guard let index = classIndex[example.label] else {
                throw LogisticModelError(file: spec.path.path, message: "training label '\(example.label)' is not one of \(labels)")
            }
            y.append(index)
        }
        // Standardise each feature; constant features get scale 1.
        let n = Double(examples.count)
        var mean = [Double](repeating: 0, count: d), scale = [Double](repeating: 0, count: d)
        for example in examples { for j in 0..<d { mean[j] += Double(example.values[j]) } }
        mean = mean.map { $0 / n }
        for example in examples { for j in 0..<d { let v = Double(example.values[j]) - mean[j]; scale[j] += v * v } }
        scale = scale.map { let s = ($0 / n).squareRoot(); return s > 1e-12 ? s : 1 }
        var x = [Double](); x.reserveCapacity(examples.count * d)
        for example in examples { for j in 0..<d { x.append((Double(example.values[j]) - mean[j]) / scale[j]) } }

        let (model, report) = try LogisticRegression.fit(x: x, featureCount: d, y: y, classCount: labels.count, c: c, gradientTolerance: 1e-6)
        let file = LogisticModelFile(
            labels: labels, input: input, standardization: .init(mean: mean, scale: scale), C: c,
            coef: model.coefficients, intercept: model.intercepts,
            training: .init(samples: examples.count, iterations: report.iterations, objective: report.objective, gradientNorm: report.gradientNorm, converged: report.converged),
            fit: provenance)
        try file.write(to: spec.path)
        return FitSummary(iterations: report.iterations, objective: report.objective, gradientNorm: report.gradientNorm, converged: report.converged)
    }

    private func option<T>(_ spec: ModelSpec, _ key: String, default value: T, parse: (String) -> T?) throws -> T {
        guard let text = spec.options[key] else { return value }
        guard let parsed = parse(text) else { throw LogisticModelError(file: spec.path.path, message: "option '\(key)' has invalid value '\(text)'") }
        return parsed
    }
}
