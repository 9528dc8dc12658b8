import Foundation

/// One row of a dataset: an image with its label, split and attributes.
///
/// A view of one row of a `SampleTable`, where a dataset's rows are held column by column
/// (a run keeps every row of its manifest, a million say, for its whole length): 16 bytes
/// here and ~100 in the table, against ~700 as a struct of strings per row and ~2 KB as a URL
/// and a dictionary per row. A sample made on its own is a table of one row.
public struct Sample: Sendable, Equatable {
    let table: SampleTable
    let row: Int

    init(table: SampleTable, row: Int) {
        self.table = table
        self.row = row
    }

    /// The manifest's id, unique within the dataset.
    public var id: String { table.ids[row] }
    /// The path as written in the manifest (relative to it).
    public var relativePath: String { table.paths[row] }
    /// The value of the label column.
    public var label: String { table.labels.value(row) }
    /// `train`, `val`, `test`, … as the manifest says.
    public var split: String { table.splits.value(row) }
    /// Every other column (including the label column), by column name.
    public var attributes: SampleAttributes { SampleAttributes(table: table, row: row) }
    /// 1-based line (CSV) or record number (JSONL) in the manifest, for error messages.
    public var line: Int { table.lines[row] }
    /// The image file, absolute.
    public var url: URL { table.url(row) }
    /// The image file's absolute path: `url.path`, made without a URL for plain paths
    /// (`SampleTable.filePath`).
    public var filePath: String { table.filePath(row) }
    /// The folder `relativePath` is inside (nil for a sample made with its URL).
    public var root: SampleRoot? {
        if case .root(let root) = table.location { return root }
        return nil
    }

    /// A sample whose image is `url`.
    public init(id: String, url: URL, relativePath: String, label: String, split: String, attributes: SampleAttributes, line: Int) {
        self.init(.urls([url]), id: id, relativePath: relativePath, label: label, split: split, attributes: attributes, line: line)
    }

    /// A sample whose image is `relativePath` inside `root`'s folder (the URL is made when asked for).
    public init(id: String, root: SampleRoot, relativePath: String, label: String, split: String, attributes: SampleAttributes, line: Int) {
        self.init(.root(root), id: id, relativePath: relativePath, label: label, split: split, attributes: attributes, line: line)
    }

    /// A table of this one row.
    private init(_ location: SampleTable.Location, id: String, relativePath: String, label: String, split: String, attributes: SampleAttributes, line: Int) {
        var builder = SampleTable.Builder(location: location, schema: attributes.schema)
        builder.append(id: id, relativePath: relativePath, label: label, split: split, attributes: attributes.schemaValues, line: line)
        self.init(table: builder.build(), row: 0)
    }

    public static func == (a: Sample, b: Sample) -> Bool {
        if a.table === b.table && a.row == b.row { return true }
        return a.id == b.id && a.relativePath == b.relativePath && a.label == b.label && a.split == b.split && a.line == b.line
            && a.attributes == b.attributes && a.url == b.url
    }
}

/// A dataset's rows, column by column: ids and paths packed end to end in one byte buffer
/// each (paths as a prefix and a suffix around the id when every row's path is that), labels,
/// splits and attribute values as codes into each column's distinct values, lines as integers
/// (one offset from the row number when that fits every row; codes, ends and lines in the
/// narrowest integers that hold them). Immutable once built; `samples` gives a `Sample` per row.
/// Built from a manifest (`ManifestReader`) or from a store's rows (`StoredSample`).
public final class SampleTable: Sendable {
    /// Where the images are: one folder every path is relative to, or a URL per row.
    public enum Location: Sendable, Equatable {
        case root(SampleRoot)
        case urls([URL])
    }

    public let location: Location
    public let schema: AttributeSchema
    let ids: PackedStrings
    let paths: PathColumn
    let labels: CodedStrings
    let splits: CodedStrings
    /// Per column of `schema`, a code per row: 0 where the row has no value, else 1 + the
    /// index into `attributeValues[column]`.
    let attributeCodes: [CompactIntegers]
    let attributeValues: [[String]]
    let lines: LineColumn

    public var count: Int { lines.count }

