/// A TensorFlow.js export could not be read or run; names the file and the node or layer.
public struct TFJSError: Error, CustomStringConvertible, Equatable {
    /// The model.json or shard file.
    public var file: String
    /// The node or layer, when the problem is in one.
    public var node: String?
    public var message: String

    public init(file: String, node: String? = nil, message: String) {
        self.file = file
        self.node = node
        self.message = message
    }

    public var description: String {
        node.map { "\(file): node '\($0)': \(message)" } ?? "\(file): \(message)"
    }
}
