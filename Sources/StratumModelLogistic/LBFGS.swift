/// Limited-memory BFGS with a backtracking (Armijo) line search, for smooth convex objectives.
///
/// Curvature pairs with sᵀy ≤ 1e-12·|s||y| are skipped, which keeps the inverse-Hessian
/// approximation positive definite without a Wolfe search.
struct LBFGS {
    let dimension: Int
    let memory: Int
    private var s: [[Double]] = []
    private var y: [[Double]] = []

    init(dimension: Int, memory: Int = 10) {
        self.dimension = dimension
        self.memory = memory
    }

    struct Result {
        var point: [Double]
        var value: Double
        var gradientNorm: Double
        var iterations: Int
        var converged: Bool
    }

    mutating func minimize(start: [Double], tolerance: Double, maxIterations: Int, function: ([Double]) -> (Double, [Double])) -> Result {
        var x = start
        var (f, g) = function(x)
        var iteration = 0
        var stalled = 0
        while iteration < maxIterations {
            let gNorm = g.reduce(0) { max($0, abs($1)) }
            if gNorm <= tolerance { return Result(point: x, value: f, gradientNorm: gNorm, iterations: iteration, converged: true) }
            iteration += 1
            var direction = twoLoop(g).map { -$0 }
            var slope = dot(direction, g)
            if slope >= 0 {
                // Not a descent direction: reset the memory and use steepest descent.
                s.removeAll(); y.removeAll()
                direction = g.map { -$0 }
                slope = dot(direction, g)
            }
            var step = s.isEmpty ? min(1, 1 / g.reduce(0) { $0 + abs($1) }) : 1
            var accepted = false
            var newX = x, newF = f, newG = g
            for _ in 0..<60 {
                newX = zip(x, direction).map { $0 + step * $1 }
                (newF, newG) = function(newX)
                guard newF.isFinite else { step *= 0.5; continue }
                if newF <= f + 1e-4 * step * slope { accepted = true; break }
                // Near the optimum f stops resolving decreases; accept a step that keeps f within
                // rounding and satisfies the curvature condition (an approximate Wolfe step).
                if newF <= f + 1e-13 * abs(f), abs(dot(newG, direction)) <= 0.9 * abs(slope) { accepted = true; break }
                step *= 0.5
            }
            guard accepted else { break }
            let sk = zip(newX, x).map { $0 - $1 }, yk = zip(newG, g).map { $0 - $1 }
            let sy = dot(sk, yk)
            if sy > 1e-12 * (dot(sk, sk) * dot(yk, yk)).squareRoot() {
                s.append(sk); y.append(yk)
                if s.count > memory { s.removeFirst(); y.removeFirst() }
            }
            let newNorm = newG.reduce(0) { max($0, abs($1)) }
            stalled = (f - newF) <= 1e-16 * max(1, abs(f)) && newNorm >= gNorm ? stalled + 1 : 0
            x = newX; f = newF; g = newG
            if stalled >= 5 { break }
        }
        let gNorm = g.reduce(0) { max($0, abs($1)) }
        return Result(point: x, value: f, gradientNorm: gNorm, iterations: iteration, converged: gNorm <= tolerance)
    }

    private func twoLoop(_ g: [Double]) -> [Double] {
        var q = g
        var alphas = [Double](repeating: 0, count: s.count)
        for i in stride(from: s.count - 1, through: 0, by: -1) {
            let rho = 1 / dot(y[i], s[i])
            alphas[i] = rho * dot(s[i], q)
            for j in 0..<dimension { q[j] -= alphas[i] * y[i][j] }
        }
        if let lastS = s.last, let lastY = y.last {
            let gamma = dot(lastS, lastY) / dot(lastY, lastY)
            for j in 0..<dimension { q[j] *= gamma }
        }
        for i in 0..<s.count {
            let rho = 1 / dot(y[i], s[i])
            let beta = rho * dot(y[i], q)
            for j in 0..<dimension { q[j] += (alphas[i] - beta) * s[i][j] }
        }
        return q
    }

    private func dot(_ a: [Double], _ b: [Double]) -> Double {
        var sum = 0.0
        for i in 0..<a.count { sum += a[i] * b[i] }
        return sum
    }
}
