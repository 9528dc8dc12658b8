import Foundation
import StratumCore
import StratumTesting
import Testing

/// The checks other tests rely on fail when they should: each planted fault is caught.
@Suite struct VerifierTests {
    /// A classifier with one planted fault (or none), for the conformance checker.
    final class Faulty: ImageClassifier, @unchecked Sendable {
        // Invariant: `calls` is only touched under `lock`.
        let descriptor = ModelDescriptor(name: "faulty", kind: "test", labels: ["a", "b"], input: InputSpec(width: 2, height: 2, channels: 1), contentHash: "x")
        let fault: String
        private let lock = NSLock()
        private var calls = 0

        init(_ fault: String) { self.fault = fault }

        func predict(_ batch: ImageBatch) throws -> [[Float]] {
            lock.lock(); calls += 1; let call = calls; lock.unlock()
            struct Planted: Error {}
            if fault == "throwsAfterFirstCall" && call > 1 { throw Planted() }
            return (0..<batch.count).map { index -> [Float] in
                var p = batch.image(index).reduce(0, +) / Float(batch.imageSize)
                switch fault {
                case "nondeterministic": p = min(1, p + Float(call) * 0.01)
                case "dependsOnBatchSize": p = min(1, p * Float(batch.count) / 4)
                case "nanInSecondRow" where index == 1: return [.nan, 1]
                case "ignoresOrder": p = batch.image(0).reduce(0, +) / Float(batch.imageSize) + Float(index) * 0.01
                default: break
                }
                return [1 - p, p]
            }
        }
    }

    static let batch = ImageBatch(count: 4, height: 2, width: 2, channels: 1, values: (0..<16).map { Float($0) / 20 })

    @Test func aConformingClassifierPasses() {
        #expect(ClassifierConformance.violations(of: Faulty("none"), on: Self.batch).isEmpty)
    }

    @Test(arguments: ["throwsAfterFirstCall", "nondeterministic", "dependsOnBatchSize", "nanInSecondRow", "ignoresOrder"])
    func conformanceCatchesAPlantedFault(_ fault: String) {
        #expect(!ClassifierConformance.violations(of: Faulty(fault), on: Self.batch).isEmpty, "\(fault) passed the conformance check")
    }

    @Test func worstErrorSeesNaNAnywhereAndMismatchedCounts() {
        #expect(worstError([1, 2, 3], [1, 2, 3]) == 0)
        #expect(worstError([1, .nan, 3], [1, 2, 3]) == .infinity)
        #expect(worstError([1, 2, .nan], [1, 2, 3]) == .infinity)
        #expect(worstError([1, 2], [1, 2, 3]) == .infinity)
        #expect(worstError([], []) == .infinity)
        // What the old reduction did: max() over errors skips a NaN that is not first.
        #expect([Float(0), .nan].max() == 0)
    }

    @Test func fixtureAccessThrowsOnARenamedKey() {
        let object: [String: Any] = ["cases": [[String: Any]](), "values": [1.0]]
        #expect(throws: Fixture.Missing.self) { try Fixture.list(object, "cases", of: [String: Any].self) }
        #expect(throws: Fixture.Missing.self) { try Fixture.list(object, "case", of: [String: Any].self) }
        #expect((try? Fixture.list(object, "values", of: Double.self)) == [1.0])
    }
}
