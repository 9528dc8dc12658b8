import StratumCore

extension RGBImage {
    /// The largest centred square (or the centred `width`×`height` window when given). The
    /// offset (excess / 2) is rounded down, or with `.toNearestOrEven` as torchvision's
    /// `CenterCrop` does (Python's `round`).
    public func centerCropped(width cropWidth: Int? = nil, height cropHeight: Int? = nil, rounding: FloatingPointRoundingRule = .down) -> RGBImage {
        let side = Swift.min(width, height)
        let w = Swift.min(cropWidth ?? side, width), h = Swift.min(cropHeight ?? side, height)
        let x0 = Int((Double(width - w) / 2).rounded(rounding)), y0 = Int((Double(height - h) / 2).rounded(rounding))
        var out = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            let src = ((y0 + y) * width + x0) * 3
            out.replaceSubrange((y * w * 3)..<((y + 1) * w * 3), with: pixels[src..<(src + w * 3)])
        }
        return RGBImage(width: w, height: h, pixels: out)
    }

    /// Bilinear resize with half-pixel centres (source x = (x + 0.5)·scale − 0.5, clamped),
    /// the convention of `tf.image.resize(method="bilinear")` and OpenCV's `INTER_LINEAR`.
    /// Rounds to nearest when converting back to 8 bits.
    public func resized(width newWidth: Int, height newHeight: Int) -> RGBImage {
        if newWidth == width && newHeight == height { return self }
        let values = resizedFloats(width: newWidth, height: newHeight)
        return RGBImage(width: newWidth, height: newHeight, pixels: values.map { UInt8(Swift.max(0, Swift.min(255, ($0).rounded()))) })
    }

    /// Bilinear resize to float samples in 0…255 (no rounding), RGB interleaved.
    ///
    /// Each source row is interpolated horizontally once (a row serves up to two output rows
    /// in a row, and more when enlarging), then pairs of those rows vertically: the same
    /// arithmetic, in the same order, as interpolating each output value from its four
    /// neighbours. A resize to the same size is the conversion alone (its weights are 0).
    public func resizedFloats(width newWidth: Int, height newHeight: Int) -> [Float] {
        let width = self.width, height = self.height
        if newWidth == width && newHeight == height {
            // A plain loop over buffers, which the compiler vectorises (`map` appends one value
            // at a time and was most of this function's time on 96×96 inputs).
            return [Float](unsafeUninitializedCapacity: pixels.count) { out, count in
                pixels.withUnsafeBufferPointer { src in
                    for i in 0..<src.count { out[i] = Float(src[i]) }
                }
                count = pixels.count
            }
        }
        let xs = Self.taps(source: width, target: newWidth)
        let ys = Self.taps(source: height, target: newHeight)
        let rowLength = newWidth * 3
        // Per output column: offsets of its two source pixels in a row, and its weight.
        let lows = xs.map { $0.low * 3 }, highs = xs.map { $0.high * 3 }, weights = xs.map(\.weight)
        return [Float](unsafeUninitializedCapacity: rowLength * newHeight) { dst, count in
            // Two horizontally interpolated source rows, and which rows they hold.
            let rows = UnsafeMutablePointer<Float>.allocate(capacity: 2 * rowLength)
            defer { rows.deallocate() }
            var held = (-1, -1)
            pixels.withUnsafeBufferPointer { src in
                lows.withUnsafeBufferPointer { lows in
                    highs.withUnsafeBufferPointer { highs in
                        weights.withUnsafeBufferPointer { weights in
                            /// The slot holding `row` interpolated, interpolating it into a slot not holding `keep`.
                            func slot(for row: Int, keeping keep: Int) -> Int {
                                if held.0 == row { return 0 }
                                if held.1 == row { return 1 }
                                let slot = held.0 == keep ? 1 : 0
                                let source = src.baseAddress! + row * width * 3, target = rows + slot * rowLength
                                for x in 0..<newWidth {
                                    let c0 = source + lows[x], c1 = source + highs[x], w = weights[x], o = target + x * 3
                                    o[0] = Float(c0[0]) * (1 - w) + Float(c1[0]) * w
                                    o[1] = Float(c0[1]) * (1 - w) + Float(c1[1]) * w
                                    o[2] = Float(c0[2]) * (1 - w) + Float(c1[2]) * w
                                }
                                if slot == 0 { held.0 = row } else { held.1 = row }
                                return slot
                            }
                            for (y, ty) in ys.enumerated() {
                                let top = rows + slot(for: ty.low, keeping: -1) * rowLength
                                let bottom = rows + slot(for: ty.high, keeping: ty.low) * rowLength
                                let o = dst.baseAddress! + y * rowLength, w = ty.weight
                                for i in 0..<rowLength { o[i] = top[i] * (1 - w) + bottom[i] * w }
                            }
                        }
                    }
                }
            }
            count = rowLength * newHeight
        }
    }

    private struct Tap { var low: Int; var high: Int; var weight: Float }

    private static func taps(source: Int, target: Int) -> [Tap] {
        let scale = Float(source) / Float(target)
        return (0..<target).map { i in
            let position = Swift.max(0, (Float(i) + 0.5) * scale - 0.5)
            let low = Swift.min(Int(position), source - 1)
            let high = Swift.min(low + 1, source - 1)
            return Tap(low: low, high: high, weight: position - Float(low))
        }
    }
}

