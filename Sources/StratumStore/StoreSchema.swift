import GRDB

/// The store's migrations, applied in order on open. Never edit a shipped migration: add one.
enum StoreSchema {
    /// The first migration's identifier: a file whose `grdb_migrations` lacks it is not a store.
    static let firstMigration = "v1"

    /// Every table a migrated store has, GRDB's own included (read from an in-memory store).
    static let tableNames: Set<String> = {
        guard let queue = try? DatabaseQueue(), (try? migrator.migrate(queue)) != nil,
              let names = try? queue.read({ try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'") })
        else { return ["grdb_migrations"] }
        return Set(names)
    }()

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration(firstMigration) { db in
            try db.create(table: "experiment") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("name", .text).notNull().unique()
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "dataset") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("manifestPath", .text).notNull()
                t.column("manifestHash", .text).notNull()
                t.column("labelColumn", .text).notNull()
                t.column("labels", .jsonText).notNull()
                t.uniqueKey(["manifestPath", "manifestHash", "labelColumn"])
            }
            try db.create(table: "sample") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("dataset", onDelete: .cascade).notNull()
                t.column("key", .text).notNull()
                t.column("path", .text).notNull()
                t.column("label", .text).notNull()
                t.column("split", .text).notNull()
                t.column("attributes", .jsonText).notNull()
                t.uniqueKey(["datasetId", "key"])
            }
            try db.create(table: "run") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("experiment", onDelete: .cascade).notNull()
                t.column("number", .integer).notNull()
                t.column("status", .text).notNull()
                t.column("startedAt", .datetime).notNull()
                t.column("finishedAt", .datetime)
                t.column("spec", .text).notNull()
                t.column("specHash", .text).notNull()
                t.column("gitCommit", .text)
                t.belongsTo("dataset")
                t.column("pid", .integer).notNull()
                t.column("error", .text)
                t.uniqueKey(["experimentId", "number"])
            }
            try db.create(table: "modelVariant") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("run", onDelete: .cascade).notNull()
                t.column("name", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("path", .text).notNull()
                t.column("fileHash", .text)
                t.column("labels", .jsonText).notNull()
                t.column("status", .text).notNull()
                t.column("error", .text)
                t.uniqueKey(["runId", "name"])
            }
            try db.create(table: "prediction") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("run", onDelete: .cascade).notNull()
                t.belongsTo("modelVariant", onDelete: .cascade).notNull()
                t.belongsTo("sample").notNull()
                t.column("predicted", .text).notNull()
                t.column("probabilities", .jsonText).notNull()
                t.uniqueKey(["runId", "modelVariantId", "sampleId"])
            }
            try db.create(table: "slice") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("run", onDelete: .cascade).notNull()
                t.column("name", .text).notNull()
                t.column("definition", .text).notNull()
                t.column("size", .integer).notNull()
                t.uniqueKey(["runId", "name"])
            }
            try db.create(table: "sliceMember") { t in
                t.belongsTo("slice", onDelete: .cascade).notNull()
                t.belongsTo("sample").notNull()
                t.primaryKey(["sliceId", "sampleId"])
            }
            try db.create(table: "metric") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("run", onDelete: .cascade).notNull()
                t.belongsTo("modelVariant", onDelete: .cascade).notNull()
                t.belongsTo("slice", onDelete: .cascade).notNull()
                t.column("name", .text).notNull()
                t.column("value", .double)
                t.column("ciLow", .double)
                t.column("ciHigh", .double)
                t.column("n", .integer).notNull()
                t.column("note", .text)
                t.uniqueKey(["runId", "modelVariantId", "sliceId", "name"])
            }
            try db.create(table: "confusionCell") { t in
                t.belongsTo("run", onDelete: .cascade).notNull()
                t.belongsTo("modelVariant", onDelete: .cascade).notNull()
                t.belongsTo("slice", onDelete: .cascade).notNull()
                t.column("trueLabel", .text).notNull()
                t.column("predictedLabel", .text).notNull()
                t.column("count", .integer).notNull()
                t.primaryKey(["runId", "modelVariantId", "sliceId", "trueLabel", "predictedLabel"])
            }
        }
        migrator.registerMigration("v2-unreadable-samples") { db in
            // Samples of a run whose image could not be decoded: left out of every variant.
            try db.create(table: "unreadableSample") { t in
                t.belongsTo("run", onDelete: .cascade).notNull()
                t.belongsTo("sample").notNull()
                t.column("reason", .text).notNull()
                t.primaryKey(["runId", "sampleId"])
            }
        }
        migrator.registerMigration("v3-run-lease") { db in
            // Liveness by lease (see RunLease), not by pid alone.
            try db.alter(table: "run") { t in
                t.add(column: "leaseHost", .text)
                t.add(column: "leaseProcessSpace", .text)
                t.add(column: "leaseProcessStart", .text)
                t.add(column: "heartbeatAt", .datetime)
            }
        }
        migrator.registerMigration("v4-statistics") { db in
            // Each metric's denominator and the method that made its interval.
            try db.alter(table: "metric") { t in
                t.add(column: "denominator", .integer)
                t.add(column: "intervalMethod", .text)
            }
            // Paired comparisons of two variants (of one run or of two runs), one row per slice.
            try db.create(table: "comparison") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("baselineRun", inTable: "run", onDelete: .cascade).notNull()
                t.column("baselineVariant", .text).notNull()
                t.belongsTo("candidateRun", inTable: "run", onDelete: .cascade).notNull()
                t.column("candidateVariant", .text).notNull()
                t.column("metric", .text).notNull()
                t.column("correction", .text).notNull()
                t.column("alpha", .double).notNull()
                t.column("resamples", .integer).notNull()
                t.column("seed", .integer).notNull()
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "comparisonSlice") { t in
                t.belongsTo("comparison", onDelete: .cascade).notNull()
                t.column("slice", .text).notNull()
                t.column("n", .integer).notNull()
                t.column("baseline", .double)
                t.column("candidate", .double)
                t.column("difference", .double)
                t.column("ciLow", .double)
                t.column("ciHigh", .double)
                t.column("baselineOnlyCorrect", .integer).notNull()
                t.column("candidateOnlyCorrect", .integer).notNull()
                t.column("p", .double)
                t.column("adjustedP", .double)
                t.column("verdict", .text).notNull()
                t.primaryKey(["comparisonId", "slice"])
            }
        }
        migrator.registerMigration("v5-slice-parts") { db in
            // What a slice is made of, as JSON `SlicePart`s (NULL for slices stored before).
            try db.alter(table: "slice") { t in t.add(column: "parts", .jsonText) }
        }
        migrator.registerMigration("v6-shards") { db in
            // A sharded run: how many shards share it, and the key they meet under.
            try db.alter(table: "run") { t in
                t.add(column: "shardCount", .integer)
                t.add(column: "shardKey", .text)
            }
            // One row per shard that has joined a sharded run, with its own lease.
            try db.create(table: "runShard") { t in
                t.belongsTo("run", onDelete: .cascade).notNull()
                t.column("shardIndex", .integer).notNull()
                t.column("status", .text).notNull()
                t.column("pid", .integer).notNull()
                t.column("leaseHost", .text).notNull()
                t.column("leaseProcessSpace", .text).notNull()
                t.column("leaseProcessStart", .text).notNull()
                t.column("heartbeatAt", .datetime).notNull()
                t.column("startedAt", .datetime).notNull()
                t.column("finishedAt", .datetime)
                t.primaryKey(["runId", "shardIndex"])
            }
        }
        migrator.registerMigration("v7-no-prefix-indexes") { db in
            // `belongsTo` indexed each foreign key, also where a unique key or the primary key
            // already begins with it. On the tables that grow with samples those indexes were
            // a B-tree write per row for nothing (the planner uses the key's index): one of the
            // five a prediction row paid, one of the four a slice member paid.
            for index in ["prediction_on_runId", "sliceMember_on_sliceId", "metric_on_runId", "confusionCell_on_runId"] {
                try db.execute(sql: "DROP INDEX IF EXISTS \(index)")
            }
        }
        migrator.registerMigration("v8-image-fingerprints") { db in
            // Each sample's image file as the run decoded it (`ContentFingerprint`, its 64 bits as
            // a signed integer): a resume refuses files that changed since their predictions.
            try db.create(table: "imageFingerprint") { t in
                t.column("runId", .integer).notNull().references("run", onDelete: .cascade)
                t.column("sampleId", .integer).notNull().references("sample")
                t.column("fingerprint", .integer).notNull()
                t.primaryKey(["runId", "sampleId"])
            }
        }
        migrator.registerMigration("v9-run-labels") { db in
            // The experiment's class list per run: a dataset row is shared by every experiment
            // on its manifest and label column, and held the first one's list, which `compare`,
            // `gate`, `slices`, `history` and reports then used for the others (store review).
            try db.alter(table: "run") { t in t.add(column: "labels", .jsonText) }
        }
        migrator.registerMigration("v10-run-settings") { db in
            // What the run's metrics are computed with besides its data (the bootstrap's
            // resamples and seed): a resumed run, a shard finishing it, or `finalize` given other
            // settings than those it started with computed its intervals with theirs.
            try db.alter(table: "run") { t in t.add(column: "settings", .jsonText) }
        }
        return migrator
    }
}
