/// L2-regularised logistic regression, fitted by L-BFGS in double precision.
///
/// Objective (scikit-learn's `LogisticRegression(C=C)` with the lbfgs solver, same minimiser):
///
///     f(W, b) = C · Σᵢ lossᵢ + ½ ‖W‖²       (intercepts b are not penalised)
///
/// - Two classes: one row w, p(class 1) = σ(w·x + b), lossᵢ = log(1 + e^(−sᵢ zᵢ)), sᵢ = ±1.
/// - k > 2 classes: k rows (over-parametrised softmax), lossᵢ = logsumexp(z) − z_yᵢ. The
///   penalty makes W unique (its columns sum to 0); intercepts are unique up to a common
///   shift, which `fit` removes by centring them (sum 0), as scikit-learn's solution has.
///
/// Deterministic: same inputs give the same bits (fixed start at 0, no randomness, serial sums).
public struct LogisticRegression: Sendable, Equatable {
    /// Rows of coefficients: 1 for two classes, k otherwise; each `features` long.
    public var coefficients: [[Double]]
    public var intercepts: [Double]
    public var classCount: Int

    public init(coefficients: [[Double]], intercepts: [Double], classCount: Int) {
        self.coefficients = coefficients
        self.intercepts = intercepts
        self.classCount = classCount
    }

    /// Class probabilities for one feature vector (k values, summing to 1).
    public func probabilities(_ x: ArraySlice<Double>) -> [Double] {
        let scores = zip(coefficients, intercepts).map { row, b in
            zip(row, x).reduce(b) { $0 + $1.0 * $1.1 }
        }
        if classCount == 2 {
            let p1 = Self.sigmoid(scores[0])
            return [1 - p1, p1]
        }
        return Self.softmax(scores)
    }

    static func sigmoid(_ z: Double) -> Double {
        z >= 0 ? 1 / (1 + (-z).exponential) : z.exponential / (1 + z.exponential)
    }

    static func softmax(_ z: [Double]) -> [Double] {
        let top = z.max() ?? 0
        let e = z.map { ($0 - top).exponential }
        let sum = e.reduce(0, +)
        return e.map { $0 / sum }
    }
}

/// What a fit did.
public struct LogisticFitReport: Sendable, Equatable {
    public var iterations: Int
    public var objective: Double
    /// ∞-norm of the objective's gradient at the solution.
    public var gradientNorm: Double
    public var converged: Bool
}

/// Inputs were unusable for fitting.
public struct LogisticFitError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public var description: String { "cannot fit logistic regression: \(message)" }
}

extension LogisticRegression {
    /// Fits on `x` (n rows of d features, row-major, flat) with labels `y` in `0..<classCount`.
    ///
    /// Stops when the gradient's ∞-norm is at most `gradientTolerance` or after `maxIterations`.
    public static func fit(
        x: [Double], featureCount d: Int, y: [Int], classCount k: Int, c: Double,
        gradientTolerance: Double = 1e-8, maxIterations: Int = 5000
    ) throws -> (model: LogisticRegression, report: LogisticFitReport) {
        let n = y.count
        guard n > 0, d > 0, x.count == n * d else { throw LogisticFitError(message: "need n > 0 samples of \(d) features; got \(x.count) values for \(n) labels") }
        guard k >= 2 else { throw LogisticFitError(message: "need at least 2 classes, got \(k)") }
        guard c > 0, c.isFinite else { throw LogisticFitError(message: "C must be positive and finite, got \(c)") }
        if let bad = y.first(where: { $0 < 0 || $0 >= k }) { throw LogisticFitError(message: "label index \(bad) outside 0..<\(k)") }
        if let i = x.firstIndex(where: { !$0.isFinite }) { throw LogisticFitError(message: "non-finite feature at sample \(i / d), feature \(i % d)") }

        let objective = LogisticObjective(x: x, n: n, d: d, y: y, k: k, c: c)
        var optimizer = LBFGS(dimension: objective.parameterCount)
        let result = optimizer.minimize(start: [Double](repeating: 0, count: objective.parameterCount), tolerance: gradientTolerance, maxIterations: maxIterations) {
            objective.valueAndGradient($0)
        }
        let rows = objective.rows
        var coefficients: [[Double]] = []
        for r in 0..<rows { coefficients.append(Array(result.point[(r * d)..<((r + 1) * d)])) }
        var intercepts = Array(result.point[(rows * d)...])
        if rows > 1 {
            let mean = intercepts.reduce(0, +) / Double(rows)
            intercepts = intercepts.map { $0 - mean }
        }
        let model = LogisticRegression(coefficients: coefficients, intercepts: intercepts, classCount: k)
        return (model, LogisticFitReport(iterations: result.iterations, objective: result.value, gradientNorm: result.gradientNorm, converged: result.converged))
    }
}

/// The objective and its gradient; parameters are W (rows × d, row-major) then b (rows).
struct LogisticObjective: Sendable {
    let x: [Double], n: Int, d: Int, y: [Int], k: Int, c: Double
    var rows: Int { k == 2 ? 1 : k }
    var parameterCount: Int { rows * (d + 1) }

    func valueAndGradient(_ theta: [Double]) -> (Double, [Double]) {
        var gradient = [Double](repeating: 0, count: parameterCount)
        var loss = 0.0
        let rows = self.rows, d = self.d
        var scores = [Double](repeating: 0, count: rows)
        var residual = [Double](repeating: 0, count: rows)
        x.withUnsafeBufferPointer { xs in
            theta.withUnsafeBufferPointer { t in
                gradient.withUnsafeMutableBufferPointer { g in
                    for i in 0..<n {
                        let row = xs.baseAddress! + i * d
                        for r in 0..<rows {
                            var s = t[rows * d + r]
                            let w = t.baseAddress! + r * d
                            for j in 0..<d { s += w[j] * row[j] }
                            scores[r] = s
                        }
                        if rows == 1 {
                            let z = scores[0], positive = y[i] == 1
                            let margin = positive ? z : -z
                            // log(1 + e^(−m)) computed stably.
                            loss += margin > 0 ? (-margin).exponential.onePlusLog : -margin + margin.exponential.onePlusLog
                            residual[0] = LogisticRegression.sigmoid(z) - (positive ? 1 : 0)
                        } else {
                            let top = scores.max() ?? 0
                            var sum = 0.0
                            for r in 0..<rows { residual[r] = (scores[r] - top).exponential; sum += residual[r] }
                            loss += top + sum.logarithm - scores[y[i]]
                            for r in 0..<rows { residual[r] /= sum }
                            residual[y[i]] -= 1
                        }
                        for r in 0..<rows {
                            let e = c * residual[r]
                            if e == 0 { continue }
                            let gw = g.baseAddress! + r * d
                            for j in 0..<d { gw[j] += e * row[j] }
                            g[rows * d + r] += e
                        }
                    }
                    var penalty = 0.0
                    for p in 0..<(rows * d) {
                        penalty += t[p] * t[p]
                        g[p] += t[p]
                    }
                    loss = c * loss + 0.5 * penalty
                }
            }
        }
        return (loss, gradient)
    }
}
