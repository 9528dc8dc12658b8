import Foundation
import StratumMetrics

/// Finds the slices (conjunctions of attribute = value, up to `maxDegree` of them) where a
/// variant errs most, without being told which to look at.
///
/// Attributes: every attribute with 2 or more values among the samples. An attribute whose
/// values all parse as numbers and that has more than `numericBinThreshold` distinct values is
/// binned at its quartiles (of the samples' values) into at most four half-open bins named
/// `age∈[25, 42)` (the last bin closed).
///
/// Two rankings:
/// - `.significance` (default): each slice with at least `minSupport` samples is tested against
///   its complement with Fisher's exact test on the 2 × 2 table (errors / correct × inside /
///   outside) — exact at any size, so small slices are not judged by a normal approximation the
///   z-test needs; the p-values of every tested slice are corrected together with
///   Benjamini–Hochberg (false discovery control, as Slice Finder does); slices with identical
///   members are merged into one (the shortest definition names it, the rest are listed as
///   aliases); the weak ones (more errors inside than outside) are ranked by effect size, the
///   accuracy inside minus outside, most negative first.
/// - `.sliceline(alpha:k:)`: SliceLine's score (Sagadeeva & Boehm, SIGMOD 2021), with the
///   same top-k rule as the `sliceline` package 0.3.0: every slice with support ≥ minSupport and
///   score > 0 whose competition rank is ≤ k, ties ordered as that package orders them.
public enum SliceDiscovery {
    public enum Scoring: Sendable, Equatable {
        case significance
        case sliceline(alpha: Double, k: Int)
    }

    public struct Settings: Sendable, Equatable {
        public var maxDegree: Int
        public var minSupport: Int
        public var scoring: Scoring
        /// False discovery rate of the significance ranking.
        public var alpha: Double
        public var numericBinThreshold: Int

        public init(maxDegree: Int = 2, minSupport: Int = 10, scoring: Scoring = .significance, alpha: Double = 0.05, numericBinThreshold: Int = 8) {
            self.maxDegree = maxDegree
            self.minSupport = minSupport
            self.scoring = scoring
            self.alpha = alpha
            self.numericBinThreshold = numericBinThreshold
        }
    }

    /// One predicate: attribute `feature` has value `value`.
    public struct Predicate: Sendable, Hashable, Codable {
        public var attribute: String
        public var value: String
        public var description: String { "\(attribute)=\(value)" }
    }

    public struct Found: Sendable, Codable, Equatable {
        /// `a=x & b=y`.
        public var name: String
        public var predicates: [Predicate]
        /// Other definitions with exactly the same members.
        public var aliases: [String]
        public var size: Int
        public var errors: Int
        public var accuracy: Double
        /// 95% Wilson interval of the accuracy.
        public var accuracyLow: Double
        public var accuracyHigh: Double
        /// Accuracy inside minus accuracy outside the slice.
        public var effect: Double
        public var p: Double?
        public var adjustedP: Double?
        public var significant: Bool
        /// SliceLine's score (always computed, with `Settings.scoring`'s alpha or 0.95).
        public var score: Double
    }

    /// A categorical view of the samples' attributes.
    public struct Table: Sendable {
        public var attributes: [String]
        /// Per attribute: its values in one-hot column order (sorted; bins in numeric order).
        public var values: [[String]]
        /// Per attribute: each sample's value index.
        public var codes: [[Int32]]
        public var count: Int

        /// - Parameters:
        ///   - rows: each sample's attributes (a missing attribute is the value "").
        ///   - order: the attributes' order (SliceLine breaks ties by it); default: sorted by name.
        public init(rows: [[String: String]], order: [String]? = nil, numericBinThreshold: Int = 8) {
            count = rows.count
            let names = order ?? Set(rows.flatMap(\.keys)).sorted()
            var attributes: [String] = [], values: [[String]] = [], codes: [[Int32]] = []
            for name in names {
                let column = rows.map { $0[name] ?? "" }
                let distinct = Set(column)
                guard distinct.count >= 2 else { continue }
                let numbers = column.compactMap { Double($0) }
                if numbers.count == column.count, distinct.count > numericBinThreshold {
                    let (labels, code) = Self.bins(numbers, name: name)
                    guard labels.count >= 2 else { continue }
                    attributes.append(name); values.append(labels); codes.append(code)
                } else {
                    let sorted = distinct.sorted { Array($0.unicodeScalars.map(\.value)).lexicographicallyPrecedes($1.unicodeScalars.map(\.value)) }
                    let index = Dictionary(uniqueKeysWithValues: sorted.enumerated().map { ($1, Int32($0)) })
                    attributes.append(name); values.append(sorted); codes.append(column.map { index[$0]! })
                }
            }
            self.attributes = attributes
            self.values = values
            self.codes = codes
        }

