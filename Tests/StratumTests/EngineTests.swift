import StratumEngine
import Testing

@Suite struct EngineTests {
    /// Deterministic pseudo-random floats in [−1, 1).
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2_000_000) / 1_000_000 - 1
        }
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
