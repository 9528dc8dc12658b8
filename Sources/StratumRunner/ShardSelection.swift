import Foundation

/// Which part of the evaluated samples one process of a sharded run evaluates.
///
/// Sample `id` belongs to shard `FNV-1a-64(UTF-8 bytes of id) mod count` (offset basis
/// 14695981039346656037, prime 1099511628211): stable across machines, processes and runs,
/// independent of the manifest's row order, and close to uniform for any ids.
public struct ShardSelection: Sendable, Equatable {
    /// 0-based.
    public var index: Int
    public var count: Int
    /// The key the shards of one run meet under (nil: the experiment's latest unfinished
    /// sharded run with as many shards, or a new one).
    public var key: String?

    public static let maximumCount = 100_000

    public init(index: Int, count: Int, key: String? = nil) {
        self.index = index
        self.count = count
        self.key = key
    }

    public static func shard(of id: String, count: Int) -> Int {
        var hash: UInt64 = 14_695_981_039_346_656_037
        for byte in id.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 1_099_511_628_211
        }
        return Int(hash % UInt64(max(1, count)))
    }

    public func owns(_ id: String) -> Bool { Self.shard(of: id, count: count) == index }

    /// A problem with `--shard` or the scheduler's variables.
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public var message: String
        public var description: String { message }
    }

    /// `i/n` (0 ≤ i < n); `auto/n` (Kubernetes Indexed Jobs: i = $JOB_COMPLETION_INDEX); or
    /// `auto` (Slurm job arrays: i = $SLURM_ARRAY_TASK_ID − $SLURM_ARRAY_TASK_MIN, n =
    /// $SLURM_ARRAY_TASK_COUNT). The key is `key`, else $STRATUM_RUN_KEY, else Slurm's
    /// `slurm-$SLURM_ARRAY_JOB_ID`.
    public static func parse(_ text: String, key: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ShardSelection {
        func number(_ value: String?, _ what: String) throws -> Int {
            guard let value, let parsed = Int(value.trimmingCharacters(in: .whitespaces)) else {
                throw ParseError(message: "\(what) is \(value.map { "'\($0)'" } ?? "not set"); expected an integer")
            }
            return parsed
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var index: Int, count: Int
        switch (parts.first, parts.count) {
        case ("auto", 1):
            let task = try number(environment["SLURM_ARRAY_TASK_ID"], "SLURM_ARRAY_TASK_ID")
            let minimum = try environment["SLURM_ARRAY_TASK_MIN"].map { try number($0, "SLURM_ARRAY_TASK_MIN") } ?? 0
            index = task - minimum
            count = try number(environment["SLURM_ARRAY_TASK_COUNT"], "SLURM_ARRAY_TASK_COUNT (--shard auto reads Slurm's array variables; on Kubernetes give auto/N)")
        case ("auto", 2):
            index = try number(environment["JOB_COMPLETION_INDEX"], "JOB_COMPLETION_INDEX (--shard auto/N reads a Kubernetes Indexed Job's index)")
            count = try number(parts[1], "the shard count in '\(text)'")
        case (_, 2):
            index = try number(parts[0], "the shard index in '\(text)'")
            count = try number(parts[1], "the shard count in '\(text)'")
        default:
            throw ParseError(message: "--shard '\(text)' is not i/n, auto/n or auto")
        }
        guard (1...maximumCount).contains(count) else { throw ParseError(message: "the shard count \(count) is not in 1…\(maximumCount)") }
        guard (0..<count).contains(index) else { throw ParseError(message: "shard index \(index) is not in 0…\(count - 1) (shards are numbered from 0)") }
        let chosen = key ?? environment["STRATUM_RUN_KEY"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["SLURM_ARRAY_JOB_ID"].map { "slurm-\($0)" }
        return ShardSelection(index: index, count: count, key: chosen)
    }
}
