import Foundation
import LunzhiMigrations
import LunzhiTestSupport
import PostgresLibPQ
import Testing

@Suite struct MigratorTests {
    let first = Migration(version: 1, name: "first", sql: "CREATE TABLE a (id int PRIMARY KEY);")
    let second = Migration(version: 2, name: "second", sql: "CREATE TABLE b (id int); INSERT INTO b VALUES (1), (2);")

    @Test func appliesInOrderOnceAndRecordsChecksums() async throws {
        try await TestDatabase.with(migrated: false) { database in
            let migrator = Migrator(configuration: database.configuration, migrations: [first, second])
            #expect(try await migrator.status().map(\.state) == [.pending, .pending])
            #expect(try await migrator.migrate().map(\.version) == [1, 2])
            #expect(try await migrator.migrate().isEmpty)
            let statuses = try await migrator.status()
            #expect(statuses.map(\.state) == [.applied, .applied])
            #expect(statuses[0].checksum.count == 64)
            let c = try await PostgresConnection.connect(database.configuration)
            #expect(try await c.query("SELECT count(*) AS n FROM b").single().decode("n", as: Int.self) == 2)
            await c.close()
        }
    }

    @Test func aChangedAppliedMigrationIsRefusedByName() async throws {
        try await TestDatabase.with(migrated: false) { database in
            try await Migrator(configuration: database.configuration, migrations: [first]).migrate()
            let edited = Migration(version: 1, name: "first", sql: first.sql + "\n-- edited")
            let third = Migration(version: 3, name: "third", sql: "CREATE TABLE c (id int);")
            let migrator = Migrator(configuration: database.configuration, migrations: [edited, third])
            let error = await #expect(throws: MigrationError.self) { try await migrator.migrate() }
            #expect(error?.description.contains("0001_first.sql") == true)
            #expect(try await migrator.status().map(\.state) == [.changed, .pending])
            // Nothing after the refusal was applied.
            let c = try await PostgresConnection.connect(database.configuration)
            #expect(
                try await c.query("SELECT to_regclass('c') IS NULL AS absent").single().decode("absent", as: Bool.self))
            await c.close()
        }
    }

    @Test func aFailingMigrationLeavesNothingBehind() async throws {
        try await TestDatabase.with(migrated: false) { database in
            let broken = Migration(version: 2, name: "broken", sql: "CREATE TABLE half (id int); SELECT 1/0;")
            let migrator = Migrator(configuration: database.configuration, migrations: [first, broken])
            await #expect(throws: PostgresError.self) { try await migrator.migrate() }
            #expect(try await migrator.status().map(\.state) == [.applied, .pending])
            let c = try await PostgresConnection.connect(database.configuration)
            #expect(
                try await c.query("SELECT to_regclass('half') IS NULL AS absent").single().decode(
                    "absent", as: Bool.self))
            await c.close()
        }
    }

    @Test func anUnknownAppliedMigrationIsRefused() async throws {
        try await TestDatabase.with(migrated: false) { database in
            try await Migrator(configuration: database.configuration, migrations: [first, second]).migrate()
            let older = Migrator(configuration: database.configuration, migrations: [first])
            let error = await #expect(throws: MigrationError.self) { try await older.migrate() }
            #expect(error == .unknownApplied(version: 2, name: "second"))
        }
    }

    @Test func concurrentRunsApplyEachMigrationOnce() async throws {
        try await TestDatabase.with(migrated: false) { database in
            let slow = Migration(version: 1, name: "slow", sql: "SELECT pg_sleep(0.2); CREATE TABLE once (id int);")
            let migrator = Migrator(configuration: database.configuration, migrations: [slow, second])
            let applied = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 { group.addTask { try await migrator.migrate().count } }
                var total = 0
                for try await count in group { total += count }
                return total
            }
            #expect(applied == 2)
        }
    }

    @Test func fileNamesAreChecked() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "SELECT 1;".write(to: directory.appendingPathComponent("0001_ok.sql"), atomically: true, encoding: .utf8)
        #expect(try Migration.load(directory: directory).map(\.fileName) == ["0001_ok.sql"])
        try "SELECT 1;".write(to: directory.appendingPathComponent("2_Bad Name.sql"), atomically: true, encoding: .utf8)
        #expect(throws: MigrationError.badFileName("2_Bad Name.sql")) { try Migration.load(directory: directory) }
    }

    @Test func theShippedMigrationsApplyToAnEmptyDatabase() async throws {
        let shipped = try Migration.bundled()
        #expect(shipped.first?.fileName == "0001_extensions.sql")
        #expect(shipped.map(\.version) == Array(1...shipped.count))
        try await TestDatabase.with(migrated: false) { database in
            let migrator = Migrator(configuration: database.configuration, migrations: shipped)
            try await migrator.migrate()
            #expect(try await migrator.status().allSatisfy { $0.state == .applied })
        }
    }
}
