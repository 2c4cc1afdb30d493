import ArgumentParser
import Foundation
import Logging
import LunzhiCore
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

/// `--log-level` (else `LUNZHI_LOG_LEVEL`, else info) and `--log-format` (else `LUNZHI_LOG_FORMAT`,
/// else text); logs go to standard error, one line per event.
struct LoggingOptions: ParsableArguments {
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    @Option(name: .customLong("log-format"), help: "text (key=value) or json (one object per line).")
    var logFormat: String?

    func bootstrap(label: String) throws -> Logger {
        let environment = ProcessInfo.processInfo.environment
        let name = logLevel ?? environment["LUNZHI_LOG_LEVEL"] ?? SettingDefaults.logLevel
        guard let level = Logger.Level(rawValue: name.lowercased()) else {
            throw ValidationError("unknown log level '\(name)'")
        }
        let format = (logFormat ?? environment["LUNZHI_LOG_FORMAT"] ?? SettingDefaults.logFormat).lowercased()
        guard format == "text" || format == "json" else { throw ValidationError("--log-format is text or json") }
        LoggingSystem.bootstrap { label in
            if format == "json" {
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: label)
    }
}

/// One JSON object per line on standard error: time, level, label, message, then the metadata.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [(String, JSONValue)] = [
            ("time", .string(PostgresTimestamp.format(Date()))),
            ("level", .string(event.level.rawValue)), ("label", .string(label)),
            ("message", .string(event.message.description)),
        ]
        let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for key in all.keys.sorted() { fields.append((key, .string("\(all[key]!)"))) }
        let text = JSONValue.object(fields).serialized() + "\n"
        FileHandle.standardError.write(Data(text.utf8))
    }
}

/// A service on a small pool for one command; the pool is closed afterwards. Domain and database
/// errors are printed as the console names them, with exit status 1.
func withService<T>(_ configuration: PostgresConfiguration, _ body: (Cooperation) async throws -> T)
    async throws -> T
{
    let pool = PostgresPool(configuration: configuration, options: .init(maximumConnections: 3))
    do {
        let value = try await body(Cooperation(pool: pool))
        await pool.close()
        return value
    } catch let error as DomainError {
        await pool.close()
        FileHandle.standardError.write(Data("error: \(error.name) \(error.message)\n".utf8))
        throw ExitCode(1)
    } catch let error as PostgresError {
        await pool.close()
        FileHandle.standardError.write(Data("error: database: \(error.message) (SQLSTATE \(error.code))\n".utf8))
        throw ExitCode(1)
    } catch {
        await pool.close()
        throw error
    }
}