/// Turns decoded images into the float input a model's `InputSpec` asks for.
public enum Preprocessor {
    /// Crop (if asked), resize bilinearly (with `resizeShorter`: torchvision's Resize, antialiased
    /// as Pillow does it, then CenterCrop), convert to gray (if 1 channel, ITU-R BT.601 luma
    /// 0.299 R + 0.587 G + 0.114 B) and normalise. Returns `height * width * channels` floats, HWC.
    public static func prepare(_ image: RGBImage, for spec: InputSpec) -> [Float] {
        var rgb: [Float]
        if let shorter = spec.resizeShorter {
            let (width, height) = shorterSideSize(width: image.width, height: image.height, shorter: shorter)
            rgb = image.antialiasResized(width: width, height: height)
                .centerCropped(width: spec.width, height: spec.height, rounding: .toNearestOrEven)
                .resizedFloats(width: spec.width, height: spec.height)
        } else {
            let source = spec.centerCrop ? image.centerCropped() : image
            rgb = source.resizedFloats(width: spec.width, height: spec.height)
        }
        let scale: Float, offset: Float
        switch spec.normalization {
        case .unit: (scale, offset) = (1 / 255, 0)
        case .symmetric: (scale, offset) = (1 / 127.5, -1)
        case .raw: (scale, offset) = (1, 0)
        }
        var values: [Float]
        if spec.channels == 1 {
            values = stride(from: 0, to: rgb.count, by: 3).map { i in
                (0.299 * rgb[i] + 0.587 * rgb[i + 1] + 0.114 * rgb[i + 2]) * scale + offset
            }
        } else {
            // In place: `rgb` is not used again, and its buffer is not shared.
            rgb.withUnsafeMutableBufferPointer { values in
                for i in 0..<values.count { values[i] = values[i] * scale + offset }
            }
            values = rgb
        }
        if spec.mean != nil || spec.std != nil {
            let channels = spec.channels
            let mean = spec.mean ?? [Float](repeating: 0, count: channels), std = spec.std ?? [Float](repeating: 1, count: channels)
            standardize(&values, channels: channels, mean: mean, std: std)
        }
        return values
    }

    /// `values[i] = (values[i] - mean[c]) / std[c]`, c the value's channel (i mod `channels`).
    /// The means and deviations are laid out repeated over 16 whole pixels, so the loop runs
    /// 16 pixels at a time with no index division: one integer division per value (and the
    /// bounds checks beside it), in a loop the compiler could not vectorise, was ~5 µs of a
    /// 96×96 image's preparation. Each value's arithmetic is the same subtraction and division.
    public static func standardize(_ values: inout [Float], channels: Int, mean: [Float], std: [Float]) {
        guard channels > 0 else { return }
        let period = 16 * channels
        let means = (0..<period).map { mean[$0 % channels] }, deviations = (0..<period).map { std[$0 % channels] }
        values.withUnsafeMutableBufferPointer { v in
            means.withUnsafeBufferPointer { m in
                deviations.withUnsafeBufferPointer { s in
                    var start = 0
                    while start < v.count {
                        let run = min(period, v.count - start)
                        let block = v.baseAddress! + start
                        for k in 0..<run { block[k] = (block[k] - m[k]) / s[k] }
                        start += run
                    }
                }
            }
        }
    }

    /// Throws when preparing `image` for `spec` would resize it to more than `ImageLimits`
    /// allows before cropping: with `resizeShorter` the whole image is resized first, and a
    /// valid 2 KB PNG of 1 × 1,000,000 pixels resized to a shorter side of 256 asked for ~197 GB
    /// (review of hostile input). Callers check before `prepare`; the error names `source`.
    public static func checkSize(_ image: RGBImage, for spec: InputSpec, source: String) throws {
        guard let shorter = spec.resizeShorter else { return }
        let (width, height) = shorterSideSize(width: image.width, height: image.height, shorter: shorter)
        try ImageLimits.check(width: width, height: height, format: "image resized to a shorter side of \(shorter)", source: source)
    }

    /// torchvision's `Resize(shorter)` size: the shorter side becomes `shorter`, the longer
    /// `int(shorter · long / short)` (truncated).
    public static func shorterSideSize(width: Int, height: Int, shorter: Int) -> (width: Int, height: Int) {
        if width <= height { return (shorter, max(1, Int(Double(shorter) * Double(height) / Double(max(1, width))))) }
        return (max(1, Int(Double(shorter) * Double(width) / Double(max(1, height)))), shorter)
    }

    /// Stacks prepared images into one NHWC batch.
    public static func batch(_ images: [RGBImage], for spec: InputSpec) -> ImageBatch {
        var values: [Float] = []
        values.reserveCapacity(images.count * spec.width * spec.height * spec.channels)
        for image in images { values += prepare(image, for: spec) }
        return ImageBatch(count: images.count, height: spec.height, width: spec.width, channels: spec.channels, values: values)
    }
}
