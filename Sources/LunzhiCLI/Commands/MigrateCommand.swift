import ArgumentParser
import Foundation
import LunzhiMigrations
import PostgresLibPQ

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending schema migrations (SQL/NNNN_name.sql) in order.",
        discussion: """
            Each migration runs in its own transaction and is recorded with its SHA-256. A file changed \
            after it was applied is refused. Two runs at once are safe (an advisory lock).
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    @Flag(name: .long, help: "Show each migration's state and change nothing.")
    var status = false

    func run() async throws {
        let logger = try logging.bootstrap(label: "lunzhi.migrate")
        let migrator = Migrator(
            configuration: database.configuration, migrations: try Migration.bundled(), logger: logger)
        do {
            if status {
                let statuses = try await migrator.status()
                print(Self.table(statuses))
                let bad = statuses.filter { $0.state == .changed || $0.state == .unknown }
                if !bad.isEmpty { throw ExitCode(1) }
                return
            }
            let applied = try await migrator.migrate()
            if applied.isEmpty {
                print("database is up to date (\(migrator.migrations.count) migrations)")
            } else {
                for migration in applied { print("applied \(migration.fileName)") }
            }
        } catch let error as MigrationError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        } catch let error as PostgresError {
            FileHandle.standardError.write(
                Data("error: database \(database.configuration): \(error.message) (SQLSTATE \(error.code))\n".utf8))
            throw ExitCode(1)
        }
    }

    static func table(_ statuses: [Migrator.Status]) -> String {
        var lines = ["version  state    applied at (UTC)      name"]
        for status in statuses {
            let applied =
                status.appliedAt.map {
                    PostgresTimestamp.format($0).prefix(19)
                        .replacingOccurrences(of: "T", with: " ")
                } ?? "-"
            lines.append(
                String(status.version).leftPadded(to: 7) + "  " + status.state.rawValue.rightPadded(to: 8) + " "
                    + applied.rightPadded(to: 21) + " " + status.name)
        }
        let pending = statuses.filter { $0.state == .pending }.count
        lines.append(pending == 0 ? "up to date" : "\(pending) pending")
        return lines.joined(separator: "\n")
    }
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
    func rightPadded(to width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}
