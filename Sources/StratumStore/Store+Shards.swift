import Foundation
import GRDB

/// What a shard of a sharded run is doing.
public enum ShardStatus: String, Codable, Sendable, DatabaseValueConvertible {
    case running
    /// Its predictions are all stored.
    case completed
    /// Its process died before it finished; the shard can be run again.
    case interrupted
}

/// One shard of a sharded run as stored.
public struct StoredShard: Sendable, Equatable {
    public var index: Int
    public var status: ShardStatus
    public var lease: RunLease
    public var heartbeatAt: Date
    public var startedAt: Date
    public var finishedAt: Date?

    public init(index: Int, status: ShardStatus, lease: RunLease, heartbeatAt: Date, startedAt: Date, finishedAt: Date?) {
        self.index = index
        self.status = status
        self.lease = lease
        self.heartbeatAt = heartbeatAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }
}

/// What joining a sharded run found.
public struct ShardJoin: Sendable {
    public var run: StoredRun
    /// This shard created the run (it was the first to arrive).
    public var created: Bool
    /// This shard's predictions were already all stored (by an earlier attempt).
    public var shardAlreadyDone: Bool

    public init(run: StoredRun, created: Bool, shardAlreadyDone: Bool) {
        self.run = run
        self.created = created
        self.shardAlreadyDone = shardAlreadyDone
    }
}

/// A shard cannot join the run it asks for; says why.
public struct ShardRefusal: Error, CustomStringConvertible, Equatable {
    public var message: String
    /// Set when the shard is held by a process in another process space (another machine or
    /// container) whose heartbeat is still fresh: seconds until its lease expires, after which
    /// joining again takes the shard over if the holder has stopped renewing it (a replacement
    /// pod for a dead one), or is refused again if it is still running.
    public var retryAfter: TimeInterval?
    public init(_ message: String, retryAfter: TimeInterval? = nil) {
        self.message = message
        self.retryAfter = retryAfter
    }
    public var description: String { message }
}

/// The rules of sharded runs that every store applies the same way.
public enum ShardRules {
    /// Refuses a shard joining run `number` unless the run has `shardCount` shards, was started
    /// from the same experiment file and is still open (running or interrupted).
    public static func checkJoin(run number: Int, experiment: String, hasShards: Int?, specHash: String, status: RunStatus,
                                 shardCount: Int, bringing joinerHash: String) throws {
        guard hasShards == shardCount else {
            throw ShardRefusal("run \(number) of '\(experiment)' has \(hasShards.map(String.init) ?? "no") shards, not \(shardCount)")
        }
        guard specHash == joinerHash else {
            throw ShardRefusal("the experiment file differs from the one run \(number) of '\(experiment)' started with (every shard must use the same file)")
        }
        guard status == .running || status == .interrupted else {
            throw ShardRefusal("run \(number) of '\(experiment)' is \(status.rawValue); its shards cannot run again (start a new run with another key)")
        }
    }

    /// Why a running sharded run with no live shard is stuck — a shard died (`deadShards`, their
    /// indices), or every shard finished but the metrics were never computed — or nil when it
    /// only waits for shards that have not started yet.
    public static func stuckReason(deadShards: String?, done: Int, shardCount: Int) -> String? {
        if let deadShards { return "the process of shard \(deadShards) ended before it finished (run it again to continue)" }
        if done >= shardCount { return "every shard finished, but the process finishing the run (metrics and reports) ended first (stratum finalize)" }
        return nil
    }
}

extension ShardRefusal {
    /// The shard is held by a live lease. From another process space the holder is judged by its
    /// heartbeat alone, so the refusal says when that judgement can change (`retryAfter`).
    public static func alreadyRunning(shard: Int, run: Int, experiment: String, holder: RunLease, heartbeat: Date, joiner: RunLease,
                                      now: Date) -> ShardRefusal {
        let wait = holder.processSpace == joiner.processSpace ? nil : max(1, RunLease.expiry - now.timeIntervalSince(heartbeat))
        return ShardRefusal("shard \(shard) of run \(run) of '\(experiment)' is already running (pid \(holder.pid) on \(holder.host))", retryAfter: wait)
    }
}

struct RunShardRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "runShard"
    var runId: Int64
    var shardIndex: Int
    var status: ShardStatus
    var pid: Int32
    var leaseHost: String
    var leaseProcessSpace: String
    var leaseProcessStart: String
    var heartbeatAt: Date
    var startedAt: Date
    var finishedAt: Date?

    var lease: RunLease { RunLease(host: leaseHost, processSpace: leaseProcessSpace, pid: pid, processStart: leaseProcessStart) }
    var stored: StoredShard {
        StoredShard(index: shardIndex, status: status, lease: lease, heartbeatAt: heartbeatAt, startedAt: startedAt, finishedAt: finishedAt)
    }
}

