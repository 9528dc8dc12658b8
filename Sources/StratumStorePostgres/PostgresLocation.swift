import Foundation

/// Where a PostgreSQL store is: `postgres://user[:password]@host[:port]/database[?sslmode=…]`
/// (also `postgresql://`), as libpq and most tools write it.
///
/// Percent-escapes in the user, password and database are decoded. `sslmode` may be `disable`
/// (the default: shards reach the store over a cluster network) or `require`. The password
/// never appears in `redacted`, which is what errors and listings print.
public struct PostgresLocation: Sendable, Equatable {
    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    public var tls: TLSMode

    /// `sslmode`: `disable` (and `allow`) never use TLS; `prefer` uses it when the server offers
    /// it; `require` (and `verify-ca`, `verify-full`) insists. Whenever TLS is used, the server's
    /// certificate is checked against the system's CA store and its host name: libpq's
    /// `verify-full`, stricter than its `require`, which checks neither.
    public enum TLSMode: String, Sendable {
        case disable, prefer, require
    }

    /// Whether `location` is a PostgreSQL URL (and not a file name).
    public static func isPostgresURL(_ location: String) -> Bool {
        let lower = location.lowercased()
        return lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://")
    }

    public init(url location: String) throws {
        guard Self.isPostgresURL(location), let components = URLComponents(string: location) else {
            throw PostgresStoreError(location: Self.redact(location), message: "not a PostgreSQL URL (expected postgres://user[:password]@host[:port]/database)")
        }
        guard let host = components.host, !host.isEmpty else {
            throw PostgresStoreError(location: Self.redact(location), message: "the URL names no host")
        }
        // Each part decoded once, from its encoded form: URLComponents' `user`, `password` and
        // `path` are decoded already, and decoding them again turned a password "100%41"
        // (written 100%2541) into "100A", reachable by no spelling.
        guard let user = components.percentEncodedUser.map({ $0.removingPercentEncoding ?? $0 }), !user.isEmpty else {
            throw PostgresStoreError(location: Self.redact(location), message: "the URL names no user (postgres://USER@host/database)")
        }
        let encodedDatabase = String(components.percentEncodedPath.drop(while: { $0 == "/" }))
        let database = encodedDatabase.removingPercentEncoding ?? encodedDatabase
        guard !encodedDatabase.isEmpty, !encodedDatabase.contains("/") else {
            throw PostgresStoreError(location: Self.redact(location), message: "the URL names no database (postgres://user@host/DATABASE)")
        }
        var tls = TLSMode.disable
        for item in components.queryItems ?? [] {
            switch (item.name, item.value ?? "") {
            case ("sslmode", "disable"), ("sslmode", "allow"): tls = .disable
            case ("sslmode", "prefer"): tls = .prefer
            case ("sslmode", "require"), ("sslmode", "verify-ca"), ("sslmode", "verify-full"): tls = .require
            case ("sslmode", let mode):
                throw PostgresStoreError(location: Self.redact(location), message: "sslmode '\(mode)' is not supported (disable, allow, prefer, require, verify-ca or verify-full)")
            case ("application_name", _), ("connect_timeout", _): continue
            case (let name, _):
                throw PostgresStoreError(location: Self.redact(location), message: "unknown URL parameter '\(name)' (known: sslmode, application_name, connect_timeout)")
            }
        }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else {
            throw PostgresStoreError(location: Self.redact(location), message: "port \(port) is out of range")
        }
        self.user = user
        self.password = components.percentEncodedPassword.map { $0.removingPercentEncoding ?? $0 }
        self.host = host
        self.port = port
        self.database = database
        self.tls = tls
    }

    /// The URL without its password, for messages.
    public var redacted: String {
        "postgres://\(user)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)"
    }

    /// `location` with any password replaced by `***`: the one after the user name, whatever
    /// the scheme (`postgresql+psycopg://`, `jdbc:postgresql://`, a one-slash `postgres:/`),
    /// and a `password=` parameter's value. (Only `user:password@` after `://` was hidden: a
    /// review of the store found the others printed in errors as given.)
    public static func redact(_ location: String) -> String {
        var shown = location
        if let scheme = shown.range(of: "://") ?? shown.range(of: ":/") {
            var start = scheme.upperBound
            while start < shown.endIndex, shown[start] == "/" { start = shown.index(after: start) }
            if let at = shown[start...].range(of: "@", options: .backwards),
               let colon = shown[start..<at.lowerBound].firstIndex(of: ":") {
                shown = String(shown[...colon]) + "***" + String(shown[at.lowerBound...])
            }
        }
        // password=VALUE among the query's parameters (any case).
        guard let question = shown.firstIndex(of: "?") else { return shown }
        let parameters = shown[shown.index(after: question)...].split(separator: "&", omittingEmptySubsequences: false).map { parameter in
            parameter.lowercased().hasPrefix("password=") ? parameter.prefix(9) + "***" : parameter
        }
        return String(shown[...question]) + parameters.joined(separator: "&")
    }
}

/// The PostgreSQL store could not be reached, migrated or written. Carries the redacted location.
public struct PostgresStoreError: Error, CustomStringConvertible {
    public var location: String
    public var message: String
    public init(location: String, message: String) {
        self.location = location
        self.message = message
    }
    public var description: String { "\(location): \(message)" }
}
