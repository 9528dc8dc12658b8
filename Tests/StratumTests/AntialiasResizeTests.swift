import Foundation
import StratumCore
import StratumImaging
import Testing

/// `resize_shorter` and `RGBImage.antialiasResized` against torchvision and Pillow: the cases of
/// `Tests/Fixtures/images/antialias/expected.json`, made by `scripts/make_resize_fixtures.py`
/// (Pillow's `Image.resize(BILINEAR)`, and torchvision's `Resize` + `CenterCrop`, which gave the
/// same pixels). Exact: the same fixed-point arithmetic gives the same bytes.
@Suite struct AntialiasResizeTests {
    static let folder = TestSupport.fixtures.appendingPathComponent("images/antialias")

    struct Case: Sendable, CustomStringConvertible {
        var kind: String
        var source: String
        var expected: String
        var shorter = 0, crop = 0, width = 0, height = 0
        var description: String { expected }
    }

    static let cases: [Case] = {
        guard let object = try? TestSupport.json("images/antialias/expected.json") as? [String: Any],
              let list = object["cases"] as? [[String: Any]] else { return [] }
        return list.compactMap { entry in
            guard let kind = entry["kind"] as? String, let source = entry["source"] as? String, let expected = entry["expected"] as? String else { return nil }
            return Case(kind: kind, source: source, expected: expected, shorter: entry["shorter"] as? Int ?? 0, crop: entry["crop"] as? Int ?? 0,
                        width: entry["width"] as? Int ?? 0, height: entry["height"] as? Int ?? 0)
        }
    }()

    @Test func everyKindOfCaseIsThere() {
        #expect(Self.cases.filter { $0.kind == "shorter" }.count >= 4 && Self.cases.filter { $0.kind == "resize" }.count >= 3)
    }

    @Test(arguments: cases)
    func matchesTheReference(_ fixture: Case) throws {
        let image = try ImageFile.read(Self.folder.appendingPathComponent(fixture.source))
        let expected = try ImageFile.read(Self.folder.appendingPathComponent(fixture.expected))
        let got: [Int]
        if fixture.kind == "shorter" {
            // The onnx kind's resize_shorter pipeline, unnormalised: values are the 8-bit samples.
            let spec = InputSpec(width: fixture.crop, height: fixture.crop, normalization: .raw, resizeShorter: fixture.shorter)
            got = Preprocessor.prepare(image, for: spec).map { Int($0) }
        } else {
            let resized = image.antialiasResized(width: fixture.width, height: fixture.height)
            #expect(resized.width == expected.width && resized.height == expected.height)
            got = resized.pixels.map(Int.init)
        }
        let want = expected.pixels.map(Int.init)
        #expect(got.count == want.count)
        let worst = zip(got, want).map { abs($0 - $1) }.max() ?? 0
        #expect(worst == 0, "\(fixture): largest difference \(worst) levels, \(zip(got, want).filter { $0 != $1 }.count) of \(want.count) values")
    }
}
