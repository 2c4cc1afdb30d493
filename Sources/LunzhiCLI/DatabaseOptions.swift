import ArgumentParser
import Foundation
import Logging
import PostgresLibPQ

/// Where the database is: `--database-url`, else `LUNZHI_DATABASE_URL`, else libpq's defaults
/// (`PG*` variables, `~/.pgpass`, service files).
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "A postgresql:// URI or libpq key=value string.")
    var databaseURL: String?

    var configuration: PostgresConfiguration {
        let fromEnvironment = ProcessInfo.processInfo.environment["LUNZHI_DATABASE_URL"]
        return PostgresConfiguration(connectionString: databaseURL ?? fromEnvironment)
    }
}

/// `--log-level`, else `LUNZHI_LOG_LEVEL`, else info; logs go to standard error.
struct LoggingOptions: ParsableArguments {
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    func bootstrap(label: String) throws -> Logger {
        let name = logLevel ?? ProcessInfo.processInfo.environment["LUNZHI_LOG_LEVEL"] ?? "info"
        guard let level = Logger.Level(rawValue: name.lowercased()) else {
            throw ValidationError("unknown log level '\(name)'")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: label)
    }
}
