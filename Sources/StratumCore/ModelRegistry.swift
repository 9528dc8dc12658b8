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

/// An option a model kind accepts in `variants[].options` (and `predict --option`).
public struct ModelOption: Sendable, Equatable {
    public var name: String
    /// One line: what it does, its values and default.
    public var summary: String
    public init(_ name: String, _ summary: String) {
        self.name = name
        self.summary = summary
    }
}

extension ModelOption {
    /// A list option's value that is no list of items: said as "option NAME '<value>' <message>".
    public struct ListValueError: Error, CustomStringConvertible, Equatable {
        public var message: String
        public var description: String { message }
    }

    /// A list-valued option's items (labels, per-channel numbers), each trimmed of spaces: a
    /// JSON list of strings or numbers (what a YAML list in an experiment file becomes, or
    /// `--option 'labels=["a, b", "c"]'`), else the text split on commas. Refused: text that
    /// starts with `[` but is no JSON list (`[a, b]` on a command line, which would split into
    /// `[a` and `b]`), a list holding null, lists or mappings, and a mapping.
    public static func listItems(_ text: String) throws(ListValueError) -> [String] {
        if let items = try jsonItems(text, trimmed: true) { return items }
        if (try? JSONSerialization.jsonObject(with: Data(text.utf8))) is [String: Any] {
            throw ListValueError(message: "is a mapping; give a list (or comma-separated values)")
        }
        return text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// The items of `text` when it is a JSON list, exactly as given (a command's arguments);
    /// nil when it does not start with `[`. Refused as `listItems` refuses.
    public static func jsonList(_ text: String) throws(ListValueError) -> [String]? {
        try jsonItems(text, trimmed: false)
    }

    private static func jsonItems(_ text: String, trimmed: Bool) throws(ListValueError) -> [String]? {
        guard text.trimmingCharacters(in: .whitespaces).hasPrefix("[") else { return nil }
        guard let list = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [Any] else {
            throw ListValueError(message: "starts with [ but is not a JSON list (quote each item, as in [\"a\", \"b\"], or give a, b)")
        }
        var items: [String] = []
        for item in list {
            if let string = item as? String {
                items.append(trimmed ? string.trimmingCharacters(in: .whitespaces) : string)
            } else if let number = item as? NSNumber {
                // JSON's true and false arrive as NSNumbers of type char.
                items.append(String(cString: number.objCType) == "c" ? (number.boolValue ? "true" : "false") : number.stringValue)
            } else {
                let what = item is NSNull ? "null" : item is [Any] ? "a list" : "a mapping"
                throw ListValueError(message: "holds \(what); its items must be strings or numbers")
            }
        }
        return items
    }

    /// The labels option's items (`listItems`), checked as `labelsProblem` checks.
    public static func labelItems(_ text: String) throws(ListValueError) -> [String] {
        let items = try listItems(text)
        guard items.contains(where: { !$0.isEmpty }) else { throw ListValueError(message: "gives no labels") }
        if let problem = labelsProblem(items) { throw ListValueError(message: "gives \(problem)") }
        return items
    }

    /// An option's value for a message: at most 60 characters.
    public static func clipped(_ text: String) -> String {
        text.count > 60 ? String(text.prefix(59)) + "…" : text
    }

    /// What is wrong with a model's labels, as a sentence naming them (the first 10), or nil:
    /// none, an empty label, a label named twice.
    public static func labelsProblem(_ labels: [String]) -> String? {
        func quoted(_ label: String) -> String { "'\(clipped(label))'" }
        let shown = "[" + labels.prefix(10).map(quoted).joined(separator: ", ") + (labels.count > 10 ? ", … (\(labels.count) in all)" : "") + "]"
        if labels.isEmpty { return "no labels are given" }
        if labels.contains("") { return "labels \(shown) name an empty label" }
        var counts: [String: Int] = [:]
        for label in labels { counts[label, default: 0] += 1 }
        let repeated = counts.filter { $0.value > 1 }.keys.sorted()
        guard repeated.isEmpty else {
            let named = repeated.prefix(10).map(quoted).joined(separator: ", ")
            return repeated.count > 10 ? "labels \(shown) name \(repeated.count) labels more than once, among them \(named)"
                : "labels \(shown) name \(named) more than once"
        }
        return nil
    }
}

/// Loads model variants of one kind.
public protocol ModelLoader: Sendable {
    /// The `kind` string experiment files use.
    var kind: String { get }
    /// One line for `stratum models`.
    var summary: String { get }
    /// Every option the kind accepts; any other is an error before anything runs.
    var options: [ModelOption] { get }
    /// Whether `url` is a model file (or folder) of this kind, judged from its name and
    /// contents; used when no kind is given. Cheap: reads at most a small file.
    func recognises(_ url: URL) -> Bool
    /// Loads the variant described by `spec`; throws an error naming the file and the problem.
    func load(_ spec: ModelSpec) throws -> any ImageClassifier
    /// Checks the option values that can be judged without reading the model (choices, numbers,
    /// lists), read exactly as `load` reads them, so that a bad value stops a run before it
    /// starts; throws the error `load` would throw. The default checks nothing.
    func checkOptionValues(_ spec: ModelSpec) throws
}

extension ModelLoader {
    public func checkOptionValues(_ spec: ModelSpec) throws {}

