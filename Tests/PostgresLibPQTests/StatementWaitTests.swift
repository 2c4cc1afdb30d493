import Foundation
import LunzhiTestSupport
import PostgresLibPQ
import Testing

/// Statements are sent without blocking and their replies awaited on the process's socket poller
/// (PostgresConnection.run/collect, SocketPoller): what that path must get right.
@Suite struct StatementWaitTests {
    @Test func concurrentCallsOnOneConnectionTakeTurns() async throws {
        try await TestDatabase.withPool(migrated: false) { pool, database in
            try await pool.query("CREATE TABLE t (v int PRIMARY KEY)")
            try await PostgresConnection.with(database.configuration) { connection in
                let inserted = try await Self.insertConcurrently(0..<200, on: connection)
                #expect(inserted == Array(0..<200))
            }
            #expect(try await pool.query("SELECT count(*) AS n FROM t").single().decode("n", as: Int.self) == 200)
        }
    }

    @Test func largeParametersAndResultsTravelWhole() async throws {
        try await TestDatabase.withPool(migrated: false) { pool, _ in
            // 16 MB: far more than a socket buffer, so sending waits for the socket to drain.
            let count = 16 << 20 / 12
            let text = String(repeating: "轮值协商", count: count)
            let row = try await pool.query(
                "SELECT octet_length($1::text) AS n, $1::text = repeat('轮值协商', $2::int) AS same", [text, count]
            ).single()
            #expect(try row.decode("n", as: Int.self) == text.utf8.count)
            #expect(try row.decode("same", as: Bool.self))
            let big = try await pool.query("SELECT repeat('x', 20000000) AS big").single().decode("big", as: String.self)
            #expect(big.utf8.count == 20_000_000)
        }
    }

    @Test func aConnectionKilledDuringItsStatementFailsAndIsNotLentAgain() async throws {
        try await TestDatabase.withPool(migrated: false) { pool, database in
            try await PostgresConnection.with(database.configuration) { connection in
                let pid = connection.backendPID
                let task = Task { try await connection.query("SELECT pg_sleep(30)") }
                var running = false
                for _ in 0..<200 where !running {
                    running =
                        try await pool.query(
                            "SELECT count(*) AS n FROM pg_stat_activity WHERE pid = $1 AND state = 'active'", [pid]
                        ).single().decode("n", as: Int.self) == 1
                    if !running { try await Task.sleep(for: .milliseconds(20)) }
                }
                #expect(running)
                let start = ContinuousClock.now
                try await pool.query("SELECT pg_terminate_backend($1::int)", [pid])
                let error = await #expect(throws: PostgresError.self) { try await task.value }
                #expect(error?.kind == .connection)
                #expect(error?.isTransient == true)
                #expect(ContinuousClock.now - start < .seconds(20))  // not the statement's 30 s
                #expect(await connection.isUsable() == false)
                // Later calls fail at once instead of waiting on a dead socket.
                await #expect(throws: PostgresError.self) { try await connection.query("SELECT 1") }
            }
            #expect(try await pool.query("SELECT 1 AS n").single().decode("n", as: Int.self) == 1)
        }
    }

    /// On TLS connections statements wait on the connection's own thread (OpenSSL may hold bytes
    /// the socket no longer shows as readable): the same behaviour through that path.
    @Test func tlsConnectionsServeTheSameCalls() async throws {
        try await PrivateCluster.with(tls: true) { cluster in
            let configuration = PostgresConfiguration(
                connectionString: "host=127.0.0.1 port=\(cluster.port) user=lunzhi dbname=postgres sslmode=require")
            try await PostgresConnection.with(configuration) { connection in
                #expect(
                    try await connection.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").single()
                        .decode("ssl", as: Bool.self))
                try await connection.query("CREATE TABLE t (v int PRIMARY KEY)")
                let inserted = try await Self.insertConcurrently(0..<50, on: connection)
                #expect(inserted == Array(0..<50))
                let count = 4 << 20 / 12
                let row = try await connection.query(
                    "SELECT $1::text = repeat('轮值协商', $2::int) AS same, repeat('x', 5000000) AS big",
                    [String(repeating: "轮值协商", count: count), count]
                ).single()
                #expect(try row.decode("same", as: Bool.self))
                #expect(try row.decode("big", as: String.self).utf8.count == 5_000_000)
                await #expect(throws: PostgresError.self) {
                    try await connection.transaction { connection in
                        try await connection.query("INSERT INTO t VALUES (1000)")
                        try await connection.query("INSERT INTO t VALUES (1000)")
                    }
                }
                #expect(try await connection.query("SELECT count(*) AS n FROM t").single().decode("n", as: Int.self) == 50)
            }
        }
    }

    /// Inserts each value into `t` from a task of its own, all on one connection; the values the
    /// inserts returned, sorted.
    private static func insertConcurrently(_ values: Range<Int>, on connection: PostgresConnection) async throws
        -> [Int]
    {
        try await withThrowingTaskGroup(of: Int.self) { group in
            for i in values {
                group.addTask {
                    try await connection.query("INSERT INTO t VALUES ($1) RETURNING v", [i]).single()
                        .decode("v", as: Int.self)
                }
            }
            var returned: [Int] = []
            for try await value in group { returned.append(value) }
            return returned.sorted()
        }
    }
}
