import Foundation
import StratumEngine
@testable import StratumModelONNX
import StratumONNXProto
import Testing

/// A ResNet block's projection shortcut (1×1, stride 2) computed in the parts of the block's
/// first convolution (`Convolution.conv2d(_:…companion:)`, paired at load by
/// `Graph.pairProjectionShortcuts`): the same values, bit for bit, as each run alone.
@Suite struct ProjectionShortcutTests {
    struct Pair: Sendable, CustomTestStringConvertible {
        var name: String
        var input: [Int]
        var kernel: Int
        var strides: (Int, Int)
        var padding: Padding
        var outChannels: Int
        var shortcutChannels: Int
        var residual: Bool
        var testDescription: String { name }
    }

    static let pairs: [Pair] = [
        // resnet_style's three blocks: rows split with each part's own bordered copy (24×24 and
        // 12×12 inputs), and 3×3 outputs split by output channels (the shortcut then by rows).
        Pair(name: "layer2 24×24×16 → 12×12×32", input: [1, 24, 24, 16], kernel: 3, strides: (2, 2), padding: .explicit(top: 1, bottom: 1, left: 1, right: 1),
             outChannels: 32, shortcutChannels: 32, residual: false),
        Pair(name: "layer3 12×12×32 → 6×6×64", input: [1, 12, 12, 32], kernel: 3, strides: (2, 2), padding: .explicit(top: 1, bottom: 1, left: 1, right: 1),
             outChannels: 64, shortcutChannels: 64, residual: false),
        Pair(name: "layer4 6×6×64 → 3×3×128 (channel parts)", input: [1, 6, 6, 64], kernel: 3, strides: (2, 2), padding: .same,
             outChannels: 128, shortcutChannels: 128, residual: false),
        // Odd sizes, a shortcut of another width, a residual on the first convolution, a batch.
        Pair(name: "odd 13×11×24, shortcut 40 wide, residual", input: [2, 13, 11, 24], kernel: 3, strides: (2, 2), padding: .same,
             outChannels: 48, shortcutChannels: 40, residual: true),
        Pair(name: "5×5 stride (2, 1)", input: [1, 10, 9, 16], kernel: 5, strides: (2, 1), padding: .explicit(top: 2, bottom: 2, left: 2, right: 2),
             outChannels: 16, shortcutChannels: 24, residual: false),
    ]

    static func tensor(_ shape: [Int], seed: UInt64) -> Tensor {
        Tensor(shape: shape, data: EngineTests.values(shape.reduce(1, *), seed: seed))
    }

