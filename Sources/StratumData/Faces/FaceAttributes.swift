/// Ground-truth labels of one synthetic face, all as plain strings, ints and bools.
///
/// Values come from the fixed vocabularies below (`sexes`, `ageGroups`, ...). `ageGroup` is
/// always derived from `age` by `ageGroup(forAge:)`. `split` is assigned per face at random
/// (about 70% "train", 15% "val", 15% "test"), so split sizes vary slightly with the seed.
public struct FaceAttributes: Sendable, Equatable, Hashable {
    /// "female" or "male".
    public let sex: String
    /// Age in whole years, 3...85.
    public let age: Int
    /// "child" (< 13), "teen" (13–19), "adult" (20–59) or "senior" (60+).
    public let ageGroup: String
    /// "short", "medium" or "long".
    public let hairLength: String
    /// Fitzpatrick-style skin tone "I" (lightest) ... "VI" (darkest).
    public let skinTone: String
    /// Whether the face wears glasses.
    public let glasses: Bool
    /// Whether the face has a beard, moustache or stubble (only ever true for males 13+).
    public let facialHair: Bool
    /// "train", "val" or "test".
    public let split: String

    /// The sex vocabulary.
    public static let sexes = ["female", "male"]
    /// The age-group vocabulary, youngest first.
    public static let ageGroups = ["child", "teen", "adult", "senior"]
    /// The hair-length vocabulary, shortest first.
    public static let hairLengths = ["short", "medium", "long"]
    /// The skin-tone vocabulary, lightest first.
    public static let skinTones = ["I", "II", "III", "IV", "V", "VI"]
    /// The split vocabulary.
    public static let splits = ["train", "val", "test"]

    /// Creates attributes; `ageGroup` is computed from `age`.
    public init(
        sex: String, age: Int, hairLength: String, skinTone: String,
        glasses: Bool, facialHair: Bool, split: String
    ) {
        self.sex = sex
        self.age = age
        self.ageGroup = FaceAttributes.ageGroup(forAge: age)
        self.hairLength = hairLength
        self.skinTone = skinTone
        self.glasses = glasses
        self.facialHair = facialHair
        self.split = split
    }

    /// Maps an age in years to "child", "teen", "adult" or "senior".
    public static func ageGroup(forAge age: Int) -> String {
        if age < 13 { return "child" }
        if age < 20 { return "teen" }
        if age < 60 { return "adult" }
        return "senior"
    }

    /// True when `sex == "female"`.
    public var isFemale: Bool { sex == "female" }

    /// All attributes as strings keyed by their property name (bools as "true"/"false").
    public var labels: [String: String] {
        [
            "sex": sex, "age": String(age), "ageGroup": ageGroup, "hairLength": hairLength,
            "skinTone": skinTone, "glasses": glasses ? "true" : "false",
            "facialHair": facialHair ? "true" : "false", "split": split,
        ]
    }

    /// Draws one face's attributes from the population the renderer models.
    ///
    /// P(female) = 0.66; age groups child/teen/adult/senior ≈ 18/10/57/15%; hair length is
    /// strongly but imperfectly tied to sex (weakly for children); skin tone is independent
    /// of sex; glasses (~20%) depend only on age; facial hair only for males 13+.
    static func sample(_ rng: inout FaceRandom) -> FaceAttributes {
        let female = rng.chance(0.66)
        let group = rng.index(weights: [0.18, 0.10, 0.57, 0.15])
        let age: Int
        switch group {
        case 0: age = rng.int(in: 3...12)
        case 1: age = rng.int(in: 13...19)
        case 2: age = rng.int(in: 20...59)
        default: age = rng.int(in: 60...85)
        }
        // Weights for (short, medium, long) by age group and sex.
        let hairWeights: [Double]
        switch (group, female) {
        case (0, true): hairWeights = [0.30, 0.35, 0.35]
        case (0, false): hairWeights = [0.55, 0.30, 0.15]
        case (1, true): hairWeights = [0.12, 0.28, 0.60]
        case (1, false): hairWeights = [0.70, 0.18, 0.12]
        case (2, true): hairWeights = [0.17, 0.30, 0.53]
        case (2, false): hairWeights = [0.78, 0.12, 0.10]
        case (_, true): hairWeights = [0.26, 0.40, 0.34]
        default: hairWeights = [0.86, 0.09, 0.05]
        }
        let hair = hairLengths[rng.index(weights: hairWeights)]
        let tone = skinTones[rng.index(weights: [0.14, 0.20, 0.20, 0.18, 0.15, 0.13])]
        let glasses = rng.chance([0.08, 0.15, 0.20, 0.38][group])
        let beardChance = female ? 0.0 : [0.0, 0.06, 0.35, 0.35][group]
        let facialHair = rng.chance(beardChance)
        let u = rng.nextDouble()
        let split = u < 0.70 ? "train" : (u < 0.85 ? "val" : "test")
        return FaceAttributes(
            sex: female ? "female" : "male", age: age, hairLength: hair, skinTone: tone,
            glasses: glasses, facialHair: facialHair, split: split)
    }
}
