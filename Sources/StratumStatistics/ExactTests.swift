import Foundation

/// Exact tests on 2 × 2 tables, computed with log-gamma so that large counts neither overflow
/// nor lose precision.
public enum ExactTests {
    static func logChoose(_ n: Int, _ k: Int) -> Double {
        lgamma(Double(n) + 1) - lgamma(Double(k) + 1) - lgamma(Double(n - k) + 1)
    }

    /// P(X ≤ x) for X ~ Binomial(n, 1/2).
    public static func binomialHalfCDF(_ x: Int, _ n: Int) -> Double {
        guard x >= 0 else { return 0 }
        guard x < n else { return 1 }
        let logHalf = Double(n) * -M_LN2
        var terms: [Double] = []
        terms.reserveCapacity(x + 1)
        for i in 0...x { terms.append(logChoose(n, i) + logHalf) }
        let top = terms.max()!
        return min(1, exp(top) * terms.reduce(0) { $0 + exp($1 - top) })
    }

    /// Exact McNemar test (`statsmodels.stats.contingency_tables.mcnemar(exact=True)`): the two
    /// discordant counts b and c of a paired 2 × 2 table; statistic min(b, c), two-sided
    /// p = min(1, 2 · P(Binomial(b + c, ½) ≤ min(b, c))). With no discordant pairs p is 1.
    public static func mcNemar(b: Int, c: Int) -> (statistic: Int, p: Double) {
        precondition(b >= 0 && c >= 0)
        let low = min(b, c)
        return (low, min(1, 2 * binomialHalfCDF(low, b + c)))
    }

    /// Fisher's exact test, two-sided, on [[a, b], [c, d]] (`scipy.stats.fisher_exact`): the
    /// total hypergeometric probability of the tables with the same margins that are no more
    /// likely than the observed one (relative tolerance 1e-7, as SciPy).
    ///
    /// The distribution is unimodal, so those tables are its two tails: the observed side from
    /// the observed count outwards, and the far side from where its probability first falls to
    /// the observed one (found by bisection). Each tail is summed outwards with the ratio of
    /// successive probabilities until its terms stop mattering, so the cost grows with the
    /// distribution's spread, not with the table's size.
    public static func fisher(_ a: Int, _ b: Int, _ c: Int, _ d: Int) -> Double {
        precondition(a >= 0 && b >= 0 && c >= 0 && d >= 0)
        let row1 = a + b, col1 = a + c, n = a + b + c + d
        guard n > 0 else { return 1 }
        let low = max(0, row1 + col1 - n), high = min(row1, col1)
        guard low < high else { return 1 }
        let logDenominator = logChoose(n, col1)
        func logP(_ x: Int) -> Double { logChoose(row1, x) + logChoose(n - row1, col1 - x) - logDenominator }
        // P(x + 1) / P(x) and P(x − 1) / P(x).
        func up(_ x: Int) -> Double { Double(row1 - x) * Double(col1 - x) / (Double(x + 1) * Double(n - row1 - col1 + x + 1)) }
        func down(_ x: Int) -> Double { Double(x) * Double(n - row1 - col1 + x) / (Double(row1 - x + 1) * Double(col1 - x + 1)) }
        let observed = logP(a)
        let threshold = observed + log1p(1e-7)
        /// Sum of P over start, start + step, … (while within the support), relative to P(observed).
        func tail(from start: Int, step: Int) -> Double {
            var x = start, term = exp(logP(start) - observed), sum = 0.0
            while true {
                sum += term
                let next = x + step
                guard next >= low, next <= high else { break }
                term *= step > 0 ? up(x) : down(x)
                x = next
                if term < sum * 1e-17 { break }
            }
            return sum
        }
        let mode = min(high, max(low, Int((Double(row1 + 1) * Double(col1 + 1) / Double(n + 2)).rounded(.down))))
        var total = 0.0
        if a <= mode {
            total += tail(from: a, step: -1)
            // The far side: the first x > mode whose probability is no more than the observed one.
            var lo = mode + 1, hi = high + 1
            while lo < hi {
                let mid = (lo + hi) / 2
                if logP(mid) <= threshold { hi = mid } else { lo = mid + 1 }
            }
            if lo <= high { total += tail(from: lo, step: 1) }
            // Tables between a and the mode as likely as the observed one (ties) count too.
            var x = a + 1
            while x <= mode, logP(x) <= threshold { total += exp(logP(x) - observed); x += 1 }
        } else {
            total += tail(from: a, step: 1)
            var lo = low - 1, hi = mode - 1
            while lo < hi {
                let mid = (lo + hi + 1) / 2
                if logP(mid) <= threshold { lo = mid } else { hi = mid - 1 }
            }
            if lo >= low { total += tail(from: lo, step: -1) }
            var x = a - 1
            while x >= mode, logP(x) <= threshold { total += exp(logP(x) - observed); x -= 1 }
        }
        return min(1, total * exp(observed))
    }
}

/// Corrections for reading many p-values at once. Both return adjusted p-values in the input
/// order; a hypothesis is rejected at level α when its adjusted p ≤ α (statsmodels'
/// `multipletests` "holm" and "fdr_bh").
public enum MultipleTesting {
    public enum Method: String, Sendable, CaseIterable, Codable {
        /// Holm's step-down: controls the family-wise error rate.
        case holm
        /// Benjamini–Hochberg: controls the false discovery rate.
        case benjaminiHochberg = "bh"
    }

    public static func adjust(_ p: [Double], method: Method) -> [Double] {
        switch method {
        case .holm: return holm(p)
        case .benjaminiHochberg: return benjaminiHochberg(p)
        }
    }

    public static func holm(_ p: [Double]) -> [Double] {
        let m = p.count
        let order = p.indices.sorted { (p[$0], $0) < (p[$1], $1) }
        var adjusted = [Double](repeating: 0, count: m)
        var running = 0.0
        for (rank, i) in order.enumerated() {
            running = max(running, min(1, Double(m - rank) * p[i]))
            adjusted[i] = running
        }
        return adjusted
    }

    public static func benjaminiHochberg(_ p: [Double]) -> [Double] {
        let m = p.count
        let order = p.indices.sorted { (p[$0], $0) < (p[$1], $1) }
        var adjusted = [Double](repeating: 0, count: m)
        var running = 1.0
        for rank in stride(from: m - 1, through: 0, by: -1) {
            let i = order[rank]
            running = min(running, min(1, Double(m) / Double(rank + 1) * p[i]))
            adjusted[i] = running
        }
        return adjusted
    }
}
