/// Tokenises and parses slice expressions (see `SliceExpression` for the grammar).
struct SliceExpressionParser {
    enum Token: Equatable {
        case identifier(String), number(Double), text(String)
        case op(SliceExpression.ComparisonOperator)
        case and, or, not, `in`, lparen, rparen, lbracket, rbracket, comma, end
    }

    /// Limits that keep parsing and evaluation far from the stack's end: the expression's
    /// length in characters, nesting of parentheses and `not`, and the number of `and`/`or`.
    static let maxLength = 4_096
    static let maxNesting = 64
    static let maxConnectives = 256

    private var tokens: [(token: Token, column: Int)] = []
    private var position = 0
    private var nesting = 0
    private var connectives = 0
    private let source: String

    init(source: String) {
        self.source = source
    }

    mutating func parseAll() throws -> SliceExpression {
        guard source.count <= Self.maxLength else {
            throw SliceExpressionError.syntax("expression is \(source.count) characters long; the limit is \(Self.maxLength)", column: Self.maxLength + 1)
        }
        tokens = try Self.tokenize(source)
        position = 0
        nesting = 0
        connectives = 0
        if tokens.first?.token == .end { throw SliceExpressionError.syntax("empty expression", column: 1) }
        let expression = try parseOr()
        guard current == .end else { throw SliceExpressionError.syntax("unexpected \(describe(current))", column: column) }
        return expression
    }

    private var current: Token { tokens[position].token }
    private var column: Int { tokens[position].column }
    private mutating func advance() { if position < tokens.count - 1 { position += 1 } }

    private func describe(_ token: Token) -> String {
        switch token {
        case .identifier(let name): return "'\(name)'"
        case .number(let value): return "number \(value)"
        case .text(let value): return "string '\(value)'"
        case .op(let op): return "'\(op.rawValue)'"
        case .and: return "'and'"
        case .or: return "'or'"
        case .not: return "'not'"
        case .in: return "'in'"
        case .lparen: return "'('"
        case .rparen: return "')'"
        case .lbracket: return "'['"
        case .rbracket: return "']'"
        case .comma: return "','"
        case .end: return "end of expression"
        }
    }

    private mutating func enter() throws {
        nesting += 1
        guard nesting <= Self.maxNesting else {
            throw SliceExpressionError.syntax("nested more than \(Self.maxNesting) levels deep (parentheses and 'not')", column: column)
        }
    }

    private mutating func countConnective() throws {
        connectives += 1
        guard connectives <= Self.maxConnectives else {
            throw SliceExpressionError.syntax("more than \(Self.maxConnectives) 'and'/'or' (use 'in [...]' for long lists of values)", column: column)
        }
    }

    private mutating func parseOr() throws -> SliceExpression {
        var left = try parseAnd()
        while current == .or {
            try countConnective()
            advance()
            left = .or(left, try parseAnd())
        }
        return left
    }

    private mutating func parseAnd() throws -> SliceExpression {
        var left = try parseUnary()
        while current == .and {
            try countConnective()
            advance()
            left = .and(left, try parseUnary())
        }
        return left
    }

    private mutating func parseUnary() throws -> SliceExpression {
        if current == .not {
            try enter()
            advance()
            defer { nesting -= 1 }
            return .not(try parseUnary())
        }
        return try parseComparison()
    }

    private mutating func parseComparison() throws -> SliceExpression {
        if current == .lparen {
            try enter()
            advance()
            defer { nesting -= 1 }
            let inner = try parseOr()
            guard current == .rparen else { throw SliceExpressionError.syntax("expected ')' but found \(describe(current))", column: column) }
            advance()
            return inner
        }
        let left = try parseOperand()
        switch current {
        case .op(let op):
            advance()
            return .compare(left, op, try parseOperand())
        case .in:
            advance()
            return .member(left, try parseList(), negated: false)
        case .not:
            advance()
            guard current == .in else { throw SliceExpressionError.syntax("expected 'in' after 'not'", column: column) }
            advance()
            return .member(left, try parseList(), negated: true)
        default:
            throw SliceExpressionError.syntax("expected a comparison (==, !=, <, <=, >, >=, in) after \(left) but found \(describe(current))", column: column)
        }
    }

