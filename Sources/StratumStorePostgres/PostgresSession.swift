import Foundation
import PostgresNIO  // re-exports NIO, NIOSSL and Logging's Logger

/// A value bound to a statement parameter. Every value from users (names, labels, paths,
/// attribute values) reaches the server as a bound parameter, never as SQL text.
enum SQLValue: Sendable {
    case int(Int64)
    case double(Double)
    case text(String)
    case date(Date)
    case floats([Float])
    case texts([String])
    case null
}

/// What can be bound to a `?` of a statement.
protocol SQLArgument: Sendable {
    var sqlValue: SQLValue { get }
}

extension Int64: SQLArgument { var sqlValue: SQLValue { .int(self) } }
extension Int: SQLArgument { var sqlValue: SQLValue { .int(Int64(self)) } }
extension Int32: SQLArgument { var sqlValue: SQLValue { .int(Int64(self)) } }
extension Double: SQLArgument { var sqlValue: SQLValue { .double(self) } }
extension String: SQLArgument { var sqlValue: SQLValue { .text(self) } }
extension Date: SQLArgument { var sqlValue: SQLValue { .date(self) } }
extension Array: SQLArgument where Element: SQLArrayElement { var sqlValue: SQLValue { Element.arrayValue(self) } }

/// Element types of array parameters (`REAL[]`, `TEXT[]`).
protocol SQLArrayElement: Sendable {
    static func arrayValue(_ values: [Self]) -> SQLValue
}
extension Float: SQLArrayElement { static func arrayValue(_ values: [Float]) -> SQLValue { .floats(values) } }
extension String: SQLArrayElement { static func arrayValue(_ values: [String]) -> SQLValue { .texts(values) } }
extension Optional: SQLArgument where Wrapped: SQLArgument { var sqlValue: SQLValue { self?.sqlValue ?? .null } }

/// One row of a result, read by column name (PostgreSQL folds unquoted names to lower case,
/// so `experimentId` is found as `experimentid`).
struct SQLRow {
    let raw: PostgresRandomAccessRow

    private func cell(_ column: String) throws -> PostgresCell {
        let name = column.lowercased()
        guard raw.contains(name) else { throw SQLDecodingError(column: column, message: "no such column in the result") }
        return raw[name]
    }

    func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        do { return try cell(column).decode(T.self) } catch let error as SQLDecodingError { throw error } catch {
            throw SQLDecodingError(column: column, message: "cannot be read as \(T.self): \(error)")
        }
    }
    func int(_ column: String) throws -> Int { Int(try decode(column, as: Int64.self)) }
    func optionalInt(_ column: String) throws -> Int? { try decode(column, as: Int64?.self).map(Int.init) }
    func int64(_ column: String) throws -> Int64 { try decode(column, as: Int64.self) }
    func string(_ column: String) throws -> String { try decode(column, as: String.self) }
    func optionalString(_ column: String) throws -> String? { try decode(column, as: String?.self) }
    func double(_ column: String) throws -> Double { try decode(column, as: Double.self) }
    func optionalDouble(_ column: String) throws -> Double? { try decode(column, as: Double?.self) }
    func date(_ column: String) throws -> Date { try decode(column, as: Date.self) }
    func optionalDate(_ column: String) throws -> Date? { try decode(column, as: Date?.self) }
}

struct SQLDecodingError: Error, CustomStringConvertible {
    var column: String
    var message: String
    var description: String { "column \(column): \(message)" }
}

/// Statements run inside one transaction (or, for reads, one snapshot) on the session's connection.
struct SQLTransaction {
    fileprivate let connection: PostgresConnection
    fileprivate let logger: Logger

    /// Runs `sql`, whose parameters are written `?` (outside quotes), with `arguments` bound to them.
    @discardableResult
    func rows(_ sql: String, _ arguments: [any SQLArgument] = []) throws -> [SQLRow] {
        try run(PostgresQuery(unsafeSQL: Self.numbered(sql, parameters: arguments.count), binds: Self.binds(arguments.map(\.sqlValue))))
    }

    private func run(_ query: PostgresQuery) throws -> [SQLRow] {
        try connection.query(query, logger: logger).wait().rows.map { SQLRow(raw: $0.makeRandomAccess()) }
    }

    func execute(_ sql: String, _ arguments: [any SQLArgument] = []) throws { try rows(sql, arguments) }

    /// Calls `body` with each row of `sql`, read through a cursor `batch` rows at a time, none
    /// kept after `body` returns: `rows` holds a whole result, which for a run's predictions or
    /// image fingerprints grows with the dataset (a variant's million rows). Only inside a
    /// transaction (`read` or `write`), where the cursor lives until it ends; a body that
    /// throws ends the transaction, and the cursor with it. `body` must not use the store: the
    /// session is held.
    func forEachRow(_ sql: String, _ arguments: [any SQLArgument] = [], batch: Int, _ body: (SQLRow) throws -> Void) throws {
        let batch = max(1, batch)
        try execute("DECLARE stratum_rows NO SCROLL CURSOR FOR " + sql, arguments)
        while true {
            let rows = try rows("FETCH FORWARD \(batch) FROM stratum_rows")
            for row in rows { try body(row) }
            if rows.count < batch { break }
        }
        try execute("CLOSE stratum_rows")
    }

    func row(_ sql: String, _ arguments: [any SQLArgument] = []) throws -> SQLRow? { try rows(sql, arguments).first }

