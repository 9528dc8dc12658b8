import Foundation
@testable import StratumEngine
import StratumEngineSIMD
#if arch(x86_64)
import StratumEngineAVX512
#endif
import Testing

@Suite struct EngineTests {
    /// The FMA probe behind the bench's measured peak does its work (the accumulators stay at
    /// 1: 1 + 0.5·1e-7 rounds back to 1 in Float) and the peak comes out positive.
    @Test(.enabled(if: SIMDSupport.isAvailable, "the CPU runs the SIMD kernels"))
    func peakProbeRunsItsFMAs() throws {
        #expect(SIMDKernels.fmaProbe(rounds: 1000) == 96)
        #if arch(x86_64)
        if SIMDSupport.hasAVX512 { #expect(AVX512Kernels.fmaProbe(rounds: 1000) == 192) }
        #endif
        let peak = try #require(SIMDSupport.measuredPeakGFLOPS())
        #expect(peak > 1 && peak.isFinite)
    }

    /// Deterministic pseudo-random floats in [−1, 1).
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2_000_000) / 1_000_000 - 1
        }
    }

    /// Convolutions take the AVX-512 kernels exactly where the CPU has AVX-512 F, CD, BW, DQ
    /// and VL (and STRATUM_SIMD does not say avx2 or none), so that the default test run checks
    /// that path on such a CPU and the STRATUM_SIMD=avx2 run (scripts/test.sh) the AVX2 one.
    @Test func avx512KernelsAreChosenWhereTheCPUHasThem() throws {
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let flags = Set(info.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
        let setting = ProcessInfo.processInfo.environment["STRATUM_SIMD"]
        #if arch(x86_64)
        let expected = SIMDSupport.isAvailable && setting != "avx2" && Set(["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]).isSubset(of: flags)
        #else
        let expected = false
        #endif
        #expect(SIMDSupport.hasAVX512 == expected)
        #expect(SIMDSupport.description.contains("AVX-512") == expected)
    }

    /// OpenBLAS is what the test machine multiplies with (scripts/install-deps.sh installs it).
    @Test func openBLASIsLoaded() {
        #expect(BLAS.backend.contains("OpenBLAS"), "\(BLAS.backend)")
    }

    /// The portable kernel (the fallback without OpenBLAS) and the loaded backend agree.
    @Test(arguments: [(1, 1, 1, false, false), (7, 5, 3, false, false), (33, 17, 300, false, true), (16, 9, 27, true, false), (64, 8, 16, true, true)])
    func portableKernelMatchesTheBackend(_ m: Int, _ n: Int, _ k: Int, _ transposeB: Bool, _ accumulate: Bool) {
        let a = Self.values(m * k, seed: 1), b = Self.values(k * n, seed: 2), c0 = Self.values(m * n, seed: 3)
        var fast = c0, slow = c0
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                fast.withUnsafeMutableBufferPointer { pc in
                    BLAS.gemm(m: m, n: n, k: k, a: pa.baseAddress!, b: pb.baseAddress!, c: pc.baseAddress!, transposeB: transposeB, accumulate: accumulate)
                }
                slow.withUnsafeMutableBufferPointer { pc in
                    BLAS.portableGemm(m: m, n: n, k: k, a: pa.baseAddress!, b: pb.baseAddress!, c: pc.baseAddress!, transposeB: transposeB, accumulate: accumulate)
                }
            }
        }
        // Reference in double.
        for i in 0..<m {
            for j in 0..<n {
                var sum = accumulate ? Double(c0[i * n + j]) : 0
                for p in 0..<k { sum += Double(a[i * k + p]) * Double(transposeB ? b[j * k + p] : b[p * n + j]) }
                #expect(abs(Double(fast[i * n + j]) - sum) <= 1e-4 * max(1, abs(sum)))
                #expect(abs(Double(slow[i * n + j]) - sum) <= 1e-4 * max(1, abs(sum)))
            }
        }
    }

    /// One convolution case: input [n, h, w, c], filter [kh, kw, c, out] (out = multiplier for
    /// depthwise), strides, dilations, padding, activation, bias or not.
    struct ConvolutionCase: Sendable, CustomTestStringConvertible {
        var input: [Int], filter: [Int], strides = (1, 1), dilations = (1, 1), padding = Padding.same, activation = Activation.none, bias = true
        /// The residual's shape (added before the activation), if any.
        var residual: [Int]? = nil
        var testDescription: String { "input \(input) filter \(filter) strides \(strides) dilations \(dilations) \(padding) \(activation) residual \(residual ?? [])" }
    }

    static let convolutionCases: [ConvolutionCase] = [
        // 1×1 stride 1 (the SIMD GEMM): rows not a multiple of 6, columns 16 + 4, 16 + 8, 8.
        ConvolutionCase(input: [1, 7, 5, 3], filter: [1, 1, 3, 20], activation: .relu6),
        ConvolutionCase(input: [2, 4, 4, 13], filter: [1, 1, 13, 24], bias: false),
        ConvolutionCase(input: [1, 3, 3, 40], filter: [1, 1, 40, 8], activation: .relu),
        ConvolutionCase(input: [1, 5, 5, 16], filter: [1, 1, 16, 96], activation: .relu6, residual: [1, 5, 5, 96]), // 32 + 32 + 32 with AVX-512
        // One or two rows (a squeeze-excite 1×1 on a 1×1 map): the one-row kernel, columns 32 + 32 + 8, 32 + 5.
        ConvolutionCase(input: [1, 1, 1, 64], filter: [1, 1, 64, 72], activation: .relu6),
        ConvolutionCase(input: [1, 1, 2, 16], filter: [1, 1, 16, 37], residual: [1, 1, 2, 37]),
        ConvolutionCase(input: [2, 2, 4, 8], filter: [1, 1, 8, 40], bias: false), // 16 rows: 6 + 6 + 2 row by row
        // HardSwish (MobileNetV3), applied in a pass after the kernels, here on a 1×1 and a first RGB layer.
        ConvolutionCase(input: [1, 6, 6, 24], filter: [1, 1, 24, 40], activation: .hardSwish, residual: [1, 6, 6, 40]),
        ConvolutionCase(input: [1, 11, 11, 3], filter: [3, 3, 3, 8], strides: (2, 2), activation: .hardSwish),
        // Direct convolutions: SAME with odd sizes and stride 2, 5×5, dilation, explicit padding, 1×1 stride 2.
        ConvolutionCase(input: [2, 9, 11, 4], filter: [3, 3, 4, 16], strides: (2, 2), activation: .relu6),
        ConvolutionCase(input: [1, 13, 13, 3], filter: [5, 5, 3, 16], strides: (2, 2)),
        ConvolutionCase(input: [1, 12, 10, 5], filter: [3, 3, 5, 24], dilations: (2, 2), padding: .valid, activation: .relu),
        ConvolutionCase(input: [1, 9, 8, 6], filter: [3, 3, 6, 8], strides: (2, 2), padding: .explicit(top: 1, bottom: 2, left: 0, right: 1), bias: false),
        ConvolutionCase(input: [1, 8, 8, 5], filter: [1, 1, 5, 32], strides: (2, 2)),
        ConvolutionCase(input: [1, 6, 7, 3], filter: [3, 3, 3, 12], activation: .relu), // 12 outputs: a GEMM column tail of 4
        // 8+ input channels (the indirect kernel takes any count): blocks of 6 pixels across row ends, one tap
        // per filter row where a block's windows are inside horizontally, one per (ky, kx) elsewhere or with dilation.
        ConvolutionCase(input: [2, 7, 31, 16], filter: [3, 3, 16, 24], activation: .relu6),
        ConvolutionCase(input: [1, 5, 60, 8], filter: [3, 3, 8, 16], strides: (1, 2), padding: .valid, residual: [1, 3, 29, 16]),
        ConvolutionCase(input: [1, 11, 12, 8], filter: [5, 5, 8, 16], strides: (2, 2), padding: .valid, bias: false),
        ConvolutionCase(input: [1, 10, 9, 12], filter: [3, 3, 12, 8], strides: (2, 1), padding: .explicit(top: 2, bottom: 0, left: 1, right: 2)),
        ConvolutionCase(input: [1, 9, 30, 8], filter: [3, 3, 8, 16], dilations: (2, 1), activation: .relu),
        ConvolutionCase(input: [1, 9, 9, 8], filter: [3, 3, 8, 16], activation: .relu),
        ConvolutionCase(input: [1, 7, 9, 8], filter: [3, 3, 8, 20], activation: .hardSwish), // columns 16 + a scalar tail of 4
        ConvolutionCase(input: [2, 6, 5, 10], filter: [3, 3, 10, 12], strides: (2, 2), activation: .relu6, residual: [2, 3, 3, 12]), // 8 + 4
        ConvolutionCase(input: [1, 8, 8, 9], filter: [3, 3, 9, 16], dilations: (1, 2), bias: false), // horizontal dilation: short taps only
        ConvolutionCase(input: [1, 6, 7, 16], filter: [5, 5, 16, 40], activation: .relu), // 16 + 16 + 8, most blocks clipped
        ConvolutionCase(input: [1, 3, 3, 32], filter: [3, 3, 32, 8], padding: .valid), // a window as large as the image: one pixel
        // Outputs at most 3 wide (a ResNet's last stage): a row at a time, 3-pixel blocks of 64 columns with AVX-512 (of 32
        // with AVX2), filter rows on the zero border above and below left out; a first row whose windows see only border
        // (bias alone); outputs 2 and 1 wide (blocks of fewer pixels) with hard swish and a residual.
        ConvolutionCase(input: [1, 5, 2, 16], filter: [3, 3, 16, 96], activation: .hardSwish, residual: [1, 5, 2, 96]), // 32 × 3 (64 + 32)
        ConvolutionCase(input: [2, 7, 1, 8], filter: [3, 3, 8, 48], strides: (2, 1), activation: .relu6), // 32 + 16
        ConvolutionCase(input: [1, 3, 3, 24], filter: [3, 3, 24, 136], activation: .relu, residual: [1, 3, 3, 136]), // 64 + 64 + 8
        ConvolutionCase(input: [2, 6, 6, 16], filter: [3, 3, 16, 80], strides: (2, 2), padding: .explicit(top: 1, bottom: 1, left: 1, right: 1)),
        ConvolutionCase(input: [1, 2, 2, 8], filter: [3, 3, 8, 64], padding: .explicit(top: 4, bottom: 1, left: 0, right: 1), activation: .relu6),
        ConvolutionCase(input: [1, 4, 9, 8], filter: [3, 3, 8, 32], padding: .explicit(top: 3, bottom: 3, left: 1, right: 1), bias: true),
        // 8 and 4 wide (small-cnn's last layer): 4-pixel blocks of 64 columns, a row at a time, then 16 columns.
        ConvolutionCase(input: [2, 8, 8, 12], filter: [3, 3, 12, 80], activation: .relu, residual: [2, 8, 8, 80]),
        ConvolutionCase(input: [1, 5, 4, 8], filter: [3, 3, 8, 64], padding: .explicit(top: 1, bottom: 2, left: 1, right: 1)),
        // Residual additions riding on the store: 1×1 (rows 6 + 5, columns 16 + 8 + 4), a 3×3 panel, a broadcast one.
        ConvolutionCase(input: [2, 11, 1, 5], filter: [1, 1, 5, 28], activation: .relu6, residual: [2, 11, 1, 28]),
        ConvolutionCase(input: [1, 9, 10, 4], filter: [3, 3, 4, 16], residual: [1, 9, 10, 16]),
        ConvolutionCase(input: [1, 8, 7, 16], filter: [3, 3, 16, 16], activation: .relu6, residual: [1, 8, 7, 16]),
        ConvolutionCase(input: [1, 4, 4, 8], filter: [1, 1, 8, 16], activation: .relu, residual: [16]),
        // 1 to 4 input channels (an RGB stem): direct blocks of 12 pixels × 16 columns (AVX-512) or × 8, rows not a
        // multiple of 12, hard swish fused; 24 columns take the 8-column blocks on AVX-512 too.
        ConvolutionCase(input: [2, 30, 29, 3], filter: [3, 3, 3, 16], strides: (2, 2), padding: .explicit(top: 1, bottom: 1, left: 1, right: 1),
                        activation: .hardSwish),
        ConvolutionCase(input: [1, 17, 25, 3], filter: [3, 3, 3, 32], strides: (2, 2), padding: .same, activation: .relu),
        ConvolutionCase(input: [1, 13, 14, 1], filter: [5, 5, 1, 8], activation: .relu6),
        ConvolutionCase(input: [1, 9, 40, 4], filter: [3, 3, 4, 32], dilations: (2, 2), residual: [1, 9, 40, 32]),
        ConvolutionCase(input: [1, 11, 13, 2], filter: [7, 7, 2, 24], strides: (2, 2), padding: .same, activation: .hardSwish),
        ConvolutionCase(input: [1, 8, 8, 3], filter: [3, 3, 3, 48], padding: .valid, activation: .relu, bias: false),
        // The image read in place, border pixels clipped: no pixel with its window inside; rows and columns wholly on the
        // padding (bias alone); a ResNet stem (7×7 stride 2, pad 3) with a residual; 1 and 4 channels with hard swish.
        ConvolutionCase(input: [2, 2, 2, 3], filter: [3, 3, 3, 16], activation: .relu),
        ConvolutionCase(input: [1, 6, 7, 3], filter: [3, 3, 3, 24], padding: .explicit(top: 3, bottom: 2, left: 4, right: 1), activation: .relu6),
        ConvolutionCase(input: [1, 20, 21, 3], filter: [7, 7, 3, 16], strides: (2, 2), padding: .explicit(top: 3, bottom: 3, left: 3, right: 3),
                        residual: [1, 10, 11, 16]),
        ConvolutionCase(input: [2, 9, 10, 1], filter: [3, 3, 1, 8], strides: (1, 2), padding: .explicit(top: 0, bottom: 2, left: 2, right: 0),
                        activation: .hardSwish, bias: false),
        ConvolutionCase(input: [1, 7, 12, 4], filter: [5, 3, 4, 40], dilations: (1, 2), padding: .same, activation: .hardSwish),
        // RGB stems with rows of 12-pixel blocks and a partial one: the blocks whose step (stride × 3 channels) is a constant.
        ConvolutionCase(input: [1, 30, 29, 3], filter: [3, 3, 3, 16], strides: (2, 2), padding: .same, activation: .relu),
        ConvolutionCase(input: [1, 14, 26, 3], filter: [3, 3, 3, 32], padding: .same, activation: .relu6, residual: [1, 14, 26, 32]),
        // The same with 8 channels (torch-mobilenetv3's stem: the 12 × 8 block alone) and 24 (a 16- and an 8-channel block).
        ConvolutionCase(input: [2, 30, 29, 3], filter: [3, 3, 3, 8], strides: (2, 2), padding: .same, activation: .hardSwish),
        ConvolutionCase(input: [1, 9, 26, 3], filter: [3, 3, 3, 24], padding: .same, activation: .relu6, residual: [1, 9, 26, 24]),
        ConvolutionCase(input: [1, 6, 5, 3], filter: [1, 1, 3, 16], strides: (2, 2), activation: .hardSwish),
        // Hard swish fused into every kernel's store: the GEMM's 6-row blocks (columns 32/16 + 8 + a scalar 4) and the indirect blocks.
        ConvolutionCase(input: [1, 5, 7, 24], filter: [1, 1, 24, 76], activation: .hardSwish, residual: [1, 5, 7, 76]),
        ConvolutionCase(input: [2, 6, 6, 16], filter: [3, 3, 16, 72], strides: (2, 2), activation: .hardSwish),
        // 3×3 stride 1 with 16+ channels: Winograd F(2×2, 3×3) (and, in the same test, the indirect kernel with it off). Odd
        // outputs (tiles past the edge), valid and uneven padding, residual, hard swish, images gathered into one product
        // (4 tiles each: 12 images a product, then 2).
        ConvolutionCase(input: [2, 24, 24, 16], filter: [3, 3, 16, 16], activation: .relu),
        ConvolutionCase(input: [1, 32, 32, 16], filter: [3, 3, 16, 32], padding: .valid, activation: .relu),
        ConvolutionCase(input: [5, 4, 4, 64], filter: [3, 3, 64, 128], activation: .relu, residual: [5, 4, 4, 128]),
        ConvolutionCase(input: [3, 8, 7, 48], filter: [3, 3, 48, 64], activation: .hardSwish),
        ConvolutionCase(input: [1, 6, 7, 24], filter: [3, 3, 24, 40], padding: .explicit(top: 2, bottom: 0, left: 0, right: 1), activation: .relu6),
        ConvolutionCase(input: [14, 4, 4, 16], filter: [3, 3, 16, 24], bias: false),
        ConvolutionCase(input: [1, 6, 6, 16], filter: [3, 3, 16, 16], padding: .valid),
    ]

    /// The SIMD kernels (direct convolution and GEMM, bias and clamp fused) agree with the
    /// scalar path (im2col + BLAS, then bias and activation) on every shape family they take.
    @Test(.enabled(if: SIMDSupport.isAvailable, "the CPU runs the SIMD kernels"), arguments: convolutionCases)
    func simdConvolutionMatchesTheScalarPath(_ t: ConvolutionCase) throws {
        let input = Tensor(shape: t.input, data: Self.values(t.input.reduce(1, *), seed: 11))
        let filter = Tensor(shape: t.filter, data: Self.values(t.filter.reduce(1, *), seed: 12))
        let bias = t.bias ? Self.values(t.filter[3], seed: 13) : nil
        let residual = t.residual.map { Tensor(shape: $0, data: Self.values($0.reduce(1, *), seed: 14)) }
        let scalar = try Convolution.conv2d(input, filter: filter, bias: bias, strides: t.strides, dilations: t.dilations, padding: t.padding,
                                            activation: t.activation, residual: residual, simd: false)
        // With Winograd on (where it applies), then off: the direct SIMD kernels for the same shapes.
        for winograd in [true, false] {
            let simd = try Winograd.$isEnabled.withValue(winograd) {
                try Convolution.conv2d(input, filter: filter, bias: bias, strides: t.strides, dilations: t.dilations, padding: t.padding,
                                       activation: t.activation, residual: residual, simd: true)
            }
            #expect(simd.shape == scalar.shape)
            #expect(zip(simd.data, scalar.data).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) }, "Winograd \(winograd)")
        }
        let simd = try Convolution.conv2d(input, filter: filter, bias: bias, strides: t.strides, dilations: t.dilations, padding: t.padding,
                                          activation: t.activation, residual: residual, simd: true)
        if let residual {
            // Against the unfused reference: convolution, then a broadcasting add, then the activation.
            let plain = try Convolution.conv2d(input, filter: filter, bias: bias, strides: t.strides, dilations: t.dilations, padding: t.padding, simd: false)
            let reference = Elementwise.activate(try Elementwise.binary(plain, residual, .add), t.activation)
            #expect(zip(simd.data, reference.data).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) })
        }
    }

    static let depthwiseCases: [ConvolutionCase] = [
        ConvolutionCase(input: [2, 7, 9, 16], filter: [3, 3, 16, 1], activation: .relu6),
        ConvolutionCase(input: [1, 9, 9, 24], filter: [3, 3, 24, 1], strides: (2, 2), padding: .explicit(top: 0, bottom: 1, left: 0, right: 1), bias: false),
        ConvolutionCase(input: [1, 11, 10, 8], filter: [5, 5, 8, 1], dilations: (2, 2), padding: .valid, activation: .relu),
        // 5×5 (MobileNetV3): four-pixel groups where windows are inside, clipped pixels elsewhere; stride 2; uneven padding.
        ConvolutionCase(input: [2, 6, 7, 120], filter: [5, 5, 120, 1], activation: .relu6),
        ConvolutionCase(input: [1, 12, 11, 24], filter: [5, 5, 24, 1], strides: (2, 2), padding: .explicit(top: 2, bottom: 1, left: 2, right: 2)),
        ConvolutionCase(input: [1, 9, 9, 16], filter: [7, 3, 16, 1], padding: .same, activation: .relu),
        ConvolutionCase(input: [1, 5, 6, 16], filter: [2, 2, 16, 1], strides: (1, 2)),
        ConvolutionCase(input: [1, 7, 7, 24], filter: [5, 5, 24, 1], strides: (2, 2), activation: .hardSwish),
        ConvolutionCase(input: [1, 9, 10, 40], filter: [3, 3, 40, 1], activation: .hardSwish), // the 3×3 fast path, hard swish fused
        // 5×5 groups of four pixels: valid, stride 2 with padding, vertical dilation; then the pixels after the last group.
        ConvolutionCase(input: [1, 9, 15, 16], filter: [5, 5, 16, 1], padding: .valid, activation: .relu),
        ConvolutionCase(input: [2, 20, 21, 8], filter: [5, 5, 8, 1], strides: (2, 2), activation: .relu6),
        ConvolutionCase(input: [1, 14, 12, 8], filter: [5, 5, 8, 1], dilations: (2, 1), padding: .valid),
        ConvolutionCase(input: [1, 2, 2, 8], filter: [3, 3, 8, 1]), // no pixel has its whole window inside
        // Top and bottom border rows in groups of four over the filter rows inside: 3×3 with
        // vertical dilation, 3×3 stride 2 with a top row, 5×5 with two clipped rows each end.
        ConvolutionCase(input: [1, 9, 12, 16], filter: [3, 3, 16, 1], dilations: (2, 1), padding: .same, activation: .relu6),
        ConvolutionCase(input: [1, 8, 19, 24], filter: [3, 3, 24, 1], strides: (2, 2), padding: .explicit(top: 1, bottom: 1, left: 1, right: 1)),
        ConvolutionCase(input: [2, 7, 12, 16], filter: [5, 5, 16, 1], activation: .hardSwish),
        ConvolutionCase(input: [1, 6, 6, 8], filter: [3, 3, 8, 2]), // multiplier 2: the scalar path on both sides
        // Every pixel on the clipped path, whose blocks sum even and odd window columns apart:
        // horizontal dilation (3 and 2 columns inside, a step of two pixels), 16 + 16 + 8 channels.
        ConvolutionCase(input: [1, 7, 9, 40], filter: [3, 3, 40, 1], dilations: (1, 2), padding: .same, activation: .relu6),
        ConvolutionCase(input: [1, 5, 6, 8], filter: [3, 4, 8, 1], strides: (1, 3), padding: .same),
        // 3×3 interiors under four wide: the single-pixel loop on the middle rows; stride 2 valid.
        ConvolutionCase(input: [1, 5, 5, 16], filter: [3, 3, 16, 1]),
        ConvolutionCase(input: [1, 7, 7, 8], filter: [3, 3, 8, 1], strides: (2, 2), padding: .valid),
        // 3×3 stride 2 with a 5-wide interior (the last group overlaps), and unequal strides.
        ConvolutionCase(input: [1, 9, 13, 24], filter: [3, 3, 24, 1], strides: (2, 2), activation: .relu6),
        ConvolutionCase(input: [1, 8, 15, 16], filter: [3, 3, 16, 1], strides: (1, 2)),
        ConvolutionCase(input: [1, 9, 9, 16], filter: [3, 3, 16, 1], strides: (2, 1), padding: .explicit(top: 0, bottom: 0, left: 1, right: 0), bias: false),
        // Exactly four interior columns, 8 channels, no bias; border pairs at horizontal dilation 3.
        ConvolutionCase(input: [1, 6, 6, 8], filter: [3, 3, 8, 1], bias: false),
        ConvolutionCase(input: [1, 8, 11, 24], filter: [5, 5, 24, 1], dilations: (2, 3), activation: .relu),
        // 3×3 on the zero-padded copy of a narrow map.
        ConvolutionCase(input: [1, 4, 4, 8], filter: [3, 3, 8, 1], padding: .explicit(top: 1, bottom: 1, left: 2, right: 2)),
        // Narrow maps mostly on the padding run on a zero-padded copy: MobileNetV3's 6×6 under 5×5 (two groups
        // of four, overlapping), a 4-wide one with no column inside, a 5-wide one at stride 2 with uneven padding.
        ConvolutionCase(input: [1, 6, 6, 72], filter: [5, 5, 72, 1], activation: .hardSwish),
        ConvolutionCase(input: [2, 5, 4, 8], filter: [5, 5, 8, 1], activation: .relu),
        ConvolutionCase(input: [1, 9, 8, 16], filter: [5, 5, 16, 1], strides: (2, 2), padding: .explicit(top: 2, bottom: 1, left: 3, right: 2)),
    ]

    @Test(.enabled(if: SIMDSupport.isAvailable, "the CPU runs the SIMD kernels"), arguments: depthwiseCases)
    func simdDepthwiseMatchesTheScalarPath(_ t: ConvolutionCase) throws {
        let input = Tensor(shape: t.input, data: Self.values(t.input.reduce(1, *), seed: 21))
        let filter = Tensor(shape: t.filter, data: Self.values(t.filter.reduce(1, *), seed: 22))
        let bias = t.bias ? Self.values(t.filter[2] * t.filter[3], seed: 23) : nil
        let simd = try Convolution.depthwiseConv2d(input, filter: filter, bias: bias, strides: t.strides, dilations: t.dilations, padding: t.padding, activation: t.activation, simd: true)
        let scalar = try Convolution.depthwiseConv2d(input, filter: filter, bias: bias, strides: t.strides, dilations: t.dilations, padding: t.padding, activation: t.activation, simd: false)
        #expect(simd.shape == scalar.shape)
        #expect(zip(simd.data, scalar.data).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) })
    }

    /// Matrix products on the SIMD GEMM (bias and activation fused; one or two rows on the
    /// one-row kernel) agree with BLAS followed by bias and activation.
    @Test(.enabled(if: SIMDSupport.isAvailable, "the CPU runs the SIMD kernels"), arguments: [
        (1, 512, 288, Activation.hardSwish), (7, 44, 16, .hardSwish), (1, 2, 512, .relu), (2, 72, 33, .relu6), (7, 40, 16, .none), (1, 5, 3, .relu), (3, 100, 1, .none), (12, 100, 20, .relu6),
    ])
    func simdMatMulMatchesBLAS(_ m: Int, _ n: Int, _ k: Int, _ activation: Activation) throws {
        let a = Tensor(shape: [m, k], data: Self.values(m * k, seed: 51)), b = Tensor(shape: [k, n], data: Self.values(k * n, seed: 52))
        let bias = Self.values(n, seed: 53)
        let simd = try Elementwise.matMul(a, b, bias: bias, activation: activation, simd: true)
        let blas = try Elementwise.matMul(a, b, bias: bias, activation: activation, simd: false)
        #expect(simd.shape == [m, n])
        #expect(zip(simd.data, blas.data).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) })
    }

    /// The product with B packed in column panels equals the row-major one exactly (the same sums
    /// in the same order), on both paths: a last panel of fewer columns, no bias, one row.
    @Test(arguments: [(4, 1024, 288, Activation.hardSwish, true), (1, 40, 300, .relu, true), (7, 33, 200, .none, false), (3, 64, 16, .relu6, true)])
    func packedColumnsMatchTheRowMajorProduct(_ m: Int, _ n: Int, _ k: Int, _ activation: Activation, _ withBias: Bool) throws {
        let a = Tensor(shape: [m, k], data: Self.values(m * k, seed: 71)), b = Tensor(shape: [k, n], data: Self.values(k * n, seed: 72))
        let bias = withBias ? Self.values(n, seed: 73) : nil
        let packed = PackedColumns(b)
        for simd in [true, false] where simd == false || SIMDSupport.isAvailable {
            let plain = try Elementwise.matMul(a, b, bias: bias, activation: activation, simd: simd)
            let panels = try Elementwise.matMul(a, packed, bias: bias, activation: activation, simd: simd)
            #expect(panels.shape == [m, n])
            #expect(panels.data == plain.data, "simd \(simd)")
        }
    }

    /// Global average pooling (float sums per channel) against a sum in Double.
    @Test(arguments: [[2, 3, 3, 288], [1, 8, 8, 64], [1, 1, 1, 5], [0, 4, 4, 8], [1, 7, 5, 3]])
    func globalAverageMatchesADoubleSum(_ shape: [Int]) throws {
        let input = Tensor(shape: shape, data: Self.values(shape.reduce(1, *), seed: 61))
        let pooled = try Pooling.globalAverage(input)
        let (n, pixels, c) = (shape[0], shape[1] * shape[2], shape[3])
        #expect(pooled.shape == [n, c])
        for image in 0..<n {
            for ch in 0..<c {
                let mean = (0..<pixels).reduce(0.0) { $0 + Double(input.data[(image * pixels + $1) * c + ch]) } / Double(pixels)
                #expect(abs(Double(pooled.data[image * c + ch]) - mean) <= 1e-6)
            }
        }
    }

    /// The SIMD pooling kernel agrees exactly with the scalar loops (max and average, padding
    /// excluded from averages, odd sizes, strides other than the window).
    @Test(.enabled(if: SIMDSupport.isAvailable, "the CPU runs the SIMD kernels"), arguments: [
        (Pooling.Kind.max, [2, 7, 9, 16], (2, 2), (2, 2), Padding.same),
        (Pooling.Kind.average, [1, 7, 9, 8], (3, 3), (2, 2), Padding.same),
        (Pooling.Kind.max, [1, 8, 8, 24], (3, 2), (1, 2), Padding.valid),
        (Pooling.Kind.average, [1, 5, 6, 16], (2, 3), (1, 1), Padding.same),
        (Pooling.Kind.max, [2, 11, 10, 48], (3, 3), (2, 2), Padding.explicit(top: 1, bottom: 1, left: 1, right: 1)), // resnet's stem pool
        (Pooling.Kind.average, [1, 6, 7, 40], (3, 3), (1, 1), Padding.same), // 40 channels: the 8-channel kernel even with AVX-512
        (Pooling.Kind.average, [1, 5, 5, 12], (2, 2), (2, 2), Padding.same), // 12 channels: scalar on both sides
        // Max over 2×2 and 3×3 windows at stride 1: the unrolled loop on every window inside the image.
        (Pooling.Kind.max, [1, 9, 10, 32], (3, 3), (1, 1), Padding.valid),
        (Pooling.Kind.max, [1, 6, 9, 16], (2, 2), (1, 1), Padding.same),
    ])
    func simdPoolingMatchesTheScalarPath(_ kind: Pooling.Kind, _ shape: [Int], _ window: (Int, Int), _ strides: (Int, Int), _ padding: Padding) throws {
        let input = Tensor(shape: shape, data: Self.values(shape.reduce(1, *), seed: 41))
        let simd = try Pooling.pool2d(input, kind: kind, window: window, strides: strides, padding: padding, simd: true)
        let scalar = try Pooling.pool2d(input, kind: kind, window: window, strides: strides, padding: padding, simd: false)
        #expect(simd.shape == scalar.shape)
        #expect(zip(simd.data, scalar.data).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) })
    }

    /// The activations the kernels apply as they store (ReLU, ReLU6, hard swish; MAXPS/MINPS
    /// since 2026-12-06) give the scalar path's values on the edge cases too: NaN stays NaN,
    /// infinities clamp, zeros of either sign, values on the bounds. Through the GEMM, whose
    /// 16-, 8- and single-column blocks and scalar tail each store (AVX-512 and AVX2 kernels:
    /// the test command runs this suite with STRATUM_SIMD=avx2 too).
    @Test(arguments: [(Float(0), Float.infinity, false), (0, 6, false), (-1, 1, false), (-.infinity, .infinity, true)])
    func kernelActivationsMatchTheScalarPathOnEdgeValues(_ lower: Float, _ upper: Float, _ hardSwish: Bool) throws {
        guard SIMDSupport.isAvailable else { return }
        let edges: [Float] = [.nan, -0.0, 0, -1, 1, 6, 7, -7, 0.5, -.infinity, .infinity, 3, -3, .leastNonzeroMagnitude, -2.9, 1e30]
        // C = A·B with A a column of ones (k = 1): each column of C is one edge value, every row alike.
        let (m, n) = (6, 16 + 8 + 3 + 16)
        let a = [Float](repeating: 1, count: m), b = (0..<n).map { edges[$0 % edges.count] }
        var c = [Float](repeating: 42, count: m * n)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    SIMDSupport.gemmBiasClamp(m: m, n: n, k: 1, a: a.baseAddress!, lda: 1, b: b.baseAddress!, bias: nil, residual: nil,
                                              c: c.baseAddress!, lower: lower, upper: upper, hardSwish: hardSwish)
                }
            }
        }
        for (index, value) in c.enumerated() {
            let x = b[index % n]
            let expected: Float
            if hardSwish {
                let t = x * (1 / 6) + 0.5
                expected = x * (t < 0 ? 0 : t > 1 ? 1 : t)
            } else {
                expected = Swift.min(Swift.max(x, lower), upper)
            }
            #expect(value == expected || value.isNaN && expected.isNaN, "\(x) → \(value), scalar \(expected) (lower \(lower), upper \(upper), hard swish \(hardSwish))")
        }
    }

    /// The per-model choice between splitting single images across cores and one core: it
    /// splits first, times one core for a few images after the first 8 and every 256 after,
    /// and takes whichever way has been faster, following the machine when that changes.
    @Test func singleImagesGoTheFasterWayAndFollowChanges() {
        let choice = SplitChoice()
        Self.warmUp(choice)
        // Splitting is faster: after the first probe (5 images on one core) it stays split.
        let fast = Self.run(choice, images: 200, splitCost: 1e-4, aloneCost: 1.5e-4)
        #expect(fast.alone == SplitChoice.probeLength && choice.isSplitting)
        // The cores' exchanges slow down: at the next probe (256 images after the first, 65
        // into these) it moves to one core, then splits only to probe, 5 images every 256.
        let slow = Self.run(choice, images: 1000, splitCost: 2e-4, aloneCost: 1.5e-4)
        #expect(!choice.isSplitting)
        #expect(slow.split == 65 + 3 * SplitChoice.probeLength, "\(slow)")
        // And back when splitting pays again.
        _ = Self.run(choice, images: 600, splitCost: 1e-4, aloneCost: 1.5e-4)
        #expect(choice.isSplitting)
    }

    /// What the choice goes by is the usual time of each way, not single images: a probe's first
    /// image (which pays for the switch: a helper woken from sleep) and a slow image now and then
    /// (an interrupt) do not decide it. And a close call is checked again after 32 images, not 256.
    @Test func singleImagesAreChosenByTheUsualTimeOfEachWay() {
        // Split is faster, but every probe of it starts with a slow image, and it had one slow
        // image before the first probe: it still goes (and stays) split.
        let choice = SplitChoice()
        Self.warmUp(choice)
        var probeImage = 0
        let costs = Self.run(choice, images: 600, splitCost: 1e-4, aloneCost: 1.5e-4) { split, index in
            if !split { probeImage = 0; return nil }
            probeImage += 1
            return index == 3 || probeImage == 1 ? 2e-3 : nil
        }
        #expect(choice.isSplitting && costs.alone == 3 * SplitChoice.probeLength, "\(costs)")

        // Starting on one core (the first images split slowly), a probe whose first image is
        // slow still moves it to the faster split.
        let late = SplitChoice()
        Self.warmUp(late)
        let first = Self.run(late, images: 20, splitCost: 2e-4, aloneCost: 1.5e-4)
        #expect(!late.isSplitting && first.alone == 20 - 5)
        var firstOfProbe = true
        _ = Self.run(late, images: 300, splitCost: 1e-4, aloneCost: 1.5e-4) { split, _ in
            guard split, firstOfProbe else { return nil }
            firstOfProbe = false
            return 5e-3
        }
        #expect(late.isSplitting)

        // Within 10% of each other: probed again 32 images later, not 256.
        let close = SplitChoice()
        Self.warmUp(close)
        let near = Self.run(close, images: 8 + 5 + 3 * (SplitChoice.closeProbeInterval + SplitChoice.probeLength), splitCost: 1e-4, aloneCost: 1.05e-4)
        #expect(near.alone == 4 * SplitChoice.probeLength && close.isSplitting, "\(near)")
    }

    /// The first images of a model pay its one-off costs; not counted, they do not make
    /// splitting look slower than it is.
    static func warmUp(_ choice: SplitChoice) {
        for _ in 0..<SplitChoice.warmUpImages {
            #expect(choice.threads(available: 2) == 2)
            choice.record(split: true, seconds: 0.01)
        }
    }

    /// Runs `images` images through the choice at `splitCost` and `aloneCost` seconds each way
    /// (or what `cost` gives for an image, its index counted from 0, when not nil); returns how
    /// many went each way.
    static func run(_ choice: SplitChoice, images: Int, splitCost: Double, aloneCost: Double,
                    cost: (_ split: Bool, _ index: Int) -> Double? = { _, _ in nil }) -> (split: Int, alone: Int) {
        var counts = (split: 0, alone: 0)
        for index in 0..<images {
            let split = choice.threads(available: 2) > 1
            if split { counts.split += 1 } else { counts.alone += 1 }
            choice.record(split: split, seconds: cost(split, index) ?? (split ? splitCost : aloneCost))
        }
        return counts
    }

    /// When an op's rows would split unevenly, its output channels split instead, in equal
    /// multiples of the alignment; else (or on one thread, or for a small op) nil.
    @Test(arguments: [
        (rows: 3, channels: 128, alignment: 64, threads: 2, expected: [(0, 64), (64, 128)] as [(Int, Int)]?),
        (rows: 5, channels: 96, alignment: 16, threads: 2, expected: [(0, 48), (48, 96)]),
        (rows: 7, channels: 96, alignment: 16, threads: 2, expected: nil), // 4 rows against 3.5: within 15%
        (rows: 24, channels: 128, alignment: 16, threads: 2, expected: nil),
        (rows: 3, channels: 96, alignment: 64, threads: 2, expected: nil), // 48 is not a multiple of 64
        (rows: 3, channels: 128, alignment: 64, threads: 1, expected: nil),
        (rows: 2, channels: 96, alignment: 16, threads: 3, expected: [(0, 32), (32, 64), (64, 96)]),
    ])
    func unevenRowsSplitByChannels(_ t: (rows: Int, channels: Int, alignment: Int, threads: Int, expected: [(Int, Int)]?)) {
        let ranges = IntraOpParallelism.$threads.withValue(t.threads) {
            IntraOpParallelism.channelRanges(rows: t.rows, channels: t.channels, alignment: t.alignment, flops: 1 << 30)
        }
        #expect(ranges?.map { [$0.0, $0.1] } == t.expected?.map { [$0.0, $0.1] })
        let small = IntraOpParallelism.$threads.withValue(t.threads) {
            IntraOpParallelism.channelRanges(rows: t.rows, channels: t.channels, alignment: t.alignment, flops: IntraOpParallelism.minimumFlops - 1)
        }
        #expect(small == nil)
    }

    /// One image's convolutions split across threads (what a batch smaller than the core count
    /// does) give exactly the single-thread values: each part computes its own output rows (or,
    /// for Winograd, its own tiles), from its own copy of the rows it reads when the
    /// convolution is padded, with Winograd on and off.
    @Test(.enabled(if: SIMDSupport.isAvailable, "the split runs on the SIMD path")) func splittingAnImageAcrossThreadsChangesNothing() throws {
        let input = Tensor(shape: [1, 24, 23, 16], data: Self.values(24 * 23 * 16, seed: 31))
        let conv = Tensor(shape: [3, 3, 16, 32], data: Self.values(3 * 3 * 16 * 32, seed: 32))
        let pointwise = Tensor(shape: [1, 1, 16, 64], data: Self.values(16 * 64, seed: 33))
        let depthwise = Tensor(shape: [3, 3, 16, 1], data: Self.values(9 * 16, seed: 34))
        let bias = Self.values(64, seed: 35)
        func network() throws -> [Tensor] {
            [try Convolution.conv2d(input, filter: conv, bias: Array(bias[0..<32]), strides: (2, 1), padding: .same, activation: .relu6),
             try Convolution.conv2d(input, filter: conv, bias: Array(bias[0..<32]), padding: .same, activation: .relu), // Winograd when on
             try Convolution.conv2d(Tensor(shape: [1, 13, 9, 32], data: Self.values(13 * 9 * 32, seed: 36)), filter: Tensor(shape: [3, 3, 32, 24], data: Self.values(9 * 32 * 24, seed: 37)),
                                    bias: Array(bias[0..<24]), padding: .valid, activation: .relu6, residual: Tensor(shape: [1, 11, 7, 24], data: Self.values(11 * 7 * 24, seed: 38))),
             try Convolution.conv2d(input, filter: pointwise, bias: bias, padding: .valid, activation: .relu),
             // 3×3 tiles on 2 threads (Winograd when on): 5 and 4, the split inside a tile row.
             try Convolution.conv2d(Tensor(shape: [1, 6, 6, 32], data: Self.values(6 * 6 * 32, seed: 48)),
                                    filter: Tensor(shape: [3, 3, 32, 32], data: Self.values(9 * 32 * 32, seed: 49)), bias: Array(bias[0..<32]),
                                    padding: .same, activation: .relu, residual: Tensor(shape: [1, 6, 6, 32], data: Self.values(6 * 6 * 32, seed: 50))),
             // Padded direct convolutions, whose parts each copy their own rows of the bordered
             // image: a 3-channel stem (the small-channel kernels), uneven padding with a
             // residual (rows 2 above, none below), and a dilated one.
             try Convolution.conv2d(Tensor(shape: [1, 48, 47, 3], data: Self.values(48 * 47 * 3, seed: 39)),
                                    filter: Tensor(shape: [3, 3, 3, 16], data: Self.values(27 * 16, seed: 40)), bias: Array(bias[0..<16]),
                                    strides: (2, 2), padding: .explicit(top: 1, bottom: 1, left: 1, right: 1), activation: .relu),
             try Convolution.conv2d(input, filter: conv, strides: (1, 2), padding: .explicit(top: 2, bottom: 0, left: 1, right: 1), activation: .relu,
                                    residual: Tensor(shape: [1, 24, 12, 32], data: Self.values(24 * 12 * 32, seed: 41))),
             try Convolution.conv2d(input, filter: conv, bias: Array(bias[0..<32]), dilations: (2, 2), padding: .same, activation: .relu6),
             // Outputs of 3 and 5 rows, split by output channels instead: 64-channel blocks on a
             // 3-pixel-wide output (with a residual), 16-channel ones on a 5-pixel-wide one.
             try Convolution.conv2d(Tensor(shape: [1, 6, 6, 64], data: Self.values(6 * 6 * 64, seed: 42)),
                                    filter: Tensor(shape: [3, 3, 64, 128], data: Self.values(9 * 64 * 128, seed: 43)), strides: (2, 2),
                                    padding: .same, activation: .relu, residual: Tensor(shape: [1, 3, 3, 128], data: Self.values(9 * 128, seed: 44))),
             try Convolution.conv2d(Tensor(shape: [1, 5, 5, 48], data: Self.values(5 * 5 * 48, seed: 45)),
                                    filter: Tensor(shape: [3, 3, 48, 96], data: Self.values(9 * 48 * 96, seed: 46)), bias: Self.values(96, seed: 47),
                                    dilations: (2, 2), padding: .same, activation: .relu6),
             try Convolution.depthwiseConv2d(input, filter: depthwise, bias: Array(bias[0..<16]), padding: .same, activation: .relu6),
             // A narrow map on its zero-padded copy, each part copying the rows it reads.
             try Convolution.depthwiseConv2d(Tensor(shape: [1, 6, 6, 120], data: Self.values(6 * 6 * 120, seed: 51)),
                                             filter: Tensor(shape: [5, 5, 120, 1], data: Self.values(25 * 120, seed: 52)), padding: .same, activation: .hardSwish),
             try Pooling.pool2d(input, kind: .max, window: (2, 2), strides: (2, 2), padding: .same),
             try Pooling.pool2d(input, kind: .average, window: (3, 3), strides: (1, 1), padding: .same)]
        }
        for winograd in [true, false] {
            let serial = try Winograd.$isEnabled.withValue(winograd) { try network() }
            let split = try Winograd.$isEnabled.withValue(winograd) { try IntraOpParallelism.$threads.withValue(2) { try network() } }
            for (one, two) in zip(serial, split) {
                #expect(one.shape == two.shape)
                #expect(zip(one.data, two.data).filter { $0 != $1 }.count == 0, "values that differ when split (Winograd \(winograd))")
            }
        }
    }

    /// Windows larger than the image, an empty batch, 1×1 convolutions: empty or normal
    /// outputs on both paths, never a crash.
    @Test(arguments: [([1, 2, 2, 8], 3), ([0, 5, 5, 8], 3), ([1, 5, 5, 8], 1)])
    func degenerateShapesGiveEmptyOutputs(_ shape: [Int], _ kernel: Int) throws {
        let input = Tensor(zeros: shape)
        let expected = [shape[0], max(0, shape[1] - kernel + 1), max(0, shape[2] - kernel + 1)]
        for simd in [true, false] where simd == false || SIMDSupport.isAvailable {
            let conv = try Convolution.conv2d(input, filter: Tensor(zeros: [kernel, kernel, 8, 16]), padding: .valid, activation: .relu, simd: simd)
            let depthwise = try Convolution.depthwiseConv2d(input, filter: Tensor(zeros: [kernel, kernel, 8, 1]), padding: .valid, activation: .relu6, simd: simd)
            let pool = try Pooling.pool2d(input, kind: .max, window: (kernel, kernel), strides: (1, 1), padding: .valid, simd: simd)
            #expect(conv.shape == expected + [16])
            #expect(depthwise.shape == expected + [8])
            #expect(pool.shape == expected + [8])
        }
    }

    @Test func samePaddingPutsTheExtraRowAtTheBottom() throws {
        // 4×4 input, 2×2 kernel of ones, stride 1, SAME: output 4×4, the last row/column sees padding.
        let input = Tensor(shape: [1, 4, 4, 1], data: (0..<16).map(Float.init))
        let filter = Tensor(shape: [2, 2, 1, 1], data: [1, 1, 1, 1])
        let output = try Convolution.conv2d(input, filter: filter, padding: .same)
        #expect(output.shape == [1, 4, 4, 1])
        #expect(output.data[0] == 0 + 1 + 4 + 5)
        #expect(output.data[15] == 15)
    }

    @Test func broadcastingFollowsNumPy() throws {
        let a = Tensor(shape: [2, 1, 3], data: [1, 2, 3, 4, 5, 6])
        let b = Tensor(shape: [2, 1], data: [10, 20])
        let sum = try Elementwise.binary(a, b, .add)
        #expect(sum.shape == [2, 2, 3])
        #expect(sum.data == [11, 12, 13, 21, 22, 23, 14, 15, 16, 24, 25, 26])
        #expect(throws: EngineError.self) { try Elementwise.binary(a, Tensor(shape: [4], data: [1, 2, 3, 4]), .add) }
    }
}