    /// A `Sample` per row, in order.
    public var samples: [Sample] { (0..<count).map { Sample(table: self, row: $0) } }

    public subscript(row: Int) -> Sample { Sample(table: self, row: row) }

    fileprivate init(location: Location, schema: AttributeSchema, ids: PackedStrings, paths: PathColumn, labels: CodedStrings,
                     splits: CodedStrings, attributeCodes: [CompactIntegers], attributeValues: [[String]], lines: LineColumn) {
        self.location = location
        self.schema = schema
        self.ids = ids
        self.paths = paths
        self.labels = labels
        self.splits = splits
        self.attributeCodes = attributeCodes
        self.attributeValues = attributeValues
        self.lines = lines
    }

    func url(_ row: Int) -> URL {
        switch location {
        case .root(let root): return root.url.appendingPathComponent(paths[row]).standardizedFileURL
        case .urls(let urls): return urls[row]
        }
    }

    /// `url(row).path`, joined as strings when the root's path and the row's are plain
    /// (`SampleRoot.isPlain`): the URL, made and standardised per image, was 3% of decoding
    /// 96×96 PNGs. Other paths (`..`, `.`, empty components, absolute) go through the URL.
    func filePath(_ row: Int) -> String {
        switch location {
        case .root(let root):
            let relative = paths[row]
            if let prefix = root.plainPath, SampleRoot.isPlain(relative) { return prefix + "/" + relative }
            return url(row).path
        case .urls(let urls): return urls[row].path
        }
    }

    func attribute(row: Int, column: Int) -> String? {
        let code = attributeCodes[column][row]
        return code == 0 ? nil : attributeValues[column][Int(code) - 1]
    }

    /// Builds a table row by row, interning each column's values as it goes.
    public struct Builder {
        private let location: Location
        private var schema: AttributeSchema
        /// Column names in order, and each one's position (the schema grows as rows bring new names).
        private var names: [String]
        private var positions: [String: Int]
        private var ids = PackedStrings(), paths = PackedStrings()
        private var labels = CodedStrings.Builder(), splits = CodedStrings.Builder()
        private var attributes: [CodedStrings.Builder]
        private var lines = CompactIntegers()

        /// Rows whose paths are relative to `root`'s folder, with the columns of `schema` (more
        /// are added as rows given as dictionaries bring them).
        public init(root: SampleRoot, schema: AttributeSchema = AttributeSchema([])) {
            self.init(location: .root(root), schema: schema)
        }

        init(location: Location, schema: AttributeSchema) {
            self.location = location
            self.schema = schema
            names = schema.names
            positions = schema.positions
            attributes = Array(repeating: CodedStrings.Builder(), count: schema.names.count)
        }

        public var count: Int { lines.count }

        /// Appends a row; `attributes` has one value per column of the schema given at the start (nil: absent).
        public mutating func append(id: String, relativePath: String, label: String, split: String, attributes values: some Collection<String?>, line: Int) {
            precondition(values.count == schema.names.count && names.count == schema.names.count, "one value per column of the schema")
            appendFields(id: id, relativePath: relativePath, label: label, split: split, line: line)
            for (column, value) in values.enumerated() { attributes[column].appendOptional(value) }
        }

        /// Appends a row whose attributes are a dictionary: a name not seen before adds a column
        /// (absent from the rows before it).
        public mutating func append(id: String, relativePath: String, label: String, split: String, attributes dictionary: [String: String], line: Int) {
            let row = count
            appendFields(id: id, relativePath: relativePath, label: label, split: split, line: line)
            for (name, value) in dictionary {
                let column: Int
                if let known = positions[name] {
                    column = known
                } else {
                    column = names.count
                    positions[name] = column
                    names.append(name)
                    attributes.append(CodedStrings.Builder(absentRows: row))
                }
                attributes[column].appendOptional(value)
            }
            // Columns this row has no value for.
            for column in attributes.indices where attributes[column].count == row { attributes[column].appendOptional(nil) }
        }

        private mutating func appendFields(id: String, relativePath: String, label: String, split: String, line: Int) {
            ids.append(id)
            paths.append(relativePath)
            labels.append(label)
            splits.append(split)
            lines.append(line)
        }