    /// Inserts `rows` (each a tuple of `columns.count` values) with as few statements as the
    /// protocol's parameter limit allows.
    func insertMany(_ table: String, columns: [String], rows values: [[any SQLArgument]], suffix: String = "") throws {
        guard !values.isEmpty else { return }
        let perStatement = max(1, 60_000 / max(columns.count, 1))
        // Placeholders are written numbered ($1, $2…) here, not rewritten from `?`: these
        // statements carry up to 60,000 of them. Batches of one size share one text.
        var texts: [Int: String] = [:]
        var start = 0
        while start < values.count {
            let end = min(values.count, start + perStatement)
            let count = end - start
            let sql = texts[count] ?? {
                var text = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
                var number = 0
                for row in 0..<count {
                    text += row == 0 ? "(" : ", ("
                    for column in 0..<columns.count {
                        number += 1
                        text += column == 0 ? "$\(number)" : ", $\(number)"
                    }
                    text += ")"
                }
                return text + " " + suffix
            }()
            texts[count] = sql
            _ = try run(PostgresQuery(unsafeSQL: sql, binds: Self.binds(values[start..<end].flatMap { $0 }.map(\.sqlValue))))
            start = end
        }
    }

    /// `sql` with its `?` placeholders (outside single quotes) numbered `$1, $2…`.
    static func numbered(_ sql: String, parameters: Int) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(sql.utf8.count + parameters * 3)
        var number = 0
        var inQuote = false
        for byte in sql.utf8 {
            if byte == UInt8(ascii: "'") { inQuote.toggle() }
            if byte == UInt8(ascii: "?") && !inQuote {
                number += 1
                text += Array("$\(number)".utf8)
            } else {
                text.append(byte)
            }
        }
        precondition(number == parameters, "statement has \(number) parameters, given \(parameters): \(sql)")
        return String(decoding: text, as: UTF8.self)
    }

    /// The values as the protocol's bindings.
    static func binds(_ values: [SQLValue]) -> PostgresBindings {
        var binds = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .int(let v): binds.append(v)
            case .double(let v): binds.append(v)
            case .text(let v): binds.append(v)
            case .date(let v): binds.append(v)
            case .floats(let v): binds.append(v)
            case .texts(let v): binds.append(v)
            case .null: binds.appendNull()
            }
        }
        return binds
    }
}

/// One connection to the server, used by one thread at a time, with blocking calls: the
/// store's protocol is synchronous, and its callers are the runner's threads, never an event
/// loop. Transactions that lose a serialization or deadlock race are run again.
final class PostgresSession: @unchecked Sendable {
    let location: PostgresLocation
    private let lock = NSLock()
    private var connection: PostgresConnection?
    private let logger: Logger

    init(location: PostgresLocation) {
        self.location = location
        var logger = Logger(label: "stratum.postgres")
        logger.logLevel = .critical
        self.logger = logger
    }

    deinit {
        if let connection { try? connection.close().wait() }
    }

    private func connected() throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        let tls: PostgresConnection.Configuration.TLS
        do {
            switch location.tls {
            case .disable: tls = .disable
            case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
        } catch {
            throw PostgresStoreError(location: location.redacted, message: "cannot set up TLS: \(error)")
        }
        let configuration = PostgresConnection.Configuration(host: location.host, port: location.port, username: location.user,
                                                             password: location.password, database: location.database, tls: tls)
        do {
            let made = try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration,
                                                      id: 1, logger: logger).wait()
            connection = made
            return made
        } catch {
            throw PostgresStoreError(location: location.redacted, message: "cannot connect: \(Self.describe(error))")
        }
    }

    /// Runs `body` in one transaction (`BEGIN … COMMIT`), again (up to 8 times) when the server
    /// aborts it to break a deadlock or a serialization conflict.
    func write<T>(_ body: (SQLTransaction) throws -> T) throws -> T {
        try lock.withLock {
            var attempt = 0
            while true {
                attempt += 1
                let connection = try connected()
                let transaction = SQLTransaction(connection: connection, logger: logger)
                do {
                    try transaction.execute("BEGIN")
                    let value = try body(transaction)
                    try transaction.execute("COMMIT")
                    return value
                } catch {
                    if !connection.isClosed { _ = try? transaction.execute("ROLLBACK") }
                    if attempt < 8, Self.isRetryable(error) {
                        usleep(UInt32(5_000 * attempt * attempt))
                        continue
                    }
                    throw wrap(error)
                }
            }
        }
    }

    /// Runs `body` on one consistent snapshot, reading only.
    func read<T>(_ body: (SQLTransaction) throws -> T) throws -> T {
        try lock.withLock {
            let connection = try connected()
            let transaction = SQLTransaction(connection: connection, logger: logger)
            do {
                try transaction.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                let value = try body(transaction)
                try transaction.execute("COMMIT")
                return value
            } catch {
                if !connection.isClosed { _ = try? transaction.execute("ROLLBACK") }
                throw wrap(error)
            }
        }
    }

    func close() {
        lock.withLock {
            if let connection { try? connection.close().wait() }
            connection = nil
        }
    }

    private func wrap(_ error: any Error) -> any Error {
        // The server's and the driver's errors get the location; the store's own refusals
        // (`ShardRefusal`, `StoreError`…) pass as they are.
        guard error is PSQLError || error is SQLDecodingError || error is PostgresDecodingError else { return error }
        return PostgresStoreError(location: location.redacted, message: Self.describe(error))
    }

    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    static func isRetryable(_ error: any Error) -> Bool {
        ["40001", "40P01"].contains(sqlState(error) ?? "")
    }

    /// A message from the server's fields (PSQLError's own description hides them on purpose).
    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let info = error.serverInfo {
            var text = "\(info[.severity] ?? "ERROR") \(info[.sqlState] ?? "?"): \(info[.message] ?? "")"
            if let detail = info[.detail] { text += " (\(detail))" }
            return text
        }
        if let underlying = error.underlying { return "\(error.code): \(underlying)" }
        return "\(error.code)"
    }
}