    /// Checks a variant's options before anything runs: `UnknownOptionError` for a name this
    /// kind does not declare, `InvalidOptionValueError` for a value `load` would refuse.
    public func checkOptions(of spec: ModelSpec) throws {
        try checkOptions(spec.options, variant: spec.name)
        do {
            try checkOptionValues(spec)
        } catch {
            throw InvalidOptionValueError(variant: spec.name, message: "\(error)")
        }
    }

    /// Throws `UnknownOptionError` for the first option of `options` this kind does not declare.
    public func checkOptions(_ given: [String: String], variant: String) throws {
        let known = options.map(\.name)
        for name in given.keys.sorted() where !known.contains(name) {
            throw UnknownOptionError(variant: variant, kind: kind, option: name, suggestion: ClosestName.find(name, among: known), known: known)
        }
    }
}

/// A variant gave an option its kind does not declare (a misspelling would otherwise run
/// silently with the default).
public struct UnknownOptionError: Error, CustomStringConvertible, Equatable {
    public var variant: String
    public var kind: String
    public var option: String
    public var suggestion: String?
    public var known: [String]
    public var description: String {
        let hint = suggestion.map { " — did you mean '\($0)'?" } ?? ""
        let list = known.isEmpty ? "none" : known.joined(separator: ", ")
        return "variant '\(variant)': unknown option '\(option)' for kind \(kind)\(hint) (options of \(kind): \(list))"
    }
}

/// A variant gave an option a value its kind refuses (found before the run starts, where
/// otherwise the variant would fail when loaded, after the run was made).
public struct InvalidOptionValueError: Error, CustomStringConvertible, Equatable {
    public var variant: String
    /// The kind's own error, naming the model file, the option and the values allowed.
    public var message: String
    public var description: String { "variant '\(variant)': \(message)" }
}

/// The known name closest to a misspelt one (Levenshtein distance, case-insensitive, `-`/`_`
/// alike), when it is close enough to be a plausible typo.
public enum ClosestName {
    public static func find(_ name: String, among candidates: [String]) -> String? {
        func normal(_ text: String) -> [Character] { Array(text.lowercased().replacingOccurrences(of: "-", with: "_")) }
        let target = normal(name)
        let scored = candidates.map { ($0, distance(target, normal($0))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        let allowed = max(1, min(3, max(target.count, best.0.count) / 3))
        return best.1 <= allowed ? best.0 : nil
    }

    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1] + [Int](repeating: 0, count: b.count)
            for (j, y) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
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

/// What a fitted model was fitted with and on: recorded in the model file, so a model fitted
/// with other options or on other data is never reused silently.
public struct FitProvenance: Codable, Sendable, Equatable {
    /// The variant's options as the experiment gave them.
    public var options: [String: String]
    /// SHA-256 over the manifest's hash, the label column, the training split and the labels.
    public var trainingData: String
    /// SHA-256 over the kind, the options and `trainingData`: equal keys, same fit.
    public var key: String

    public init(kind: String, options: [String: String], manifestHash: String, labelColumn: String, trainSplit: String, labels: [String]) {
        self.options = options
        let data = [manifestHash, labelColumn, trainSplit, labels.joined(separator: "\u{1F}")].joined(separator: "\u{1E}")
        trainingData = SHA256.hex(Array(data.utf8))
        let optionText = options.keys.sorted().map { "\($0)=\(options[$0] ?? "")" }.joined(separator: "\u{1F}")
        key = SHA256.hex(Array([kind, optionText, trainingData].joined(separator: "\u{1E}").utf8))
    }
}

/// A loader whose models Stratum fits itself (e.g. the logistic baseline).
public protocol TrainableModelLoader: ModelLoader {
    /// The input the model will be trained on, from the variant's options.
    func trainingInput(for spec: ModelSpec) throws -> InputSpec
    /// Fits a model on `examples` with classes `labels` and writes it, with `provenance`, to `spec.path`.
    func fit(_ spec: ModelSpec, labels: [String], examples: [TrainingExample], provenance: FitProvenance) throws -> FitSummary
    /// The provenance recorded in the model file at `url`; nil when it records none (a model
    /// made elsewhere) or cannot be read.
    func provenance(of url: URL) -> FitProvenance?
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

    /// Every registered loader, sorted by kind.
    public var all: [any ModelLoader] { kinds.compactMap { loaders[$0] } }

    /// The kind of the model at `url`: the one registered loader that recognises it, else nil.
    public func kind(of url: URL) -> String? {
        let matching = all.filter { $0.recognises(url) }
        return matching.count == 1 ? matching[0].kind : nil
    }

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
