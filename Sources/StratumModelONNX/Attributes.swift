import StratumONNXProto

/// A node's attributes by name, read with the defaults ONNX gives them.
struct Attributes {
    let values: [String: Onnx_AttributeProto]

    init(_ list: [Onnx_AttributeProto]) {
        var values: [String: Onnx_AttributeProto] = [:]
        for attribute in list { values[attribute.name] = attribute }
        self.values = values
    }

    func has(_ name: String) -> Bool { values[name] != nil }
    func int(_ name: String) -> Int? { values[name].map { Int(clamping: $0.i) } }
    func int(_ name: String, _ fallback: Int) -> Int { int(name) ?? fallback }
    func float(_ name: String) -> Float? { values[name]?.f }
    func float(_ name: String, _ fallback: Float) -> Float { float(name) ?? fallback }
    func ints(_ name: String) -> [Int]? { values[name].map { $0.ints.map { Int(clamping: $0) } } }
    func floats(_ name: String) -> [Float]? { values[name]?.floats }
    func string(_ name: String) -> String? { values[name].map { String(decoding: $0.s, as: UTF8.self) } }
    func string(_ name: String, _ fallback: String) -> String { string(name) ?? fallback }
    func strings(_ name: String) -> [String]? { values[name].map { $0.strings.map { String(decoding: $0, as: UTF8.self) } } }
    func tensor(_ name: String) -> Onnx_TensorProto? { values[name].flatMap { $0.hasT ? $0.t : nil } }
}
