/// Deterministic SplitMix64 pseudo-random generator for the synthetic-faces renderer.
///
/// Every value it produces depends only on the seed: it uses integer arithmetic and exact
/// IEEE operations (`+ - * /`, `squareRoot`), never libm transcendental functions, so the same
/// seed gives bit-identical streams on any x86-64 or arm64 machine and in debug or release.
/// It deliberately does not conform to `RandomNumberGenerator`: the standard library's
/// sampling algorithms (`Int.random(in:using:)`, `shuffled(using:)`) are not promised to stay
/// the same across Swift releases, so use the methods here instead.
public struct FaceRandom: Sendable, Equatable {
    /// The current SplitMix64 state; the next output is derived from `state &+ golden`.
    public private(set) var state: UInt64

    /// The 64-bit golden-ratio increment of SplitMix64.
    public static let golden: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// Creates a generator whose first output is fully determined by `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    /// Creates a generator for one numbered stream of a seed (for example one face index).
    ///
    /// Both inputs pass through the SplitMix64 finaliser, so streams of neighbouring
    /// indices start at unrelated points of the sequence and do not overlap in practice.
    public init(seed: UInt64, stream: UInt64) {
        state = FaceRandom.mix(seed ^ FaceRandom.mix(stream &+ 0x632B_E59B_D9B4_E019))
    }

    /// The SplitMix64 output finaliser: a bijective 64-bit integer hash.
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Advances the state and returns the next 64 uniformly distributed bits.
    public mutating func next() -> UInt64 {
        state = state &+ FaceRandom.golden
        return FaceRandom.mix(state)
    }

    /// Returns a uniform `Double` in `[0, 1)` with 53 random bits.
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Returns a uniform `Double` in `[lower, upper)`.
    public mutating func uniform(_ lower: Double, _ upper: Double) -> Double {
        lower + (upper - lower) * nextDouble()
    }

    /// Returns a uniform integer in `range` (multiply-shift; bias below 2^-50 for small ranges).
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        let span = UInt64(bitPattern: Int64(range.upperBound &- range.lowerBound)) &+ 1
        if span == 0 { return Int(truncatingIfNeeded: next()) }
        let offset = next().multipliedFullWidth(by: span).high
        return range.lowerBound &+ Int(truncatingIfNeeded: offset)
    }

    /// Returns `true` with probability `probability` (clamped to `[0, 1]` by construction).
    public mutating func chance(_ probability: Double) -> Bool {
        nextDouble() < probability
    }

    /// Returns an approximately standard-normal deviate (Irwin–Hall: 12 uniforms minus 6).
    ///
    /// The result lies in `[-6, 6]`; tails beyond about 3.5 sigma are thinner than Gaussian.
    /// It consumes exactly 12 outputs of `next()`.
    public mutating func normal() -> Double {
        var sum = 0.0
        var i = 0
        while i < 12 {
            sum += nextDouble()
            i += 1
        }
        return sum - 6.0
    }

    /// Returns an approximately normal deviate with the given mean and standard deviation.
    public mutating func normal(mean: Double, sd: Double) -> Double {
        mean + sd * normal()
    }

    /// Returns an index drawn with probability proportional to `weights` (non-negative).
    ///
    /// Consumes one output. Returns the last index when rounding leaves the draw unmatched
    /// (including an all-zero list), and 0 for an empty list.
    public mutating func index(weights: [Double]) -> Int {
        var total = 0.0
        for w in weights { total += w }
        let target = nextDouble() * total
        var running = 0.0
        for (i, w) in weights.enumerated() {
            running += w
            if target < running { return i }
        }
        return weights.isEmpty ? 0 : weights.count - 1
    }
}
