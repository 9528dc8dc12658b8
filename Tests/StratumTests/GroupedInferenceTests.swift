import Foundation
import StratumCore
@testable import StratumEngine
import Synchronization
import Testing

/// `GroupedInference`: groups give the rows one image at a time would, and a model that cannot
/// take groups (it fails on them, or mixes its images) is found out and run image by image.
@Suite struct GroupedInferenceTests {
    struct Failure: Error, Equatable { let shape: [Int] }

    /// 16 images of 2×2×1; image i holds the value i everywhere.
    static let batch = ImageBatch(count: 16, height: 2, width: 2, channels: 1, values: (0..<16).flatMap { [Float](repeating: Float($0), count: 4) })

    /// Per image: [mean, 1 − mean / 100].
    static func perImage(_ images: Tensor) -> Tensor {
        let size = images.count / images.shape[0]
        let rows = (0..<images.shape[0]).flatMap { i -> [Float] in
            let mean = images.data[(i * size)..<((i + 1) * size)].reduce(0, +) / Float(size)
            return [mean, 1 - mean / 100]
        }
        return Tensor(shape: [images.shape[0], 2], data: rows)
    }

    static let expected: [[Float]] = (0..<16).map { [Float($0), 1 - Float($0) / 100] }

    enum Model: String, CaseIterable, CustomTestStringConvertible {
        case takesGroups, failsOnGroups, mixesImages, fixedBatch
        var testDescription: String { rawValue }
    }

    @Test(arguments: Model.allCases)
    func groupedRowsMatchOneImageAtATime(_ model: Model) throws {
        let runs = Mutex<[Int]>([])
        let grouping = GroupedInference.Grouping(allowed: model != .fixedBatch)
        for _ in 0..<2 {
            let rows = try GroupedInference.predict(Self.batch, classes: 2, grouping: grouping, wrongSize: { Failure(shape: $0) }, run: { images in
                runs.withLock { $0.append(images.shape[0]) }
                switch model {
                case .takesGroups, .fixedBatch: return Self.perImage(images)
                case .failsOnGroups:
                    if images.shape[0] > 1 { throw Failure(shape: images.shape) }
                    return Self.perImage(images)
                case .mixesImages:
                    // Every row the group's mean: plausible numbers, wrong ones.
                    let mean = images.data.reduce(0, +) / Float(images.count)
                    return Tensor(shape: [images.shape[0], 2], data: (0..<images.shape[0]).flatMap { _ in [mean, 1 - mean / 100] })
                }
            }, check: { $0 })
            #expect(rows == Self.expected)
        }
        let sizes = runs.withLock { $0 }
        switch model {
        case .takesGroups: #expect(sizes.contains(4) && sizes.filter { $0 == 1 }.count <= 2, "\(sizes)")
        case .fixedBatch: #expect(sizes.allSatisfy { $0 == 1 }, "\(sizes)")
        case .failsOnGroups, .mixesImages:
            // Found out on the first group; one image per run from then on, on the second batch too.
            #expect(sizes.filter { $0 > 1 }.count <= 2 && sizes.suffix(16).allSatisfy { $0 == 1 }, "\(sizes)")
        }
    }

    @Test func aFailingImageFailsAloneAndOthersKeepTheirRows() throws {
        let grouping = GroupedInference.Grouping(allowed: true)
        let rows = ConcurrentResultsProbe()
        let error = try #require(throws: Failure.self) {
            try GroupedInference.predict(Self.batch, classes: 2, grouping: grouping, wrongSize: { Failure(shape: $0) }, run: { images in
                Self.perImage(images)
            }, check: { row in
                rows.add(row)
                if row[0] == 6 { throw Failure(shape: [6]) }
                return row
            })
        }
        #expect(error == Failure(shape: [6]))
        #expect(rows.count == 16)
    }

    @Test func wrongOutputSizeIsReportedWithItsShape() throws {
        let grouping = GroupedInference.Grouping(allowed: true)
        let error = try #require(throws: Failure.self) {
            try GroupedInference.predict(Self.batch, classes: 3, grouping: grouping, wrongSize: { Failure(shape: $0) }, run: { images in
                Self.perImage(images)
            }, check: { $0 })
        }
        #expect(error == Failure(shape: [1, 2]))
    }

    final class ConcurrentResultsProbe: @unchecked Sendable {
        private let lock = NSLock()
        private var rows: [[Float]] = []
        func add(_ row: [Float]) { lock.lock(); rows.append(row); lock.unlock() }
        var count: Int { lock.lock(); defer { lock.unlock() }; return rows.count }
    }
}
