import StratumCore

/// How an experiment slices its evaluation split.
public struct SliceSpec: Sendable, Equatable {
    /// Attributes whose every value becomes a slice (`age_group=child`, …).
    public var by: [String]
    /// Named expressions (`children: "age < 13"`), in file order.
    public var named: [(name: String, expression: String)]
    /// Also make the pairwise intersections of all the slices above.
    public var intersections: Bool
    /// Slices with fewer samples are skipped (reported, not evaluated).
    public var minSize: Int

    public init(by: [String] = [], named: [(name: String, expression: String)] = [], intersections: Bool = true, minSize: Int = 1) {
        self.by = by
        self.named = named
        self.intersections = intersections
        self.minSize = minSize
    }

    public static func == (a: SliceSpec, b: SliceSpec) -> Bool {
        a.by == b.by && a.intersections == b.intersections && a.minSize == b.minSize
            && a.named.map(\.name) == b.named.map(\.name) && a.named.map(\.expression) == b.named.map(\.expression)
    }
}

/// A subgroup of the evaluation split.
public struct DataSlice: Sendable, Equatable {
    /// `overall`, `age_group=child`, `children`, `children & hair_length=short`, …
    public var name: String
    /// The defining expression in canonical form (`true` for overall).
    public var definition: String
    /// Indices into the evaluated samples, ascending.
    public var members: [Int]
    /// What it is made of (none for overall).
    public var parts: [SlicePart] = []
}

/// Slices too small to evaluate, with their size.
public struct SkippedSlice: Sendable, Equatable {
    public var name: String
    public var size: Int
    public init(name: String, size: Int) {
        self.name = name
        self.size = size
    }
}

/// Builds the slices of an experiment over a list of samples.
public enum SliceBuilder {
    /// `overall` first, then attribute values (sorted), named expressions, then their pairwise
    /// intersections (never two values of one attribute). Intersections that are empty or equal
    /// to one of their two sides are dropped silently; slices below `minSize` are returned as skipped.
    /// Throws what `build` would throw for these samples (an attribute a sample lacks, an
    /// expression that does not parse or evaluate), without building anything: runs call it
    /// before predicting, so that a misspelt slice stops the run at once rather than after
    /// every prediction has been made and stored.
    public static func check(_ spec: SliceSpec, samples: [Sample]) throws {
        for attribute in spec.by {
            if let sample = samples.first(where: { $0.attributes[attribute] == nil }) {
                throw SliceBuildError.missingAttribute(attribute, sampleID: sample.id)
            }
        }
        for (name, source) in spec.named { _ = try namedMembers(name, source, samples: samples) }
        // Two slices of one name (a named slice called `overall` or `age=child`, an attribute
        // value holding " & ") stopped `build` after every prediction, and the fixed experiment
        // file could not resume the run (review of hostile input). The names every slice could
        // have are compared here, intersections included whether or not they turn out empty;
        // where two could collide, `build` decides now.
        var bases: [(name: String, group: String)] = []
        for attribute in spec.by {
            var values = Set<String>()
            for sample in samples { if let value = sample.attributes[attribute] { values.insert(value) } }
            bases += values.sorted().map { (attributeSliceName(attribute, $0), attribute) }
        }
        bases += spec.named.map { ($0.name, "named:\($0.name)") }
        var names: Set<String> = ["overall"]
        var mayCollide = bases.contains { !names.insert($0.name).inserted }
        // (Pairs of up to 2,000 bases here: past that the pairs alone are millions of names.)
        if spec.intersections && !mayCollide && bases.count <= 2_000 {
            outer: for i in bases.indices {
                for j in bases.indices where j > i && bases[i].group != bases[j].group {
                    if !names.insert(intersectionName(bases[i].name, bases[j].name)).inserted { mayCollide = true; break outer }
                }
            }
        }
        if mayCollide { _ = try build(spec, samples: samples) }
    }

    /// The names `build` gives an attribute value's slice and an intersection (`check` compares them).
    static func attributeSliceName(_ attribute: String, _ value: String) -> String { "\(attribute)=\(value)" }
    static func intersectionName(_ a: String, _ b: String) -> String { "\(a) & \(b)" }

