import Foundation
import StratumCore
import StratumMetrics
import StratumStore

/// The PostgreSQL store: the same `RunStore` contract as the SQLite `Store`, for shards on
/// several machines (or several teams' runs) writing one database.
///
/// One connection per store, used by one thread at a time (the runner writes from one
/// thread). Every write method is one transaction. What SQLite's single writer serialises —
/// migrations, run-number allocation, shard joins and lease reconciliation — takes one
/// transaction-scoped advisory lock here (`PostgresSchema.runStateLock`); everything else
/// (predictions, metrics, reads) runs concurrently, kept consistent by the unique keys.
public final class PostgresStore: RunStore, @unchecked Sendable {
    let session: PostgresSession
    /// This machine's clock. Tests give one running ahead or behind, as another machine's may.
    private let clock: @Sendable () -> Date
    public var isReadOnly: Bool { false }

    /// Rows a cursor fetches at a time where results are read as they come
    /// (`forEachPrediction`, `forEachImageFingerprint`).
    let readBatch: Int

    /// Connects to the database `url` names and applies any missing migrations. `clock` is
    /// this machine's (see `serverTime`); `readBatch`, rows read at a time where a result is
    /// passed on row by row (tests make it small).
    public init(url: String, clock: @escaping @Sendable () -> Date = { Date() }, readBatch: Int = 10_000) throws {
        session = PostgresSession(location: try PostgresLocation(url: url))
        self.clock = clock
        self.readBatch = max(1, readBatch)
        try PostgresSchema.migrate(session)
    }

    /// The URL without its password.
    public var location: String { session.location.redacted }

    public func close() { session.close() }

    private func lockRunState(_ db: SQLTransaction) throws {
        try db.execute("SELECT pg_advisory_xact_lock(?)", [PostgresSchema.runStateLock])
    }

    /// `time`, read on this machine's clock, as the server's clock reads it: leases are written
    /// and judged in the server's time, so shards on machines whose clocks disagree (by more
    /// than a lease's expiry, even) still agree on which holder is alive. The offset is
    /// measured in the transaction that uses it, against the middle of the round trip.
    private func serverTime(_ db: SQLTransaction, _ time: Date) throws -> Date {
        let sent = clock()
        guard let server = try db.row("SELECT clock_timestamp() AS now")?.date("now") else { return time }
        let received = clock()
        let here = sent.addingTimeInterval(received.timeIntervalSince(sent) / 2)
        return time.addingTimeInterval(server.timeIntervalSince(here))
    }

    // MARK: Runs and leases

    private static func runColumns(_ alias: String) -> String {
        ["id", "number", "status", "startedAt", "finishedAt", "spec", "specHash", "gitCommit", "pid", "error", "leaseHost",
         "leaseProcessSpace", "leaseProcessStart", "heartbeatAt", "shardCount", "experimentId"]
            .map { alias.isEmpty ? $0 : "\(alias).\($0)" }.joined(separator: ", ")
    }

    private static func storedRun(_ row: SQLRow, experiment: String) throws -> StoredRun {
        let statusText = try row.string("status")
        guard let status = RunStatus(rawValue: statusText) else { throw SQLDecodingError(column: "status", message: "unknown run status '\(statusText)'") }
        let pid = Int32(truncatingIfNeeded: try row.int64("pid"))
        var lease: RunLease?
        if let host = try row.optionalString("leaseHost"), let space = try row.optionalString("leaseProcessSpace"),
           let start = try row.optionalString("leaseProcessStart") {
            lease = RunLease(host: host, processSpace: space, pid: pid, processStart: start)
        }
        return StoredRun(id: RunID(rawValue: try row.int64("id")), experiment: experiment, number: try row.int("number"), status: status,
                         startedAt: try row.date("startedAt"), finishedAt: try row.optionalDate("finishedAt"), spec: try row.string("spec"),
                         specHash: try row.string("specHash"), gitCommit: try row.optionalString("gitCommit"), pid: pid,
                         error: try row.optionalString("error"), lease: lease, heartbeatAt: try row.optionalDate("heartbeatAt"),
                         shardCount: try row.optionalInt("shardCount"))
    }

    /// The experiment's id, creating it when new.
    private func experimentID(_ db: SQLTransaction, name: String, now: Date) throws -> Int64 {
        try db.execute("INSERT INTO experiment (name, createdAt) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", [name, now])
        guard let row = try db.row("SELECT id FROM experiment WHERE name = ?", [name]) else {
            throw PostgresStoreError(location: location, message: "experiment '\(name)' vanished while a run was being created")
        }
        return try row.int64("id")
    }

    private func insertRun(_ db: SQLTransaction, experimentID: Int64, experiment: String, spec: String, specHash: String, gitCommit: String?,
                           lease: RunLease, now: Date, shardCount: Int?, shardKey: String?) throws -> StoredRun {
        let last = try db.row("SELECT COALESCE(MAX(number), 0) AS last FROM run WHERE experimentId = ?", [experimentID])?.int("last") ?? 0
        guard let row = try db.row("""
            INSERT INTO run (experimentId, number, status, startedAt, spec, specHash, gitCommit, pid, leaseHost, leaseProcessSpace,
                             leaseProcessStart, heartbeatAt, shardCount, shardKey)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING \(Self.runColumns(""))
            """, [experimentID, last + 1, RunStatus.running.rawValue, now, spec, specHash, gitCommit, lease.pid, lease.host, lease.processSpace,
                  lease.processStart, now, shardCount, shardKey]) else {
            throw PostgresStoreError(location: location, message: "inserting a run returned no row")
        }
        return try Self.storedRun(row, experiment: experiment)
    }

    public func beginRun(experiment name: String, spec: String, specHash: String, gitCommit: String?, lease: RunLease) throws -> StoredRun {
        try session.write { db in
            try lockRunState(db)
            let now = try serverTime(db, clock())
            let id = try experimentID(db, name: name, now: now)
            return try insertRun(db, experimentID: id, experiment: name, spec: spec, specHash: specHash, gitCommit: gitCommit, lease: lease,
                                 now: now, shardCount: nil, shardKey: nil)
        }
    }

