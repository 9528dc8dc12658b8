/// What a slice is made of, stored as structure (never recovered by parsing its name, which
/// holds attribute values from the dataset: `a & b` or `=` may be part of a value).
public enum SlicePart: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Samples whose `attribute` is `value`.
    case attribute(String, value: String)
    /// A named slice of the experiment file (an expression).
    case named(String)

    public var description: String {
        switch self {
        case .attribute(let attribute, let value): return "\(attribute)=\(value)"
        case .named(let name): return name
        }
    }
}

extension Array where Element == SlicePart {
    /// No part: the whole evaluated set.
    public var isOverall: Bool { isEmpty }
    /// Two or more parts.
    public var isIntersection: Bool { count >= 2 }
    /// The label a sample of this single slice is tagged with in captions (its value, or the name).
    public var tag: String? {
        guard count == 1, let part = first else { return nil }
        switch part {
        case .attribute(_, let value): return value
        case .named(let name): return name
        }
    }
}
