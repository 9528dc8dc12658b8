import Foundation

/// One row of a dataset: an image with its label, split and attributes.
public struct Sample: Sendable, Equatable {
    /// The manifest's id, unique within the dataset.
    public var id: String
    /// The image file, absolute.
    public var url: URL
    /// The path as written in the manifest (relative to it).
    public var relativePath: String
    /// The value of the label column.
    public var label: String
    /// `train`, `val`, `test`, … as the manifest says.
    public var split: String
    /// Every other column (including the label column), by column name.
    public var attributes: [String: String]
    /// 1-based line (CSV) or record number (JSONL) in the manifest, for error messages.
    public var line: Int

    public init(id: String, url: URL, relativePath: String, label: String, split: String, attributes: [String: String], line: Int) {
        self.id = id
        self.url = url
        self.relativePath = relativePath
        self.label = label
        self.split = split
        self.attributes = attributes
        self.line = line
    }
}
