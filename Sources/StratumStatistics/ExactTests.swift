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
    public static func fisher(_ a: Int, _ b: Int, _ c: Int, _ d: Int) -> Double {
        precondition(a >= 0 && b >= 0 && c >= 0 && d >= 0)
        let row1 = a + b, col1 = a + c, n = a + b + c + d
        guard n > 0 else { return 1 }
        let low = max(0, row1 + col1 - n), high = min(row1, col1)
        let logDenominator = logChoose(n, col1)
        func logP(_ x: Int) -> Double { logChoose(row1, x) + logChoose(n - row1, col1 - x) - logDenominator }
        let observed = logP(a)
        let threshold = observed + log1p(1e-7)
        var p = 0.0
        for x in low...high {
            let lp = logP(x)
            if lp <= threshold { p += exp(lp) }
        }
        return min(1, p)
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
