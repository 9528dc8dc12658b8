import Foundation
import GRDB
import StratumCore
import StratumMetrics

/// The SQLite store of experiments, runs, predictions, slices and metrics.
///
/// One writer; a file store uses WAL mode (`DatabasePool`) so reports can read while a run
/// writes. Every write method is one transaction: a batch of predictions is stored whole
/// or not at all.
public final class Store: Sendable {
    let writer: any DatabaseWriter
    /// The database file, or nil for an in-memory store.
    public let path: String?

    /// Opens (creating if needed) the store at `path` and migrates it.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        try Self.makeFolder(of: path)
        try Self.refuseForeignDatabase(path)
        // Said plainly rather than as the GRDB statement that failed (CREATE TABLE grdb_issue_102).
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if FileManager.default.fileExists(atPath: path) && access(path, W_OK) != 0 {
            throw StoreError(path: path, message: "is read-only, and this command writes the store (a run, finalize); give a writable --db, or copy the file")
        }
        if access(folder, W_OK) != 0 {
            throw StoreError(path: path, message: "its folder \(folder) is not writable, and SQLite writes its journal files there; give a --db in a writable folder")
        }
        do {
            writer = try Self.openPool(path: path, configuration: configuration)
            try Self.migrate(writer)
        } catch {
            throw StoreError(path: path, message: "\(error)", isBadInput: (error as? DatabaseError)?.resultCode == .SQLITE_NOTADB)
        }
        self.path = path
        isReadOnly = false
    }

    /// Creates the folders above a new database file, as the reports' folder is created (SQLite
    /// itself answered "unable to open database file" without saying which part was missing);
    /// a path that is a folder, or under a file, fails here by name.
    static func makeFolder(of path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { throw StoreError(path: path, message: "is a folder, not a SQLite file") }
            return
        }
        do {
            try Folders.make(URL(fileURLWithPath: path).deletingLastPathComponent())
        } catch {
            throw StoreError(path: path, message: "cannot create the database: \(error)")
        }
    }

    /// Refuses a SQLite file that holds tables but is not a Stratum store, before anything is
    /// written into it: opening it as a store would switch it to WAL mode and add Stratum's
    /// tables (or fail halfway on a table of the same name, leaving GRDB's migration table).
    /// A `--db` pointing at someone else's database is a typo, not a request. An empty file or
    /// one with no tables becomes a store; a file SQLite cannot read is left to the open to report.
    static func refuseForeignDatabase(_ path: String) throws {
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > 0 else { return }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        let tables: [String], migrations: [String]
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            (tables, migrations) = try queue.read { db in
                let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
                let migrations = tables.contains("grdb_migrations") ? try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") : []
                return (tables, migrations)
            }
        } catch {
            return
        }
        guard !tables.isEmpty, !migrations.contains(StoreSchema.firstMigration) else { return }
        // Another process creating this store right now: GRDB's table is there first, and
        // every other table is one of the store's.
        if tables.contains("grdb_migrations"), Set(tables).isSubset(of: StoreSchema.tableNames) { return }
        let shown = tables.prefix(8).joined(separator: ", ") + (tables.count > 8 ? ", … (\(tables.count) tables)" : "")
        throw StoreError(path: path, message: "a SQLite database that is not a Stratum store (its tables: \(shown)); nothing was written to it. Give another --db (or STRATUM_DB)",
                         isBadInput: true)
    }

    /// Opens the pool, retrying while another process holds the lock: switching a new file to
    /// WAL needs it exclusively, and SQLite answers "database is locked" at once rather than
    /// through the busy timeout when two processes create the file together.
    static func openPool(path: String, configuration: Configuration) throws -> DatabasePool {
        var attempt = 0
        while true {
            do {
                return try DatabasePool(path: path, configuration: configuration)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
                attempt += 1
                if attempt >= 10 { throw error }
                usleep(UInt32(20_000 * attempt))
            }
        }
    }

    /// Applies the migrations. Two processes opening a new file at once can both see it
    /// unmigrated; the loser's transaction fails ("table … already exists") and rolls back,
    /// so it looks again, now finding the migrations the winner applied.
    static func migrate(_ writer: any DatabaseWriter) throws {
        let migrator = StoreSchema.migrator
        var attempt = 0
        while true {
            do {
                try migrator.migrate(writer)
                return
            } catch {
                attempt += 1
                let done = (try? writer.read { try migrator.hasCompletedMigrations($0) }) ?? false
                if done { return }
                if attempt >= 8 { throw error }
                usleep(UInt32(20_000 * attempt))
            }
        }
    }

    /// Opens an existing store for reading only: for a database file (or folder) this process
    /// may not write. Nothing is migrated; a store whose migrations are incomplete is an error
    /// saying so (open it once writable to upgrade it).
    public init(readingOnly path: String) throws {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        try Self.refuseForeignDatabase(path)
        do {
            writer = try DatabaseQueue(path: path, configuration: configuration)
            let complete = try writer.read { try StoreSchema.migrator.hasCompletedMigrations($0) }
            guard complete else {
                throw StoreError(path: path, message: "the database was written by an older Stratum and is read-only here; open it once with write access to upgrade it")
            }
        } catch let error as StoreError {
            throw error
        } catch {
            // A WAL database is read through its -shm file: SQLite must create it when it is
            // missing, which a read-only folder forbids ("attempt to write a readonly database").
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            if (error as? DatabaseError)?.resultCode == .SQLITE_READONLY || (error as? DatabaseError)?.resultCode == .SQLITE_CANTOPEN,
               access(folder, W_OK) != 0, !FileManager.default.fileExists(atPath: path + "-shm") {
                throw StoreError(path: path, message: "cannot be read here: it is a WAL-mode database and SQLite must create \(URL(fileURLWithPath: path).lastPathComponent)-shm beside it, but \(folder) is not writable; copy the file to a writable folder (or make this one writable)")
            }
            throw StoreError(path: path, message: "cannot open read-only: \(error)")
        }
        self.path = path
        isReadOnly = true
    }

    /// Opens the store at `path` for writing when this process may write the file and its
    /// folder, else for reading only (so a read-only database can still be listed and reported).
    public static func open(path: String) throws -> Store {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if access(path, W_OK) == 0 && access(folder, W_OK) == 0 { return try Store(path: path) }
        return try Store(readingOnly: path)
    }

    /// True for a store opened with `init(readingOnly:)`.
    public let isReadOnly: Bool

    /// An in-memory store, for tests.
    public init() throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        writer = try DatabaseQueue(configuration: configuration)
        try StoreSchema.migrator.migrate(writer)
        path = nil
        isReadOnly = false
    }

    // MARK: Runs

    /// Creates the experiment if new and a run numbered one past its last run.
    public func beginRun(experiment name: String, spec: String, specHash: String, gitCommit: String?, lease: RunLease = .current) throws -> StoredRun {
        try writer.write { db in
            var experiment = try ExperimentRecord.filter(Column("name") == name).fetchOne(db)
                ?? { var record = ExperimentRecord(id: nil, name: name, createdAt: Date()); try record.insert(db); return record }()
            let experimentID = try experiment.storedID()
            experiment.id = experimentID
            let last = try Int.fetchOne(db, sql: "SELECT MAX(number) FROM run WHERE experimentId = ?", arguments: [experimentID]) ?? 0
            var run = RunRecord(id: nil, experimentId: experimentID, number: last + 1, status: .running, startedAt: Date(),
                                finishedAt: nil, spec: spec, specHash: specHash, gitCommit: gitCommit, datasetId: nil, pid: lease.pid, error: nil,
                                leaseHost: lease.host, leaseProcessSpace: lease.processSpace, leaseProcessStart: lease.processStart, heartbeatAt: Date())
            try run.insert(db)
            return run.stored(experiment: name)
        }
    }

    /// Marks a run finished with `status` (and an error message for failures).
    public func finishRun(_ runID: RunID, status: RunStatus, error: String? = nil) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE run SET status = ?, finishedAt = ?, error = ? WHERE id = ?", arguments: [status, Date(), error, runID])
        }
    }

    public func finishRun(_ runID: RunID, status: RunStatus, error: String?, heldBy lease: RunLease) throws -> Bool {
        try writer.write { db in
            guard try Self.holds(db, runID: runID, lease: lease) else { return false }
            try db.execute(sql: "UPDATE run SET status = ?, finishedAt = ?, error = ? WHERE id = ?", arguments: [status, Date(), error, runID])
            return true
        }
    }

    /// The condition on a `run` or `runShard` row that it is `status` (running) under a lease,
    /// bound by `heldArguments`.
    static let heldCondition = "status = ? AND pid = ? AND leaseHost = ? AND leaseProcessSpace = ? AND leaseProcessStart = ?"
    static func heldArguments(_ lease: RunLease, status: some DatabaseValueConvertible) -> StatementArguments {
        [status, lease.pid, lease.host, lease.processSpace, lease.processStart]
    }

    /// Whether `lease` holds the run: running, under that lease (inside a write transaction).
    static func holds(_ db: Database, runID: RunID, lease: RunLease) throws -> Bool {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM run WHERE id = ? AND \(heldCondition)",
                         arguments: [runID] + heldArguments(lease, status: RunStatus.running)) == 1
    }

    /// Whether `lease` holds the run or one of its shards (inside a write transaction): what a
    /// process evaluating the run's variants holds (a shard holds its shard, not the run).
    static func holdsRunOrShard(_ db: Database, runID: RunID, lease: RunLease) throws -> Bool {
        try holds(db, runID: runID, lease: lease)
            || Int.fetchOne(db, sql: "SELECT COUNT(*) FROM runShard WHERE runId = ? AND \(heldCondition)",
                            arguments: [runID] + heldArguments(lease, status: ShardStatus.running)) ?? 0 > 0
    }

    /// Takes over an interrupted run to continue it: `running` again, under this process's lease.
    @discardableResult
    public func resumeRun(_ runID: RunID, lease: RunLease = .current) throws -> Bool {
        try writer.write { db in
            try db.execute(sql: """
                UPDATE run SET status = ?, finishedAt = NULL, error = NULL, pid = ?, leaseHost = ?, leaseProcessSpace = ?,
                leaseProcessStart = ?, heartbeatAt = ? WHERE id = ? AND status IN (?, ?)
                """, arguments: [RunStatus.running, lease.pid, lease.host, lease.processSpace, lease.processStart, Date(), runID,
                                 RunStatus.interrupted, RunStatus.failed])
            return db.changesCount == 1
        }
    }

    public func failRun(_ runID: RunID, error: String, heldBy lease: RunLease) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE run SET status = ?, finishedAt = ?, error = ? WHERE id = ? AND \(Self.heldCondition)",
                           arguments: [RunStatus.failed, Date(), error, runID] + Self.heldArguments(lease, status: RunStatus.running))
        }
    }

    /// Deletes what is computed from a run's predictions (slices, their members, metrics,
    /// confusion cells), so that finishing a resumed run computes them once, afresh.
    public func clearDerivedResults(_ runID: RunID, heldBy lease: RunLease) throws {
        try writer.write { db in
            guard try Self.holds(db, runID: runID, lease: lease) else { throw RunLostError(runID: runID) }
            try db.execute(sql: "DELETE FROM confusionCell WHERE runId = ?", arguments: [runID])
            try db.execute(sql: "DELETE FROM metric WHERE runId = ?", arguments: [runID])
            try db.execute(sql: "DELETE FROM sliceMember WHERE sliceId IN (SELECT id FROM slice WHERE runId = ?)", arguments: [runID])
            try db.execute(sql: "DELETE FROM slice WHERE runId = ?", arguments: [runID])
        }
    }

    /// The predicted label of every sample a variant has a stored prediction for, by sample id.
    public func predictedLabels(runID: RunID, variantID: VariantID) throws -> [SampleID: String] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT sampleId, predicted FROM prediction WHERE runId = ? AND modelVariantId = ?", arguments: [runID, variantID])
            return Dictionary(rows.map { (SampleID(rawValue: $0["sampleId"] as Int64), $0["predicted"] as String) }, uniquingKeysWith: { first, _ in first })
        }
    }

    /// The manifest hash of the dataset a run evaluated, once stored.
    public func datasetHash(runID: RunID) throws -> String? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT d.manifestHash FROM run r JOIN dataset d ON d.id = r.datasetId WHERE r.id = ?", arguments: [runID])
        }
    }

    /// The labels of the run's dataset, in class order (empty when the run stored no dataset).
    public func datasetLabels(runID: RunID) throws -> [String] {
        try read { db in
            // The run's own list; runs stored before v9 have only the dataset's.
            guard let text = try String.fetchOne(db, sql: "SELECT COALESCE(r.labels, d.labels) FROM run r JOIN dataset d ON d.id = r.datasetId WHERE r.id = ?", arguments: [runID]),
                  let labels = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else { return [] }
            return labels
        }
    }

    /// Renews a running run's lease while `lease` holds it (its holder calls this every
    /// `RunLease.heartbeatInterval`); false when `lease` does not hold the run.
    @discardableResult
    public func heartbeat(_ runID: RunID, heldBy lease: RunLease, at time: Date = Date()) throws -> Bool {
        try writer.write { db in
            try db.execute(sql: "UPDATE run SET heartbeatAt = ? WHERE id = ? AND \(Self.heldCondition)",
                           arguments: [time, runID] + Self.heldArguments(lease, status: RunStatus.running))
            return db.changesCount == 1
        }
    }

    /// Marks runs still `running` whose holder is gone as `interrupted` (see `RunLease`); returns them.
    /// Runs stored before leases existed are judged by pid on this machine.
    @discardableResult
    public func reconcileInterruptedRuns(observer: RunLease = .current, now: Date = Date()) throws -> [StoredRun] {
        guard !isReadOnly else { return [] }
        return try writer.write { db in
            // A sharded run lives while any of its shards does (each holds its own lease), and
            // waits (still running) while shards that never started are to come.
            let stuckSharded = try Self.reconcileShards(db, observer: observer, now: now)
            let stale = try RunRecord.filter(Column("status") == RunStatus.running.rawValue).fetchAll(db).filter { run in
                if run.shardCount != nil, let id = run.id { return stuckSharded[id].map { $0 != nil } ?? false }
                guard let lease = run.lease else { return kill(run.pid, 0) != 0 }
                return !lease.isAlive(heartbeat: run.heartbeatAt, now: now, observer: observer)
            }
            for run in stale {
                let holder = run.lease.map { "pid \($0.pid) on \($0.host)" } ?? "pid \(run.pid)"
                let reason = run.id.flatMap { stuckSharded[$0] ?? nil } ?? "the process (\(holder)) ended before the run finished"
                try db.execute(sql: "UPDATE run SET status = ?, error = COALESCE(error, ?) WHERE id = ?",
                               arguments: [RunStatus.interrupted, reason, run.id])
            }
            let names = Dictionary(try Row.fetchAll(db, sql: "SELECT id, name FROM experiment").map { ($0["id"] as Int64, $0["name"] as String) },
                                   uniquingKeysWith: { a, _ in a })
            return stale.map { $0.stored(experiment: names[$0.experimentId] ?? "") }
        }
    }

    // MARK: Dataset

    /// Stores the dataset and its samples once per manifest content; returns sample ids by manifest id.
    public func storeDataset(manifestPath: String, manifestHash: String, labelColumn: String, labels: [String], samples: [Sample], runID: RunID,
                             returningIDsOf keys: [String]?) throws -> (datasetID: Int64, sampleIDs: [String: SampleID]) {
        try writer.write { db in
            var dataset = try DatasetRecord
                .filter(Column("manifestPath") == manifestPath && Column("manifestHash") == manifestHash && Column("labelColumn") == labelColumn)
                .fetchOne(db)
            if dataset == nil {
                var record = DatasetRecord(id: nil, manifestPath: manifestPath, manifestHash: manifestHash, labelColumn: labelColumn, labels: labels)
                try record.insert(db)
                let datasetID = try record.storedID()
                // One prepared statement, the attributes written as JSON directly (keys sorted
                // once per schema): through `SampleRecord`, a dictionary and an `Encoder` per row,
                // 200,000 rows took ~6 s.
                let insert = try db.makeStatement(sql: "INSERT INTO sample (datasetId, key, path, label, split, attributes) VALUES (?, ?, ?, ?, ?, ?)")
                var schema: AttributeSchema?, sortedNames: [String] = []
                for sample in samples {
                    let attributes = sample.attributes
                    if attributes.schema !== schema {
                        schema = attributes.schema
                        sortedNames = attributes.schema.names.sorted()
                    }
                    let json = StoredJSON.text(of: sortedNames.compactMap { name in attributes[name].map { (name, $0) } })
                    try insert.execute(arguments: [datasetID, sample.id, sample.relativePath, sample.label, sample.split, json])
                }
                dataset = record
            }
            guard let datasetID = try dataset?.storedID() else { throw StoreError(path: "dataset", message: "the dataset row was not stored") }
            // A run evaluates one dataset: a resumed run or a joining shard must bring the same.
            if let current = try Int64.fetchOne(db, sql: "SELECT datasetId FROM run WHERE id = ?", arguments: [runID]), current != datasetID {
                throw ShardRefusal("the manifest \(manifestPath) differs from the one this run was started on")
            }
            try db.execute(sql: "UPDATE run SET datasetId = ?, labels = ? WHERE id = ?",
                           arguments: [datasetID, String(decoding: try JSONEncoder().encode(labels), as: UTF8.self), runID])
            // Through a cursor: fetching every row first held a GRDB `Row` per sample (at
            // 200,000 samples, tens of MB more than the dictionary itself).
            let wanted = keys.map(Set.init)
            var ids: [String: SampleID] = [:]
            ids.reserveCapacity(wanted?.count ?? samples.count)
            let rows = try Row.fetchCursor(db, sql: "SELECT key, id FROM sample WHERE datasetId = ?", arguments: [datasetID])
            while let row = try rows.next() {
                let key: String = row[0]
                if let wanted, !wanted.contains(key) { continue }
                ids[key] = SampleID(rawValue: row[1])
            }
            return (datasetID, ids)
        }
    }

    /// Records the run's samples whose image could not be decoded, with the reason.
    public func insertUnreadableSamples(runID: RunID, _ samples: [(sampleID: SampleID, reason: String)]) throws {
        guard !samples.isEmpty else { return }
        try writer.write { db in
            for (sampleID, reason) in samples {
                try db.execute(sql: "INSERT OR REPLACE INTO unreadableSample (runId, sampleId, reason) VALUES (?, ?, ?)", arguments: [runID, sampleID, reason])
            }
        }
    }

    public func deleteUnreadableSamples(runID: RunID, _ sampleIDs: [SampleID]) throws {
        guard !sampleIDs.isEmpty else { return }
        try writer.write { db in
            let statement = try db.cachedStatement(sql: "DELETE FROM unreadableSample WHERE runId = ? AND sampleId = ?")
            for sampleID in sampleIDs { try statement.execute(arguments: [runID, sampleID]) }
        }
    }

    public func insertImageFingerprints(runID: RunID, _ fingerprints: [(sampleID: SampleID, fingerprint: UInt64)]) throws {
        guard !fingerprints.isEmpty else { return }
        try writer.write { db in
            let statement = try db.cachedStatement(sql: "INSERT OR REPLACE INTO imageFingerprint (runId, sampleId, fingerprint) VALUES (?, ?, ?)")
            for (sampleID, fingerprint) in fingerprints {
                try statement.execute(arguments: [runID, sampleID, Int64(bitPattern: fingerprint)])
            }
        }
    }

    public func forEachImageFingerprint(runID: RunID, _ body: (SampleID, UInt64) throws -> Void) throws {
        try read { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT sampleId, fingerprint FROM imageFingerprint WHERE runId = ?", arguments: [runID])
            while let row = try rows.next() {
                try body(SampleID(rawValue: row[0]), UInt64(bitPattern: row[1]))
            }
        }
    }

    /// The run's unreadable samples: manifest id, stored path and reason, in manifest-id order.
    public func unreadableSamples(runID: RunID) throws -> [(key: String, path: String, reason: String)] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT s.key, s.path, u.reason FROM unreadableSample u JOIN sample s ON s.id = u.sampleId
                WHERE u.runId = ? ORDER BY s.key
                """, arguments: [runID]).map { ($0["key"], $0["path"], $0["reason"]) }
        }
    }

    // MARK: Variants and predictions

    /// Adds a variant to a run, or returns the one of that name already there (the shards of a
    /// run add its variants concurrently; the first one wins).
    public func insertVariant(runID: RunID, name: String, kind: String, path: String, fileHash: String?, labels: [String]) throws -> VariantID {
        try writer.write { db in
            if let existing = try ModelVariantRecord.filter(Column("runId") == runID.rawValue && Column("name") == name).fetchOne(db), let id = existing.id {
                return VariantID(rawValue: id)
            }
            var record = ModelVariantRecord(id: nil, runId: runID.rawValue, name: name, kind: kind, path: path, fileHash: fileHash, labels: labels, status: .running, error: nil)
            try record.insert(db)
            return VariantID(rawValue: db.lastInsertedRowID)
        }
    }

    /// Fills in what loading a variant revealed (hash, labels).
    /// Records the model file a variant actually ran (`path`, when it differs from the one
    /// inserted), its content hash and its labels.
    @discardableResult
    public func updateVariant(_ variantID: VariantID, path: String? = nil, fileHash: String?, labels: [String]) throws -> String? {
        try writer.write { db in
            if let fileHash, let recorded = try String.fetchOne(db, sql: "SELECT fileHash FROM modelVariant WHERE id = ?", arguments: [variantID]),
               recorded != fileHash {
                return recorded
            }
            try db.execute(sql: "UPDATE modelVariant SET fileHash = ?, labels = ?, path = COALESCE(?, path) WHERE id = ?",
                           arguments: [fileHash, String(decoding: try JSONEncoder().encode(labels), as: UTF8.self), path, variantID])
            return nil
        }
    }

    public func recordSettings(_ runID: RunID, _ settings: String) throws -> String {
        try writer.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT settings FROM run WHERE id = ?", arguments: [runID]) else {
                throw StoreError(path: path ?? ":memory:", message: "no run with id \(runID.rawValue)")
            }
            if let recorded = row["settings"] as String? { return recorded }
            try db.execute(sql: "UPDATE run SET settings = ? WHERE id = ?", arguments: [settings, runID])
            return settings
        }
    }

    public func setVariantStatus(_ variantID: VariantID, _ status: VariantStatus, error: String?, heldBy lease: RunLease) throws {
        try writer.write { db in
            guard let runID = try Int64.fetchOne(db, sql: "SELECT runId FROM modelVariant WHERE id = ?", arguments: [variantID]).map(RunID.init(rawValue:)) else {
                throw StoreError(path: path ?? ":memory:", message: "no model variant with id \(variantID.rawValue)")
            }
            guard try Self.holdsRunOrShard(db, runID: runID, lease: lease) else { throw RunLostError(runID: runID) }
            try db.execute(sql: "UPDATE modelVariant SET status = ?, error = ? WHERE id = ?", arguments: [status, error, variantID])
        }
    }

    /// Stores one batch of predictions in one transaction.
    public func insertPredictions(_ predictions: [StoredPrediction], heldBy lease: RunLease) throws {
        try writer.write { db in
            for runID in Set(predictions.map(\.runID)) {
                guard try Self.holdsRunOrShard(db, runID: runID, lease: lease) else { throw RunLostError(runID: runID) }
            }
            // One prepared statement and the probabilities' JSON written directly (the text
            // JSONEncoder gives): a record and an encoder per row were ~3% of a run's CPU.
            let insert = try db.makeStatement(sql: "INSERT INTO prediction (runId, modelVariantId, sampleId, predicted, probabilities) VALUES (?, ?, ?, ?, ?)")
            for prediction in predictions {
                if let probabilities = StoredJSON.text(of: prediction.probabilities) {
                    try insert.execute(arguments: [prediction.runID, prediction.variantID, prediction.sampleID, prediction.predicted, probabilities])
                } else {
                    var record = PredictionRecord(runId: prediction.runID.rawValue, modelVariantId: prediction.variantID.rawValue, sampleId: prediction.sampleID.rawValue,
                                                  predicted: prediction.predicted, probabilities: prediction.probabilities)
                    try record.insert(db)
                }
            }
        }
    }

    // MARK: Slices and metrics

    /// Stores slices and their members while `lease` holds the run; returns slice ids by name.
    public func insertSlices(runID: RunID, heldBy lease: RunLease, _ slices: [(name: String, definition: String, parts: [SlicePart], sampleIDs: [SampleID])]) throws -> [String: SliceID] {
        try writer.write { db in
            guard try Self.holds(db, runID: runID, lease: lease) else { throw RunLostError(runID: runID) }
            var ids: [String: SliceID] = [:]
            for slice in slices {
                var record = SliceRecord(id: nil, runId: runID.rawValue, name: slice.name, definition: slice.definition, size: slice.sampleIDs.count,
                                         parts: String(decoding: try JSONEncoder().encode(slice.parts), as: UTF8.self))
                try record.insert(db)
                let sliceID = try record.storedID()
                ids[slice.name] = SliceID(rawValue: sliceID)
                // The members as one JSON array, expanded by SQLite: binding two arguments a row
                // through GRDB was 4.6 µs a member (0.39 s of a 20,000-sample run's metrics).
                var list = "["
                list.reserveCapacity(slice.sampleIDs.count * 8 + 2)
                for (index, sampleID) in slice.sampleIDs.enumerated() {
                    if index > 0 { list += "," }
                    list += String(sampleID.rawValue)
                }
                list += "]"
                try db.execute(sql: "INSERT INTO sliceMember (sliceId, sampleId) SELECT ?, value FROM json_each(?)", arguments: [sliceID, list])
            }
            return ids
        }
    }

    /// Stores every metric and the confusion matrix of one variant on each of `slices`, in one
    /// transaction, while `lease` holds the run.
    public func insertMetrics(runID: RunID, variantID: VariantID, heldBy lease: RunLease, _ slices: [(sliceID: SliceID, metrics: SliceMetrics)]) throws {
        try writer.write { db in
            guard try Self.holds(db, runID: runID, lease: lease) else { throw RunLostError(runID: runID) }
            let metric = try db.makeStatement(sql: """
                INSERT INTO metric (runId, modelVariantId, sliceId, name, value, ciLow, ciHigh, n, note, denominator, intervalMethod)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let cell = try db.makeStatement(sql: "INSERT INTO confusionCell (runId, modelVariantId, sliceId, trueLabel, predictedLabel, count) VALUES (?, ?, ?, ?, ?, ?)")
            for (sliceID, metrics) in slices {
                for value in metrics.metrics {
                    try metric.execute(arguments: [runID, variantID, sliceID, value.name, value.value.number, value.interval?.low, value.interval?.high,
                                                   value.n, value.value.undefinedReason, value.denominator, value.intervalMethod?.rawValue])
                }
                let labels = metrics.confusion.labels
                for (i, row) in metrics.confusion.counts.enumerated() {
                    for (j, count) in row.enumerated() {
                        try cell.execute(arguments: [runID, variantID, sliceID, labels[i], labels[j], count])
                    }
                }
            }
        }
    }

    public func insertComparison(_ comparison: StoredComparison) throws -> Int64 {
        try writer.write { db in
            try db.execute(sql: """
                INSERT INTO comparison (baselineRunId, baselineVariant, candidateRunId, candidateVariant, metric, correction, alpha, resamples, seed, createdAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [comparison.baselineRunID, comparison.baselineVariant, comparison.candidateRunID, comparison.candidateVariant,
                                 comparison.metric, comparison.correction, comparison.alpha, comparison.resamples,
                                 Int64(bitPattern: comparison.seed), comparison.createdAt])
            let id = db.lastInsertedRowID
            for row in comparison.slices {
                try db.execute(sql: """
                    INSERT INTO comparisonSlice (comparisonId, slice, n, baseline, candidate, difference, ciLow, ciHigh,
                        baselineOnlyCorrect, candidateOnlyCorrect, p, adjustedP, verdict)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [id, row.slice, row.n, row.baseline, row.candidate, row.difference, row.low, row.high,
                                     row.baselineOnlyCorrect, row.candidateOnlyCorrect, row.p, row.adjustedP, row.verdict])
            }
            return id
        }
    }

    // MARK: Reads

    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        try writer.read(body)
    }
}

