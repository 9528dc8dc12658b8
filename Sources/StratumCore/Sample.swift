import Foundation

/// One row of a dataset: an image with its label, split and attributes.
///
/// Held compactly, because a run keeps every row of its manifest (a million, say) for its
/// whole length: the image URL is made from the dataset's folder when asked for rather than
/// stored (a Foundation URL costs ~470 bytes), and the attributes share their column names
/// with every other row of the dataset (`SampleAttributes`). About 350 bytes a row, against
/// ~2 KB as a URL and a dictionary per row.
public struct Sample: Sendable, Equatable {
    /// The manifest's id, unique within the dataset.
    public var id: String
    /// The path as written in the manifest (relative to it).
    public var relativePath: String
    /// The value of the label column.
    public var label: String
    /// `train`, `val`, `test`, … as the manifest says.
    public var split: String
    /// Every other column (including the label column), by column name.
    public var attributes: SampleAttributes
    /// 1-based line (CSV) or record number (JSONL) in the manifest, for error messages.
    public var line: Int
    private var location: Location

    /// Where the image is: a folder the relative path is resolved against, or a URL given as it is.
    private enum Location: Sendable, Equatable {
        case root(SampleRoot)
        case url(URL)
    }

    /// The image file, absolute.
    public var url: URL {
        get {
            switch location {
            case .root(let root): return root.url.appendingPathComponent(relativePath).standardizedFileURL
            case .url(let url): return url
            }
        }
        set { location = .url(newValue) }
    }

    /// A sample whose image is `url`.
    public init(id: String, url: URL, relativePath: String, label: String, split: String, attributes: SampleAttributes, line: Int) {
        self.init(id: id, location: .url(url), relativePath: relativePath, label: label, split: split, attributes: attributes, line: line)
    }

    /// A sample whose image is `relativePath` inside `root`'s folder (the URL is made when asked for).
    public init(id: String, root: SampleRoot, relativePath: String, label: String, split: String, attributes: SampleAttributes, line: Int) {
        self.init(id: id, location: .root(root), relativePath: relativePath, label: label, split: split, attributes: attributes, line: line)
    }

    private init(id: String, location: Location, relativePath: String, label: String, split: String, attributes: SampleAttributes, line: Int) {
        self.id = id
        self.location = location
        self.relativePath = relativePath
        self.label = label
        self.split = split
        self.attributes = attributes
        self.line = line
    }

    public static func == (a: Sample, b: Sample) -> Bool {
        a.id == b.id && a.relativePath == b.relativePath && a.label == b.label && a.split == b.split && a.line == b.line
            && a.attributes == b.attributes && (a.location == b.location || a.url == b.url)
    }
}

/// The folder a dataset's image paths are relative to, shared by its samples.
public final class SampleRoot: Sendable, Equatable {
    public let url: URL
    public init(_ url: URL) { self.url = url }
    public static func == (a: SampleRoot, b: SampleRoot) -> Bool { a === b || a.url == b.url }
}

/// The column names of a dataset's attributes, shared by its samples.
public final class AttributeSchema: Sendable {
    /// Column names, in the order values are kept.
    public let names: [String]
    let positions: [String: Int]

    public init(_ names: [String]) {
        var unique: [String] = []
        var positions: [String: Int] = [:]
        for name in names where positions[name] == nil {
            positions[name] = unique.count
            unique.append(name)
        }
        self.names = unique
        self.positions = positions
    }

    /// The position of `name`'s value in a row, if the schema has that column.
    public func position(of name: String) -> Int? { positions[name] }
}

/// One sample's attribute values: a value per column of a shared `AttributeSchema` (nil
/// where the row has none, as a JSON Lines record may lack a key). Reads and writes as a
/// `[String: String]` would; a name outside the schema gets a schema of its own for this row.
public struct SampleAttributes: Sendable, Equatable, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    public private(set) var schema: AttributeSchema
    private var values: [String?]

    /// Values in `schema` order (`nil`: absent).
    public init(schema: AttributeSchema, values: [String?]) {
        precondition(values.count == schema.names.count, "one value per column of the schema")
        self.schema = schema
        self.values = values
    }

    public init(_ dictionary: [String: String]) {
        let names = dictionary.keys.sorted()
        self.init(schema: AttributeSchema(names), values: names.map { dictionary[$0] })
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }

    public subscript(name: String) -> String? {
        get { schema.position(of: name).flatMap { values[$0] } }
        set {
            if let position = schema.position(of: name) {
                values[position] = newValue
            } else if let newValue {
                schema = AttributeSchema(schema.names + [name])
                values.append(newValue)
            }
        }
    }

    /// The names of the attributes this row has, in schema order.
    public var keys: [String] { zip(schema.names, values).compactMap { $1 == nil ? nil : $0 } }

    /// The row as a dictionary (for storing as JSON, or code that wants one).
    public var dictionary: [String: String] {
        var result: [String: String] = [:]
        result.reserveCapacity(values.count)
        for (name, value) in zip(schema.names, values) { if let value { result[name] = value } }
        return result
    }

    public var description: String { dictionary.sorted { $0.key < $1.key }.description }

    public static func == (a: SampleAttributes, b: SampleAttributes) -> Bool {
        a.schema === b.schema ? a.values == b.values : a.dictionary == b.dictionary
    }
}

/// Makes `SampleAttributes` from dictionaries (rows read back from a store), giving rows with
/// the same column names one shared schema.
public struct AttributeInterner {
    private var schema: AttributeSchema?

    public init() {}

    public mutating func attributes(_ dictionary: [String: String]) -> SampleAttributes {
        if let schema, schema.names.count == dictionary.count {
            let values = schema.names.map { dictionary[$0] }
            if !values.contains(nil) { return SampleAttributes(schema: schema, values: values) }
        }
        let made = SampleAttributes(dictionary)
        schema = made.schema
        return made
    }
}