    private mutating func parseList() throws -> [SliceExpression.Operand] {
        guard current == .lbracket else { throw SliceExpressionError.syntax("expected '[' after 'in'", column: column) }
        advance()
        var items = [try parseOperand()]
        while current == .comma {
            advance()
            items.append(try parseOperand())
        }
        guard current == .rbracket else { throw SliceExpressionError.syntax("expected ',' or ']' but found \(describe(current))", column: column) }
        advance()
        return items
    }

    private mutating func parseOperand() throws -> SliceExpression.Operand {
        let token = current, at = column
        advance()
        switch token {
        case .identifier(let name):
            if name == "true" || name == "false" { return .text(name) }
            return .attribute(name)
        case .number(let value): return .number(value)
        case .text(let value): return .text(value)
        default: throw SliceExpressionError.syntax("expected an attribute, number or string but found \(describe(token))", column: at)
        }
    }

    /// Tokens with their 1-based columns, counted in Unicode scalars. Scalar by scalar, not by
    /// `Character`: a quote followed by a combining mark is one `Character` that is not a quote,
    /// and the text a slice definition prints for such a value (`SliceExpression.description`)
    /// must read back.
    static func tokenize(_ source: String) throws -> [(token: Token, column: Int)] {
        let chars = Array(source.unicodeScalars)
        func text(_ range: Range<Int>) -> String { String(String.UnicodeScalarView(chars[range])) }
        func isLetter(_ c: Unicode.Scalar) -> Bool { c.properties.isAlphabetic }
        func isNumber(_ c: Unicode.Scalar) -> Bool { c.properties.numericType != nil }
        func isMark(_ c: Unicode.Scalar) -> Bool {
            switch c.properties.generalCategory {
            case .nonspacingMark, .spacingMark, .enclosingMark: true
            default: false
            }
        }
        var tokens: [(token: Token, column: Int)] = []
        var i = 0
        while i < chars.count {
            let c = chars[i], column = i + 1
            if c.properties.isWhitespace { i += 1; continue }
            if isLetter(c) || c == "_" {
                var j = i
                while j < chars.count, isLetter(chars[j]) || isNumber(chars[j]) || isMark(chars[j]) || chars[j] == "_" || chars[j] == "." { j += 1 }
                let word = text(i..<j)
                let keyword: [String: Token] = ["and": .and, "or": .or, "not": .not, "in": .in]
                tokens.append((keyword[word] ?? .identifier(word), column))
                i = j
            } else if isNumber(c) || ((c == "-" || c == ".") && i + 1 < chars.count && isNumber(chars[i + 1])) {
                var j = i + 1
                while j < chars.count, isNumber(chars[j]) || chars[j] == "." || chars[j] == "e" || chars[j] == "E" { j += 1 }
                let number = text(i..<j)
                guard let value = Double(number), value.isFinite else { throw SliceExpressionError.syntax("bad number '\(number)'", column: column) }
                tokens.append((.number(value), column))
                i = j
            } else if c == "'" || c == "\"" {
                var j = i + 1, value = String.UnicodeScalarView()
                while j < chars.count, chars[j] != c {
                    if chars[j] == "\\", j + 1 < chars.count { j += 1 }
                    value.append(chars[j])
                    j += 1
                }
                guard j < chars.count else { throw SliceExpressionError.syntax("unterminated string", column: column) }
                tokens.append((.text(String(value)), column))
                i = j + 1
            } else {
                let two = i + 1 < chars.count ? text(i..<(i + 2)) : ""
                if let op = SliceExpression.ComparisonOperator(rawValue: two) {
                    tokens.append((.op(op), column)); i += 2; continue
                }
                let single: [Unicode.Scalar: Token] = [
                    "(": .lparen, ")": .rparen, "[": .lbracket, "]": .rbracket, ",": .comma,
                    "<": .op(.less), ">": .op(.greater),
                ]
                guard let token = single[c] else {
                    let hint = c == "=" ? " (use '==')" : (c == ";" ? " (statements are not allowed)" : "")
                    throw SliceExpressionError.syntax("unexpected character '\(c)'\(hint)", column: column)
                }
                tokens.append((token, column))
                i += 1
            }
        }
        tokens.append((.end, chars.count + 1))
        return tokens
    }
}
