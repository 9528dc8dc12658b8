/// How pixel values in 0…255 are mapped to the floats a model expects.
public enum Normalization: String, Sendable, Codable, CaseIterable {
    /// x / 255, giving [0, 1].
    case unit
    /// x / 127.5 − 1, giving [−1, 1] (as AutoML Vision Edge and MobileNet expect).
    case symmetric
    /// x unchanged, giving [0, 255].
    case raw

    /// Maps one 8-bit sample.
    @inlinable
    public func apply(_ value: UInt8) -> Float {
        switch self {
        case .unit: return Float(value) / 255
        case .symmetric: return Float(value) / 127.5 - 1
        case .raw: return Float(value)
        }
    }
}

/// The input a model expects: size, channels and normalisation.
public struct InputSpec: Sendable, Codable, Hashable {
    /// The largest height or width a model's input may declare, whatever its kind: sizes come
    /// from model files, and every image is resized to them (a TF.js or ONNX input of 2^32 × 2^32
    /// loaded, then overflowed sizing the first chunk: review of hostile model files).
    public static let maxSide = 4_096

    /// Whether `height` and `width` are in 1…`maxSide`.
    public static func sideIsValid(_ side: Int) -> Bool { side >= 1 && side <= maxSide }

    public var width: Int
    public var height: Int
    /// 1 (grayscale) or 3 (RGB).
    public var channels: Int
    public var normalization: Normalization
    /// When true, the largest centred square is cropped before resizing.
    public var centerCrop: Bool
    /// Per-channel values subtracted after `normalization` (PyTorch's `Normalize` mean), one per channel.
    public var mean: [Float]?
    /// Per-channel values divided by after `mean` (PyTorch's `Normalize` std), one per channel.
    public var std: [Float]?
    /// When set, the shorter side is resized to this many pixels (aspect kept) and the centred
    /// `width`×`height` window cropped, as torchvision's `Resize(n)` + `CenterCrop` do.
    public var resizeShorter: Int?

    public init(width: Int, height: Int, channels: Int = 3, normalization: Normalization = .unit, centerCrop: Bool = false,
                mean: [Float]? = nil, std: [Float]? = nil, resizeShorter: Int? = nil) {
        self.width = width
        self.height = height
        self.channels = channels
        self.normalization = normalization
        self.centerCrop = centerCrop
        self.mean = mean
        self.std = std
        self.resizeShorter = resizeShorter
    }
}

/// What a loaded model variant is: identity, labels, expected input and the hash of its files.
public struct ModelDescriptor: Sendable, Codable, Equatable {
    /// The variant name from the experiment file (e.g. `logistic-baseline`).
    public var name: String
    /// The registry kind that loaded it (e.g. `logistic`).
    public var kind: String
    /// Class labels, in the order of every probability row.
    public var labels: [String]
    public var input: InputSpec
    /// SHA-256 (hex) over the model's files, so a result can be traced to exact weights.
    public var contentHash: String

    public init(name: String, kind: String, labels: [String], input: InputSpec, contentHash: String) {
        self.name = name
        self.kind = kind
        self.labels = labels
        self.input = input
        self.contentHash = contentHash
    }
}
