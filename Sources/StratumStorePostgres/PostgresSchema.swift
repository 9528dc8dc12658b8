import Foundation

/// The PostgreSQL store's migrations: the same tables, columns and migration names as the
/// SQLite store's (`StoreSchema`), in PostgreSQL's types. Never edit a shipped migration: add one,
/// here and in `StoreSchema` together.
///
/// Differences, all forced by the engine: ids are `BIGSERIAL`; integers are `BIGINT`; dates are
/// `TIMESTAMPTZ`; a prediction's probabilities are a `REAL[]` (JSON text in SQLite); and
/// `confusionCell` and `comparisonSlice` carry a `seq BIGSERIAL` column to keep insertion order,
/// which SQLite reads from its hidden `rowid`. Identifiers are unquoted, so PostgreSQL stores
/// them in lower case (`experimentid`); queries written in camelCase find them either way.
enum PostgresSchema {
    static let migrations: [(identifier: String, sql: [String])] = [
        ("v1", [
            """
            CREATE TABLE experiment (
                id BIGSERIAL PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                createdAt TIMESTAMPTZ NOT NULL)
            """,
            """
            CREATE TABLE dataset (
                id BIGSERIAL PRIMARY KEY,
                manifestPath TEXT NOT NULL,
                manifestHash TEXT NOT NULL,
                labelColumn TEXT NOT NULL,
                labels TEXT NOT NULL,
                UNIQUE (manifestPath, manifestHash, labelColumn))
            """,
            """
            CREATE TABLE sample (
                id BIGSERIAL PRIMARY KEY,
                datasetId BIGINT NOT NULL REFERENCES dataset(id) ON DELETE CASCADE,
                key TEXT NOT NULL,
                path TEXT NOT NULL,
                label TEXT NOT NULL,
                split TEXT NOT NULL,
                attributes TEXT NOT NULL,
                UNIQUE (datasetId, key))
            """,
            """
            CREATE TABLE run (
                id BIGSERIAL PRIMARY KEY,
                experimentId BIGINT NOT NULL REFERENCES experiment(id) ON DELETE CASCADE,
                number BIGINT NOT NULL,
                status TEXT NOT NULL,
                startedAt TIMESTAMPTZ NOT NULL,
                finishedAt TIMESTAMPTZ,
                spec TEXT NOT NULL,
                specHash TEXT NOT NULL,
                gitCommit TEXT,
                datasetId BIGINT REFERENCES dataset(id),
                pid BIGINT NOT NULL,
                error TEXT,
                UNIQUE (experimentId, number))
            """,
            "CREATE INDEX run_on_datasetId ON run(datasetId)",
            """
            CREATE TABLE modelVariant (
                id BIGSERIAL PRIMARY KEY,
                runId BIGINT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                kind TEXT NOT NULL,
                path TEXT NOT NULL,
                fileHash TEXT,
                labels TEXT NOT NULL,
                status TEXT NOT NULL,
                error TEXT,
                UNIQUE (runId, name))
            """,
            """
            CREATE TABLE prediction (
                id BIGSERIAL PRIMARY KEY,
                runId BIGINT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                modelVariantId BIGINT NOT NULL REFERENCES modelVariant(id) ON DELETE CASCADE,
                sampleId BIGINT NOT NULL REFERENCES sample(id),
                predicted TEXT NOT NULL,
                probabilities REAL[] NOT NULL,
                UNIQUE (runId, modelVariantId, sampleId))
            """,
            """
            CREATE TABLE slice (
                id BIGSERIAL PRIMARY KEY,
                runId BIGINT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                definition TEXT NOT NULL,
                size BIGINT NOT NULL,
                UNIQUE (runId, name))
            """,
            """
            CREATE TABLE sliceMember (
                sliceId BIGINT NOT NULL REFERENCES slice(id) ON DELETE CASCADE,
                sampleId BIGINT NOT NULL REFERENCES sample(id),
                PRIMARY KEY (sliceId, sampleId))
            """,
            """
            CREATE TABLE metric (
                id BIGSERIAL PRIMARY KEY,
                runId BIGINT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                modelVariantId BIGINT NOT NULL REFERENCES modelVariant(id) ON DELETE CASCADE,
                sliceId BIGINT NOT NULL REFERENCES slice(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                value DOUBLE PRECISION,
                ciLow DOUBLE PRECISION,
                ciHigh DOUBLE PRECISION,
                n BIGINT NOT NULL,
                note TEXT,
                UNIQUE (runId, modelVariantId, sliceId, name))
            """,
            """
            CREATE TABLE confusionCell (
                seq BIGSERIAL,
                runId BIGINT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                modelVariantId BIGINT NOT NULL REFERENCES modelVariant(id) ON DELETE CASCADE,
                sliceId BIGINT NOT NULL REFERENCES slice(id) ON DELETE CASCADE,
                trueLabel TEXT NOT NULL,
                predictedLabel TEXT NOT NULL,
                count BIGINT NOT NULL,
                PRIMARY KEY (runId, modelVariantId, sliceId, trueLabel, predictedLabel))
            """,
        ]),
        ("v2-unreadable-samples", [
            """
            CREATE TABLE unreadableSample (
                runId BIGINT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                sampleId BIGINT NOT NULL REFERENCES sample(id),
                reason TEXT NOT NULL,
                PRIMARY KEY (runId, sampleId))
            """,
        ]),
        ("v3-run-lease", [
            "ALTER TABLE run ADD COLUMN leaseHost TEXT, ADD COLUMN leaseProcessSpace TEXT, ADD COLUMN leaseProcessStart TEXT, ADD COLUMN heartbeatAt TIMESTAMPTZ",
        ]),
        ("v4-statistics", [
            "ALTER TABLE metric ADD COLUMN denominator BIGINT, ADD COLUMN intervalMethod TEXT",
            """
            CREATE TABLE comparison (
                id BIGSERIAL PRIMARY KEY,
                baselineRunId BIGINT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                baselineVariant TEXT NOT NULL,
                candidateRunId BIGINT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                candidateVariant TEXT NOT NULL,
                metric TEXT NOT NULL,
                correction TEXT NOT NULL,
                alpha DOUBLE PRECISION NOT NULL,
                resamples BIGINT NOT NULL,
                seed BIGINT NOT NULL,
                createdAt TIMESTAMPTZ NOT NULL)
            """,
            """
            CREATE TABLE comparisonSlice (
                seq BIGSERIAL,
                comparisonId BIGINT NOT NULL REFERENCES comparison(id) ON DELETE CASCADE,
                slice TEXT NOT NULL,
                n BIGINT NOT NULL,
                baseline DOUBLE PRECISION,
                candidate DOUBLE PRECISION,
                difference DOUBLE PRECISION,
                ciLow DOUBLE PRECISION,
                ciHigh DOUBLE PRECISION,
                baselineOnlyCorrect BIGINT NOT NULL,
                candidateOnlyCorrect BIGINT NOT NULL,
                p DOUBLE PRECISION,
                adjustedP DOUBLE PRECISION,
                verdict TEXT NOT NULL,
                PRIMARY KEY (comparisonId, slice))
            """,
        ]),
        ("v5-slice-parts", [
            "ALTER TABLE slice ADD COLUMN parts TEXT",
        ]),
        ("v6-shards", [
            "ALTER TABLE run ADD COLUMN shardCount BIGINT, ADD COLUMN shardKey TEXT",
            """
            CREATE TABLE runShard (
                runId BIGINT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                shardIndex BIGINT NOT NULL,
                status TEXT NOT NULL,
                pid BIGINT NOT NULL,
                leaseHost TEXT NOT NULL,
                leaseProcessSpace TEXT NOT NULL,
                leaseProcessStart TEXT NOT NULL,
                heartbeatAt TIMESTAMPTZ NOT NULL,
                startedAt TIMESTAMPTZ NOT NULL,
                finishedAt TIMESTAMPTZ,
                PRIMARY KEY (runId, shardIndex))
            """,
        ]),
        ("v8-image-fingerprints", [
            """
            CREATE TABLE imageFingerprint (
                runId BIGINT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                sampleId BIGINT NOT NULL REFERENCES sample(id),
                fingerprint BIGINT NOT NULL,
                PRIMARY KEY (runId, sampleId))
            """,
        ]),
        // The experiment's class list per run (see the SQLite store's v9).
        ("v9-run-labels", [
            "ALTER TABLE run ADD COLUMN labels TEXT",
        ]),
        // What the run's metrics are computed with besides its data (see the SQLite store's v10).
        ("v10-run-settings", [
            "ALTER TABLE run ADD COLUMN settings TEXT",
        ]),
    ]