        public consuming func build() -> SampleTable {
            if names.count != schema.names.count { schema = AttributeSchema(names) }
            let columns = attributes.map { $0.build() }
            // Every column at its exact size and in the narrowest integers that hold it: grown
            // by appending, each was held up to twice its bytes (~10 MB more at 200,000 rows), and
            // 4-byte codes for columns of a few values were another ~7 MB, kept for the whole run.
            let ids = ids.compacted()
            return SampleTable(location: location, schema: schema, ids: ids, paths: PathColumn(paths, ids: ids), labels: labels.build(), splits: splits.build(),
                               attributeCodes: columns.map(\.codes), attributeValues: columns.map(\.values), lines: LineColumn(lines))
        }
    }
}

/// Strings packed end to end in one byte buffer.
struct PackedStrings: Sendable {
    private var bytes: [UInt8] = []
    /// Each string's end in `bytes`.
    private var ends = CompactIntegers()

    mutating func append(_ string: String) {
        bytes.append(contentsOf: string.utf8)
        ends.append(bytes.count)
    }

    /// The same strings in buffers of exactly their size.
    func compacted() -> PackedStrings {
        var copy = PackedStrings()
        copy.bytes = bytes.compacted()
        copy.ends = ends.compacted()
        return copy
    }

    var count: Int { ends.count }

    subscript(index: Int) -> String {
        withBytes(index) { String(decoding: $0, as: UTF8.self) }
    }

    /// The UTF-8 bytes of string `index`.
    func withBytes<R>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let start = index == 0 ? 0 : ends[index - 1]
        return bytes.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[start..<ends[index]])) }
    }
}

/// A table's paths: packed, or — when every path is its row's id between one prefix and one
/// suffix, as in `images/<id>.png` manifests — those two strings alone (a 200,000-row manifest's
/// paths were 5 MB, held through the whole run).
enum PathColumn: Sendable {
    case packed(PackedStrings)
    case fromIDs(PackedStrings, prefix: String, suffix: String)

    init(_ paths: PackedStrings, ids: PackedStrings) {
        self = Self.pattern(paths, ids: ids).map { .fromIDs(ids, prefix: $0.prefix, suffix: $0.suffix) } ?? .packed(paths.compacted())
    }

    subscript(row: Int) -> String {
        switch self {
        case .packed(let paths): return paths[row]
        case .fromIDs(let ids, let prefix, let suffix): return prefix + ids[row] + suffix
        }
    }

    /// The prefix and suffix every path puts around its id, if there are such (taken from the
    /// first row's path, at the id's last occurrence in it; then checked byte for byte on every row).
    private static func pattern(_ paths: PackedStrings, ids: PackedStrings) -> (prefix: String, suffix: String)? {
        guard paths.count > 0, paths.count == ids.count else { return nil }
        let first = paths[0], id = ids[0]
        guard !id.isEmpty, let range = first.range(of: id, options: .backwards) else { return nil }
        let prefix = Array(first[..<range.lowerBound].utf8), suffix = Array(first[range.upperBound...].utf8)
        for row in 0..<paths.count {
            let matches = paths.withBytes(row) { path in
                ids.withBytes(row) { id in
                    path.count == prefix.count + id.count + suffix.count
                        && path.prefix(prefix.count).elementsEqual(prefix)
                        && path[prefix.count..<(prefix.count + id.count)].elementsEqual(id)
                        && path.suffix(suffix.count).elementsEqual(suffix)
                }
            }
            if !matches { return nil }
        }
        return (String(decoding: prefix, as: UTF8.self), String(decoding: suffix, as: UTF8.self))
    }
}

/// A table's line numbers: one offset from the row number when every row has the same (a CSV
/// manifest without blank lines: the header, then a row per line), else listed.
enum LineColumn: Sendable {
    case offset(Int, count: Int)
    case listed(CompactIntegers)

    init(_ lines: CompactIntegers) {
        let offset = lines.count > 0 ? lines[0] : 0
        self = (0..<lines.count).allSatisfy { lines[$0] == $0 + offset } ? .offset(offset, count: lines.count) : .listed(lines.compacted())
    }

    var count: Int {
        switch self {
        case .offset(_, let count): return count
        case .listed(let lines): return lines.count
        }
    }

