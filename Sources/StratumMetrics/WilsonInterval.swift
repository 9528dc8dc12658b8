/// The Wilson score interval for a binomial proportion.
///
/// For k successes in n trials, p = k/n and z the normal quantile:
/// centre = (p + z²/2n) / (1 + z²/n),
/// half-width = z / (1 + z²/n) · √(p(1 − p)/n + z²/4n²).
/// Matches `statsmodels.stats.proportion.proportion_confint(k, n, method="wilson")`.
/// Unlike the normal approximation it stays inside [0, 1] and is sensible at p = 0 or 1.
public enum WilsonInterval {
    /// z for a two-sided 95% interval (Φ⁻¹(0.975)).
    public static let z95 = 1.959963984540054

    /// The interval, or nil when `trials` is 0.
    public static func interval(successes: Int, trials: Int, z: Double = z95) -> ConfidenceInterval? {
        guard trials > 0 else { return nil }
        let n = Double(trials), p = Double(successes) / n, z2 = z * z
        let denominator = 1 + z2 / n
        let centre = (p + z2 / (2 * n)) / denominator
        let half = z / denominator * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
        return ConfidenceInterval(low: max(0, centre - half), high: min(1, centre + half))
    }
}