    /// A named slice's expression and the indices of the samples it holds.
    static func namedMembers(_ name: String, _ source: String, samples: [Sample]) throws -> (expression: SliceExpression, members: [Int]) {
        let expression: SliceExpression
        do {
            expression = try SliceExpression(parsing: source)
        } catch {
            throw SliceBuildError.badExpression(name: name, source: source, underlying: "\(error)")
        }
        var members: [Int] = []
        for (index, sample) in samples.enumerated() {
            do {
                if try expression.evaluate(sample.attributes) { members.append(index) }
            } catch {
                throw SliceBuildError.badExpression(name: name, source: source, underlying: "sample '\(sample.id)': \(error)")
            }
        }
        return (expression, members)
    }

    public static func build(_ spec: SliceSpec, samples: [Sample]) throws -> (slices: [DataSlice], skipped: [SkippedSlice]) {
        // Members as ascending indices (the order samples are visited in): intersections are
        // merges, and a million samples cost 8 bytes each, not a hash set's ~20.
        struct Base { var name: String; var definition: String; var group: String; var members: [Int]; var part: SlicePart }
        var bases: [Base] = []
        for attribute in spec.by {
            var groups: [String: [Int]] = [:]
            for (index, sample) in samples.enumerated() {
                guard let value = sample.attributes[attribute] else {
                    throw SliceBuildError.missingAttribute(attribute, sampleID: sample.id)
                }
                groups[value, default: []].append(index)
            }
            for value in groups.keys.sorted() {
                let definition = SliceExpression.compare(.attribute(attribute), .equal, .text(value)).description
                bases.append(Base(name: attributeSliceName(attribute, value), definition: definition, group: attribute, members: groups[value] ?? [],
                                  part: .attribute(attribute, value: value)))
            }
        }
        for (name, source) in spec.named {
            let (expression, members) = try namedMembers(name, source, samples: samples)
            bases.append(Base(name: name, definition: expression.description, group: "named:\(name)", members: members, part: .named(name)))
        }

        var candidates = [DataSlice(name: "overall", definition: "true", members: Array(samples.indices))]
        candidates += bases.map { DataSlice(name: $0.name, definition: $0.definition, members: $0.members, parts: [$0.part]) }
        if spec.intersections {
            for i in bases.indices {
                for j in bases.indices where j > i && bases[i].group != bases[j].group {
                    let members = Self.intersection(bases[i].members, bases[j].members)
                    // Empty, or the same samples as one side (e.g. `age_group=child & children`): nothing new.
                    if members.isEmpty || members.count == bases[i].members.count || members.count == bases[j].members.count { continue }
                    candidates.append(DataSlice(
                        name: intersectionName(bases[i].name, bases[j].name),
                        definition: "(\(bases[i].definition)) and (\(bases[j].definition))",
                        members: members, parts: [bases[i].part, bases[j].part]))
                }
            }
        }
        var definitions: [String: String] = [:]
        for slice in candidates {
            if let first = definitions[slice.name] {
                throw SliceBuildError.duplicateName(slice.name, first: first, second: slice.definition)
            }
            definitions[slice.name] = slice.definition
        }
        var slices: [DataSlice] = [], skipped: [SkippedSlice] = []
        for slice in candidates {
            if slice.name == "overall" || slice.members.count >= spec.minSize {
                slices.append(slice)
            } else {
                skipped.append(SkippedSlice(name: slice.name, size: slice.members.count))
            }
        }
        return (slices, skipped)
    }

    /// The common elements of two ascending arrays, ascending.
    static func intersection(_ a: [Int], _ b: [Int]) -> [Int] {
        var result: [Int] = []
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if a[i] < b[j] { i += 1 } else if a[i] > b[j] { j += 1 } else { result.append(a[i]); i += 1; j += 1 }
        }
        return result
    }
}

/// A slice could not be built.
public enum SliceBuildError: Error, Equatable, CustomStringConvertible {
    case missingAttribute(String, sampleID: String)
    case badExpression(name: String, source: String, underlying: String)
    /// Two slices got the same name (e.g. a named slice called `overall`, or `age_group=child`).
    case duplicateName(String, first: String, second: String)

    public var description: String {
        switch self {
        case .missingAttribute(let attribute, let id): return "slice attribute '\(attribute)' is missing for sample '\(id)'"
        case .badExpression(let name, let source, let underlying): return "slice '\(name)' (\(source)): \(underlying)"
        case .duplicateName(let name, let first, let second):
            return "two slices are named '\(name)' (\(first) and \(second)); rename the named slice in slices.named"
        }
    }
}
