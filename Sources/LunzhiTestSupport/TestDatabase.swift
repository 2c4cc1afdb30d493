import Foundation
import LunzhiMigrations
public import PostgresLibPQ

/// A database of its own for one test, on the real server `Deploy/test.sh` started.
///
/// The server is found through libpq's `PG*` variables (test.sh sets them). Each test gets a new
/// database — migrated from a per-process template when asked — and it is dropped afterwards, so
/// tests running in parallel never share rows.
public struct TestDatabase: Sendable {
    public let name: String
    /// Connects to this test's database (host, port and user from `PG*`).
    public var configuration: PostgresConfiguration { PostgresConfiguration(connectionString: "dbname=\(name)") }

    /// Runs `body` with a fresh database, dropped afterwards whatever happens.
    public static func with<T>(migrated: Bool = true, _ body: (TestDatabase) async throws -> T) async throws -> T {
        try requireEnvironment()
        let name = "lunzhi_t_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        let template = migrated ? try await TemplateDatabase.shared.name() : "template1"
        try await admin { try await $0.query("CREATE DATABASE \(name) TEMPLATE \(template)") }
        let database = TestDatabase(name: name)
        do {
            let value = try await body(database)
            try await database.drop()
            return value
        } catch {
            try? await database.drop()
            throw error
        }
    }

    /// Runs `body` with a pool on a fresh database; the pool is closed before the database is dropped.
    /// A task waits up to 60 s for a connection (the service's default is 10 s): tests that pass the
    /// pool's limit on purpose (64 tasks, 4 connections) may start while the whole suite is starting
    /// up on two cores, and a timeout is not what they test.
    public static func withPool<T>(
        migrated: Bool = true, maximumConnections: Int = 4, _ body: (PostgresPool, TestDatabase) async throws -> T
    ) async throws -> T {
        try await with(migrated: migrated) { database in
            let pool = PostgresPool(
                configuration: database.configuration,
                options: .init(maximumConnections: maximumConnections, acquireTimeout: .seconds(60)))
            do {
                let value = try await body(pool, database)
                await pool.close()
                return value
            } catch {
                await pool.close()
                throw error
            }
        }
    }

    private func drop() async throws {
        try await Self.admin { try await $0.query("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
    }

    /// Runs `body` on a connection to the maintenance database (`postgres`).
    @discardableResult
    static func admin<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await PostgresConnection.with(PostgresConfiguration(connectionString: "dbname=postgres"), body)
    }

    static func requireEnvironment() throws {
        guard ProcessInfo.processInfo.environment["PGPORT"] != nil else {
            throw TestEnvironmentError(
                message: "no test database: run the tests with Deploy/test.sh, which starts a throwaway PostgreSQL")
        }
    }
}

public struct TestEnvironmentError: Error, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// One migrated template database per test process, created on first use.
actor TemplateDatabase {
    static let shared = TemplateDatabase()
    private var created: Task<String, any Error>?

    func name() async throws -> String {
        if let created { return try await created.value }
        let task = Task<String, any Error> {
            let name = "lunzhi_tpl_" + UUID().uuidString.prefix(8).lowercased()
            try await TestDatabase.admin { try await $0.query("CREATE DATABASE \(name)") }
            let configuration = PostgresConfiguration(connectionString: "dbname=\(name)")
            try await Migrator(configuration: configuration, migrations: try Migration.bundled()).migrate()
            return name
        }
        created = task
        return try await task.value
    }
}