    subscript(row: Int) -> Int {
        switch self {
        case .offset(let offset, _): return row + offset
        case .listed(let lines): return lines[row]
        }
    }
}

/// Non-negative integers in the narrowest of 1, 2, 4 or 8 bytes that holds every one so far:
/// appending a larger one widens them all. A table's columns (codes into a few values, string
/// ends, line numbers) are mostly bytes and halves, where `[Int]` took 8 bytes a row each.
struct CompactIntegers: Sendable {
    private enum Storage: Sendable {
        case bytes([UInt8])
        case halves([UInt16])
        case words([UInt32])
        case full([Int])
    }
    private var storage: Storage = .bytes([])

    init() {}

    init(repeating value: Int, count: Int) {
        for _ in 0..<count { append(value) }
    }

    var count: Int {
        switch storage {
        case .bytes(let v): return v.count
        case .halves(let v): return v.count
        case .words(let v): return v.count
        case .full(let v): return v.count
        }
    }

    subscript(index: Int) -> Int {
        switch storage {
        case .bytes(let v): return Int(v[index])
        case .halves(let v): return Int(v[index])
        case .words(let v): return Int(v[index])
        case .full(let v): return v[index]
        }
    }

    /// - Precondition: `value >= 0`.
    mutating func append(_ value: Int) {
        precondition(value >= 0, "CompactIntegers holds non-negative integers")
        // Each case takes its array out of `storage` first, so that appending does not copy it.
        switch storage {
        case .bytes(var v):
            if value <= Int(UInt8.max) {
                storage = .full([]); v.append(UInt8(value)); storage = .bytes(v)
            } else {
                storage = .halves(v.map(UInt16.init)); append(value)
            }
        case .halves(var v):
            if value <= Int(UInt16.max) {
                storage = .full([]); v.append(UInt16(value)); storage = .halves(v)
            } else {
                storage = .words(v.map(UInt32.init)); append(value)
            }
        case .words(var v):
            if value <= Int(UInt32.max) {
                storage = .full([]); v.append(UInt32(value)); storage = .words(v)
            } else {
                storage = .full(v.map(Int.init)); append(value)
            }
        case .full(var v):
            storage = .full([]); v.append(value); storage = .full(v)
        }
    }

    /// The same integers in a buffer of exactly their count.
    func compacted() -> CompactIntegers {
        var copy = CompactIntegers()
        switch storage {
        case .bytes(let v): copy.storage = .bytes(v.compacted())
        case .halves(let v): copy.storage = .halves(v.compacted())
        case .words(let v): copy.storage = .words(v.compacted())
        case .full(let v): copy.storage = .full(v.compacted())
        }
        return copy
    }
}

/// A column of few distinct strings: a code per row into the distinct values.
struct CodedStrings: Sendable {
    let values: [String]
    let codes: CompactIntegers

    func value(_ row: Int) -> String { values[codes[row]] }

    struct Builder {
        private var values: [String] = []
        private var codes = CompactIntegers()
        private var lookup: [String: UInt32] = [:]

        /// The value's code, interning it when new (without recording a row).
        mutating func code(of value: String) -> UInt32 {
            if let code = lookup[value] { return code }
            let code = UInt32(values.count)
            lookup[value] = code
            values.append(value)
            return code
        }

        init() {}

        /// A column whose first `absentRows` rows have no value (codes of optional columns are 1 + the index; 0 is absent).
        init(absentRows: Int) { codes = CompactIntegers(repeating: 0, count: absentRows) }

        var count: Int { codes.count }

        mutating func append(_ value: String) { codes.append(Int(code(of: value))) }

        /// For optional columns: 0 for nil, else 1 + the value's index.
        mutating func appendOptional(_ value: String?) { codes.append(value.map { Int(code(of: $0)) + 1 } ?? 0) }

        consuming func build() -> CodedStrings { CodedStrings(values: values, codes: codes.compacted()) }
    }
}

/// The folder a dataset's image paths are relative to, shared by its samples.
public final class SampleRoot: Sendable, Equatable {
    public let url: URL
    /// The folder's path when it is absolute and plain ("" for `/`), else nil.
    let plainPath: String?

