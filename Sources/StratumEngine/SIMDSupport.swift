import Foundation
import StratumCore
import StratumEngineSIMD
#if arch(x86_64)
import StratumEngineAVX512
#endif

/// Whether this CPU can run the `StratumEngineSIMD` kernels, decided once.
///
/// On x86-64 that module is compiled for Haswell-class CPUs, so every instruction-set
/// extension that target lets the compiler use must be present (Linux reports them in
/// /proc/cpuinfo; elsewhere the kernels stay off). On arm64 the module is built for the
/// default target and always usable. `STRATUM_SIMD=none` turns the kernels off, which the
/// tests use to check both paths against each other.
///
/// Where the CPU also has AVX-512 (F, CD, BW, DQ, VL: what `StratumEngineAVX512`'s target,
/// Skylake-SP, lets the compiler use beyond Haswell's vector set), convolutions take that
/// module's wider blocks; `STRATUM_SIMD=avx2` keeps them on the AVX2 ones, which the tests
/// use to check each path against the scalar one.
public enum SIMDSupport {
    public static let isAvailable: Bool = {
        if ProcessInfo.processInfo.environment["STRATUM_SIMD"] == "none" { return false }
        #if arch(x86_64)
        let required: Set<String> = ["avx", "avx2", "fma", "bmi1", "bmi2", "f16c", "movbe", "popcnt", "abm", "sse4_2", "cx16"]
        return required.isSubset(of: CPUFlags.current)
        #elseif arch(arm64)
        return true
        #else
        return false
        #endif
    }()

    /// Whether convolutions take the AVX-512 kernels, decided once.
    public static let hasAVX512: Bool = {
        #if arch(x86_64)
        guard isAvailable, ProcessInfo.processInfo.environment["STRATUM_SIMD"] != "avx2" else { return false }
        let required: Set<String> = ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]
        return required.isSubset(of: CPUFlags.current)
        #else
        return false
        #endif
    }()

    /// What runs convolutions here, for benchmark output.
    public static var description: String {
        if hasAVX512 { return "SIMD kernels (AVX-512 for convolutions and matrix products, AVX2/FMA for the rest, on x86-64)" }
        return isAvailable ? "SIMD kernels (AVX2/FMA on x86-64)" : "scalar loops and BLAS (SIMD kernels unavailable or disabled)"
    }
}

extension SIMDSupport {
    /// The SIMD convolution on the widest kernels this CPU runs: the small-channel direct kernel
    /// (`SIMDKernels.smallChannelConvolution`) where it applies, else the indirect GEMM
    /// (`SIMDKernels.convBiasClamp`).
    static func convBiasClamp(input: UnsafePointer<Float>, size: (Int, Int), channels: Int, filter: UnsafePointer<Float>, kernel: (Int, Int),
                              outChannels: Int, strides: (Int, Int), dilations: (Int, Int), padding: (Int, Int), bias: UnsafePointer<Float>?,
                              residual: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, outputSize: (Int, Int),
                              lower: Float, upper: Float, hardSwish: Bool = false, rows: (Int, Int), validRows: (Int, Int)? = nil,
                              outChannelRange: (Int, Int)? = nil) {
        if outChannelRange == nil, takesSmallChannels(size: size, channels: channels, kernel: kernel, outChannels: outChannels, strides: strides, dilations: dilations,
                              padding: padding, outputSize: outputSize) {
            #if arch(x86_64)
            if hasAVX512 {
                AVX512Kernels.smallChannelConvolution(input: input, size: size, channels: channels, filter: filter, kernel: kernel, outChannels: outChannels,
                                                      strides: strides, dilations: dilations, bias: bias, residual: residual, output: output,
                                                      outputSize: outputSize, lower: lower, upper: upper, hardSwish: hardSwish, rows: rows)
                return
            }
            #endif
            SIMDKernels.smallChannelConvolution(input: input, size: size, channels: channels, filter: filter, kernel: kernel, outChannels: outChannels,
                                                strides: strides, dilations: dilations, bias: bias, residual: residual, output: output,
                                                outputSize: outputSize, lower: lower, upper: upper, hardSwish: hardSwish, rows: rows)
            return
        }
        #if arch(x86_64)
        if hasAVX512 {
            AVX512Kernels.convBiasClamp(input: input, size: size, channels: channels, filter: filter, kernel: kernel, outChannels: outChannels,
                                        strides: strides, dilations: dilations, padding: padding, bias: bias, residual: residual, output: output,
                                        outputSize: outputSize, lower: lower, upper: upper, hardSwish: hardSwish, rows: rows, validRows: validRows,
                                        outChannelRange: outChannelRange)
            return
        }
        #endif
        SIMDKernels.convBiasClamp(input: input, size: size, channels: channels, filter: filter, kernel: kernel, outChannels: outChannels,
                                  strides: strides, dilations: dilations, padding: padding, bias: bias, residual: residual, output: output,
                                  outputSize: outputSize, lower: lower, upper: upper, hardSwish: hardSwish, rows: rows, validRows: validRows,
                                  outChannelRange: outChannelRange)
    }

