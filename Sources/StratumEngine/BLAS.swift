import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Single-precision matrix products: OpenBLAS's `cblas_sgemm` when the library is present,
/// else a portable blocked kernel.
///
/// OpenBLAS is opened with `dlopen` (not linked) so that, before it initialises, Stratum can
/// set `OPENBLAS_CORETYPE` from the CPU's own flags when the user has not set it: OpenBLAS
/// 0.3.21 does not recognise newer AMD and Intel models and falls back to slow generic
/// kernels. The choice follows the CPU (AVX-512F → SkylakeX, AVX2 + FMA → Haswell, else
/// untouched), so it stays correct on any x86-64 machine.
public enum BLAS {
    typealias Sgemm = @convention(c) (Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
                                      UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32) -> Void
    typealias SetThreads = @convention(c) (Int32) -> Void

    private static let loaded: (sgemm: Sgemm, description: String)? = load()

    /// What multiplies matrices here, e.g. `OpenBLAS (OPENBLAS_CORETYPE=Haswell)`.
    public static var backend: String { loaded?.description ?? "portable Swift kernel (OpenBLAS not found)" }

    /// Disable with `STRATUM_BLAS=none` (used to compare the two kernels).
    private static func load() -> (Sgemm, String)? {
        let environment = ProcessInfo.processInfo.environment
        if environment["STRATUM_BLAS"] == "none" { return nil }
        var chosen = "set by the user"
        if environment["OPENBLAS_CORETYPE"] == nil {
            if let core = preferredCoreType() {
                setenv("OPENBLAS_CORETYPE", core, 0)
                chosen = "chosen from CPU flags"
            } else {
                chosen = "OpenBLAS's own choice"
            }
        }
        for name in ["libopenblas.so.0", "libopenblas.so", "libopenblasp.so.0"] {
            guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL), let symbol = dlsym(handle, "cblas_sgemm") else { continue }
            // One OpenBLAS thread: the engine parallelises across images instead, which measured
            // 2–3× faster here than OpenBLAS's own threads on these small matrices.
            if ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] == nil, let setThreads = dlsym(handle, "openblas_set_num_threads") {
                unsafeBitCast(setThreads, to: SetThreads.self)(1)
            }
            let core = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? getenv("OPENBLAS_CORETYPE").map { String(cString: $0) } ?? "auto"
            return (unsafeBitCast(symbol, to: Sgemm.self), "OpenBLAS \(name) (OPENBLAS_CORETYPE=\(core), \(chosen))")
        }
        return nil
    }

    static func preferredCoreType() -> String? {
        #if arch(x86_64)
        let flags = CPUFlags.current
        if flags.contains("avx512f") && flags.contains("avx512bw") && flags.contains("avx512vl") { return "SkylakeX" }
        if flags.contains("avx2") && flags.contains("fma") { return "Haswell" }
        #endif
        return nil
    }

    /// C[m×n] = A[m×k] · B[k×n] (+ C when `accumulate`), all row-major and contiguous;
    /// `transposeB` reads B as stored n×k.
    public static func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                            transposeB: Bool = false, accumulate: Bool = false) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            if !accumulate { c.update(repeating: 0, count: m * n) }
            return
        }
        if let sgemm = loaded?.sgemm {
            // CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112.
            sgemm(101, 111, transposeB ? 112 : 111, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(transposeB ? k : n), accumulate ? 1 : 0, c, Int32(n))
            return
        }
        portableGemm(m: m, n: n, k: k, a: a, b: b, c: c, transposeB: transposeB, accumulate: accumulate)
    }

    /// The portable kernel (used without OpenBLAS): i-k-j loop order, blocked over k, vectorisable inner loop.
    public static func portableGemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                             transposeB: Bool, accumulate: Bool) {
        if !accumulate { c.update(repeating: 0, count: m * n) }
        if transposeB {
            for i in 0..<m {
                for j in 0..<n {
                    var sum: Float = 0
                    let rowA = a + i * k, rowB = b + j * k
                    for p in 0..<k { sum += rowA[p] * rowB[p] }
                    c[i * n + j] += sum
                }
            }
            return
        }
        let block = 256
        var p0 = 0
        while p0 < k {
            let p1 = min(k, p0 + block)
            for i in 0..<m {
                let rowC = c + i * n
                for p in p0..<p1 {
                    let scale = a[i * k + p]
                    if scale == 0 { continue }
                    let rowB = b + p * n
                    for j in 0..<n { rowC[j] += scale * rowB[j] }
                }
            }
            p0 = p1
        }
    }
}
