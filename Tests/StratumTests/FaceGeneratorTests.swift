import Foundation
import StratumCore
import StratumData
import StratumImaging
import Testing

@Suite struct FaceGeneratorTests {
    /// All file digests of a generated folder, by relative path.
    static func digests(_ directory: URL) throws -> [String: String] {
        var result: [String: String] = [:]
        for relative in FileManager.default.subpaths(atPath: directory.path) ?? [] where relative.hasSuffix(".png") || relative.hasSuffix(".csv") {
            result[relative] = SHA256.hex(try Data(contentsOf: directory.appendingPathComponent(relative)))
        }
        return result
    }

    @Test func sameSeedGivesTheSameBytes() throws {
        let a = try TestSupport.temporaryDirectory(), b = try TestSupport.temporaryDirectory(), c = try TestSupport.temporaryDirectory()
        try FaceDatasetWriter.write(count: 40, seed: 5, size: 64, to: a)
        try FaceDatasetWriter.write(count: 40, seed: 5, size: 64, to: b)
        try FaceDatasetWriter.write(count: 40, seed: 6, size: 64, to: c)
        let digestsA = try Self.digests(a)
        #expect(digestsA.count == 41)
        #expect(digestsA == (try Self.digests(b)))
        #expect(digestsA != (try Self.digests(c)))
    }

    @Test func facesDependOnlyOnSeedAndIndex() {
        let renderer = FaceRenderer(seed: 3, size: 48)
        let forward = (0..<6).map { renderer.face(index: $0).pixels }
        let backward = (0..<6).reversed().map { renderer.face(index: $0).pixels }.reversed()
        #expect(forward == Array(backward))
    }

    @Test func manifestValidatesAndHasTheDocumentedColumns() throws {
        let directory = try TestSupport.temporaryDirectory()
        let manifest = try FaceDatasetWriter.write(count: 30, seed: 1, size: 48, to: directory)
        let dataset = try ManifestReader.read(manifest, columns: ManifestColumns(label: "sex"), allowedLabels: ["female", "male"])
        #expect(dataset.columns == FaceDatasetWriter.columns)
        #expect(dataset.samples.count == 30)
        let image = try ImageFile.read(dataset.samples[0].url)
        #expect(image.width == 48 && image.height == 48)
    }

    @Test func populationHasTheStudysShape() {
        let renderer = FaceRenderer(seed: 7)
        let attributes = (0..<2000).map { renderer.attributes(index: $0) }
        let female = Double(attributes.filter(\.isFemale).count) / 2000
        #expect(abs(female - 0.66) < 0.04, "female share \(female)")
        let children = attributes.filter { $0.ageGroup == "child" }
        #expect(children.allSatisfy { $0.age < 13 } && children.count > 200)
        #expect(Set(attributes.map(\.split)) == ["train", "val", "test"])
        // Hair length is a strong but imperfect prior.
        #expect(attributes.contains { $0.isFemale && $0.hairLength == "short" })
        #expect(attributes.contains { !$0.isFemale && $0.hairLength == "long" })
        #expect(!attributes.contains { $0.isFemale && $0.facialHair })
    }
}

@Suite struct FaceGoldenTests {
    /// Pins the bytes of one face so any change to the renderer (or a platform difference in
    /// arithmetic) is caught: FNV-1a-64 of seed 42, size 96, face 0.
    @Test func faceBytesArePinned() {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in FaceRenderer(seed: 42, size: 96).face(index: 0).pixels {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        #expect(hash == 0xdb8e_a583_0765_37a6)
    }
}