    @discardableResult
    public func resumeRun(_ runID: RunID, lease: RunLease) throws -> Bool {
        try session.write { db in
            try db.row("""
                UPDATE run SET status = ?, finishedAt = NULL, error = NULL, pid = ?, leaseHost = ?, leaseProcessSpace = ?,
                leaseProcessStart = ?, heartbeatAt = ? WHERE id = ? AND status IN (?, ?) RETURNING id
                """, [RunStatus.running.rawValue, lease.pid, lease.host, lease.processSpace, lease.processStart, try serverTime(db, clock()), runID.rawValue,
                      RunStatus.interrupted.rawValue, RunStatus.failed.rawValue]) != nil
        }
    }

    public func failRun(_ runID: RunID, error: String, heldBy lease: RunLease) throws {
        try session.write { db in
            try db.execute("UPDATE run SET status = ?, finishedAt = ?, error = ? WHERE id = ? AND \(Self.heldCondition)",
                           [RunStatus.failed.rawValue, try serverTime(db, clock()), error, runID.rawValue] + Self.heldArguments(lease, status: RunStatus.running.rawValue))
        }
    }

    @discardableResult
    public func heartbeat(_ runID: RunID, heldBy lease: RunLease, at time: Date) throws -> Bool {
        try session.write { db in
            try db.row("UPDATE run SET heartbeatAt = ? WHERE id = ? AND \(Self.heldCondition) RETURNING id",
                       [try serverTime(db, time), runID.rawValue] + Self.heldArguments(lease, status: RunStatus.running.rawValue)) != nil
        }
    }

    public func finishRun(_ runID: RunID, status: RunStatus, error: String?) throws {
        try session.write { db in
            try db.execute("UPDATE run SET status = ?, finishedAt = ?, error = ? WHERE id = ?", [status.rawValue, try serverTime(db, clock()), error, runID.rawValue])
        }
    }

    public func finishRun(_ runID: RunID, status: RunStatus, error: String?, heldBy lease: RunLease) throws -> Bool {
        try session.write { db in
            try lockRunState(db)
            guard try Self.holds(db, runID: runID, lease: lease) else { return false }
            try db.execute("UPDATE run SET status = ?, finishedAt = ?, error = ? WHERE id = ?", [status.rawValue, try serverTime(db, clock()), error, runID.rawValue])
            return true
        }
    }

    /// The condition on a `run` or `runShard` row that it is `status` (running) under a lease,
    /// bound by `heldArguments`.
    private static let heldCondition = "status = ? AND pid = ? AND leaseHost = ? AND leaseProcessSpace = ? AND leaseProcessStart = ?"
    private static func heldArguments(_ lease: RunLease, status: String) -> [any SQLArgument] {
        [status, lease.pid, lease.host, lease.processSpace, lease.processStart]
    }

    /// Whether `lease` holds the run: running, under that lease (inside a transaction holding the
    /// run-state lock, or with `lockingRow`: the run's row then stays locked `FOR SHARE` until
    /// the transaction ends, so a takeover — `resumeRun`'s UPDATE — waits for what is written
    /// after the check to commit, and then clears it with the rest).
    private static func holds(_ db: SQLTransaction, runID: RunID, lease: RunLease, lockingRow: Bool = false) throws -> Bool {
        try db.row("SELECT id FROM run WHERE id = ? AND \(heldCondition)\(lockingRow ? " FOR SHARE" : "")",
                   [runID.rawValue] + heldArguments(lease, status: RunStatus.running.rawValue)) != nil
    }

    /// Throws `RunLostError` unless `lease` holds the run, locking its row (see `holds`).
    private static func checkHeldForWriting(_ db: SQLTransaction, runID: RunID, lease: RunLease) throws {
        guard try holds(db, runID: runID, lease: lease, lockingRow: true) else { throw RunLostError(runID: runID) }
    }

    /// Throws `RunLostError` unless `lease` holds the run or one of its shards (what a process
    /// evaluating the run's variants holds), locking that row `FOR SHARE` until the transaction
    /// ends, so a takeover waits for what is written after the check to commit.
    private static func checkRunOrShardHeldForWriting(_ db: SQLTransaction, runID: RunID, lease: RunLease) throws {
        if try holds(db, runID: runID, lease: lease, lockingRow: true) { return }
        guard try db.row("SELECT shardIndex FROM runShard WHERE runId = ? AND \(heldCondition) LIMIT 1 FOR SHARE",
                         [runID.rawValue] + heldArguments(lease, status: ShardStatus.running.rawValue)) != nil else {
            throw RunLostError(runID: runID)
        }
    }

    @discardableResult
    public func reconcileInterruptedRuns(observer: RunLease, now clientNow: Date) throws -> [StoredRun] {
        try session.write { db in
            try lockRunState(db)
            let now = try serverTime(db, clientNow)
            let stuckSharded = try reconcileShards(db, observer: observer, now: now)
            let names = Dictionary(try db.rows("SELECT id, name FROM experiment").map { (try $0.int64("id"), try $0.string("name")) },
                                   uniquingKeysWith: { first, _ in first })
            var stale: [StoredRun] = []
            for row in try db.rows("SELECT \(Self.runColumns("")) FROM run WHERE status = ?", [RunStatus.running.rawValue]) {
                let run = try Self.storedRun(row, experiment: names[try row.int64("experimentId")] ?? "")
                let dead: Bool
                if run.shardCount != nil {
                    dead = stuckSharded[run.id.rawValue].map { $0 != nil } ?? false
                } else if let lease = run.lease {
                    dead = !lease.isAlive(heartbeat: run.heartbeatAt, now: now, observer: observer)
                } else {
                    dead = kill(run.pid, 0) != 0
                }
                guard dead else { continue }
                let holder = run.lease.map { "pid \($0.pid) on \($0.host)" } ?? "pid \(run.pid)"
                let reason = stuckSharded[run.id.rawValue].flatMap { $0 } ?? "the process (\(holder)) ended before the run finished"
                try db.execute("UPDATE run SET status = ?, error = COALESCE(error, ?) WHERE id = ?",
                               [RunStatus.interrupted.rawValue, reason, run.id.rawValue])
                stale.append(run)
            }
            return stale.sorted { $0.id.rawValue < $1.id.rawValue }
        }
    }