    @Test(.enabled(if: SIMDSupport.isAvailable, "pairs run on the SIMD path"), arguments: pairs)
    func aPairGivesWhatEachGivesAlone(_ pair: Pair) throws {
        let c = pair.input[3]
        let input = Self.tensor(pair.input, seed: 71)
        let filter = Self.tensor([pair.kernel, pair.kernel, c, pair.outChannels], seed: 72)
        let bias = EngineTests.values(pair.outChannels, seed: 73)
        let shortcut = Convolution.Companion(filter: Self.tensor([1, 1, c, pair.shortcutChannels], seed: 74),
                                             bias: EngineTests.values(pair.shortcutChannels, seed: 75), activation: .none)
        let oh = (pair.input[1] + pair.strides.0 - 1) / pair.strides.0, ow = (pair.input[2] + pair.strides.1 - 1) / pair.strides.1
        let residual = pair.residual ? Self.tensor([pair.input[0], oh, ow, pair.outChannels], seed: 76) : nil
        for threads in [1, 2] {
            try IntraOpParallelism.$threads.withValue(threads) {
                let (main, second) = try #require(try Convolution.conv2d(input, filter: filter, bias: bias, strides: pair.strides, padding: pair.padding,
                                                                        activation: .relu, residual: residual, companion: shortcut))
                let alone = try Convolution.conv2d(input, filter: filter, bias: bias, strides: pair.strides, padding: pair.padding, activation: .relu, residual: residual)
                let shortcutAlone = try Convolution.conv2d(input, filter: shortcut.filter, bias: shortcut.bias, strides: pair.strides, padding: .valid)
                #expect(main.shape == alone.shape && main.data == alone.data, "\(threads) threads: the convolution")
                #expect(second.shape == shortcutAlone.shape && second.data == shortcutAlone.data, "\(threads) threads: the shortcut")
            }
        }
    }

    /// Where the pair cannot run together, nothing is computed and the caller runs each alone.
    @Test(.enabled(if: SIMDSupport.isAvailable, "pairs run on the SIMD path")) func pairsThatCannotRunTogetherAreDeclined() throws {
        let input = Self.tensor([1, 12, 12, 16], seed: 81)
        let shortcut = Convolution.Companion(filter: Self.tensor([1, 1, 16, 16], seed: 82))
        let pad1 = Padding.explicit(top: 1, bottom: 1, left: 1, right: 1)
        // Unpadded 3×3 stride 2: a 5×5 grid where the shortcut's is 6×6.
        #expect(try Convolution.conv2d(input, filter: Self.tensor([3, 3, 16, 16], seed: 83), strides: (2, 2), padding: .valid, companion: shortcut) == nil)
        // 3×3 stride 1 of 16 channels takes Winograd (when on); a 1×1 stride-1 one the GEMM path.
        let winograd = try Winograd.$isEnabled.withValue(true) {
            try Convolution.conv2d(input, filter: Self.tensor([3, 3, 16, 16], seed: 84), padding: pad1, activation: .relu, companion: shortcut)
        }
        #expect(winograd == nil)
        #expect(try Convolution.conv2d(input, filter: Self.tensor([1, 1, 16, 16], seed: 85), padding: .valid, companion: shortcut) == nil)
        // A shortcut over other channels than the input's, or not 1×1.
        #expect(try Convolution.conv2d(input, filter: Self.tensor([3, 3, 16, 16], seed: 86), strides: (2, 2), padding: pad1,
                                       companion: Convolution.Companion(filter: Self.tensor([1, 1, 8, 16], seed: 87))) == nil)
        #expect(try Convolution.conv2d(input, filter: Self.tensor([3, 3, 16, 16], seed: 88), strides: (2, 2), padding: pad1,
                                       companion: Convolution.Companion(filter: Self.tensor([3, 3, 16, 16], seed: 89))) == nil)
        // An activation the kernels cannot apply as they store.
        #expect(try Convolution.conv2d(input, filter: Self.tensor([3, 3, 16, 16], seed: 90), strides: (2, 2), padding: pad1, activation: .sigmoid,
                                       companion: shortcut) == nil)
    }

    /// resnet_style.onnx: each of its three size-changing blocks becomes one node with two
    /// outputs, and the network's output is the same, bit for bit, with and without the pairs,
    /// on one thread and split across two.
    @Test func resnetStyleBlocksArePairedWithTheSameOutput() throws {
        let url = ONNXTests.fixtures.appendingPathComponent("nets/resnet_style.onnx")
        let paired = try ONNXModel(contentsOf: url)
        let unpaired = try Graph.$pairsProjectionShortcuts.withValue(false) { try ONNXModel(contentsOf: url) }
        let pairs = paired.graph.nodes.filter { $0.convolution?.companions.isEmpty == false }
        #expect(pairs.count == 3 && pairs.allSatisfy { $0.outputs.count == 2 && $0.label.contains("downsample") }, "\(pairs.map(\.label))")
        #expect(paired.graph.scheduledOps.count == unpaired.graph.scheduledOps.count - 3)
        let images = Self.tensor([1, 3, 96, 96], seed: 91)
        for threads in [1, 2] {
            try IntraOpParallelism.$threads.withValue(threads) {
                let (one, other) = (try paired.run(images), try unpaired.run(images))
                #expect(one.data == other.data, "\(threads) threads")
            }
        }
    }

    /// The shortcut may come first in the file, with a node reading it before the block's
    /// first convolution: the pair takes the shortcut's place, so that node still finds its
    /// input computed.
    @Test func aShortcutListedFirstKeepsItsReadersInOrder() throws {
        func conv(_ inputs: [String], _ output: String, kernel: Int64, pads: Int64) -> Onnx_NodeProto {
            var node = SmallONNX.node("Conv", inputs, output)
            node.attribute = [("kernel_shape", [kernel, kernel]), ("strides", [2, 2]), ("pads", [pads, pads, pads, pads])].map { name, values in
                var a = Onnx_AttributeProto(); a.name = name; a.type = .ints; a.ints = values; return a
            }
            return node
        }
        var graph = Onnx_GraphProto()
        graph.name = "block"
        var x = Onnx_ValueInfoProto(); x.name = "x"; x.type = SmallONNX.type([1, 8, 10, 10])
        var y = Onnx_ValueInfoProto(); y.name = "y"; y.type = SmallONNX.type([1, 16])
        graph.input = [x]; graph.output = [y]
        graph.initializer = [SmallONNX.tensor("ws", [16, 8, 1, 1], EngineTests.values(128, seed: 92)),
                             SmallONNX.tensor("w1", [16, 8, 3, 3], EngineTests.values(16 * 8 * 9, seed: 93)),
                             SmallONNX.tensor("b1", [16], EngineTests.values(16, seed: 94))]
        // (A Mul, not fused into the shortcut as an activation would be, reads it in between.)
        graph.node = [conv(["x", "ws"], "s", kernel: 1, pads: 0), SmallONNX.node("Mul", ["s", "s"], "m"),
                      conv(["x", "w1", "b1"], "c", kernel: 3, pads: 1), SmallONNX.node("Relu", ["c"], "cr"),
                      SmallONNX.node("Add", ["cr", "m"], "a"), SmallONNX.node("GlobalAveragePool", ["a"], "g"),
                      SmallONNX.node("Flatten", ["g"], "y", int: ("axis", 1))]
        var model = Onnx_ModelProto()
        model.irVersion = 8
        var opset = Onnx_OperatorSetIdProto(); opset.version = 13
        model.opsetImport = [opset]
        model.graph = graph
        let url = try SmallONNX.write(model)
        let paired = try ONNXModel(contentsOf: url)
        let unpaired = try Graph.$pairsProjectionShortcuts.withValue(false) { try ONNXModel(contentsOf: url) }
        #expect(paired.graph.scheduledOps.filter { $0 == "Conv" }.count == 1 && unpaired.graph.scheduledOps.filter { $0 == "Conv" }.count == 2)
        let input = Self.tensor([1, 8, 10, 10], seed: 95)
        for threads in [1, 2] {
            try IntraOpParallelism.$threads.withValue(threads) {
                let (one, other) = (try paired.run(input), try unpaired.run(input))
                #expect(one.data == other.data, "\(threads) threads")
            }
        }
    }
}
