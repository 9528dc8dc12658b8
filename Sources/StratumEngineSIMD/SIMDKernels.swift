/// Stratum's vector kernels: convolutions as register-blocked GEMMs, depthwise convolution,
/// pooling, each with bias, residual and ReLU/ReLU6 applied as results are stored.
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
    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func store(_ value: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func clamp(_ value: SIMD8<Float>, _ lo: SIMD8<Float>, _ hi: SIMD8<Float>, _ mode: ClampMode) -> SIMD8<Float> {
        // Written with masks rather than pointwiseMin/Max, which would leave shared stdlib
        // specialisations (compiled for this module's CPU) in the object file.
        if mode == noClamp { return value }
        var result = value
        result.replace(with: lo, where: value .< lo)
        if mode == lowerOnly { return result }
        result.replace(with: hi, where: result .> hi)
        return result
    }

    /// Which bounds a kernel applies as it stores: none (no activation), the lower one (ReLU)
    /// or both (ReLU6). Kernels take it as a constant from `withClampMode`, so each mode gets
    /// its own compiled loop without the unused compares.
    typealias ClampMode = Int
    static let noClamp: ClampMode = 0, lowerOnly: ClampMode = 1, bothBounds: ClampMode = 2

    @inline(__always)
    static func withClampMode<R>(lower: Float, upper: Float, _ body: (ClampMode) -> R) -> R {
        if lower == -.infinity && upper == .infinity { return body(noClamp) }
        if upper == .infinity { return body(lowerOnly) }
        return body(bothBounds)
    }

    /// The smaller of two integers. (Swift.min is generic: a specialisation of it compiled for
    /// this module's CPU could be left in the object file for baseline code to bind to.)
    @inline(__always)
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