extension Store {
    /// Creates or joins, in one transaction, the sharded run that shard `shardIndex` of
    /// `shardCount` belongs to: the run of `experiment` with this `key`, or, without a key,
    /// the experiment's latest sharded run with as many shards that has not finished. The
    /// first shard to arrive creates it (taking the next run number); the others must bring
    /// the same experiment file (`specHash`) and shard count, else a `ShardRefusal`. A shard
    /// whose earlier attempt died is taken over; one still alive elsewhere is refused.
    public func joinShardedRun(experiment name: String, spec: String, specHash: String, gitCommit: String?, key: String?,
                               shardCount: Int, shardIndex: Int, lease: RunLease = .current, now: Date = Date()) throws -> ShardJoin {
        guard shardCount >= 1, (0..<shardCount).contains(shardIndex) else {
            throw ShardRefusal("shard \(shardIndex) of \(shardCount) does not exist (shards are numbered 0…\(shardCount - 1))")
        }
        return try writer.write { db in
            var experiment = try ExperimentRecord.filter(Column("name") == name).fetchOne(db)
                ?? { var record = ExperimentRecord(id: nil, name: name, createdAt: now); try record.insert(db); return record }()
            let experimentID = try experiment.storedID()
            experiment.id = experimentID
            let open = [RunStatus.running, .interrupted].map(\.rawValue)
            var candidate: RunRecord?
            if let key {
                candidate = try RunRecord.filter(Column("experimentId") == experimentID && Column("shardKey") == key).fetchOne(db)
            } else {
                candidate = try RunRecord.filter(Column("experimentId") == experimentID && Column("shardCount") == shardCount && open.contains(Column("status")))
                    .order(Column("number").desc).fetchOne(db)
            }
            var created = false
            var run: RunRecord
            if let found = candidate {
                run = found
                try ShardRules.checkJoin(run: run.number, experiment: name, hasShards: run.shardCount, specHash: run.specHash, status: run.status,
                                         shardCount: shardCount, bringing: specHash)
            } else {
                let last = try Int.fetchOne(db, sql: "SELECT MAX(number) FROM run WHERE experimentId = ?", arguments: [experimentID]) ?? 0
                run = RunRecord(id: nil, experimentId: experimentID, number: last + 1, status: .running, startedAt: now, finishedAt: nil, spec: spec,
                                specHash: specHash, gitCommit: gitCommit, datasetId: nil, pid: lease.pid, error: nil, leaseHost: lease.host,
                                leaseProcessSpace: lease.processSpace, leaseProcessStart: lease.processStart, heartbeatAt: now,
                                shardCount: shardCount, shardKey: key)
                try run.insert(db)
                created = true
            }
            let runID = try run.storedID()
            var alreadyDone = false
            if var shard = try RunShardRecord.filter(Column("runId") == runID && Column("shardIndex") == shardIndex).fetchOne(db) {
                switch shard.status {
                case .completed:
                    alreadyDone = true
                case .running where shard.lease.isAlive(heartbeat: shard.heartbeatAt, now: now, observer: lease):
                    throw ShardRefusal.alreadyRunning(shard: shardIndex, run: run.number, experiment: name, holder: shard.lease,
                                                      heartbeat: shard.heartbeatAt, joiner: lease, now: now)
                case .running, .interrupted:
                    shard.status = .running
                    shard.pid = lease.pid; shard.leaseHost = lease.host; shard.leaseProcessSpace = lease.processSpace
                    shard.leaseProcessStart = lease.processStart; shard.heartbeatAt = now; shard.startedAt = now; shard.finishedAt = nil
                    try shard.update(db)
                }
            } else {
                try RunShardRecord(runId: runID, shardIndex: shardIndex, status: .running, pid: lease.pid, leaseHost: lease.host,
                                   leaseProcessSpace: lease.processSpace, leaseProcessStart: lease.processStart, heartbeatAt: now,
                                   startedAt: now, finishedAt: nil).insert(db)
            }
            if run.status == .interrupted {
                try db.execute(sql: "UPDATE run SET status = ?, finishedAt = NULL, error = NULL WHERE id = ?", arguments: [RunStatus.running, runID])
                run.status = .running
                run.error = nil
            }
            return ShardJoin(run: run.stored(experiment: name), created: created, shardAlreadyDone: alreadyDone)
        }
    }

