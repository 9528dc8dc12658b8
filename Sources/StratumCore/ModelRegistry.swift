import Foundation

/// Where a model variant comes from, as the experiment file names it.
public struct ModelSpec: Sendable, Equatable {
    /// The variant's name, unique within an experiment.
    public var name: String
    /// The registry kind (e.g. `logistic`, `tfjs`).
    public var kind: String
    /// The model file or folder, absolute.
    public var path: URL
    /// Kind-specific options, as strings.
    public var options: [String: String]

    public init(name: String, kind: String, path: URL, options: [String: String] = [:]) {
        self.name = name
        self.kind = kind
        self.path = path
        self.options = options
    }
}

/// Loads model variants of one kind.
public protocol ModelLoader: Sendable {
    /// The `kind` string experiment files use.
    var kind: String { get }
    /// One line for `stratum models`.
    var summary: String { get }
    /// Loads the variant described by `spec`; throws an error naming the file and the problem.
    func load(_ spec: ModelSpec) throws -> any ImageClassifier
}

/// One labelled training image, already preprocessed to the loader's input spec.
public struct TrainingExample: Sendable {
    public var values: [Float]
    public var label: String
    public init(values: [Float], label: String) {
        self.values = values
        self.label = label
    }
}

/// A loader whose models Stratum fits itself (e.g. the logistic baseline).
public protocol TrainableModelLoader: ModelLoader {
    /// The input the model will be trained on, from the variant's options.
    func trainingInput(for spec: ModelSpec) throws -> InputSpec
    /// Fits a model on `examples` with classes `labels` and writes it to `spec.path`.
    func fit(_ spec: ModelSpec, labels: [String], examples: [TrainingExample]) throws -> FitSummary
}

/// What fitting produced, for the CLI to print.
public struct FitSummary: Sendable, Equatable {
    public var iterations: Int
    public var objective: Double
    public var gradientNorm: Double
    public var converged: Bool
    public init(iterations: Int, objective: Double, gradientNorm: Double, converged: Bool) {
        self.iterations = iterations
        self.objective = objective
        self.gradientNorm = gradientNorm
        self.converged = converged
    }
}

/// Maps experiment-file `kind` strings to loaders.
public struct ModelRegistry: Sendable {
    private var loaders: [String: any ModelLoader] = [:]

    public init(_ loaders: [any ModelLoader] = []) {
        for loader in loaders { register(loader) }
    }

    /// Adds or replaces the loader for `loader.kind`.
    public mutating func register(_ loader: any ModelLoader) {
        loaders[loader.kind] = loader
    }

    /// Registered kinds, sorted.
    public var kinds: [String] { loaders.keys.sorted() }

    /// The loader for `kind`; throws `RegistryError` listing the known kinds.
    public func loader(for kind: String) throws -> any ModelLoader {
        guard let loader = loaders[kind] else {
            throw RegistryError(kind: kind, known: kinds)
        }
        return loader
    }
}

/// An experiment named a model kind that no loader handles.
public struct RegistryError: Error, CustomStringConvertible, Equatable {
    public var kind: String
    public var known: [String]
    public var description: String {
        "unknown model kind '\(kind)' (registered kinds: \(known.joined(separator: ", ")))"
    }
}
