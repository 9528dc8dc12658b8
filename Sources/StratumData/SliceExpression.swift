import StratumCore

/// A boolean expression over a sample's attributes, e.g. `age < 13 and hair_length in ["short"]`.
///
/// Grammar (keywords case-sensitive, lowest precedence first):
/// ```
/// expr       := and ("or" and)*
/// and        := unary ("and" unary)*
/// unary      := "not" unary | comparison
/// comparison := "(" expr ")" | operand (op operand | ["not"] "in" "[" operand ("," operand)* "]")
/// op         := "==" | "!=" | "<" | "<=" | ">" | ">="
/// operand    := identifier | number | 'string' | "string" | true | false
/// ```
/// An identifier names an attribute. `<`, `<=`, `>`, `>=` compare numbers and fail on
/// non-numeric values; `==`, `!=` and `in` compare numbers numerically when both sides
/// are numbers, else as text. Expressions are evaluated in Swift, never passed to SQL.
public indirect enum SliceExpression: Sendable, Equatable, CustomStringConvertible {
    case or(SliceExpression, SliceExpression)
    case and(SliceExpression, SliceExpression)
    case not(SliceExpression)
    case compare(Operand, ComparisonOperator, Operand)
    case member(Operand, [Operand], negated: Bool)

    public enum Operand: Sendable, Equatable, CustomStringConvertible {
        case attribute(String)
        case number(Double)
        case text(String)

        public var description: String {
            switch self {
            case .attribute(let name): return name
            case .number(let value): return value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
            // Scalar by scalar, backslashes too, so the text reads back as the same value.
            case .text(let value): return "'" + value.mappingScalars { $0 == "'" || $0 == "\\" ? "\\" + String($0) : nil } + "'"
            }
        }
    }

    public enum ComparisonOperator: String, Sendable, CaseIterable {
        case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    }

    /// Parses `source`; throws `SliceExpressionError` with the column of the problem.
    public init(parsing source: String) throws {
        var parser = SliceExpressionParser(source: source)
        self = try parser.parseAll()
    }

    /// Attribute names the expression reads.
    public var attributes: Set<String> {
        func names(_ operand: Operand) -> Set<String> {
            if case .attribute(let name) = operand { return [name] }
            return []
        }
        switch self {
        case .or(let a, let b), .and(let a, let b): return a.attributes.union(b.attributes)
        case .not(let a): return a.attributes
        case .compare(let l, _, let r): return names(l).union(names(r))
        case .member(let l, let list, _): return list.reduce(names(l)) { $0.union(names($1)) }
        }
    }

    /// Canonical text (fully parenthesised where needed).
    public var description: String {
        switch self {
        case .or(let a, let b): return "(\(a) or \(b))"
        case .and(let a, let b): return "(\(a) and \(b))"
        case .not(let a): return "not \(a)"
        case .compare(let l, let op, let r): return "\(l) \(op.rawValue) \(r)"
        case .member(let l, let list, let negated):
            return "\(l) \(negated ? "not in" : "in") [\(list.map(\.description).joined(separator: ", "))]"
        }
    }

    /// Evaluates against attributes given as a dictionary.
    public func evaluate(_ attributes: [String: String]) throws -> Bool {
        try evaluate(SampleAttributes(attributes))
    }

    /// Evaluates against one sample's attributes.
    public func evaluate(_ attributes: SampleAttributes) throws -> Bool {
        switch self {
        case .or(let a, let b): return try a.evaluate(attributes) || b.evaluate(attributes)
        case .and(let a, let b): return try a.evaluate(attributes) && b.evaluate(attributes)
        case .not(let a): return try !a.evaluate(attributes)
        case .compare(let l, let op, let r):
            return try Self.compare(Self.resolve(l, attributes), op, Self.resolve(r, attributes))
        case .member(let l, let list, let negated):
            let value = try Self.resolve(l, attributes)
            let found = try list.contains { try Self.compare(value, .equal, Self.resolve($0, attributes)) }
            return found != negated
        }
    }

    private static func resolve(_ operand: Operand, _ attributes: SampleAttributes) throws -> String {
        switch operand {
        case .attribute(let name):
            guard let value = attributes[name] else { throw SliceExpressionError.unknownAttribute(name, available: attributes.keys.sorted()) }
            return value
        case .number(let value): return String(value)
        case .text(let value): return value
        }
    }

    private static func compare(_ left: String, _ op: ComparisonOperator, _ right: String) throws -> Bool {
        let l = Double(left), r = Double(right)
        if let l, let r {
            switch op {
            case .equal: return l == r
            case .notEqual: return l != r
            case .less: return l < r
            case .lessOrEqual: return l <= r
            case .greater: return l > r
            case .greaterOrEqual: return l >= r
            }
        }
        switch op {
        case .equal: return left == right
        case .notEqual: return left != right
        default: throw SliceExpressionError.notNumeric(op.rawValue, left: left, right: right)
        }
    }
}

/// A slice expression could not be parsed or evaluated.
public enum SliceExpressionError: Error, Equatable, CustomStringConvertible {
    /// Syntax error at a 1-based column.
    case syntax(String, column: Int)
    case unknownAttribute(String, available: [String])
    case notNumeric(String, left: String, right: String)

    public var description: String {
        switch self {
        case .syntax(let message, let column): return "column \(column): \(message)"
        case .unknownAttribute(let name, let available):
            return "unknown attribute '\(name)' (attributes: \(available.joined(separator: ", ")))"
        case .notNumeric(let op, let left, let right): return "'\(op)' needs numbers, got '\(left)' and '\(right)'"
        }
    }
}