    /// Whether a convolution goes to the small-channel kernels (`SIMDKernels.smallChannelConvolution`):
    /// at most 4 input channels, a multiple of 8 output channels, and every window inside the
    /// input (no padding left: the caller gives a zero-bordered copy).
    static func takesSmallChannels(size: (Int, Int), channels: Int, kernel: (Int, Int), outChannels: Int, strides: (Int, Int),
                                   dilations: (Int, Int), padding: (Int, Int), outputSize: (Int, Int)) -> Bool {
        SIMDKernels.takesSmallChannels(channels: channels, outChannels: outChannels) && padding == (0, 0)
            && (outputSize.0 - 1) * strides.0 + (kernel.0 - 1) * dilations.0 < size.0
            && (outputSize.1 - 1) * strides.1 + (kernel.1 - 1) * dilations.1 < size.1
    }

    /// SIMD pooling (see `SIMDKernels.pool`; `channels` a multiple of 8) on the widest kernels
    /// this CPU runs for them: 16 channels at a time with AVX-512 when they are a multiple of 16.
    static func pool(input: UnsafePointer<Float>, size: (Int, Int), channels: Int, window: (Int, Int), strides: (Int, Int), padding: (Int, Int),
                     average: Bool, output: UnsafeMutablePointer<Float>, outputSize: (Int, Int), rows: (Int, Int)) {
        #if arch(x86_64)
        if hasAVX512 && channels % 16 == 0 {
            AVX512Kernels.pool(input: input, size: size, channels: channels, window: window, strides: strides, padding: padding, average: average,
                               output: output, outputSize: outputSize, rows: rows)
            return
        }
        #endif
        SIMDKernels.pool(input: input, size: size, channels: channels, window: window, strides: strides, padding: padding, average: average,
                         output: output, outputSize: outputSize, rows: rows)
    }

    /// The SIMD GEMM (see `SIMDKernels.gemmBiasClamp`) on the widest kernels this CPU runs.
    static func gemmBiasClamp(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                              residual: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, lower: Float, upper: Float, hardSwish: Bool = false) {
        #if arch(x86_64)
        if hasAVX512 {
            AVX512Kernels.gemmBiasClamp(m: m, n: n, k: k, a: a, lda: lda, b: b, bias: bias, residual: residual, c: c, lower: lower, upper: upper,
                                        hardSwish: hardSwish)
            return
        }
        #endif
        SIMDKernels.gemmBiasClamp(m: m, n: n, k: k, a: a, lda: lda, b: b, bias: bias, residual: residual, c: c, lower: lower, upper: upper,
                                  hardSwish: hardSwish)
    }
}

extension SIMDSupport {
    /// What this CPU's FMA units sustain, in GFLOP/s, on the widest vectors the kernels here
    /// use, with every core this process may use running at once (`CPUCores.available`): a loop
    /// of independent FMAs for ~0.2 s per core, calibrated first. Benchmarks give their share
    /// of this rather than of /proc/cpuinfo's clock, which on a virtual machine is the base
    /// clock (2.6 GHz on this project's AMD EPYC, whose cores ran the loop at ~3.6 GHz). Nil
    /// without the SIMD kernels.
    public static func measuredPeakGFLOPS() -> Double? {
        guard isAvailable else { return nil }
        #if arch(x86_64)
        let wide = hasAVX512
        #else
        let wide = false
        #endif
        let flopsPerRound = wide ? 384.0 : 192.0
        @Sendable func probe(_ rounds: Int) -> (seconds: Double, sink: Float) {
            let start = DispatchTime.now().uptimeNanoseconds
            #if arch(x86_64)
            let sink = wide ? AVX512Kernels.fmaProbe(rounds: rounds) : SIMDKernels.fmaProbe(rounds: rounds)
            #else
            let sink = SIMDKernels.fmaProbe(rounds: rounds)
            #endif
            return (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, sink)
        }
        var rounds = 100_000
        while probe(rounds).seconds < 0.02 && rounds < 1 << 30 { rounds *= 4 }
        let calibrated = probe(rounds).seconds
        let timed = max(rounds, Int(Double(rounds) * 0.2 / max(calibrated, 1e-6)))
        let cores = CPUCores.available
        let rates = ConcurrentResults<Double>(count: cores)
        DispatchQueue.concurrentPerform(iterations: cores) { core in
            let (seconds, sink) = probe(timed)
            rates.set(core, .success(sink.isNaN ? 0 : Double(timed) * flopsPerRound / seconds / 1e9))
        }
        return (try? rates.values())?.reduce(0, +)
    }
}

/// The CPU's feature flags as Linux reports them (empty elsewhere).
enum CPUFlags {
    static let current: Set<String> = {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
        return Set(line.split(separator: " ").map(String.init))
    }()
}
