import Foundation

/// What `STRATUM_PROFILE` asks `stratum bench tfjs` to print (a development aid), read once
/// for every profile: `1` (or any other value) time per op type, `nodes` per node, `pool` how
/// ops split across cores spend their time (`PoolProfile`).
public enum ProfileMode: Equatable, Sendable {
    case off, ops, nodes, pool

    public static let current: ProfileMode = switch ProcessInfo.processInfo.environment["STRATUM_PROFILE"] {
    case nil: .off
    case "nodes": .nodes
    case "pool": .pool
    default: .ops
    }

    /// Whether the op profiles (per op type or per node) time the graph.
    public var timesOps: Bool { self == .ops || self == .nodes }
}
