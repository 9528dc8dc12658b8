import Foundation
import StratumStore
import StratumStorePostgres

/// Opens the store a command or a run names: a `postgres://` (or `postgresql://`) URL is the
/// PostgreSQL store; anything else is a SQLite file (writable when this process may write it,
/// else read-only). Another `scheme://` is refused rather than taken as a file name.
public enum RunStores {
    public static func open(_ location: String) throws -> any RunStore {
        if PostgresLocation.isPostgresURL(location) { return try PostgresStore(url: location) }
        try validate(location)
        return try Store.open(path: location)
    }

    /// Opens (creating and migrating when needed) a store for writing.
    public static func openForWriting(_ location: String) throws -> any RunStore {
        if PostgresLocation.isPostgresURL(location) { return try PostgresStore(url: location) }
        try validate(location)
        return try Store(path: location)
    }

    /// Whether `location` names a server rather than a file (nothing to find on disk).
    public static func isServer(_ location: String) -> Bool { PostgresLocation.isPostgresURL(location) }

    /// Refuses a location with a URL scheme Stratum does not know, and a PostgreSQL URL that
    /// does not parse.
    public static func validate(_ location: String) throws {
        if PostgresLocation.isPostgresURL(location) {
            do { _ = try PostgresLocation(url: location) } catch let error as PostgresStoreError {
                throw StoreLocationError(location: error.location, message: error.message)
            }
            return
        }
        // postgres:/u:pw@h/db, one slash short, made folders named after the credentials and a
        // SQLite file in them, and every shard its own run there (store review).
        let lower = location.lowercased()
        if lower.hasPrefix("postgres:") || lower.hasPrefix("postgresql:") {
            // Shown up to its first colon: what follows may hold a password in any form.
            throw StoreLocationError(location: String(location.prefix { $0 != ":" }) + ":…",
                                     message: "is not a PostgreSQL URL (postgres://USER@HOST/DATABASE); a SQLite file whose name starts so can be given as ./NAME")
        }
        guard let colon = location.range(of: "://"), !location[..<colon.lowerBound].contains("/") else { return }
        let scheme = location[..<colon.lowerBound].lowercased()
        throw StoreLocationError(location: displayName(location), message: "'\(scheme)://' is not a store Stratum knows; give a SQLite file or a postgres:// URL")
    }

    /// The location as messages and summaries show it: without a password, whatever its form
    /// (`PostgresLocation.redact`); a file path as it is.
    public static func displayName(_ location: String) -> String {
        PostgresLocation.redact(location)
    }
}

/// `--db` / `$STRATUM_DB` names no store Stratum can open.
public struct StoreLocationError: Error, CustomStringConvertible, Equatable {
    public var location: String
    public var message: String
    public var description: String { "\(location): \(message)" }
}
