import CLibPQ
import Foundation

/// How to reach the database, in libpq's own terms.
///
/// `connectionString` is a `postgresql://` URI or a `key=value` string; when it is nil or empty,
/// libpq's defaults and the `PG*` environment variables apply, and so do `~/.pgpass`, service
/// files and `sslmode` as users of psql expect.
public struct PostgresConfiguration: Sendable, CustomStringConvertible {
    public var connectionString: String?
    /// Sent as `fallback_application_name` (a name in the string or `PGAPPNAME` wins).
    public var applicationName: String
    /// Seconds to wait for a connection when neither the string nor `PGCONNECT_TIMEOUT` says.
    public var defaultConnectTimeout: Int

    public init(connectionString: String? = nil, applicationName: String = "lunzhi", defaultConnectTimeout: Int = 10) {
        self.connectionString = connectionString
        self.applicationName = applicationName
        self.defaultConnectTimeout = defaultConnectTimeout
    }

    /// The keyword/value pairs for `PQconnectdbParams`, later ones winning.
    var connectionParameters: [(String, String)] {
        var parameters: [(String, String)] = [("fallback_application_name", applicationName)]
        if Environment.value("PGCONNECT_TIMEOUT") == nil {
            parameters.append(("connect_timeout", String(defaultConnectTimeout)))
        }
        if let connectionString, !connectionString.isEmpty {
            parameters.append(("dbname", connectionString))
        }
        return parameters
    }

    /// The settings without any password, for logs and error messages.
    public var description: String {
        guard let connectionString, !connectionString.isEmpty else { return "libpq defaults (PG* environment)" }
        var error: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(connectionString, &error) else {
            if let error { PQfreemem(error) }
            return "(unparsable connection string)"
        }
        defer { PQconninfoFree(options) }
        var parts: [String] = []
        var option = options
        while let keyword = option.pointee.keyword {
            let name = String(cString: keyword)
            if let value = option.pointee.val, name != "password" {
                parts.append("\(name)=\(String(cString: value))")
            }
            option += 1
        }
        return parts.joined(separator: " ")
    }

    /// Checks that the string parses (without connecting); the message says what is wrong.
    public func validate() throws {
        guard let connectionString, !connectionString.isEmpty else { return }
        var error: UnsafeMutablePointer<CChar>?
        if let options = PQconninfoParse(connectionString, &error) {
            PQconninfoFree(options)
            return
        }
        let message = error.map { String(cString: $0).trimmingTrailingNewlines } ?? "invalid connection string"
        if let error { PQfreemem(error) }
        throw PostgresError(kind: .connection, code: .sqlclientUnableToEstablishSQLConnection, message: message)
    }
}

enum Environment {
    static func value(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name]
    }
}

extension String {
    var trimmingTrailingNewlines: String {
        var s = Substring(self)
        while let last = s.last, last.isNewline || last == " " { s = s.dropLast() }
        return String(s)
    }
}