    public func run(experiment: String?, number: Int?) throws -> (experiment: String, run: StoredRun) {
        try session.read { db in
            let names = try db.rows("SELECT name FROM experiment ORDER BY name COLLATE \"C\"").map { try $0.string("name") }
            let name: String
            if let experiment {
                guard names.contains(experiment) else {
                    throw StoreError(path: location, message: "no experiment '\(experiment)' (stored: \(names.joined(separator: ", ")))", isBadInput: true)
                }
                name = experiment
            } else if names.count == 1, let only = names.first {
                name = only
            } else if number == nil, let newest = try db.row("SELECT e.name FROM run r JOIN experiment e ON e.id = r.experimentId ORDER BY r.startedAt DESC, r.id DESC LIMIT 1") {
                // `latest` with several experiments: the run started last, whichever experiment.
                name = try newest.string("name")
            } else {
                throw StoreError(path: location, message: names.isEmpty ? "no runs stored yet" : "several experiments stored (\(names.joined(separator: ", "))); name one as EXPERIMENT/N", isBadInput: true)
            }
            let base = "SELECT \(Self.runColumns("r")) FROM run r JOIN experiment e ON e.id = r.experimentId WHERE e.name = ?"
            let row = try number.map { try db.row(base + " AND r.number = ?", [name, $0]) }
                ?? db.row(base + " ORDER BY r.number DESC LIMIT 1", [name])
            guard let row else {
                throw StoreError(path: location, message: "experiment '\(name)' has no run \(number.map(String.init) ?? "yet")", isBadInput: true)
            }
            return (name, try Self.storedRun(row, experiment: name))
        }
    }

    public func listRuns(experiment: String?) throws -> [RunListing] {
        try session.read { db in
            var sql = """
                SELECT e.name AS experiment, r.number, r.status, r.startedAt, r.finishedAt, r.gitCommit, r.error, r.settings,
                       (SELECT COUNT(*) FROM modelVariant v WHERE v.runId = r.id) AS variants,
                       (SELECT COUNT(*) FROM prediction p WHERE p.runId = r.id) AS predictions,
                       r.shardCount, (SELECT COUNT(*) FROM runShard s WHERE s.runId = r.id AND s.status = 'completed') AS shardsDone
                FROM run r JOIN experiment e ON e.id = r.experimentId
                """
            var arguments: [any SQLArgument] = []
            if let experiment { sql += " WHERE e.name = ?"; arguments.append(experiment) }
            sql += " ORDER BY e.name COLLATE \"C\", r.number"
            return try db.rows(sql, arguments).map { row in
                let shardCount = try row.optionalInt("shardCount")
                return RunListing(experiment: try row.string("experiment"), number: try row.int("number"), status: try row.string("status"),
                                  startedAt: try row.date("startedAt"), finishedAt: try row.optionalDate("finishedAt"), variants: try row.int("variants"),
                                  predictions: try row.int("predictions"), gitCommit: try row.optionalString("gitCommit"), error: try row.optionalString("error"),
                                  shardCount: shardCount, shardsDone: shardCount == nil ? nil : try row.int("shardsDone"),
                                  settings: try row.optionalString("settings"))
            }
        }
    }

    // MARK: Sharded runs

    private struct ShardRow {
        var stored: StoredShard
        var runID: Int64
    }

    private static func shardRow(_ row: SQLRow) throws -> ShardRow {
        let statusText = try row.string("status")
        guard let status = ShardStatus(rawValue: statusText) else { throw SQLDecodingError(column: "status", message: "unknown shard status '\(statusText)'") }
        let lease = RunLease(host: try row.string("leaseHost"), processSpace: try row.string("leaseProcessSpace"),
                             pid: Int32(truncatingIfNeeded: try row.int64("pid")), processStart: try row.string("leaseProcessStart"))
        return ShardRow(stored: StoredShard(index: try row.int("shardIndex"), status: status, lease: lease, heartbeatAt: try row.date("heartbeatAt"),
                                            startedAt: try row.date("startedAt"), finishedAt: try row.optionalDate("finishedAt")),
                        runID: try row.int64("runId"))
    }

    private static let shardColumns = "runId, shardIndex, status, pid, leaseHost, leaseProcessSpace, leaseProcessStart, heartbeatAt, startedAt, finishedAt"