/// The store could not be opened or written.
public struct StoreError: Error, CustomStringConvertible {
    public var path: String
    public var message: String
    /// The file is not a store Stratum can use (not SQLite, someone else's database): bad
    /// input, as opposed to a store that failed (a full disk, a lock).
    public var isBadInput: Bool
    public init(path: String, message: String, isBadInput: Bool = false) {
        self.path = path
        self.message = message
        self.isBadInput = isBadInput
    }
    public var description: String { "\(path): \(message)" }
}

/// A run with its experiment's name and variant count, for listings.
public struct RunListing: Codable, Sendable {
    public var experiment: String
    public var number: Int
    public var status: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var variants: Int
    public var predictions: Int
    public var gitCommit: String?
    public var error: String?
    /// For a sharded run: how many shards it has and how many have stored all their predictions.
    public var shardCount: Int?
    public var shardsDone: Int?
    /// The settings the run's metrics are computed with, as recorded (`RunStore.recordSettings`:
    /// text the store does not read; nil when none are recorded). Not encoded: `runs --format
    /// json` shows them decoded.
    public var settings: String?

    private enum CodingKeys: String, CodingKey {
        case experiment, number, status, startedAt, finishedAt, variants, predictions, gitCommit, error, shardCount, shardsDone
    }

    public init(experiment: String, number: Int, status: String, startedAt: Date, finishedAt: Date?, variants: Int, predictions: Int, gitCommit: String?, error: String?,
                shardCount: Int?, shardsDone: Int?, settings: String? = nil) {
        self.experiment = experiment
        self.number = number
        self.status = status
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.variants = variants
        self.predictions = predictions
        self.gitCommit = gitCommit
        self.error = error
        self.shardCount = shardCount
        self.shardsDone = shardsDone
        self.settings = settings
    }
}