    /// Marks a shard's predictions all stored; returns how many of the run's shards are done.
    public func finishShard(_ runID: RunID, index: Int, lease: RunLease = .current, now: Date = Date()) throws -> (done: Int, total: Int, finishing: Bool) {
        try writer.write { db in
            func completed() throws -> Int {
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM runShard WHERE runId = ? AND status = ?", arguments: [runID, ShardStatus.completed]) ?? 0
            }
            let before = try completed()
            try db.execute(sql: "UPDATE runShard SET status = ?, finishedAt = ? WHERE runId = ? AND shardIndex = ?",
                           arguments: [ShardStatus.completed, now, runID, index])
            let done = try completed()
            guard let run = try RunRecord.fetchOne(db, key: runID.rawValue) else { return (done, 0, false) }
            let total = run.shardCount ?? 0
            guard done >= total, run.status == .running else { return (done, total, false) }
            // Completing the last part makes this shard the finisher; a shard run again after
            // that takes the run only from a holder that is gone.
            if before >= total, let holder = run.lease, holder != lease, holder.isAlive(heartbeat: run.heartbeatAt, now: now, observer: lease) {
                return (done, total, false)
            }
            try db.execute(sql: "UPDATE run SET pid = ?, leaseHost = ?, leaseProcessSpace = ?, leaseProcessStart = ?, heartbeatAt = ? WHERE id = ?",
                           arguments: [lease.pid, lease.host, lease.processSpace, lease.processStart, now, runID])
            return (done, total, true)
        }
    }

    /// Renews a running shard's lease while `lease` holds the shard; false when it does not.
    @discardableResult
    public func shardHeartbeat(_ runID: RunID, index: Int, heldBy lease: RunLease, at time: Date = Date()) throws -> Bool {
        try writer.write { db in
            try db.execute(sql: "UPDATE runShard SET heartbeatAt = ? WHERE runId = ? AND shardIndex = ? AND \(Self.heldCondition)",
                           arguments: [time, runID, index] + Self.heldArguments(lease, status: ShardStatus.running))
            return db.changesCount == 1
        }
    }

    /// The shards that have joined a run, by index.
    public func shards(runID: RunID) throws -> [StoredShard] {
        try read { db in
            try RunShardRecord.filter(Column("runId") == runID).order(Column("shardIndex")).fetchAll(db).map(\.stored)
        }
    }

    /// Marks running shards whose holder is gone as interrupted (inside a write transaction).
    /// Returns, for each sharded run with no live shard, why it is stuck — a shard died, or
    /// every shard finished but the metrics were never computed — or nil when it is only
    /// waiting for shards that have not started yet (a job array run a few at a time).
    static func reconcileShards(_ db: Database, observer: RunLease, now: Date) throws -> [Int64: String?] {
        var live = Set<Int64>()
        for shard in try RunShardRecord.filter(Column("status") == ShardStatus.running.rawValue).fetchAll(db) {
            if shard.lease.isAlive(heartbeat: shard.heartbeatAt, now: now, observer: observer) {
                live.insert(shard.runId)
            } else {
                try db.execute(sql: "UPDATE runShard SET status = ? WHERE runId = ? AND shardIndex = ?",
                               arguments: [ShardStatus.interrupted, shard.runId, shard.shardIndex])
            }
        }
        var stuck: [Int64: String?] = [:]
        let rows = try Row.fetchAll(db, sql: """
            SELECT r.id, r.shardCount, r.pid, r.leaseHost, r.leaseProcessSpace, r.leaseProcessStart, r.heartbeatAt,
                   (SELECT COUNT(*) FROM runShard s WHERE s.runId = r.id AND s.status = 'completed') AS done,
                   (SELECT GROUP_CONCAT(s.shardIndex) FROM runShard s WHERE s.runId = r.id AND s.status = 'interrupted') AS dead
            FROM run r WHERE r.shardCount IS NOT NULL AND r.status = 'running'
            """)
        for row in rows {
            let id: Int64 = row["id"]
            guard !live.contains(id) else { continue }
            // Every shard done: the run lives while its finisher (the last shard, or `finalize`) does.
            let finisher: RunLease? = {
                guard let host: String = row["leaseHost"], let space: String = row["leaseProcessSpace"], let start: String = row["leaseProcessStart"] else { return nil }
                return RunLease(host: host, processSpace: space, pid: row["pid"], processStart: start)
            }()
            let shardCount: Int = row["shardCount"], done: Int = row["done"]
            if done >= shardCount, let finisher, finisher.isAlive(heartbeat: row["heartbeatAt"], now: now, observer: observer) { continue }
            stuck[id] = .some(ShardRules.stuckReason(deadShards: row["dead"], done: done, shardCount: shardCount))
        }
        return stuck
    }
}
