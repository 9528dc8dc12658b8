import Foundation
import StratumEngineSIMD
import Synchronization

/// 3×3 stride-1 convolutions as Winograd's F(2×2, 3×3): 16 multiplications per 2×2 tile of
/// outputs and channel pair where the direct convolution takes 36.
///
/// Per group of images: the input transform writes V[16][tiles][C] (`SIMDKernels.winogradInput`,
/// which reads the image itself and takes zeros where a tile reaches past it), 16 matrix
/// products M[k] = V[k] · U[k] run on the SIMD GEMM, and the output transform adds bias and residual and applies the activation as it stores
/// (`SIMDKernels.winogradOutput`). U = G g Gᵀ, the filter's transform, is computed once per
/// filter (`WinogradFilters`). The transforms' matrices hold only 0, ±1 and ±½, so results
/// differ from the direct convolution by rounding alone (tested against the scalar path).
///
/// On one image's small maps a product would have a handful of rows, so the images of a
/// group are transformed together (up to `productRows` tiles in one product).
public enum Winograd {
    /// Whether 3×3 stride-1 convolutions take this path (on the SIMD kernels): yes unless
    /// `STRATUM_WINOGRAD=none`, or set for a task (the tests check both paths).
    @TaskLocal public static var isEnabled = ProcessInfo.processInfo.environment["STRATUM_WINOGRAD"] != "none"

    /// Tiles per product the images of a group are gathered up to.
    static let productRows = 48

    /// Whether a convolution takes this path: 3×3, stride 1, no dilation, 16 or more input and
    /// output channels in multiples of 8 (fewer channels leave products too thin to pay for the
    /// transforms).
    ///
    /// Outputs whose 2×2 tiles reach well past their edge (3×3, 5×5, 7×7: 16 computed for 9, 36
    /// for 25, 64 for 49) stay on the direct kernels, which also leave out taps on the padding;
    /// a ResNet's last 3×3 stage measured 1.3× slower here than there.
    static func applies(kernel: (Int, Int), strides: (Int, Int), dilations: (Int, Int), channels: Int, outChannels: Int, outputSize: (Int, Int)) -> Bool {
        let tiles = ((outputSize.0 + 1) / 2) * ((outputSize.1 + 1) / 2)
        return kernel == (3, 3) && strides == (1, 1) && dilations == (1, 1) && channels >= 16 && channels % 8 == 0
            && outChannels >= 16 && outChannels % 8 == 0 && 10 * 4 * tiles <= 13 * outputSize.0 * outputSize.1
    }

    /// The convolution of `n` NHWC images at `x` (h × w × c) into `y` (oh × ow × oc), with the
    /// padding's top and left as given; `u` is `WinogradFilters.transform` of the HWIO filter.
    ///
    /// When the op may use several threads (`IntraOpParallelism`: a batch smaller than the core
    /// count), each image's tiles are split among them, and each part transforms, multiplies
    /// and stores its own tiles: no step waits for another part, and what a part's output
    /// transform reads its own products wrote. Every tile's arithmetic is the same either way,
    /// so the values are too.
    static func convolve(x: UnsafePointer<Float>, n: Int, size: (Int, Int), channels c: Int, padding: (top: Int, left: Int),
                         u: UnsafePointer<Float>, outChannels oc: Int, bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?,
                         y: UnsafeMutablePointer<Float>, outputSize: (Int, Int), fused: (lower: Float, upper: Float, hardSwish: Bool)) {
        let (h, w) = size, (oh, ow) = outputSize
        let tileRowsPerImage = (oh + 1) / 2, tileColumns = (ow + 1) / 2, tiles = tileRowsPerImage * tileColumns
        // Split by tiles (counted row by row), not tile rows: 3 tile rows on 2 threads were 6
        // tiles against 3, 9 tiles are 5 against 4.
        let parts = IntraOpParallelism.ranges(total: tiles, alignment: 1, flops: 2 * oh * ow * 9 * c * oc)
        if parts.count > 1 {
            let v = UnsafeMutablePointer<Float>.allocate(capacity: 16 * tiles * c)
            let m = UnsafeMutablePointer<Float>.allocate(capacity: 16 * tiles * oc)
            defer { v.deallocate(); m.deallocate() }
            for image in 0..<n {
                let source = x + image * h * w * c
                IntraOpParallelism.run(parts) { first, end in
                    // This part's tiles, numbered from 0 in its own stretch of V and M.
                    let count = end - first
                    let pv = v + 16 * first * c, pm = m + 16 * first * oc
                    SIMDKernels.winogradInput(input: source, size: size, padding: padding, channels: c, tileColumns: tileColumns,
                                              tiles: (first, end), output: pv, tileStride: count, firstTile: -first)
                    products(tiles: count, v: pv, channels: c, u: u, outChannels: oc, m: pm)
                    SIMDKernels.winogradOutput(products: pm, tileStride: count, firstTile: -first, tileColumns: tileColumns, tiles: (first, end),
                                               outChannels: oc, bias: bias, residual: residual.map { $0 + image * oh * ow * oc },
                                               output: y + image * oh * ow * oc, outputSize: outputSize,
                                               lower: fused.lower, upper: fused.upper, hardSwish: fused.hardSwish)
                }
            }
            return
        }
        let chunk = max(1, min(n, productRows / max(1, tiles)))
        let v = UnsafeMutablePointer<Float>.allocate(capacity: 16 * chunk * tiles * c)
        let m = UnsafeMutablePointer<Float>.allocate(capacity: 16 * chunk * tiles * oc)
        defer { v.deallocate(); m.deallocate() }
        var first = 0
        while first < n {
            let count = min(chunk, n - first), stride = count * tiles
            for i in 0..<count {
                SIMDKernels.winogradInput(input: x + (first + i) * h * w * c, size: size, padding: padding, channels: c, tileColumns: tileColumns,
                                          tiles: (0, tiles), output: v, tileStride: stride, firstTile: i * tiles)
            }
            products(tiles: stride, v: v, channels: c, u: u, outChannels: oc, m: m)
            for i in 0..<count {
                let image = first + i
                SIMDKernels.winogradOutput(products: m, tileStride: stride, firstTile: i * tiles, tileColumns: tileColumns, tiles: (0, tiles),
                                           outChannels: oc, bias: bias, residual: residual.map { $0 + image * oh * ow * oc },
                                           output: y + image * oh * ow * oc, outputSize: outputSize,
                                           lower: fused.lower, upper: fused.upper, hardSwish: fused.hardSwish)
            }
            first += count
        }
    }

