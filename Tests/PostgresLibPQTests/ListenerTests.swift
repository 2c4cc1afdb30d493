import Foundation
import LunzhiTestSupport
import PostgresLibPQ
import Testing

@Suite struct ListenerTests {
    @Test func notificationsArriveInOrder() async throws {
        try await TestDatabase.withPool(migrated: false) { pool, database in
            let channel = "reminders \"quoted\" 通道"
            let listener = PostgresListener(configuration: database.configuration, channels: [channel])
            try await listener.start()
            defer { listener.stop() }
            for i in 0..<100 { try await pool.query("SELECT pg_notify($1, $2)", [channel, "n\(i)"]) }
            var payloads: [String] = []
            for await event in listener {
                guard case .notification(let notification) = event else { continue }
                #expect(notification.channel == channel)
                payloads.append(notification.payload)
                if payloads.count == 100 { break }
            }
            #expect(payloads == (0..<100).map { "n\($0)" })
        }
    }

    @Test func channelsAddedLaterAreHeard() async throws {
        try await TestDatabase.withPool(migrated: false) { pool, database in
            let listener = PostgresListener(configuration: database.configuration)
            try await listener.start()
            defer { listener.stop() }
            try await listener.listen("late")
            try await pool.query("NOTIFY late, 'hello'")
            for await event in listener {
                if case .notification(let n) = event {
                    #expect(n.payload == "hello")
                    break
                }
            }
        }
    }

    @Test func itListensAgainAfterReconnecting() async throws {
        try await PrivateCluster.with { cluster in
            let listener = PostgresListener(configuration: cluster.configuration, channels: ["wake"])
            try await listener.start()
            defer { listener.stop() }
            let pool = PostgresPool(configuration: cluster.configuration)
            try await pool.query("NOTIFY wake, 'before'")
            var iterator = listener.makeAsyncIterator()
            guard case .notification(let before) = await iterator.next() else {
                Issue.record("no notification before the restart")
                return
            }
            #expect(before.payload == "before")
            try await cluster.restart(mode: "fast")
            #expect(await iterator.next() == .disconnected)
            #expect(await iterator.next() == .reconnected)
            try await pool.query("NOTIFY wake, 'after'")
            guard case .notification(let after) = await iterator.next() else {
                Issue.record("no notification after the reconnect")
                return
            }
            #expect(after.payload == "after")
            await pool.close()
        }
    }

    /// Pointed at a standby by mistake: the operator is told the server's reason, not "unknown error".
    @Test func aStandbysRefusalIsReportedWithTheServersReason() async throws {
        try await PrivateCluster.with { primary in
            try await primary.withStreamingReplica { standby in
                let refused = PostgresListener(configuration: standby.configuration, channels: ["wake"])
                let error = await #expect(throws: PostgresError.self) { try await refused.start() }
                #expect(error?.code == .readOnlySQLTransaction)
                #expect(error?.message.contains("recovery") == true)
                #expect(error?.query == "LISTEN \"wake\"")

                // A channel added later is refused the same way, and the listener goes on.
                let listener = PostgresListener(configuration: standby.configuration)
                try await listener.start()
                defer { listener.stop() }
                let late = await #expect(throws: PostgresError.self) { try await listener.listen("late") }
                #expect(late?.code == .readOnlySQLTransaction)
                let again = await #expect(throws: PostgresError.self) { try await listener.listen("later") }
                #expect(again?.code == .readOnlySQLTransaction)
            }
        }
    }
}