        /// Quartile bins: edges at the 25th, 50th and 75th percentiles (nearest-rank on the
        /// sorted values), duplicates dropped; [edge_i, edge_i+1), the last bin closed.
        static func bins(_ numbers: [Double], name: String) -> ([String], [Int32]) {
            let sorted = numbers.sorted()
            let quantiles = [0.25, 0.5, 0.75].map { sorted[min(sorted.count - 1, Int((Double(sorted.count) * $0).rounded(.down)))] }
            var edges = [sorted[0]]
            for q in quantiles where q > edges.last! { edges.append(q) }
            let top = sorted[sorted.count - 1]
            func text(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v) }
            var labels: [String] = []
            for (i, edge) in edges.enumerated() {
                let upper = i + 1 < edges.count ? edges[i + 1] : top
                labels.append(i + 1 < edges.count ? "[\(text(edge)), \(text(upper)))" : "[\(text(edge)), \(text(upper))]")
            }
            let codes = numbers.map { v -> Int32 in
                var b = 0
                while b + 1 < edges.count, v >= edges[b + 1] { b += 1 }
                return Int32(b)
            }
            return (labels, codes)
        }
    }

    /// A set of samples as bits.
    struct Bits: Hashable {
        var words: [UInt64]
        init(count: Int) { words = [UInt64](repeating: 0, count: (count + 63) / 64) }
        mutating func insert(_ i: Int) { words[i >> 6] |= 1 << UInt64(i & 63) }
        func intersection(_ other: Bits) -> Bits {
            var result = self
            for i in words.indices { result.words[i] &= other.words[i] }
            return result
        }
        var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }
        func countAnd(_ other: Bits) -> Int {
            var total = 0
            for i in words.indices { total += (words[i] & other.words[i]).nonzeroBitCount }
            return total
        }
    }

    struct Candidate {
        /// (attribute index, value index), attribute indices ascending.
        var predicates: [(Int, Int)]
        var members: Bits
        var size: Int
        var errors: Int
    }

    /// Every slice up to `maxDegree` predicates (one per attribute) with at least `minSupport`
    /// members. Supersets of a slice below the support cannot reach it, which prunes the search.
    static func enumerate(_ table: Table, errors: Bits, settings: Settings) -> [Candidate] {
        var single: [[Bits]] = table.values.map { $0.map { _ in Bits(count: table.count) } }
        for (a, codes) in table.codes.enumerated() {
            for (i, code) in codes.enumerated() { single[a][Int(code)].insert(i) }
        }
        var level: [Candidate] = []
        for a in table.attributes.indices {
            for v in table.values[a].indices {
                let members = single[a][v]
                let size = members.count
                if size >= settings.minSupport { level.append(Candidate(predicates: [(a, v)], members: members, size: size, errors: members.countAnd(errors))) }
            }
        }
        var all = level
        var degree = 1
        while degree < settings.maxDegree, !level.isEmpty {
            var next: [Candidate] = []
            for parent in level {
                let last = parent.predicates.last!.0
                for a in (last + 1)..<table.attributes.count {
                    for v in table.values[a].indices {
                        let members = parent.members.intersection(single[a][v])
                        let size = members.count
                        guard size >= settings.minSupport else { continue }
                        next.append(Candidate(predicates: parent.predicates + [(a, v)], members: members, size: size, errors: members.countAnd(errors)))
                    }
                }
            }
            all += next
            level = next
            degree += 1
        }
        return all
    }

    /// SliceLine's score of a slice of `size` samples holding `errors` errors, in a dataset of
    /// `n` samples with mean error `average`.
    public static func slicelineScore(alpha: Double, size: Int, errors: Double, n: Int, average: Double) -> Double {
        let score = alpha * ((errors / Double(size)) / average - 1) - (1 - alpha) * (Double(n) / Double(size) - 1)
        return score.isNaN ? -.infinity : score
    }

    public static func find(_ table: Table, wrong: [Bool], settings: Settings) -> [Found] {
        precondition(wrong.count == table.count, "SliceDiscovery: one error flag per sample")
        var errorBits = Bits(count: table.count)
        for (i, isWrong) in wrong.enumerated() where isWrong { errorBits.insert(i) }
        let n = table.count, totalErrors = errorBits.count
        guard n > 0 else { return [] }
        let average = Double(totalErrors) / Double(n)
        let candidates = enumerate(table, errors: errorBits, settings: settings)
        let scoreAlpha: Double
        if case .sliceline(let alpha, _) = settings.scoring { scoreAlpha = alpha } else { scoreAlpha = 0.95 }
        func name(_ c: Candidate) -> [Predicate] { c.predicates.map { Predicate(attribute: table.attributes[$0.0], value: table.values[$0.0][$0.1]) } }
        func found(_ c: Candidate, aliases: [String] = [], p: Double? = nil, adjusted: Double? = nil, significant: Bool = false) -> Found {
            let predicates = name(c)
            let accuracy = 1 - Double(c.errors) / Double(c.size)
            let outside = n - c.size
            let outsideAccuracy = outside > 0 ? 1 - Double(totalErrors - c.errors) / Double(outside) : accuracy
            let interval = WilsonInterval.interval(successes: c.size - c.errors, trials: c.size) ?? ConfidenceInterval(low: 0, high: 1)
            return Found(name: predicates.map(\.description).joined(separator: " & "), predicates: predicates, aliases: aliases, size: c.size, errors: c.errors,
                         accuracy: accuracy, accuracyLow: interval.low, accuracyHigh: interval.high, effect: accuracy - outsideAccuracy,
                         p: p, adjustedP: adjusted, significant: significant,
                         score: slicelineScore(alpha: scoreAlpha, size: c.size, errors: Double(c.errors), n: n, average: average))
        }
        switch settings.scoring {
        case .sliceline(_, let k):
            let scored = candidates.filter { $0.errors > 0 }.map { ($0, found($0)) }.filter { $0.1.score > 0 }
            let kept = scored.filter { candidate in scored.filter { $0.1.score > candidate.1.score }.count + 1 <= k }
            // Ties: ascending one-hot bit vector, column 0 first (the slice without a predicate first).
            func columns(_ c: Candidate) -> [Int] {
                let offsets = table.values.reduce(into: [0]) { $0.append($0.last! + $1.count) }
                return c.predicates.map { offsets[$0.0] + $0.1 }
            }
            return kept.sorted { x, y in
                if x.1.score != y.1.score { return x.1.score > y.1.score }
                let cx = Set(columns(x.0)), cy = Set(columns(y.0))
                let first = cx.symmetricDifference(cy).min() ?? 0
                return !cx.contains(first)
            }.map(\.1)
        case .significance:
            // Identical members: one entry, named by its shortest (then first) definition.
            var groups: [Bits: [Candidate]] = [:]
            var order: [Bits] = []
            for c in candidates where c.size < n {
                if groups[c.members] == nil { order.append(c.members) }
                groups[c.members, default: []].append(c)
            }
            let representatives = order.map { key -> (Candidate, [String]) in
                let members = groups[key]!.sorted { $0.predicates.count < $1.predicates.count }
                return (members[0], members.dropFirst().map { name($0).map(\.description).joined(separator: " & ") })
            }
            let p = representatives.map { c, _ in
                ExactTests.fisher(c.errors, c.size - c.errors, totalErrors - c.errors, (n - c.size) - (totalErrors - c.errors))
            }
            let adjusted = MultipleTesting.benjaminiHochberg(p)
            return representatives.indices.map { i in
                found(representatives[i].0, aliases: representatives[i].1, p: p[i], adjusted: adjusted[i], significant: adjusted[i] <= settings.alpha)
            }.filter { $0.effect < 0 }.sorted { x, y in
                x.effect != y.effect ? x.effect < y.effect : x.name < y.name
            }
        }
    }
}