extension Store {
    /// Every run, oldest first, optionally of one experiment.
    public func listRuns(experiment: String? = nil) throws -> [RunListing] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT e.name AS experiment, r.number, r.status, r.startedAt, r.finishedAt, r.gitCommit, r.error, r.settings,
                       (SELECT COUNT(*) FROM modelVariant v WHERE v.runId = r.id) AS variants,
                       (SELECT COUNT(*) FROM prediction p WHERE p.runId = r.id) AS predictions,
                       r.shardCount, (SELECT COUNT(*) FROM runShard s WHERE s.runId = r.id AND s.status = 'completed') AS shardsDone
                FROM run r JOIN experiment e ON e.id = r.experimentId
                WHERE (? IS NULL OR e.name = ?)
                ORDER BY e.name, r.number
                """, arguments: [experiment, experiment])
            return rows.map { row in
                RunListing(experiment: row["experiment"], number: row["number"], status: row["status"], startedAt: row["startedAt"],
                           finishedAt: row["finishedAt"], variants: row["variants"], predictions: row["predictions"],
                           gitCommit: row["gitCommit"], error: row["error"], shardCount: row["shardCount"],
                           shardsDone: (row["shardCount"] as Int?) == nil ? nil : row["shardsDone"], settings: row["settings"])
            }
        }
    }
}
