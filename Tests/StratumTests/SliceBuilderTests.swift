import Foundation
import StratumCore
import StratumData
import Testing

@Suite struct SliceBuilderTests {
    static func sample(_ id: Int, age: Int, hair: String, sex: String) -> Sample {
        Sample(id: "s\(id)", url: URL(fileURLWithPath: "/d/\(id).png"), relativePath: "\(id).png", label: sex, split: "test",
               attributes: ["age": String(age), "hair_length": hair, "sex": sex, "age_group": age < 13 ? "child" : "adult"], line: id + 2)
    }

    static let samples: [Sample] = [
        sample(0, age: 5, hair: "short", sex: "male"), sample(1, age: 8, hair: "long", sex: "female"),
        sample(2, age: 30, hair: "short", sex: "female"), sample(3, age: 45, hair: "long", sex: "male"),
        sample(4, age: 10, hair: "short", sex: "female"), sample(5, age: 60, hair: "short", sex: "male"),
    ]

    @Test func slicesMatchHandBuiltMasks() throws {
        let spec = SliceSpec(by: ["hair_length"], named: [("children", "age < 13")], intersections: true, minSize: 1)
        let (slices, skipped) = try SliceBuilder.build(spec, samples: Self.samples)
        #expect(skipped.isEmpty)
        let byName = Dictionary(uniqueKeysWithValues: slices.map { ($0.name, $0.members) })
        // Masks built by hand from the table above.
        let short = Self.samples.indices.filter { Self.samples[$0].attributes["hair_length"] == "short" }
        let children = Self.samples.indices.filter { Int(Self.samples[$0].attributes["age"] ?? "") ?? 99 < 13 }
        #expect(slices.first?.name == "overall")
        #expect(byName["overall"] == Array(Self.samples.indices))
        #expect(byName["hair_length=short"] == short)
        #expect(byName["children"] == children)
        #expect(byName["hair_length=short & children"] == short.filter(children.contains))
        #expect(byName["hair_length=long & children"] == [1])
        #expect(slices.count == 1 + 3 + 2)
    }

    @Test func noIntersectionOfTwoValuesOfOneAttribute() throws {
        let spec = SliceSpec(by: ["hair_length", "sex"], intersections: true)
        let (slices, _) = try SliceBuilder.build(spec, samples: Self.samples)
        #expect(!slices.contains { $0.name.contains("hair_length=short & hair_length=long") })
        #expect(slices.contains { $0.name == "hair_length=long & sex=male" })
    }

    @Test func smallSlicesAreSkippedButOverallIsKept() throws {
        let spec = SliceSpec(by: ["hair_length"], named: [("children", "age < 13")], intersections: true, minSize: 3)
        let (slices, skipped) = try SliceBuilder.build(spec, samples: Array(Self.samples.prefix(2)))
        #expect(slices.map(\.name) == ["overall"])
        #expect(skipped.contains(SkippedSlice(name: "children", size: 2)))
    }

    @Test func intersectionsEqualToASideAreDropped() throws {
        // Every child is in age_group=child, so `age_group=child & children` adds nothing.
        let spec = SliceSpec(by: ["age_group"], named: [("children", "age < 13")], intersections: true)
        let (slices, _) = try SliceBuilder.build(spec, samples: Self.samples)
        #expect(slices.map(\.name) == ["overall", "age_group=adult", "age_group=child", "children"])
    }

    /// Names two slices would share stop the run before any prediction (`check`, which runs
    /// call first), not after all of them (`build`, at the metrics): a named slice called
    /// `overall` or `age_group=child`, and an intersection name that an attribute value spells
    /// out. Names that only could collide, through an empty intersection, still pass.
    @Test(arguments: [
        (SliceSpec(by: ["age_group"], named: [("overall", "age < 13")]), true),
        (SliceSpec(by: ["age_group"], named: [("age_group=child", "age < 13")]), true),
        (SliceSpec(by: ["age_group", "hair_length"], named: [("age_group=child & hair_length=short", "age < 13")]), true),
        (SliceSpec(by: ["age_group", "hair_length"], named: [("kids", "age < 13")]), false),
        // age_group=adult & sex=… would be spelt by this name, but no adult sample is named so: no slice collides.
        (SliceSpec(by: ["age_group"], named: [("age_group=child & nobody", "age > 200"), ("nobody", "age > 200")]), false),
    ])
    func duplicateSliceNamesStopTheCheck(_ spec: SliceSpec, refused: Bool) throws {
        let built = Result { try SliceBuilder.build(spec, samples: Self.samples) }
        let checked = Result { try SliceBuilder.check(spec, samples: Self.samples) }
        if case .failure(let error) = built { #expect(refused, "build refused \(error)") } else { #expect(!refused, "build passed") }
        switch (checked, built) {
        case (.failure, .failure), (.success, .success): break
        default: Issue.record("check and build disagree: \(checked) vs \(built)")
        }
    }

    @Test func missingAttributeIsAnError() {
        #expect(throws: SliceBuildError.missingAttribute("glasses", sampleID: "s0")) {
            try SliceBuilder.build(SliceSpec(by: ["glasses"]), samples: Self.samples)
        }
    }
}
