import Foundation
import StratumEngine

extension Kernels {
    /// Resize of the height and width of a 4-D NCHW value (held channels-last), by `scales`
    /// or `sizes`: modes `nearest` (all four `nearest_mode`s) and `linear`, with the
    /// coordinate transformations half_pixel, pytorch_half_pixel, align_corners, asymmetric
    /// and tf_half_pixel_for_nn. Sampling positions are clamped to the input, as onnxruntime does.
    /// Resize-10 (`opset` below 11) has neither attribute: its coordinates are asymmetric, and
    /// its nearest neighbour is the position rounded down when enlarging and up when shrinking
    /// (per axis), as onnxruntime computes it; opset 11's defaults were applied to it before, up
    /// to a whole pixel off.
    static func resize(_ x: Value, scales given: [Float]?, sizes: [Int]?, attributes a: Attributes, legacyScales: [Float]?, opset: Int) throws -> Value {
        let shape = x.shape
        guard shape.count == 4 else { throw EngineError.unsupported("Resize of a \(shape.count)-D value (only 4-D NCHW)") }
        if a.int("antialias", 0) != 0 { throw EngineError.unsupported("Resize with antialias") }
        let mode = a.string("mode", "nearest")
        guard mode == "nearest" || mode == "linear" else { throw EngineError.unsupported("Resize mode '\(mode)' (nearest and linear are supported)") }
        var scales = given.flatMap { $0.isEmpty ? nil : $0 }
        var sizes = sizes.flatMap { $0.isEmpty ? nil : $0 }
        if scales == nil && sizes == nil, let legacy = legacyScales, legacy.count == 4 { scales = legacy }
        // Opset 18's axes: scales or sizes for those axes only; the others keep their size.
        if let axes = a.ints("axes") {
            let normalized = try axes.map { try Kernels.axis($0, rank: 4) }
            guard Set(normalized).count == normalized.count else { throw EngineError.shapeMismatch("Resize axes \(axes) repeat") }
            if let given = scales {
                guard given.count == normalized.count else { throw EngineError.shapeMismatch("Resize has \(given.count) scales for axes \(axes)") }
                var full: [Float] = [1, 1, 1, 1]
                for (axis, value) in zip(normalized, given) { full[axis] = value }
                scales = full
            }
            if let given = sizes {
                guard given.count == normalized.count else { throw EngineError.shapeMismatch("Resize has \(given.count) sizes for axes \(axes)") }
                var full = shape
                for (axis, value) in zip(normalized, given) { full[axis] = value }
                sizes = full
            }
        }
        if let policy = a.string("keep_aspect_ratio_policy"), policy != "stretch", sizes != nil {
            throw EngineError.unsupported("Resize keep_aspect_ratio_policy '\(policy)'")
        }
        var outSize: [Int], coordinateScale: [Float]
        if let sizes {
            guard sizes.count == 4 else { throw EngineError.shapeMismatch("Resize sizes \(sizes) need 4 values") }
            outSize = sizes
            coordinateScale = (0..<4).map { Float(sizes[$0]) / Float(max(1, shape[$0])) }
        } else if let scales {
            guard scales.count == 4, scales.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw EngineError.shapeMismatch("Resize scales \(scales) need 4 positive values") }
            outSize = (0..<4).map { Layout.int((Float(shape[$0]) * scales[$0]).rounded(.down)) }
            coordinateScale = scales
        } else {
            throw EngineError.shapeMismatch("Resize needs scales or sizes")
        }
        guard shape.allSatisfy({ $0 >= 1 }) else { throw EngineError.shapeMismatch("Resize of an empty value \(shape)") }
        guard outSize[0] == shape[0], outSize[1] == shape[1] else { throw EngineError.unsupported("Resize of axis 0 or 1 (\(shape) → \(outSize)): Stratum resizes axes 2 and 3 only, the height and width of NCHW values (an NHWC graph's Resize changes axes 1 and 2)") }
        // Bounded before allocating: sizes and scales come from the model file.
        guard outSize.allSatisfy({ $0 >= 1 }), Tensor.checkedCount([shape[0], outSize[2], outSize[3], shape[1]]) != nil else {
            throw EngineError.shapeMismatch("Resize output \(outSize) is empty or larger than \(Tensor.maxElements) values")
        }
        let legacy = opset < 11
        let transform = legacy ? "asymmetric" : a.string("coordinate_transformation_mode", "half_pixel")
        let nearestMode = legacy ? "resize-10" : a.string("nearest_mode", "round_prefer_floor")
        let input = try x.channelsLastTensor()
        let (n, h, w, c) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (oh, ow) = (outSize[2], outSize[3])

