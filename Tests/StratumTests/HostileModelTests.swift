import Foundation
import StratumCore
import StratumEngine
import StratumModelLogistic
import StratumModelONNX
import StratumModelProcess
import StratumModelTFJS
import Testing

/// Model files a review of hostile input made to crash the loaders or the engine
/// (`Tests/Fixtures/{tfjs,onnx}/hostile`, made by the `make.py` beside them): an empty tensor
/// with huge dimensions, explicit paddings of Int.max or below zero, a ConcatV2 with N = −1, a
/// block of 2^32, a rank-1 convolution kernel before a batch norm, a Concat listing one value
/// 100,000 times, an input of 2^40 × 2^40, a node with no outputs, an external-data offset of
/// Int.max… Each now gives an error naming the problem (or, where the file is valid, runs):
/// none may trap, nor allocate without bound. A test process that crashed here fails the run.
@Suite struct HostileModelTests {
    static let tfjsFolder = TestSupport.fixtures.appendingPathComponent("tfjs/hostile")
    static let onnxFolder = TestSupport.fixtures.appendingPathComponent("onnx/hostile")

    /// The model loaded and run on one zero image of its declared input (−1 read as 1): the
    /// error either gives, or nil when both succeed.
    static func outcome(_ load: () throws -> (inputShape: [Int], run: (Tensor) throws -> Tensor)) -> String? {
        do {
            let (shape, run) = try load()
            let concrete = shape.map { $0 < 0 ? 1 : $0 }
            guard let count = Tensor.checkedCount(concrete) else { return "input shape \(shape) over the limit" }
            _ = try run(Tensor(shape: concrete, data: [Float](repeating: 0, count: count)))
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// The case's error holds `refusal`; with none expected, there is no error.
    static func expect(_ name: String, refusal: String?, _ error: String?) throws {
        guard let refusal else {
            #expect(error == nil, "\(name): \(error ?? "")")
            return
        }
        let message = try #require(error, "\(name) ran")
        #expect(message.contains(refusal), "\(name): \(message)")
    }

    static let tfjsCases: [(folder: String, refusal: String)] = [
        ("batchtospace-overflow", "BatchToSpaceND"),
        ("concat-huge-N", "ConcatV2 with N"),
        ("concat-negative-N", "ConcatV2 with N = -1"),
        ("concat-no-inputs", "ConcatV2 with N"),
        ("explicit-padding-negative", "explicit_paddings"),
        ("explicit-padding-overflow", "explicit_paddings"),
        ("folded-pad-huge", "more than"),
        ("huge-input-size", "over"),
        ("layers-depthwise-rank1", "is not [height, width, in, out]"),
        ("layers-scalar-kernel-empty-bn", "is not [height, width, in, out]"),
        ("zero-element-fused-bias", "over"),
        ("zero-element-mean", "over"),
        ("zero-element-reshape", "cannot reshape"),
    ]

    @Test(arguments: tfjsCases.indices)
    func tfjs(_ index: Int) throws {
        let (folder, refusal) = Self.tfjsCases[index]
        try Self.expect(folder, refusal: refusal, Self.outcome {
            let model = try TFJSModel(contentsOf: Self.tfjsFolder.appendingPathComponent(folder))
            return (model.inputShape, model.run)
        })
    }

    /// The loader refuses a TF.js input over 4,096 a side before anything is sized from it.
    @Test func tfjsInputSizeIsBounded() throws {
        let spec = ModelSpec(name: "huge", kind: "tfjs", path: Self.tfjsFolder.appendingPathComponent("huge-input-size"), options: [:])
        let error = try #require(throws: TFJSError.self) { _ = try TFJSLoader().load(spec) }
        #expect(error.description.contains("1…4096"), "\(error)")
    }

    static let onnxCases: [(file: String, refusal: String?)] = [
        ("zero-dim-flatten.onnx", "declared shape"),
        ("zero-dim-gather_inner.onnx", "declared shape"),
        ("zero-dim-transpose.onnx", "declared shape"),
        ("zero-dim-reshape_softmax.onnx", "cannot reshape"),
        ("zero-dim-conv_kernel_runtime.onnx", "declared shape"),
        // Valid: a slice of an empty axis is empty.
        ("slice-empty-negative-step.onnx", nil),
        ("conv-without-outputs.onnx", "has no outputs"),
        ("gemm-without-outputs.onnx", "has no outputs"),
        ("external-offset-overflow/model.onnx", "reach past the end"),
        ("concat-bomb-fold.onnx", "concat"),
        ("concat-bomb-runtime.onnx", "concat"),
        ("pad-edge-index-maps.onnx", "padding"),
    ]

    @Test(arguments: onnxCases.indices)
    func onnx(_ index: Int) throws {
        let (file, refusal) = Self.onnxCases[index]
        try Self.expect(file, refusal: refusal, Self.outcome {
            let model = try ONNXModel(contentsOf: Self.onnxFolder.appendingPathComponent(file))
            return (model.inputShape, model.run)
        })
    }

    /// The loader refuses ONNX inputs over 4,096 a side, flat or not, before sizing anything.
    @Test(arguments: ["input-flat_3x2p60.onnx", "input-flat_int64max_channels1.onnx", "input-nchw_2p40.onnx"])
    func onnxInputSizeIsBounded(_ file: String) throws {
        let options = file.contains("channels1") ? ["channels": "1", "labels": "a,b"] : ["labels": "a,b"]
        let spec = ModelSpec(name: "huge", kind: "onnx", path: Self.onnxFolder.appendingPathComponent(file), options: options)
        let error = try #require(throws: ONNXError.self) { _ = try ONNXLoader().load(spec) }
        #expect(error.description.contains("1…4096") || error.description.contains("not a square"), "\(file): \(error)")
    }

    /// A logistic model file declaring a 2^32 × 2^32 input is refused, not overflowed.
    @Test func logisticInputSizeIsBounded() throws {
        let url = try TestSupport.temporaryDirectory().appendingPathComponent("logistic.json")
        try TestSupport.write("""
        {"format": "stratum-logistic", "version": 1, "labels": ["a", "b"],
         "input": {"width": 4294967296, "height": 4294967296, "channels": 1, "normalization": "unit", "centerCrop": false},
         "standardization": {"mean": [], "scale": []}, "C": 1.0, "coef": [[]], "intercept": [0.0]}
        """, to: url)
        let tooLarge = try #require(throws: (any Error).self) { _ = try LogisticModelFile.read(url) }
        #expect("\(tooLarge)".contains("1…4096"), "\(tooLarge)")
        // An empty label is refused, as for every other kind.
        try TestSupport.write("""
        {"format": "stratum-logistic", "version": 1, "labels": ["", "b"],
         "input": {"width": 1, "height": 1, "channels": 1, "normalization": "unit", "centerCrop": false},
         "standardization": {"mean": [0], "scale": [1]}, "C": 1.0, "coef": [[0]], "intercept": [0.0]}
        """, to: url)
        let error = try #require(throws: (any Error).self) { _ = try LogisticModelFile.read(url) }
        #expect("\(error)".contains("empty label"), "\(error)")
    }

    /// Window values are bounded before the window arithmetic, in the engine itself.
    @Test func engineWindowsAreBounded() throws {
        let x = Tensor(zeros: [1, 4, 4, 3]), f = Tensor(zeros: [3, 3, 3, 2])
        for padding in [Padding.explicit(top: -1, bottom: 0, left: 0, right: 0), .explicit(top: 0, bottom: Int.max, left: 0, right: 0)] {
            #expect(throws: EngineError.self) { _ = try Convolution.conv2d(x, filter: f, padding: padding) }
        }
        #expect(throws: EngineError.self) { _ = try Convolution.conv2d(x, filter: f, strides: (0, 1), padding: .valid) }
        #expect(throws: EngineError.self) { _ = try Convolution.conv2d(x, filter: f, dilations: (1 << 62, 1), padding: .same) }
        #expect(throws: EngineError.self) { _ = try Pooling.pool2d(x, kind: .max, window: (Int.max, 2), strides: (1, 1), padding: .same) }
        #expect(throws: EngineError.self) { _ = try Elementwise.batchToSpace(x, block: (1 << 32, 1 << 32), crops: ((0, 0), (0, 0))) }
        #expect(throws: EngineError.self) { _ = try Elementwise.spaceToBatch(x, block: (1 << 40, 1), paddings: ((0, 0), (0, 0))) }
        // An empty tensor is bounded too; an ordinary empty batch is not refused.
        #expect(Tensor.checkedCount([0, 1 << 32, 1 << 32]) == nil)
        #expect(Tensor.checkedCount([0, 224, 224, 3]) == 0)
        #expect(throws: EngineError.self) { _ = try Tensor(zeros: [0]).reshaped([0, 1 << 61, 1 << 61]) }
        // Concatenation is bounded before anything is reserved: 300 × 2^20 values > 2^28.
        let big = Tensor(zeros: [1, 1 << 20])
        #expect(throws: EngineError.self) { _ = try Elementwise.concat([Tensor](repeating: big, count: 300), axis: 0) }
    }
}

/// `stratum serve` answers a predict frame whose shape overflows, is negative or is not the
/// model's input with an error frame, and goes on (it trapped: review of hostile input).
@Suite struct PluginServerHostileFrameTests {
    static func frame(_ header: String, body: [Float] = []) -> [UInt8] {
        let json = Array(header.utf8)
        let bodyBytes = body.withUnsafeBytes { Array($0) }
        func u32(_ v: Int) -> [UInt8] { withUnsafeBytes(of: UInt32(v).littleEndian) { Array($0) } }
        return u32(4 + json.count + bodyBytes.count) + u32(json.count) + json + bodyBytes
    }

    @Test func malformedPredictShapesGetErrorFrames() throws {
        let classifier = ScriptedClassifier(descriptor: ModelDescriptor(name: "m", kind: "scripted", labels: ["a", "b"],
                                                                         input: InputSpec(width: 8, height: 8, channels: 1), contentHash: "none"),
                                            failFromBatch: Int.max, mode: "throw")
        var stream = Self.frame(#"{"type": "hello", "protocol": \#(ProcessClassifier.protocolVersion)}"#)
        stream += Self.frame(#"{"type": "predict", "id": 1, "shape": [100000000000000, 100000000000000, 1, 1], "dtype": "float32"}"#)
        stream += Self.frame(#"{"type": "predict", "id": 2, "shape": [-1, 8, 8, 0], "dtype": "float32"}"#)
        stream += Self.frame(#"{"type": "predict", "id": 3, "shape": [1, 4, 16, 1], "dtype": "float32"}"#, body: [Float](repeating: 0.5, count: 64))
        stream += Self.frame(#"{"type": "predict", "id": 4, "shape": [1, 8, 8, 1], "dtype": "float32"}"#, body: [Float](repeating: 0.25, count: 64))
        stream += Self.frame(#"{"type": "shutdown"}"#)
        let input = Pipe(), output = Pipe()
        input.fileHandleForWriting.write(Data(stream))
        try input.fileHandleForWriting.close()
        try PluginServer.serve(classifier, input: input.fileHandleForReading, output: output.fileHandleForWriting)
        try output.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let compact = text.replacingOccurrences(of: " ", with: "")
        #expect(compact.components(separatedBy: #""type":"error""#).count - 1 == 3, "\(text)")
        #expect(compact.components(separatedBy: #""type":"result""#).count - 1 == 1, "\(text)")
    }
}
