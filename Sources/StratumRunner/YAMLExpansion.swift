// CYaml is Yams's own copy of libyaml (a target of the Yams package, importable by the
// packages that depend on Yams): its event parser reads the text without building anything.
import CYaml

/// How large a YAML text becomes once its aliases are expanded, measured on libyaml's events
/// before Yams composes the text into nodes.
///
/// Yams's `compose` shares an aliased node rather than copying it, but it checks every
/// mapping for duplicate keys by hashing the keys, and hashing a key walks it fully expanded:
/// a 635-byte experiment file with a nested alias as a mapping key (`? *a9 : 1`, each anchor
/// nine of the one before) kept `stratum run` busy for minutes before any limit of
/// `SpecReader` could apply. Here each node counts as the nodes it stands for (an alias as its
/// anchor's count), in one pass over the events, and the text is refused past the limits.
/// Syntax errors are left to `compose`, which words them.
enum YAMLExpansion {
    /// Most nodes a text may stand for once aliases are expanded. An experiment file with a
    /// thousand variants of twenty options each is ~60,000.
    static let nodeLimit = 200_000
    /// Deepest nesting once aliases are expanded (libyaml stops written nesting at 1,000).
    static let depthLimit = 1_000

    /// Where and why a text was refused.
    struct TooLarge: Error, Equatable {
        /// 1-based line of the node that went past a limit.
        let line: Int
        let message: String
    }

    /// Throws `TooLarge` when the text expands past the limits; returns the expanded node
    /// count otherwise (nil when libyaml cannot parse the text: `compose` then says why).
    @discardableResult
    static func check(_ text: String, nodeLimit: Int = nodeLimit, depthLimit: Int = depthLimit) throws -> Int? {
        return try Array(text.utf8).withUnsafeBufferPointer { buffer -> Int? in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else { return nil }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            // Per anchor: the nodes and the depth it stands for.
            var anchors: [String: (nodes: Int, depth: Int)] = [:]
            // Open sequences and mappings: nodes so far (themselves included), deepest child, anchor.
            var open: [(nodes: Int, depth: Int, anchor: String?)] = []
            // Nodes read so far, aliases expanded.
            var expanded = 0
            func name(_ anchor: UnsafeMutablePointer<yaml_char_t>?) -> String? {
                anchor.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            }
            // `nodes` more nodes read (every count added is at most the limit, so no sum overflows).
            func count(_ nodes: Int, line: Int) throws {
                expanded += nodes
                guard expanded <= nodeLimit else {
                    throw TooLarge(line: line, message: "stands for more than \(nodeLimit) values once YAML aliases are expanded")
                }
            }
            // A finished node standing for `nodes` nodes, `depth` deep, at `line`.
            func finish(_ nodes: Int, _ depth: Int, anchor: String?, line: Int) throws {
                guard open.count + depth <= depthLimit else {
                    throw TooLarge(line: line, message: "nests deeper than \(depthLimit) levels once YAML aliases are expanded")
                }
                if let anchor { anchors[anchor] = (nodes, depth) }
                if !open.isEmpty {
                    open[open.count - 1].nodes += nodes
                    open[open.count - 1].depth = max(open[open.count - 1].depth, depth)
                }
            }
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                defer { yaml_event_delete(&event) }
                let line = Int(event.start_mark.line) + 1
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return expanded
                case YAML_SCALAR_EVENT:
                    try count(1, line: line)
                    try finish(1, 1, anchor: name(event.data.scalar.anchor), line: line)
                case YAML_ALIAS_EVENT:
                    // An undefined alias is `compose`'s error to report.
                    guard let alias = name(event.data.alias.anchor), let target = anchors[alias] else { return nil }
                    try count(target.nodes, line: line)
                    try finish(target.nodes, target.depth, anchor: nil, line: line)
                case YAML_SEQUENCE_START_EVENT:
                    try count(1, line: line)
                    open.append((1, 0, name(event.data.sequence_start.anchor)))
                case YAML_MAPPING_START_EVENT:
                    try count(1, line: line)
                    open.append((1, 0, name(event.data.mapping_start.anchor)))
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    guard let finished = open.popLast() else { return nil }
                    try finish(finished.nodes, finished.depth + 1, anchor: finished.anchor, line: line)
                default:
                    continue
                }
            }
        }
    }
}