    public init(_ url: URL) {
        self.url = url
        let path = url.standardizedFileURL.path
        plainPath = path == "/" ? "" : path.hasPrefix("/") && Self.isPlain(String(path.dropFirst())) ? path : nil
    }

    /// A relative path of non-empty components, none of them `.` or `..`, without NUL bytes:
    /// appending it to a folder's URL and standardising changes nothing but the joining slash.
    static func isPlain(_ path: String) -> Bool {
        var utf8 = path.utf8.makeIterator()
        var component = 0, dots = 0
        guard var byte = utf8.next() else { return false }
        while true {
            switch byte {
            case UInt8(ascii: "/"):
                if component == 0 || component == dots && dots <= 2 { return false }
                component = 0; dots = 0
            case 0: return false
            case UInt8(ascii: "."): component += 1; dots += 1
            default: component += 1
            }
            guard let next = utf8.next() else { break }
            byte = next
        }
        return component > 0 && !(component == dots && dots <= 2)
    }
    public static func == (a: SampleRoot, b: SampleRoot) -> Bool { a === b || a.url == b.url }

    /// The file `relativePath` names in this folder, joined and standardised as the run reads
    /// it. Reports and galleries read images through this: joined alone, `nosuchdir/../y.png`
    /// (the folder's `y.png` for the run) did not open, and a path through a symlink could
    /// name another file than the run's (review of hostile input).
    public func file(_ relativePath: String) -> URL {
        url.appendingPathComponent(relativePath).standardizedFileURL
    }
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
/// A dataset row's attributes are read from its `SampleTable`, not copied out of it.
public struct SampleAttributes: Sendable, Equatable, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    public private(set) var schema: AttributeSchema
    private var storage: Storage

    private enum Storage: Sendable {
        case values([String?])
        case row(SampleTable, Int)
    }

    /// Values in `schema` order (`nil`: absent).
    public init(schema: AttributeSchema, values: [String?]) {
        precondition(values.count == schema.names.count, "one value per column of the schema")
        self.schema = schema
        self.storage = .values(values)
    }

    init(table: SampleTable, row: Int) {
        schema = table.schema
        storage = .row(table, row)
    }

    public init(_ dictionary: [String: String]) {
        let names = dictionary.keys.sorted()
        self.init(schema: AttributeSchema(names), values: names.map { dictionary[$0] })
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }

    private func value(at position: Int) -> String? {
        switch storage {
        case .values(let values): return values[position]
        case .row(let table, let row): return table.attribute(row: row, column: position)
        }
    }

    /// Every value, in schema order (`nil`: absent).
    public var schemaValues: [String?] {
        switch storage {
        case .values(let values): return values
        case .row(let table, let row): return schema.names.indices.map { table.attribute(row: row, column: $0) }
        }
    }

    public subscript(name: String) -> String? {
        get { schema.position(of: name).flatMap(value(at:)) }
        set {
            var values = schemaValues
            if let position = schema.position(of: name) {
                values[position] = newValue
            } else if let newValue {
                schema = AttributeSchema(schema.names + [name])
                values.append(newValue)
            }
            storage = .values(values)
        }
    }

    /// The names of the attributes this row has, in schema order.
    public var keys: [String] { schema.names.indices.compactMap { value(at: $0) == nil ? nil : schema.names[$0] } }

    /// The row as a dictionary (for storing as JSON, or code that wants one).
    public var dictionary: [String: String] {
        var result: [String: String] = [:]
        result.reserveCapacity(schema.names.count)
        for (position, name) in schema.names.enumerated() { if let value = value(at: position) { result[name] = value } }
        return result
    }

    public var description: String { dictionary.sorted { $0.key < $1.key }.description }

    public static func == (a: SampleAttributes, b: SampleAttributes) -> Bool {
        a.schema === b.schema ? a.schemaValues == b.schemaValues : a.dictionary == b.dictionary
    }
}

extension Array {
    /// A copy in a buffer of exactly `count` elements (an array grown by appending has up to
    /// twice the capacity it uses).
    func compacted() -> [Element] {
        capacity - count < 4096 ? self : withUnsafeBufferPointer { Array($0) }
    }
}
