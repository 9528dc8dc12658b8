@testable import StratumRunner
import Testing

/// `compare`'s experiment-file diff: lines in file order, each removal where it stood.
@Suite struct LineDiffTests {
    struct Case: Sendable, CustomStringConvertible {
        var description: String
        var old: [String]
        var new: [String]
        var expected: [String]
    }

    static let cases: [Case] = [
        Case(description: "two lines removed, in file order", old: ["# head", "a", "b", "c"], new: ["c"],
             expected: ["  - # head", "  - a", "  - b"]),
        Case(description: "a line replaced", old: ["name: x", "batch_size: 32"], new: ["name: x", "batch_size: 8"],
             expected: ["  - batch_size: 32", "  + batch_size: 8"]),
        Case(description: "added at both ends", old: ["m"], new: ["a", "m", "z"], expected: ["  + a", "  + z"]),
        Case(description: "no change", old: ["a", "b"], new: ["a", "b"], expected: []),
        Case(description: "everything replaced", old: ["a", "b"], new: ["c"], expected: ["  - a", "  - b", "  + c"]),
    ]

    @Test(arguments: cases)
    func diffLinesComeInFileOrder(_ c: Case) {
        #expect(RunComparison.lineDiff(from: c.old, to: c.new) == c.expected)
    }
}