    /// The advisory lock every migration, run-number allocation and lease reconciliation takes
    /// (transaction-scoped): it serialises what SQLite's single writer serialises.
    static let runStateLock: Int64 = 0x5354_5241_5455_4D01  // "STRATUM" + 1

    /// Applies the migrations not yet applied, under the lock, in one transaction; two
    /// processes opening a new database at once apply them once.
    static func migrate(_ session: PostgresSession) throws {
        try session.write { db in
            try db.execute("SELECT pg_advisory_xact_lock(?)", [runStateLock])
            try db.execute("CREATE TABLE IF NOT EXISTS stratum_migrations (identifier TEXT PRIMARY KEY, appliedAt TIMESTAMPTZ NOT NULL)")
            let applied = Set(try db.rows("SELECT identifier FROM stratum_migrations").map { try $0.string("identifier") })
            for migration in migrations where !applied.contains(migration.identifier) {
                for statement in migration.sql { try db.execute(statement) }
                try db.execute("INSERT INTO stratum_migrations (identifier, appliedAt) VALUES (?, ?)", [migration.identifier, Date()])
            }
            let known = Set(migrations.map(\.identifier))
            if let unknown = applied.subtracting(known).sorted().first {
                throw PostgresStoreError(location: session.location.redacted,
                                         message: "the database was migrated by a newer Stratum (migration \(unknown)); upgrade Stratum to use it")
            }
        }
    }
}