    public func joinShardedRun(experiment name: String, spec: String, specHash: String, gitCommit: String?, key: String?,
                               shardCount: Int, shardIndex: Int, lease: RunLease, now clientNow: Date) throws -> ShardJoin {
        guard shardCount >= 1, (0..<shardCount).contains(shardIndex) else {
            throw ShardRefusal("shard \(shardIndex) of \(shardCount) does not exist (shards are numbered 0…\(shardCount - 1))")
        }
        return try session.write { db in
            try lockRunState(db)
            let now = try serverTime(db, clientNow)
            let experimentID = try experimentID(db, name: name, now: now)
            let open = [RunStatus.running.rawValue, RunStatus.interrupted.rawValue]
            let found: SQLRow?
            if let key {
                found = try db.row("SELECT \(Self.runColumns("")), shardKey FROM run WHERE experimentId = ? AND shardKey = ?", [experimentID, key])
            } else {
                found = try db.row("""
                    SELECT \(Self.runColumns("")), shardKey FROM run WHERE experimentId = ? AND shardCount = ? AND status IN (?, ?)
                    ORDER BY number DESC LIMIT 1
                    """, [experimentID, shardCount, open[0], open[1]])
            }
            var created = false
            var run: StoredRun
            if let found {
                run = try Self.storedRun(found, experiment: name)
                try ShardRules.checkJoin(run: run.number, experiment: name, hasShards: run.shardCount, specHash: run.specHash, status: run.status,
                                         shardCount: shardCount, bringing: specHash)
            } else {
                run = try insertRun(db, experimentID: experimentID, experiment: name, spec: spec, specHash: specHash, gitCommit: gitCommit,
                                    lease: lease, now: now, shardCount: shardCount, shardKey: key)
                created = true
            }
            let runID = run.id.rawValue
            var alreadyDone = false
            if let row = try db.row("SELECT \(Self.shardColumns) FROM runShard WHERE runId = ? AND shardIndex = ?", [runID, shardIndex]) {
                let shard = try Self.shardRow(row).stored
                switch shard.status {
                case .completed:
                    alreadyDone = true
                case .running where shard.lease.isAlive(heartbeat: shard.heartbeatAt, now: now, observer: lease):
                    throw ShardRefusal.alreadyRunning(shard: shardIndex, run: run.number, experiment: name, holder: shard.lease,
                                                      heartbeat: shard.heartbeatAt, joiner: lease, now: now)
                case .running, .interrupted:
                    try db.execute("""
                        UPDATE runShard SET status = ?, pid = ?, leaseHost = ?, leaseProcessSpace = ?, leaseProcessStart = ?, heartbeatAt = ?,
                        startedAt = ?, finishedAt = NULL WHERE runId = ? AND shardIndex = ?
                        """, [ShardStatus.running.rawValue, lease.pid, lease.host, lease.processSpace, lease.processStart, now, now, runID, shardIndex])
                }
            } else {
                try db.execute("INSERT INTO runShard (\(Self.shardColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                               [runID, shardIndex, ShardStatus.running.rawValue, lease.pid, lease.host, lease.processSpace, lease.processStart, now, now])
            }
            if run.status == .interrupted {
                try db.execute("UPDATE run SET status = ?, finishedAt = NULL, error = NULL WHERE id = ?", [RunStatus.running.rawValue, runID])
                run.status = .running
                run.error = nil
                run.finishedAt = nil
            }
            return ShardJoin(run: run, created: created, shardAlreadyDone: alreadyDone)
        }
    }

    public func finishShard(_ runID: RunID, index: Int, lease: RunLease, now clientNow: Date) throws -> (done: Int, total: Int, finishing: Bool) {
        try session.write { db in
            try lockRunState(db)
            let now = try serverTime(db, clientNow)
            func completed() throws -> Int {
                try db.row("SELECT COUNT(*) AS done FROM runShard WHERE runId = ? AND status = ?", [runID.rawValue, ShardStatus.completed.rawValue])?.int("done") ?? 0
            }
            let before = try completed()
            try db.execute("UPDATE runShard SET status = ?, finishedAt = ? WHERE runId = ? AND shardIndex = ?",
                           [ShardStatus.completed.rawValue, now, runID.rawValue, index])
            let done = try completed()
            guard let row = try db.row("SELECT \(Self.runColumns("")) FROM run WHERE id = ?", [runID.rawValue]) else { return (done, 0, false) }
            let run = try Self.storedRun(row, experiment: "")
            let total = run.shardCount ?? 0
            guard done >= total, run.status == .running else { return (done, total, false) }
            // Completing the last part makes this shard the finisher; a shard run again after
            // that takes the run only from a holder that is gone.
            if before >= total, let holder = run.lease, holder != lease, holder.isAlive(heartbeat: run.heartbeatAt, now: now, observer: lease) {
                return (done, total, false)
            }
            try db.execute("UPDATE run SET pid = ?, leaseHost = ?, leaseProcessSpace = ?, leaseProcessStart = ?, heartbeatAt = ? WHERE id = ?",
                           [lease.pid, lease.host, lease.processSpace, lease.processStart, now, runID.rawValue])
            return (done, total, true)
        }
    }

    @discardableResult
    public func shardHeartbeat(_ runID: RunID, index: Int, heldBy lease: RunLease, at time: Date) throws -> Bool {
        try session.write { db in
            try db.row("UPDATE runShard SET heartbeatAt = ? WHERE runId = ? AND shardIndex = ? AND \(Self.heldCondition) RETURNING runId",
                       [try serverTime(db, time), runID.rawValue, index] + Self.heldArguments(lease, status: ShardStatus.running.rawValue)) != nil
        }
    }

    public func shards(runID: RunID) throws -> [StoredShard] {
        try session.read { db in
            try db.rows("SELECT \(Self.shardColumns) FROM runShard WHERE runId = ? ORDER BY shardIndex", [runID.rawValue]).map { try Self.shardRow($0).stored }
        }
    }

    /// As `Store.reconcileShards`: marks dead running shards interrupted and says, for each
    /// sharded run with no live shard, why it is stuck (nil: only waiting for shards to start).
    private func reconcileShards(_ db: SQLTransaction, observer: RunLease, now: Date) throws -> [Int64: String?] {
        var live = Set<Int64>()
        for row in try db.rows("SELECT \(Self.shardColumns) FROM runShard WHERE status = ?", [ShardStatus.running.rawValue]) {
            let shard = try Self.shardRow(row)
            if shard.stored.lease.isAlive(heartbeat: shard.stored.heartbeatAt, now: now, observer: observer) {
                live.insert(shard.runID)
            } else {
                try db.execute("UPDATE runShard SET status = ? WHERE runId = ? AND shardIndex = ?",
                               [ShardStatus.interrupted.rawValue, shard.runID, shard.stored.index])
            }
        }
        var stuck: [Int64: String?] = [:]
        let rows = try db.rows("""
            SELECT r.id, r.shardCount, r.pid, r.leaseHost, r.leaseProcessSpace, r.leaseProcessStart, r.heartbeatAt,
                   (SELECT COUNT(*) FROM runShard s WHERE s.runId = r.id AND s.status = 'completed') AS done,
                   (SELECT string_agg(s.shardIndex::text, ',' ORDER BY s.shardIndex) FROM runShard s
                    WHERE s.runId = r.id AND s.status = 'interrupted') AS dead
            FROM run r WHERE r.shardCount IS NOT NULL AND r.status = 'running'
            """)
        for row in rows {
            let id = try row.int64("id")
            guard !live.contains(id) else { continue }
            let done = try row.int("done"), shardCount = try row.optionalInt("shardCount") ?? 0
            // Every shard done: the run lives while its finisher (the last shard, or `finalize`) does.
            if done >= shardCount, let host = try row.optionalString("leaseHost"), let space = try row.optionalString("leaseProcessSpace"),
               let start = try row.optionalString("leaseProcessStart") {
                let finisher = RunLease(host: host, processSpace: space, pid: Int32(truncatingIfNeeded: try row.int64("pid")), processStart: start)
                if finisher.isAlive(heartbeat: try row.optionalDate("heartbeatAt"), now: now, observer: observer) { continue }
            }
            stuck[id] = .some(ShardRules.stuckReason(deadShards: try row.optionalString("dead"), done: done, shardCount: shardCount))
        }
        return stuck
    }

    // MARK: Dataset and samples

    private static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    private static func decodeJSON<T: Decodable>(_ text: String, as type: T.Type, column: String) throws -> T {
        do { return try JSONDecoder().decode(T.self, from: Data(text.utf8)) } catch {
            throw SQLDecodingError(column: column, message: "not the JSON expected: \(error)")
        }
    }

    public func storeDataset(manifestPath: String, manifestHash: String, labelColumn: String, labels: [String], samples: [Sample],
                             runID: RunID, returningIDsOf keys: [String]?) throws -> (datasetID: Int64, sampleIDs: [String: SampleID]) {
        try session.write { db in
            let datasetID: Int64
            // Concurrent shards bring the same dataset: the first inserts it; the others wait
            // on the unique key until it commits, insert nothing, and read it.
            if let inserted = try db.row("""
                INSERT INTO dataset (manifestPath, manifestHash, labelColumn, labels) VALUES (?, ?, ?, ?)
                ON CONFLICT (manifestPath, manifestHash, labelColumn) DO NOTHING RETURNING id
                """, [manifestPath, manifestHash, labelColumn, try Self.json(labels)]) {
                datasetID = try inserted.int64("id")
                try db.insertMany("sample", columns: ["datasetId", "key", "path", "label", "split", "attributes"], rows: try samples.map {
                    [datasetID, $0.id, $0.relativePath, $0.label, $0.split, try Self.json($0.attributes.dictionary)]
                })
            } else {
                guard let row = try db.row("SELECT id FROM dataset WHERE manifestPath = ? AND manifestHash = ? AND labelColumn = ?",
                                           [manifestPath, manifestHash, labelColumn]) else {
                    throw PostgresStoreError(location: location, message: "the dataset row of \(manifestPath) vanished")
                }
                datasetID = try row.int64("id")
            }
            if let current = try db.row("SELECT datasetId FROM run WHERE id = ?", [runID.rawValue])?.decode("datasetId", as: Int64?.self),
               current != datasetID {
                throw ShardRefusal("the manifest \(manifestPath) differs from the one run \(runID) was started on")
            }
            try db.execute("UPDATE run SET datasetId = ?, labels = ? WHERE id = ?", [datasetID, try Self.json(labels), runID.rawValue])
            var ids: [String: SampleID] = [:]
            // A shard asks for its own samples only: 1/n of the rows, found through the (datasetId, key) index.
            let rows = try keys.map { try db.rows("SELECT key, id FROM sample WHERE datasetId = ? AND key = ANY(?)", [datasetID, Array(Set($0))]) }
                ?? db.rows("SELECT key, id FROM sample WHERE datasetId = ?", [datasetID])
            for row in rows {
                ids[try row.string("key")] = SampleID(rawValue: try row.int64("id"))
            }
            return (datasetID, ids)
        }
    }

    public func datasetHash(runID: RunID) throws -> String? {
        try session.read { db in
            try db.row("SELECT d.manifestHash FROM run r JOIN dataset d ON d.id = r.datasetId WHERE r.id = ?", [runID.rawValue])?.string("manifestHash")
        }
    }

    public func datasetLabels(runID: RunID) throws -> [String] {
        try session.read { db in
            // The run's own list; runs stored before v9 have only the dataset's.
            guard let text = try db.row("SELECT COALESCE(r.labels, d.labels) AS labels FROM run r JOIN dataset d ON d.id = r.datasetId WHERE r.id = ?", [runID.rawValue])?
                .string("labels") else { return [] }
            return (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
        }
    }

    public func samples(runID: RunID) throws -> [StoredSample] {
        try session.read { db in
            guard let dataset = try db.row("SELECT d.id, d.manifestPath FROM run r JOIN dataset d ON d.id = r.datasetId WHERE r.id = ?",
                                           [runID.rawValue]) else { return [] }
            let root = SampleRoot(URL(fileURLWithPath: try dataset.string("manifestPath")).deletingLastPathComponent())
            var samples = StoredSamplesBuilder(root: root)
            for row in try db.rows("SELECT id, key, path, label, split, attributes FROM sample WHERE datasetId = ? ORDER BY id", [try dataset.int64("id")]) {
                samples.append(id: SampleID(rawValue: try row.int64("id")), key: try row.string("key"), path: try row.string("path"),
                               label: try row.string("label"), split: try row.string("split"),
                               attributes: try Self.decodeJSON(try row.string("attributes"), as: [String: String].self, column: "attributes"))
            }
            return samples.build()
        }
    }

    public func insertUnreadableSamples(runID: RunID, _ samples: [(sampleID: SampleID, reason: String)]) throws {
        guard !samples.isEmpty else { return }
        try session.write { db in
            try db.insertMany("unreadableSample", columns: ["runId", "sampleId", "reason"],
                              rows: Self.lastPerKey(samples, key: \.sampleID).map { [runID.rawValue, $0.sampleID.rawValue, $0.reason] },
                              suffix: "ON CONFLICT (runId, sampleId) DO UPDATE SET reason = EXCLUDED.reason")
        }
    }

    public func deleteUnreadableSamples(runID: RunID, _ sampleIDs: [SampleID]) throws {
        guard !sampleIDs.isEmpty else { return }
        try session.write { db in
            for sampleID in sampleIDs {
                try db.execute("DELETE FROM unreadableSample WHERE runId = ? AND sampleId = ?", [runID.rawValue, sampleID.rawValue])
            }
        }
    }

    public func insertImageFingerprints(runID: RunID, _ fingerprints: [(sampleID: SampleID, fingerprint: UInt64)]) throws {
        guard !fingerprints.isEmpty else { return }
        try session.write { db in
            try db.insertMany("imageFingerprint", columns: ["runId", "sampleId", "fingerprint"],
                              rows: Self.lastPerKey(fingerprints, key: \.sampleID).map { [runID.rawValue, $0.sampleID.rawValue, Int64(bitPattern: $0.fingerprint)] },
                              suffix: "ON CONFLICT (runId, sampleId) DO UPDATE SET fingerprint = EXCLUDED.fingerprint")
        }
    }

    public func forEachImageFingerprint(runID: RunID, _ body: (SampleID, UInt64) throws -> Void) throws {
        try session.read { db in
            try db.forEachRow("SELECT sampleId, fingerprint FROM imageFingerprint WHERE runId = ?", [runID.rawValue], batch: readBatch) { row in
                try body(SampleID(rawValue: try row.int64("sampleId")), UInt64(bitPattern: try row.int64("fingerprint")))
            }
        }
    }

    /// One element per key, the last given (one statement may not touch a row twice).
    private static func lastPerKey<T, K: Hashable>(_ items: [T], key: (T) -> K) -> [T] {
        var index: [K: Int] = [:]
        var result: [T] = []
        for item in items {
            if let at = index[key(item)] { result[at] = item } else { index[key(item)] = result.count; result.append(item) }
        }
        return result
    }

    public func unreadableSamples(runID: RunID) throws -> [(key: String, path: String, reason: String)] {
        try session.read { db in
            try db.rows("""
                SELECT s.key, s.path, u.reason FROM unreadableSample u JOIN sample s ON s.id = u.sampleId
                WHERE u.runId = ? ORDER BY s.key COLLATE "C"
                """, [runID.rawValue]).map { (try $0.string("key"), try $0.string("path"), try $0.string("reason")) }
        }
    }

    // MARK: Variants and predictions

    public func insertVariant(runID: RunID, name: String, kind: String, path: String, fileHash: String?, labels: [String]) throws -> VariantID {
        try session.write { db in
            if let row = try db.row("""
                INSERT INTO modelVariant (runId, name, kind, path, fileHash, labels, status) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (runId, name) DO NOTHING RETURNING id
                """, [runID.rawValue, name, kind, path, fileHash, try Self.json(labels), VariantStatus.running.rawValue]) {
                return VariantID(rawValue: try row.int64("id"))
            }
            guard let row = try db.row("SELECT id FROM modelVariant WHERE runId = ? AND name = ?", [runID.rawValue, name]) else {
                throw PostgresStoreError(location: location, message: "variant '\(name)' of run \(runID) vanished")
            }
            return VariantID(rawValue: try row.int64("id"))
        }
    }

    @discardableResult
    public func updateVariant(_ variantID: VariantID, path: String?, fileHash: String?, labels: [String]) throws -> String? {
        try session.write { db in
            // The row locked first, so that two shards cannot both find no hash and both write.
            if let fileHash, let row = try db.row("SELECT fileHash FROM modelVariant WHERE id = ? FOR UPDATE", [variantID.rawValue]),
               let recorded = try row.optionalString("fileHash"), recorded != fileHash {
                return recorded
            }
            try db.execute("UPDATE modelVariant SET fileHash = ?, labels = ?, path = COALESCE(?, path) WHERE id = ?",
                           [fileHash, try Self.json(labels), path, variantID.rawValue])
            return nil
        }
    }

    public func recordSettings(_ runID: RunID, _ settings: String) throws -> String {
        try session.write { db in
            // One statement: the row's lock makes a second writer see the first one's settings.
            guard let row = try db.row("UPDATE run SET settings = COALESCE(settings, ?) WHERE id = ? RETURNING settings", [settings, runID.rawValue]) else {
                throw StoreError(path: location, message: "no run with id \(runID.rawValue)")
            }
            return try row.string("settings")
        }
    }

    public func setVariantStatus(_ variantID: VariantID, _ status: VariantStatus, error: String?, heldBy lease: RunLease) throws {
        try session.write { db in
            guard let row = try db.row("SELECT runId FROM modelVariant WHERE id = ?", [variantID.rawValue]) else {
                throw StoreError(path: location, message: "no model variant with id \(variantID.rawValue)")
            }
            try Self.checkRunOrShardHeldForWriting(db, runID: RunID(rawValue: try row.int64("runId")), lease: lease)
            try db.execute("UPDATE modelVariant SET status = ?, error = ? WHERE id = ?", [status.rawValue, error, variantID.rawValue])
        }
    }

    public func variants(runID: RunID) throws -> [StoredVariant] {
        try session.read { db in
            try db.rows("SELECT id, runId, name, kind, path, fileHash, labels, status, error FROM modelVariant WHERE runId = ? ORDER BY id",
                        [runID.rawValue]).map { row in
                let statusText = try row.string("status")
                guard let status = VariantStatus(rawValue: statusText) else {
                    throw SQLDecodingError(column: "status", message: "unknown variant status '\(statusText)'")
                }
                return StoredVariant(id: VariantID(rawValue: try row.int64("id")), runID: RunID(rawValue: try row.int64("runId")), name: try row.string("name"),
                                     kind: try row.string("kind"), path: try row.string("path"), fileHash: try row.optionalString("fileHash"),
                                     labels: try Self.decodeJSON(try row.string("labels"), as: [String].self, column: "labels"),
                                     status: status, error: try row.optionalString("error"))
            }
        }
    }

    public func insertPredictions(_ predictions: [StoredPrediction], heldBy lease: RunLease) throws {
        guard !predictions.isEmpty else { return }
        try session.write { db in
            for runID in Set(predictions.map(\.runID)) {
                try Self.checkRunOrShardHeldForWriting(db, runID: runID, lease: lease)
            }
            try db.insertMany("prediction", columns: ["runId", "modelVariantId", "sampleId", "predicted", "probabilities"], rows: predictions.map {
                [$0.runID.rawValue, $0.variantID.rawValue, $0.sampleID.rawValue, $0.predicted, $0.probabilities]
            })
        }
    }

    /// The query a `StoredPrediction` is read from (`prediction(_:)`), its conditions to follow.
    private static let predictionSelect = "SELECT runId, modelVariantId, sampleId, predicted, probabilities FROM prediction"

    private static func prediction(_ row: SQLRow) throws -> StoredPrediction {
        StoredPrediction(runID: RunID(rawValue: try row.int64("runId")), variantID: VariantID(rawValue: try row.int64("modelVariantId")),
                         sampleID: SampleID(rawValue: try row.int64("sampleId")), predicted: try row.string("predicted"),
                         probabilities: try row.decode("probabilities", as: [Float].self))
    }

    public func predictions(runID: RunID) throws -> [StoredPrediction] {
        try session.read { db in
            try db.rows(Self.predictionSelect + " WHERE runId = ? ORDER BY id", [runID.rawValue]).map(Self.prediction)
        }
    }

    public func predictions(runID: RunID, variantID: VariantID) throws -> [StoredPrediction] {
        try session.read { db in
            try db.rows(Self.predictionSelect + " WHERE runId = ? AND modelVariantId = ? ORDER BY id", [runID.rawValue, variantID.rawValue]).map(Self.prediction)
        }
    }

    /// Read through a cursor, a batch at a time (`SQLTransaction.forEachRow`): the protocol's
    /// default read the variant's every prediction into one array first.
    public func forEachPrediction(runID: RunID, variantID: VariantID, _ body: (StoredPrediction) throws -> Void) throws {
        try session.read { db in
            try db.forEachRow(Self.predictionSelect + " WHERE runId = ? AND modelVariantId = ? ORDER BY id", [runID.rawValue, variantID.rawValue],
                              batch: readBatch) { try body(try Self.prediction($0)) }
        }
    }

    public func predictedLabels(runID: RunID, variantID: VariantID) throws -> [SampleID: String] {
        try session.read { db in
            var labels: [SampleID: String] = [:]
            for row in try db.rows("SELECT sampleId, predicted FROM prediction WHERE runId = ? AND modelVariantId = ?", [runID.rawValue, variantID.rawValue]) {
                let id = SampleID(rawValue: try row.int64("sampleId"))
                if labels[id] == nil { labels[id] = try row.string("predicted") }
            }
            return labels
        }
    }

    // MARK: Slices and metrics

    public func clearDerivedResults(_ runID: RunID, heldBy lease: RunLease) throws {
        try session.write { db in
            try lockRunState(db)
            guard try Self.holds(db, runID: runID, lease: lease) else { throw RunLostError(runID: runID) }
            try db.execute("DELETE FROM confusionCell WHERE runId = ?", [runID.rawValue])
            try db.execute("DELETE FROM metric WHERE runId = ?", [runID.rawValue])
            try db.execute("DELETE FROM sliceMember WHERE sliceId IN (SELECT id FROM slice WHERE runId = ?)", [runID.rawValue])
            try db.execute("DELETE FROM slice WHERE runId = ?", [runID.rawValue])
        }
    }

    public func insertSlices(runID: RunID, heldBy lease: RunLease, _ slices: [(name: String, definition: String, parts: [SlicePart], sampleIDs: [SampleID])]) throws -> [String: SliceID] {
        try session.write { db in
            try Self.checkHeldForWriting(db, runID: runID, lease: lease)
            var ids: [String: SliceID] = [:]
            for slice in slices {
                guard let row = try db.row("INSERT INTO slice (runId, name, definition, size, parts) VALUES (?, ?, ?, ?, ?) RETURNING id",
                                           [runID.rawValue, slice.name, slice.definition, slice.sampleIDs.count,
                                            String(decoding: try JSONEncoder().encode(slice.parts), as: UTF8.self)]) else {
                    throw PostgresStoreError(location: location, message: "inserting slice '\(slice.name)' returned no id")
                }
                let sliceID = try row.int64("id")
                ids[slice.name] = SliceID(rawValue: sliceID)
                try db.insertMany("sliceMember", columns: ["sliceId", "sampleId"], rows: slice.sampleIDs.map { [sliceID, $0.rawValue] })
            }
            return ids
        }
    }

    public func slices(runID: RunID) throws -> [StoredSlice] {
        try session.read { db in
            var members: [Int64: [SampleID]] = [:]
            for row in try db.rows("""
                SELECT m.sliceId, m.sampleId FROM sliceMember m JOIN slice sl ON sl.id = m.sliceId
                WHERE sl.runId = ? ORDER BY m.sliceId, m.sampleId
                """, [runID.rawValue]) {
                members[try row.int64("sliceId"), default: []].append(SampleID(rawValue: try row.int64("sampleId")))
            }
            return try db.rows("SELECT id, name, definition, parts FROM slice WHERE runId = ? ORDER BY id", [runID.rawValue]).map { row in
                let id = try row.int64("id")
                let name = try row.string("name")
                let parts = try row.optionalString("parts").flatMap { try? JSONDecoder().decode([SlicePart].self, from: Data($0.utf8)) }
                return StoredSlice(id: SliceID(rawValue: id), name: name, definition: try row.string("definition"), memberIDs: members[id] ?? [],
                                   parts: parts ?? StoredSlice.legacyParts(name))
            }
        }
    }

    public func insertMetrics(runID: RunID, variantID: VariantID, heldBy lease: RunLease, _ slices: [(sliceID: SliceID, metrics: SliceMetrics)]) throws {
        try session.write { db in
            try Self.checkHeldForWriting(db, runID: runID, lease: lease)
            for (sliceID, metrics) in slices {
                try db.insertMany("metric", columns: ["runId", "modelVariantId", "sliceId", "name", "value", "ciLow", "ciHigh", "n", "note",
                                                      "denominator", "intervalMethod"], rows: metrics.metrics.map { metric in
                    [runID.rawValue, variantID.rawValue, sliceID.rawValue, metric.name, metric.value.number, metric.interval?.low, metric.interval?.high,
                     metric.n, metric.value.undefinedReason, metric.denominator, metric.intervalMethod?.rawValue]
                })
                let labels = metrics.confusion.labels
                var cells: [[any SQLArgument]] = []
                for (i, row) in metrics.confusion.counts.enumerated() {
                    for (j, count) in row.enumerated() {
                        cells.append([runID.rawValue, variantID.rawValue, sliceID.rawValue, labels[i], labels[j], count])
                    }
                }
                try db.insertMany("confusionCell", columns: ["runId", "modelVariantId", "sliceId", "trueLabel", "predictedLabel", "count"], rows: cells)
            }
        }
    }

    public func metrics(named name: String, runID: RunID?, experiment: String?, slice: String?) throws -> [StoredMetric] {
        try session.read { db in
            var sql = """
                SELECT r.number, v.name AS variant, s.name AS slice, m.name, m.value, m.ciLow, m.ciHigh, m.n
                FROM metric m JOIN run r ON r.id = m.runId JOIN experiment e ON e.id = r.experimentId
                JOIN modelVariant v ON v.id = m.modelVariantId JOIN slice s ON s.id = m.sliceId
                WHERE m.name = ?
                """
            var arguments: [any SQLArgument] = [name]
            if let runID { sql += " AND r.id = ?"; arguments.append(runID.rawValue) }
            if let experiment { sql += " AND e.name = ?"; arguments.append(experiment) }
            if let slice { sql += " AND s.name = ?"; arguments.append(slice) }
            sql += " ORDER BY r.number, v.id, s.id"
            return try db.rows(sql, arguments).map {
                StoredMetric(runNumber: try $0.int("number"), variant: try $0.string("variant"), slice: try $0.string("slice"), name: try $0.string("name"),
                             value: try $0.optionalDouble("value"), ciLow: try $0.optionalDouble("ciLow"), ciHigh: try $0.optionalDouble("ciHigh"),
                             n: try $0.int("n"))
            }
        }
    }

    public func allMetrics(runID: RunID) throws -> [StoredMetricRow] {
        try session.read { db in
            try db.rows("""
                SELECT v.name AS variant, s.name AS slice, m.name, m.value, m.ciLow, m.ciHigh, m.intervalMethod, m.n, m.denominator, m.note
                FROM metric m JOIN modelVariant v ON v.id = m.modelVariantId JOIN slice s ON s.id = m.sliceId
                WHERE m.runId = ? ORDER BY v.id, s.id, m.id
                """, [runID.rawValue]).map {
                StoredMetricRow(variant: try $0.string("variant"), slice: try $0.string("slice"), name: try $0.string("name"),
                                value: try $0.optionalDouble("value"), ciLow: try $0.optionalDouble("ciLow"), ciHigh: try $0.optionalDouble("ciHigh"),
                                intervalMethod: try $0.optionalString("intervalMethod"), n: try $0.int("n"),
                                denominator: try $0.optionalInt("denominator"), note: try $0.optionalString("note"))
            }
        }
    }

    public func metricHistory(named name: String, slice: String, experiment: String?, datasetHash: String?) throws -> [MetricHistoryRow] {
        try session.read { db in
            var sql = """
                SELECT e.name AS experiment, r.number, r.startedAt, v.name AS variant, s.name AS slice, s.definition, d.manifestHash,
                       m.value, m.ciLow, m.ciHigh, m.n
                FROM metric m JOIN run r ON r.id = m.runId JOIN experiment e ON e.id = r.experimentId
                JOIN modelVariant v ON v.id = m.modelVariantId JOIN slice s ON s.id = m.sliceId LEFT JOIN dataset d ON d.id = r.datasetId
                WHERE m.name = ? AND s.name = ?
                """
            var arguments: [any SQLArgument] = [name, slice]
            if let experiment { sql += " AND e.name = ?"; arguments.append(experiment) }
            if let datasetHash { sql += " AND d.manifestHash = ?"; arguments.append(datasetHash) }
            sql += " ORDER BY r.startedAt, r.id, v.id"
            return try db.rows(sql, arguments).map {
                MetricHistoryRow(experiment: try $0.string("experiment"), run: try $0.int("number"), startedAt: try $0.date("startedAt"),
                                 variant: try $0.string("variant"), slice: try $0.string("slice"), sliceDefinition: try $0.string("definition"),
                                 datasetHash: try $0.optionalString("manifestHash"), value: try $0.optionalDouble("value"),
                                 ciLow: try $0.optionalDouble("ciLow"), ciHigh: try $0.optionalDouble("ciHigh"), n: try $0.int("n"))
            }
        }
    }

    public func confusionCells(runID: RunID) throws -> [StoredConfusionCell] {
        try session.read { db in
            try db.rows("""
                SELECT v.name AS variant, s.name AS slice, c.trueLabel, c.predictedLabel, c.count
                FROM confusionCell c JOIN modelVariant v ON v.id = c.modelVariantId JOIN slice s ON s.id = c.sliceId
                WHERE c.runId = ? ORDER BY v.id, s.id, c.seq
                """, [runID.rawValue]).map {
                StoredConfusionCell(variant: try $0.string("variant"), slice: try $0.string("slice"), trueLabel: try $0.string("trueLabel"),
                                    predictedLabel: try $0.string("predictedLabel"), count: try $0.int("count"))
            }
        }
    }

    // MARK: Comparisons

    public func insertComparison(_ comparison: StoredComparison) throws -> Int64 {
        try session.write { db in
            guard let head = try db.row("""
                INSERT INTO comparison (baselineRunId, baselineVariant, candidateRunId, candidateVariant, metric, correction, alpha, resamples, seed, createdAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                """, [comparison.baselineRunID.rawValue, comparison.baselineVariant, comparison.candidateRunID.rawValue, comparison.candidateVariant,
                      comparison.metric, comparison.correction, comparison.alpha, comparison.resamples, Int64(bitPattern: comparison.seed),
                      comparison.createdAt]) else {
                throw PostgresStoreError(location: location, message: "inserting a comparison returned no id")
            }
            let id = try head.int64("id")
            try db.insertMany("comparisonSlice", columns: ["comparisonId", "slice", "n", "baseline", "candidate", "difference", "ciLow", "ciHigh",
                                                           "baselineOnlyCorrect", "candidateOnlyCorrect", "p", "adjustedP", "verdict"],
                              rows: comparison.slices.map { row in
                [id, row.slice, row.n, row.baseline, row.candidate, row.difference, row.low, row.high, row.baselineOnlyCorrect,
                 row.candidateOnlyCorrect, row.p, row.adjustedP, row.verdict]
            })
            return id
        }
    }

    public func comparisons(candidateRunID runID: RunID) throws -> [StoredComparison] {
        try session.read { db in
            try db.rows("SELECT * FROM comparison WHERE candidateRunId = ? ORDER BY id DESC", [runID.rawValue]).map { head in
                let rows = try db.rows("SELECT * FROM comparisonSlice WHERE comparisonId = ? ORDER BY seq", [try head.int64("id")]).map {
                    StoredComparison.Row(slice: try $0.string("slice"), n: try $0.int("n"), baseline: try $0.optionalDouble("baseline"),
                                         candidate: try $0.optionalDouble("candidate"), difference: try $0.optionalDouble("difference"),
                                         low: try $0.optionalDouble("ciLow"), high: try $0.optionalDouble("ciHigh"),
                                         baselineOnlyCorrect: try $0.int("baselineOnlyCorrect"), candidateOnlyCorrect: try $0.int("candidateOnlyCorrect"),
                                         p: try $0.optionalDouble("p"), adjustedP: try $0.optionalDouble("adjustedP"), verdict: try $0.string("verdict"))
                }
                return StoredComparison(baselineRunID: RunID(rawValue: try head.int64("baselineRunId")), baselineVariant: try head.string("baselineVariant"),
                                        candidateRunID: RunID(rawValue: try head.int64("candidateRunId")), candidateVariant: try head.string("candidateVariant"),
                                        metric: try head.string("metric"), correction: try head.string("correction"), alpha: try head.double("alpha"),
                                        resamples: try head.int("resamples"), seed: UInt64(bitPattern: try head.int64("seed")),
                                        createdAt: try head.date("createdAt"), slices: rows)
            }
        }
    }
}