        func source(_ i: Int, length: Int, outLength: Int, scale: Float) throws -> Float {
            let x = Float(i)
            switch transform {
            case "half_pixel": return (x + 0.5) / scale - 0.5
            case "pytorch_half_pixel": return outLength > 1 ? (x + 0.5) / scale - 0.5 : 0
            case "align_corners": return outLength > 1 ? x * Float(length - 1) / Float(outLength - 1) : 0
            case "asymmetric": return x / scale
            // An axis of scale 1 maps to itself, as in onnxruntime (the formula read half a
            // pixel further, a whole row under nearest_mode ceil).
            case "tf_half_pixel_for_nn": return scale == 1 ? x : (x + 0.5) / scale
            default: throw EngineError.unsupported("Resize coordinate_transformation_mode '\(transform)'")
            }
        }
        struct Tap { var low: Int; var high: Int; var weight: Float }
        func taps(length: Int, outLength: Int, scale: Float) throws -> [Tap] {
            try (0..<outLength).map { i in
                var position = try source(i, length: length, outLength: outLength, scale: scale)
                if !position.isFinite { position = 0 }
                if mode == "nearest" {
                    let rounded: Float
                    switch nearestMode {
                    case "round_prefer_floor": rounded = position == position.rounded(.down) + 0.5 ? position.rounded(.down) : position.rounded()
                    case "round_prefer_ceil": rounded = position.rounded(.toNearestOrAwayFromZero)
                    case "floor": rounded = position.rounded(.down)
                    case "ceil": rounded = position.rounded(.up)
                    case "resize-10": rounded = scale < 1 ? position.rounded(.up) : position.rounded(.down)
                    default: throw EngineError.unsupported("Resize nearest_mode '\(nearestMode)'")
                    }
                    let index = max(0, min(length - 1, Layout.int(rounded)))
                    return Tap(low: index, high: index, weight: 0)
                }
                let clamped = max(0, min(Float(length - 1), position))
                let low = Layout.int(clamped.rounded(.down))
                return Tap(low: low, high: min(low + 1, length - 1), weight: clamped - Float(low))
            }
        }
        // A tap is 24 bytes where an output value is 4: the tables are bounded on their own
        // (an output of 1 × 2^28 within the value limit built 6 GiB of taps: review of hostile input).
        guard oh + ow <= Tensor.maxElements / 8 else {
            throw EngineError.shapeMismatch("Resize to \(oh)×\(ow) exceeds \(Tensor.maxElements / 8) rows and columns")
        }
        let ys = try taps(length: h, outLength: oh, scale: coordinateScale[2])
        let xs = try taps(length: w, outLength: ow, scale: coordinateScale[3])
        var out = [Float](repeating: 0, count: n * oh * ow * c)
        input.data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for image in 0..<n {
                    for (oy, ty) in ys.enumerated() {
                        for (ox, tx) in xs.enumerated() {
                            let o = ((image * oh + oy) * ow + ox) * c
                            let p00 = ((image * h + ty.low) * w + tx.low) * c, p01 = ((image * h + ty.low) * w + tx.high) * c
                            let p10 = ((image * h + ty.high) * w + tx.low) * c, p11 = ((image * h + ty.high) * w + tx.high) * c
                            for ch in 0..<c {
                                let top = src[p00 + ch] + (src[p01 + ch] - src[p00 + ch]) * tx.weight
                                let bottom = src[p10 + ch] + (src[p11 + ch] - src[p10 + ch]) * tx.weight
                                dst[o + ch] = top + (bottom - top) * ty.weight
                            }
                        }
                    }
                }
            }
        }
        let resized = Tensor(shape: [n, oh, ow, c], data: out)
        // onnxruntime resizes an integer tensor in its type: interpolated values are truncated.
        if case .int = x {
            return .int(Layout.truncated(Layout.toChannelsFirst(resized)))
        }
        return .float(resized, channelsLast: true)
    }
}
