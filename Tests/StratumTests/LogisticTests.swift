import Foundation
import StratumCore
import StratumModelLogistic
import StratumTesting
import Testing

/// The logistic fit against scikit-learn's LogisticRegression (fixture: scripts/sklearn_reference.py).
@Suite struct LogisticTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var c: Double
        var x: [[Double]]
        var y: [Int]
        var classes: Int
        var coef: [[Double]]
        var intercept: [Double]
        var proba: [[Double]]
        var objective: Double
        var testDescription: String { name }
    }

    static let cases: [Case] = {
        guard let root = try? TestSupport.json("sklearn/logistic.json") as? [String: Any], let cases = root["cases"] as? [[String: Any]] else { return [] }
        // A case with a missing or renamed key is dropped, and `fixtureIsPresent` fails.
        return cases.compactMap { c in
            try? Case(name: Fixture.value(c, "name"), c: Fixture.value(c, "C"), x: Fixture.list(c, "X"), y: Fixture.list(c, "y"),
                      classes: Fixture.value(c, "classes"), coef: Fixture.list(c, "coef"), intercept: Fixture.list(c, "intercept"),
                      proba: Fixture.list(c, "predict_proba"), objective: Fixture.value(c, "objective"))
        }
    }()

    @Test func fixtureIsPresent() throws {
        let root = try TestSupport.json("sklearn/logistic.json")
        #expect(Self.cases.count == (try Fixture.list(root, "cases", of: [String: Any].self)).count, "every fixture case reads completely")
        #expect(Self.cases.count >= 4)
        #expect(Self.cases.contains { $0.classes > 2 })
    }

    /// Tolerances: scikit-learn's lbfgs stops at a gradient of ~1e-7, ≤ 4e-8 from the exact optimum;
    /// we converge to 1e-10. So coefficients agree to 1e-6 and probabilities to 1e-7.
    @Test(arguments: cases)
    func fitAgreesWithScikitLearn(_ c: Case) throws {
        let d = c.x.first?.count ?? 0
        let (model, report) = try LogisticRegression.fit(x: c.x.flatMap { $0 }, featureCount: d, y: c.y, classCount: c.classes, c: c.c, gradientTolerance: 1e-10)
        #expect(report.converged)
        #expect(abs(report.objective - c.objective) <= 1e-9 * max(1, abs(c.objective)), "objective \(report.objective) vs \(c.objective)")
        #expect(model.coefficients.count == c.coef.count)
        for (ours, theirs) in zip(model.coefficients.joined(), c.coef.joined()) {
            #expect(abs(ours - theirs) <= 1e-6, "coefficient \(ours) vs \(theirs)")
        }
        // scikit-learn leaves multinomial intercepts un-centred (sum ≈ 0 by construction); compare centred.
        let mean = c.intercept.count > 1 ? c.intercept.reduce(0, +) / Double(c.intercept.count) : 0
        for (ours, theirs) in zip(model.intercepts, c.intercept) { #expect(abs(ours - (theirs - mean)) <= 1e-6) }
        for (row, expected) in zip(c.x, c.proba) {
            for (p, q) in zip(model.probabilities(row[...]), expected) { #expect(abs(p - q) <= 1e-7) }
        }
    }

    @Test func fitIsDeterministic() throws {
        let c = try #require(Self.cases.first)
        let d = c.x[0].count
        let a = try LogisticRegression.fit(x: c.x.flatMap { $0 }, featureCount: d, y: c.y, classCount: c.classes, c: c.c)
        let b = try LogisticRegression.fit(x: c.x.flatMap { $0 }, featureCount: d, y: c.y, classCount: c.classes, c: c.c)
        #expect(a.model == b.model)
    }

    @Test(arguments: [
        ("no samples", [Double](), 0, [Int](), 2, 1.0),
        ("one class", [0.0, 1.0], 1, [0, 0], 1, 1.0),
        ("label out of range", [0.0, 1.0], 1, [0, 2], 2, 1.0),
        ("non-finite feature", [0.0, .nan], 1, [0, 1], 2, 1.0),
        ("non-positive C", [0.0, 1.0], 1, [0, 1], 2, 0.0),
    ])
    func badInputIsRejected(_ name: String, _ x: [Double], _ d: Int, _ y: [Int], _ k: Int, _ c: Double) {
        #expect(throws: LogisticFitError.self, "\(name)") { try LogisticRegression.fit(x: x, featureCount: max(d, 1), y: y, classCount: k, c: c) }
    }

    /// Fits a tiny 2×2 RGB model through the loader, writes it, loads it back and runs the conformance checks.
    @Test func modelFileRoundTripsAndConforms() throws {
        let directory = try TestSupport.temporaryDirectory()
        let path = directory.appendingPathComponent("model.json")
        let spec = ModelSpec(name: "tiny", kind: "logistic", path: path, options: ["size": "2", "channels": "3", "C": "0.5"])
        let loader = LogisticLoader()
        var examples: [TrainingExample] = []
        for i in 0..<40 {
            let bright = i % 2 == 0
            let base: Float = bright ? 0.7 : 0.3
            examples.append(TrainingExample(values: (0..<12).map { base + Float(($0 * 7 + i * 3) % 11) / 40 }, label: bright ? "light" : "dark"))
        }
        let summary = try loader.fit(spec, labels: ["dark", "light"], examples: examples,
                                     provenance: FitProvenance(kind: "logistic", options: spec.options, manifestHash: "m", labelColumn: "label", trainSplit: "train", labels: ["dark", "light"]))
        #expect(summary.converged)
        let classifier = try loader.load(spec)
        #expect(classifier.descriptor.labels == ["dark", "light"])
        #expect(classifier.descriptor.input == InputSpec(width: 2, height: 2, channels: 3, normalization: .unit))
        #expect(classifier.descriptor.contentHash == SHA256.hex(try Data(contentsOf: path)))
        let batch = ImageBatch(count: 3, height: 2, width: 2, channels: 3, values: examples.prefix(3).flatMap(\.values))
        #expect(ClassifierConformance.violations(of: classifier, on: batch).isEmpty)
        let rows = try classifier.predict(batch)
        #expect(rows.map(\.argmax) == [1, 0, 1])
    }

    static let malformedFiles: [(String, String)] = [
        ("not JSON", "not valid JSON"),
        ("{\"format\": \"stratum-logistic\"}", "missing field"),
        (#"{"format":"other","version":1,"labels":["a","b"],"input":{"width":1,"height":1,"channels":1,"normalization":"unit","centerCrop":false},"standardization":{"mean":[0],"scale":[1]},"C":1,"coef":[[1]],"intercept":[0]}"#, "expected 'stratum-logistic'"),
        (#"{"format":"stratum-logistic","version":1,"labels":["a","b"],"input":{"width":1,"height":1,"channels":1,"normalization":"unit","centerCrop":false},"standardization":{"mean":[0],"scale":[1]},"C":1,"coef":[[1, 2]],"intercept":[0]}"#, "coef must be 1×1"),
        (#"{"format":"stratum-logistic","version":2,"labels":["a","b"],"input":{"width":1,"height":1,"channels":1,"normalization":"unit","centerCrop":false},"standardization":{"mean":[0],"scale":[1]},"C":1,"coef":[[1]],"intercept":[0]}"#, "version 2"),
        (#"{"format":"stratum-logistic","version":1,"labels":["a","a"],"input":{"width":1,"height":1,"channels":1,"normalization":"unit","centerCrop":false},"standardization":{"mean":[0],"scale":[1]},"C":1,"coef":[[1]],"intercept":[0]}"#, "distinct"),
    ]

    @Test(arguments: malformedFiles)
    func malformedModelFileNamesFileAndProblem(_ text: String, _ fragment: String) throws {
        let url = try TestSupport.temporaryDirectory().appendingPathComponent("model.json")
        try TestSupport.write(text, to: url)
        let error = try #require(throws: LogisticModelError.self) { try LogisticLoader().load(ModelSpec(name: "m", kind: "logistic", path: url)) }
        #expect(error.file == url.path)
        #expect(error.description.contains(fragment), "\(error)")
    }
}
