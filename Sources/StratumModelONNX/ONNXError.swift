/// An ONNX model could not be read or run; names the file and, when the problem is in one,
/// the node (its name, else its op and position) or initializer.
public struct ONNXError: Error, CustomStringConvertible, Equatable {
    /// The `.onnx` file (or the external data file, when the problem is there).
    public var file: String
    /// The node or initializer, when the problem is in one.
    public var node: String?
    public var message: String

    public init(file: String, node: String? = nil, message: String) {
        self.file = file
        self.node = node
        self.message = message
    }

    public var description: String {
        node.map { "\(file): \($0): \(message)" } ?? "\(file): \(message)"
    }
}
