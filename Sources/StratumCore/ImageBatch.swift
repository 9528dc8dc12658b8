/// A batch of preprocessed images as one NHWC float32 buffer.
public struct ImageBatch: Sendable {
    public let count: Int
    public let height: Int
    public let width: Int
    public let channels: Int
    /// `count * height * width * channels` values, image after image, row-major, channels last.
    public let values: [Float]

    /// Creates a batch; `values.count` must equal `count * height * width * channels`.
    public init(count: Int, height: Int, width: Int, channels: Int, values: [Float]) {
        precondition(values.count == count * height * width * channels, "ImageBatch: value count does not match its shape")
        self.count = count
        self.height = height
        self.width = width
        self.channels = channels
        self.values = values
    }

    /// Number of floats per image.
    public var imageSize: Int { height * width * channels }

    /// The values of image `index`.
    public func image(_ index: Int) -> ArraySlice<Float> {
        values[(index * imageSize)..<((index + 1) * imageSize)]
    }
}