    /// M[k] = V[k] · U[k] for the 16 points of the transform: `tiles` rows of `c` in V (16 planes
    /// of tiles × c), U's planes c × oc, M's tiles × oc.
    private static func products(tiles: Int, v: UnsafePointer<Float>, channels c: Int, u: UnsafePointer<Float>, outChannels oc: Int,
                                 m: UnsafeMutablePointer<Float>) {
        for k in 0..<16 {
            SIMDSupport.gemmBiasClamp(m: tiles, n: oc, k: c, a: v + k * tiles * c, lda: c, b: u + k * c * oc,
                                      bias: nil, residual: nil, c: m + k * tiles * oc, lower: -.infinity, upper: .infinity)
        }
    }
}

/// Winograd transforms of the filters convolutions have used, so that each filter is
/// transformed once rather than on every call.
///
/// An entry is found by the address of the filter's storage. That is sound because the entry
/// keeps that storage alive (holding the array): no other array can be given the same address
/// while the entry exists, and an array that shares the storage cannot have changed it, as a
/// shared array is copied before it is written. Filters built anew on every call (none of the
/// model kinds do) would be transformed every call; the oldest entries go past `capacity`.
final class WinogradFilters: Sendable {
    static let shared = WinogradFilters()
    static let capacity = 256

    private struct Entry: @unchecked Sendable {
        let filter: [Float]
        let transformed: [Float]
    }
    private let entries = Mutex<[Entry]>([])

    /// U[k][ci][co] = (G g Gᵀ)[k] for the HWIO 3×3 filter `filter` ([3, 3, c, oc]).
    func transform(_ filter: Tensor) -> [Float] {
        let address = filter.data.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        if let hit = entries.withLock({ list in
            list.last { entry in entry.filter.count == filter.data.count && entry.filter.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } == address }
        }) {
            return hit.transformed
        }
        let transformed = Self.compute(filter)
        entries.withLock { list in
            list.append(Entry(filter: filter.data, transformed: transformed))
            if list.count > Self.capacity { list.removeFirst(list.count - Self.capacity) }
        }
        return transformed
    }

    static func compute(_ filter: Tensor) -> [Float] {
        let (c, oc) = (filter.shape[2], filter.shape[3])
        var u = [Float](repeating: 0, count: 16 * c * oc)
        filter.data.withUnsafeBufferPointer { g in
            for ci in 0..<c {
                for co in 0..<oc {
                    func tap(_ a: Int, _ b: Int) -> Double { Double(g[((a * 3 + b) * c + ci) * oc + co]) }
                    // G g: 4 rows of 3 (G's rows: (1, 0, 0), (½, ½, ½), (½, −½, ½), (0, 0, 1)).
                    var gg = [[Double]](repeating: [0, 0, 0], count: 4)
                    for b in 0..<3 {
                        gg[0][b] = tap(0, b)
                        gg[1][b] = (tap(0, b) + tap(1, b) + tap(2, b)) / 2
                        gg[2][b] = (tap(0, b) - tap(1, b) + tap(2, b)) / 2
                        gg[3][b] = tap(2, b)
                    }
                    for i in 0..<4 {
                        let row = gg[i]
                        let values = [row[0], (row[0] + row[1] + row[2]) / 2, (row[0] - row[1] + row[2]) / 2, row[2]]
                        for j in 0..<4 { u[((i * 4 + j) * c + ci) * oc + co] = Float(values[j]) }
                    }
                }
            }
        }
        return u
    }
}
