import StratumData
import Testing

@Suite struct SliceExpressionTests {
    static let child = ["age": "7", "hair_length": "short", "sex": "female", "glasses": "false"]
    static let adult = ["age": "41", "hair_length": "long", "sex": "male", "glasses": "true"]

    /// (expression, value on the child, value on the adult)
    static let evaluations: [(String, Bool, Bool)] = [
        ("age < 13", true, false),
        ("age <= 7", true, false),
        ("age >= 41", false, true),
        ("age > 40.5", false, true),
        ("age == 7", true, false),
        ("age == 7.0", true, false),
        ("age != 7", false, true),
        ("hair_length == 'short'", true, false),
        ("hair_length == \"long\"", false, true),
        ("hair_length in ['short', 'medium']", true, false),
        ("hair_length not in ['short', 'medium']", false, true),
        ("age in [7, 8]", true, false),
        ("not age < 13", false, true),
        ("not not age < 13", true, false),
        ("age < 13 and sex == 'female'", true, false),
        ("age < 13 or sex == 'male'", true, true),
        ("age < 13 and sex == 'male' or glasses == true", false, true),
        ("age < 13 and (sex == 'male' or glasses == true)", false, false),
        ("(sex == 'female' and hair_length == 'short') or (sex == 'male' and hair_length == 'long')", true, true),
        ("'short' == hair_length", true, false),
        ("13 > age", true, false),
        ("glasses == false", true, false),
        ("sex == 'it\\'s'", false, false),
    ]

    @Test(arguments: evaluations)
    func evaluatesOnAttributes(_ source: String, _ onChild: Bool, _ onAdult: Bool) throws {
        let expression = try SliceExpression(parsing: source)
        #expect(try expression.evaluate(Self.child) == onChild)
        #expect(try expression.evaluate(Self.adult) == onAdult)
        // The canonical text parses back to the same tree.
        #expect(try SliceExpression(parsing: expression.description) == expression)
    }

    /// Text values of any shape (a backslash, a quote with a combining mark) print as text that
    /// parses back to the same value: the stored definition is the slice's identity in history.
    @Test(arguments: ["it's", "back\\slash\\", "q'\u{301}x", "\\'", "\u{301}'", "a\r\nb\"c"])
    func textValuesPrintAsTextThatReadsBack(_ value: String) throws {
        let expression = SliceExpression.compare(.attribute("note"), .equal, .text(value))
        #expect(try SliceExpression(parsing: expression.description) == expression)
    }

    @Test func andBindsTighterThanOr() throws {
        let expression = try SliceExpression(parsing: "a == 1 or b == 2 and c == 3")
        guard case .or(_, .and) = expression else {
            Issue.record("parsed as \(expression)")
            return
        }
    }

    /// Rejected input, with a fragment of the message expected.
    static let rejected: [(String, String)] = [
        ("", "empty expression"),
        ("age <", "expected an attribute"),
        ("age = 13", "use '=='"),
        ("age < 13 and", "expected an attribute"),
        ("(age < 13", "expected ')'"),
        ("age < 13)", "unexpected ')'"),
        ("age", "expected a comparison"),
        ("age in 3", "expected '['"),
        ("age in [1, 2", "expected ',' or ']'"),
        ("age not 3", "expected 'in'"),
        ("name == 'unterminated", "unterminated string"),
        ("age < 13; DROP TABLE sample", "statements are not allowed"),
        ("age < 13 -- comment", "unexpected"),
        ("1e999 < age", "bad number"),
        ("age < 13 age > 2", "unexpected"),
        ("sex == 'f' && age < 3", "unexpected character '&'"),
    ]

    @Test(arguments: rejected)
    func rejectsMalformedInput(_ source: String, _ fragment: String) {
        do {
            let parsed = try SliceExpression(parsing: source)
            Issue.record("accepted '\(source)' as \(parsed)")
        } catch let error as SliceExpressionError {
            #expect("\(error)".contains(fragment), "'\(source)' gave: \(error)")
        } catch {
            Issue.record("unexpected error type \(error)")
        }
    }

    @Test func unknownAttributeFailsAtEvaluation() throws {
        let expression = try SliceExpression(parsing: "height > 3")
        #expect(throws: SliceExpressionError.unknownAttribute("height", available: Self.child.keys.sorted())) {
            try expression.evaluate(Self.child)
        }
    }

    @Test func orderingNeedsNumbers() throws {
        let expression = try SliceExpression(parsing: "sex < 'm'")
        #expect(throws: SliceExpressionError.self) { try expression.evaluate(Self.child) }
    }
}
