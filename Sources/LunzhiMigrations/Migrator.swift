public import Foundation
public import Logging
public import PostgresLibPQ

/// Applies migrations in order, each in its own transaction, and records each with its checksum.
///
/// Holds a session advisory lock for the whole run, so two `migrate` runs at once are safe: the
/// second waits, then finds nothing left to do.
public struct Migrator: Sendable {
    /// The advisory lock key (the bytes of "lunzhimg").
    public static let lockKey: Int64 = 0x6C75_6E7A_6869_6D67

    public let configuration: PostgresConfiguration
    public let migrations: [Migration]
    public let logger: Logger

    public init(
        configuration: PostgresConfiguration, migrations: [Migration], logger: Logger = Logger(label: "lunzhi.migrate")
    ) {
        self.configuration = configuration
        self.migrations = migrations
        self.logger = logger
    }

    /// Where each migration stands.
    public struct Status: Sendable, Equatable {
        public enum State: String, Sendable { case applied, pending, changed, unknown }
        public var version: Int
        public var name: String
        public var state: State
        public var appliedAt: Date?
        /// SHA-256 of the file as it is now (for `unknown`: as recorded).
        public var checksum: String
        /// SHA-256 recorded when it was applied.
        public var appliedChecksum: String?
    }

    /// The state of every known and applied migration, without changing anything.
    public func status() async throws -> [Status] {
        try await withConnection { connection in
            let applied = try await appliedMigrations(connection)
            return try await statuses(connection, applied: applied)
        }
    }

    /// Applies what is pending; returns the migrations applied by this run (empty: up to date).
    /// Refuses to run when an applied file changed or the database knows a newer migration.
    @discardableResult
    public func migrate() async throws -> [Migration] {
        try await withConnection { connection in
            // Session lock: released when the connection closes, even if this process dies.
            try await connection.query("SELECT pg_advisory_lock($1)", [Self.lockKey])
            return try await migrateLocked(connection)
        }
    }

    private func withConnection<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await PostgresConnection.with(configuration, body)
    }

    private func migrateLocked(_ connection: PostgresConnection) async throws -> [Migration] {
        try await connection.runScript(
            """
            CREATE TABLE IF NOT EXISTS lunzhi_migrations (
                version     integer PRIMARY KEY,
                name        text NOT NULL,
                checksum    text NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now(),
                duration_ms integer NOT NULL
            )
            """)
        let applied = try await appliedMigrations(connection)
        let statuses = try await statuses(connection, applied: applied)
        try Self.refuseInconsistencies(statuses, migrations: migrations)
        var done: [Migration] = []
        for (migration, status) in zip(migrations, statuses) where status.state == .pending {
            let started = ContinuousClock.now
            logger.info("applying migration", metadata: ["file": "\(migration.fileName)"])
            try await connection.transaction(maxAttempts: 1) { connection in
                try await connection.runScript(migration.sql)
                let elapsed = ContinuousClock.now - started
                let milliseconds = Int(
                    elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
                try await connection.query(
                    "INSERT INTO lunzhi_migrations (version, name, checksum, duration_ms) VALUES ($1, $2, $3, $4)",
                    [migration.version, migration.name, status.checksum, milliseconds])
            }
            done.append(migration)
        }
        return done
    }

    static func refuseInconsistencies(_ statuses: [Status], migrations: [Migration]) throws {
        for status in statuses {
            switch status.state {
            case .changed:
                let migration = migrations.first { $0.version == status.version }
                throw MigrationError.changedAfterApply(
                    version: status.version, fileName: migration?.fileName ?? status.name,
                    applied: status.appliedChecksum ?? "", current: status.checksum)
            case .unknown:
                throw MigrationError.unknownApplied(version: status.version, name: status.name)
            case .applied, .pending:
                continue
            }
        }
    }

    private struct Applied {
        var name: String
        var checksum: String
        var appliedAt: Date
    }

    private func appliedMigrations(_ connection: PostgresConnection) async throws -> [Int: Applied] {
        let exists = try await connection.query("SELECT to_regclass('lunzhi_migrations') IS NOT NULL AS present")
        guard try exists.single().decode("present", as: Bool.self) else { return [:] }
        var applied: [Int: Applied] = [:]
        for row in try await connection.query("SELECT version, name, checksum, applied_at FROM lunzhi_migrations") {
            applied[try row.decode("version")] = Applied(
                name: try row.decode("name"), checksum: try row.decode("checksum"),
                appliedAt: try row.decode("applied_at"))
        }
        return applied
    }

    private func statuses(_ connection: PostgresConnection, applied: [Int: Applied]) async throws -> [Status] {
        var result: [Status] = []
        for migration in migrations {
            // SHA-256 of the file's bytes, computed by the server (no crypto library needed here).
            let checksum: String = try await connection.query(
                "SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex') AS sum", [migration.sql]
            ).single().decode("sum")
            var status = Status(
                version: migration.version, name: migration.name, state: .pending, appliedAt: nil, checksum: checksum)
            if let record = applied[migration.version] {
                status.appliedAt = record.appliedAt
                status.appliedChecksum = record.checksum
                status.state = record.checksum == checksum ? .applied : .changed
            }
            result.append(status)
        }
        for (version, record) in applied.sorted(by: { $0.key < $1.key })
        where !migrations.contains(where: { $0.version == version }) {
            result.append(
                Status(
                    version: version, name: record.name, state: .unknown, appliedAt: record.appliedAt,
                    checksum: record.checksum, appliedChecksum: record.checksum))
        }
        return result
    }
}
