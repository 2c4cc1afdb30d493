import Foundation
import LunzhiCore
import LunzhiMigrations
import LunzhiTestSupport
import PostgresLibPQ
import Testing

/// Auditors' queries answered by a real streaming replica (pg_basebackup), writes on the primary.
@Suite struct ReplicaTests {
    @Test func auditorQueriesReadTheReplicaAndRecordOnThePrimary() async throws {
        try await PrivateCluster.with { primary in
            _ = try await Migrator(configuration: primary.configuration, migrations: try Migration.bundled()).migrate()
            let pool = PostgresPool(configuration: primary.configuration, options: .init(maximumConnections: 4))
            let clock = TestClock(shanghai: .day("2026-03-02"))
            let bootstrap = Cooperation(pool: pool, clock: clock, bcryptCost: 4)
            let op = try await bootstrap.addPrincipal(by: nil, name: "operator", role: .operator).id
            let auditor = try await bootstrap.addPrincipal(by: op, name: "auditor", role: .auditor).id
            let clerk = try await bootstrap.addPrincipal(by: op, name: "clerk-sn", role: .clerk, member: "SN").id
            let first = try await bootstrap.fileItem(
                by: clerk, ItemDraft(category: .policy, track: .regular, title: "复制前"))

            try await primary.withStreamingReplica { standby in
                let replica = PostgresPool(configuration: standby.configuration, options: .init(maximumConnections: 2))
                let service = Cooperation(pool: pool, clock: clock, bcryptCost: 4, auditReadPool: replica)
                let inRecovery: Bool = try await replica.query("SELECT pg_is_in_recovery() AS r").single().decode("r")
                #expect(inRecovery)
                #expect(
                    try await service.history(by: auditor, entity: "item", id: first.id).map(\.action) == ["item.file"])

                // Hold the replica's replay: a change on the primary is then not visible to auditors
                // until replay resumes — so their reads come from the replica.
                try await replica.query("SELECT pg_wal_replay_pause()")
                _ = try await service.submitItem(by: clerk, id: first.id)
                #expect(try await service.history(by: auditor, entity: "item", id: first.id).count == 1)
                try await replica.query("SELECT pg_wal_replay_resume()")
                var seen = 1
                var polls = 0
                for _ in 0..<200 where seen < 2 {
                    try await Task.sleep(for: .milliseconds(50))
                    seen = try await service.history(by: auditor, entity: "item", id: first.id).count
                    polls += 1
                }
                #expect(seen == 2)
                let asOf = try await service.auditAsOf(by: auditor, at: clock.now())
                #expect(asOf.states["item"]?[first.id] == "submitted")

                // Every read was recorded on the primary; the replica refuses writes.
                let reads: Int = try await pool.query(
                    "SELECT count(*) AS n FROM audit_event WHERE action = 'audit.read'"
                ).single().decode("n")
                #expect(reads == 3 + polls)  // two histories, the polls, one ASOF
                await #expect(throws: PostgresError.self) { try await replica.query("DELETE FROM audit_event") }
                await replica.close()
            }
            await pool.close()
        }
    }
}
