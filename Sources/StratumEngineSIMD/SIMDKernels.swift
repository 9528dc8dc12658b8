import CKernelSupport
/// Stratum's vector kernels: convolutions as register-blocked GEMMs, direct convolution of few
/// channels, depthwise convolution, Winograd's transforms, pooling; bias, residual and the
/// activation (a clamp or hard swish, `ClampMode`) are applied as results are stored.
///
/// This module is compiled for Haswell-class CPUs (AVX2, FMA, BMI1/2, F16C, MOVBE) on x86-64
/// hosts (see Package.swift), so nothing here may run before StratumEngine's
/// `SIMDSupport.isAvailable` has said yes. Everything is written on raw pointers and
/// `SIMD8<Float>` so that it inlines into these functions and leaves no shared generic
/// specialisation behind that baseline code could pick up at link time: public functions take
/// only pointers, integers, floats and tuples of them, no arrays are used, and
/// `scripts/check-simd-symbols.sh` fails if the module's objects define a weak symbol of the
/// standard library.
public enum SIMDKernels {
    @inline(__always) @usableFromInline
    static func load(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always) @usableFromInline
    static func store(_ value: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Float>.self)
    }

    // Transparent, not just @inline(__always): with the hard-swish branch the optimiser left this
    // out of line in every kernel, a call per stored vector (~3% of small-cnn's time).
    @_transparent @usableFromInline
    static func clamp(_ value: SIMD8<Float>, _ lo: SIMD8<Float>, _ hi: SIMD8<Float>, _ mode: ClampMode) -> SIMD8<Float> {
        // Through CKernelSupport's MAXPS/MINPS: pointwiseMin/Max would call shared stdlib
        // specialisations (compiled for this module's CPU), masks take two instructions each.
        if mode == noClamp { return value }
        if mode == hardSwishMode {
            // x · min(max(x/6 + ½, 0), 1).
            var t = value * SIMD8<Float>(repeating: 1 / 6) + SIMD8<Float>(repeating: 0.5)
            t = stratum_min8(SIMD8<Float>(repeating: 1), stratum_max8(SIMD8<Float>(), t))
            return value * t
        }
        // lo where value < lo, then hi where that is > hi; NaN stays NaN (the second operand).
        let result = stratum_max8(lo, value)
        if mode == lowerOnly { return result }
        return stratum_min8(hi, result)
    }

    /// Which bounds a kernel applies as it stores: none (no activation), the lower one (ReLU)
    /// or both (ReLU6); or hard swish (MobileNetV3's), which ignores the bounds. Kernels take it
    /// as a constant from `withClampMode`, so each mode gets its own compiled loop without the
    /// unused compares.
    public typealias ClampMode = Int
    @usableFromInline static let noClamp: ClampMode = 0, lowerOnly: ClampMode = 1, bothBounds: ClampMode = 2, hardSwishMode: ClampMode = 3

    @inline(__always)
    static func withClampMode<R>(lower: Float, upper: Float, hardSwish: Bool = false, _ body: (ClampMode) -> R) -> R {
        if hardSwish { return body(hardSwishMode) }
        if lower == -.infinity && upper == .infinity { return body(noClamp) }
        if upper == .infinity { return body(lowerOnly) }
        return body(bothBounds)
    }

    /// The mode for these bounds, or hard swish, as a value (see `withClampMode`).
    @inline(__always)
    static func clampMode(lower: Float, upper: Float, hardSwish: Bool) -> ClampMode {
        hardSwish ? hardSwishMode : lower == -.infinity && upper == .infinity ? noClamp : upper == .infinity ? lowerOnly : bothBounds
    }

    /// `clamp` on one value, for the scalar tails.
    @inline(__always)
    static func activated(_ x: Float, _ lower: Float, _ upper: Float, _ mode: ClampMode) -> Float {
        if mode == hardSwishMode {
            let t = x * (1 / 6) + 0.5
            return x * (t < 0 ? 0 : t > 1 ? 1 : t)
        }
        return Swift.min(Swift.max(x, lower), upper)
    }

    /// The smaller of two integers. (Swift.min is generic: a specialisation of it compiled for
    /// this module's CPU could be left in the object file for baseline code to bind to.)
    @inline(__always) @usableFromInline
    static func least(_ a: Int, _ b: Int) -> Int { a < b ? a : b }

    /// The taps k (of `count`) with 0 ≤ origin + k·dilation < limit.
    @inline(__always)
    static func inside(_ origin: Int, _ count: Int, _ dilation: Int, _ limit: Int) -> Range<Int> {
        var first = 0
        while first < count && origin + first * dilation < 0 { first += 1 }
        var last = count
        while last > first && origin + (last - 1) * dilation >= limit { last -= 1 }
        return first..<last
    }
}

extension SIMDKernels {
    /// `rounds` × 12 independent 8-lane FMAs (192 floating-point operations a round), for
    /// measuring what this CPU's FMA units sustain (`SIMDSupport.measuredPeak`). Returns a sum
    /// of the accumulators so that the work cannot be left out.
    public static func fmaProbe(rounds: Int) -> Float {
        let m = SIMD8<Float>(repeating: 0.5), a = SIMD8<Float>(repeating: 1e-7)
        var c0 = SIMD8<Float>(repeating: 1), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0
        var c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0
        for _ in 0..<rounds {
            c0 = c0.addingProduct(m, a); c1 = c1.addingProduct(m, a); c2 = c2.addingProduct(m, a)
            c3 = c3.addingProduct(m, a); c4 = c4.addingProduct(m, a); c5 = c5.addingProduct(m, a)
            c6 = c6.addingProduct(m, a); c7 = c7.addingProduct(m, a); c8 = c8.addingProduct(m, a)
            c9 = c9.addingProduct(m, a); c10 = c10.addingProduct(m, a); c11 = c11.addingProduct(m, a)
        }
        let total = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11))
        return total[0] + total[1] + total[2] + total[3] + total[4] + total[5] + total[6] + total[7]
    }
}
