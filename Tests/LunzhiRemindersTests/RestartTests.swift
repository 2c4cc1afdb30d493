import Foundation
import LunzhiCore
import LunzhiMigrations
import LunzhiReminders
import LunzhiTestSupport
import PostgresLibPQ
import Testing

@Suite struct RestartTests {
    /// The daemon runs; PostgreSQL restarts under it; reminders enqueued afterwards are delivered.
    @Test func theDaemonReconnectsAfterTheDatabaseRestarts() async throws {
        try await PrivateCluster.with { cluster in
            try await Migrator(configuration: cluster.configuration, migrations: try Migration.bundled()).migrate()
            let pool = PostgresPool(configuration: cluster.configuration, options: .init(maximumConnections: 4))
            try await pool.query(
                "INSERT INTO member_contact (mechanism_code, member_code, channel, address) VALUES ('NW5', 'GS', 'file', '/tmp/x')"
            )
            let channel = RecordingChannel()
            var configuration = ReminderDaemon.Configuration()
            configuration.pollInterval = .milliseconds(200)
            let d = ReminderDaemon(
                configuration: configuration, service: Cooperation(pool: pool), channels: [channel], owner: "r",
                logger: quietLogger())
            func enqueue(_ key: String) async throws {
                try await pool.query(
                    "INSERT INTO reminder (mechanism_code, recipient_member, kind, entity, entity_id, due_at, idempotency_key) VALUES ('NW5', 'GS', 'custom', 'x', '1', now(), $1)",
                    [key])
            }
            func waitFor(_ count: Int) async throws {
                let start = ContinuousClock.now
                while channel.keys.count < count && ContinuousClock.now - start < .seconds(20) {
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await d.run() }
                try await enqueue("before")
                try await waitFor(1)
                try await cluster.restart(mode: "fast")
                try await enqueue("after")
                try await waitFor(2)
                #expect(channel.keys == ["before", "after"])
                group.cancelAll()
            }
            await pool.close()
        }
    }
}
