import Foundation
import Synchronization
import LunzhiTestSupport
import PostgresLibPQ
import Testing

@Suite struct PoolTests {
    @Test func sixtyFourTasksShareFourConnections() async throws {
        try await TestDatabase.withPool(migrated: false, maximumConnections: 4) { pool, _ in
            let pids = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<64 {
                    group.addTask {
                        let row = try await pool.query(
                            "SELECT pg_backend_pid() AS pid, $1::int * 2 AS twice, pg_sleep(0.01)", [i]
                        ).single()
                        #expect(try row.decode("twice", as: Int.self) == i * 2)
                        return try row.decode("pid", as: Int.self)
                    }
                }
                var pids: Set<Int> = []
                for try await pid in group { pids.insert(pid) }
                return pids
            }
            #expect(pids.count <= 4)
            let statistics = await pool.statistics
            #expect(statistics.open <= 4)
            #expect(statistics.inUse == 0)
        }
    }

    @Test func waitingForAConnectionTimesOut() async throws {
        try await TestDatabase.with(migrated: false) { database in
            let pool = PostgresPool(
                configuration: database.configuration,
                options: .init(maximumConnections: 1, acquireTimeout: .milliseconds(200)))
            defer { Task { await pool.close() } }
            try await pool.withConnection { _ in
                let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
                #expect(error?.kind == .poolTimeout)
                #expect(error?.message.contains("no database connection became free") == true)
            }
            // The connection came back: the pool serves again.
            #expect(try await pool.query("SELECT 1 AS one").single().decode("one", as: Int.self) == 1)
        }
    }

    @Test func aWaitingTaskCancelledLeavesTheLineAtOnce() async throws {
        try await TestDatabase.with(migrated: false) { database in
            let pool = PostgresPool(
                configuration: database.configuration,
                options: .init(maximumConnections: 1, acquireTimeout: .seconds(60)))
            try await pool.withConnection { _ in
                let waiting = Task { try await pool.query("SELECT 1") }
                while await pool.statistics.waiting == 0 { try await Task.sleep(for: .milliseconds(5)) }
                let start = ContinuousClock.now
                waiting.cancel()
                await #expect(throws: CancellationError.self) { try await waiting.value }
                // Not the 60 s acquire timeout. (A generous bound: when the suite starts, its
                // parallel cluster set-ups can hold both cores for seconds.)
                #expect(ContinuousClock.now - start < .seconds(30))
                #expect(await pool.statistics.waiting == 0)
                // Already cancelled before it asks: it never joins the line.
                let early = Task {
                    withUnsafeCurrentTask { $0?.cancel() }
                    return try await pool.query("SELECT 1")
                }
                await #expect(throws: CancellationError.self) { try await early.value }
                #expect(await pool.statistics.waiting == 0)
            }
            // The connection the cancelled tasks waited for is lent again.
            #expect(try await pool.query("SELECT 2 AS n").single().decode("n", as: Int.self) == 2)
            #expect(await pool.statistics.open == 1)
            await pool.close()
        }
    }

    @Test func waitersAreServedInTurnAndClosingFailsTheRest() async throws {
        try await TestDatabase.with(migrated: false) { database in
            let pool = PostgresPool(
                configuration: database.configuration,
                options: .init(maximumConnections: 1, acquireTimeout: .seconds(60)))
            let order = Served()
            var turns: [Task<Void, any Error>] = []
            try await pool.withConnection { _ in
                for turn in 0..<3 {
                    turns.append(Task { try await pool.withConnection { _ in order.turns.withLock { $0.append(turn) } } })
                    while await pool.statistics.waiting < turn + 1 { try await Task.sleep(for: .milliseconds(5)) }
                }
            }
            // Returned, the connection goes to the first in line, then to the next.
            for turn in turns { try await turn.value }
            #expect(order.turns.withLock { $0 } == [0, 1, 2])
            // A task still waiting when the pool closes is told so, not left hanging.
            let held = Task { try await pool.withConnection { _ in try await Task.sleep(for: .seconds(2)) } }
            while await pool.statistics.inUse == 0 { try await Task.sleep(for: .milliseconds(5)) }
            let late = Task { try await pool.query("SELECT 1") }
            while await pool.statistics.waiting == 0 { try await Task.sleep(for: .milliseconds(5)) }
            await pool.close()
            let error = await #expect(throws: PostgresError.self) { try await late.value }
            #expect(error?.kind == .poolClosed)
            try await held.value
            #expect(await pool.statistics.open == 0)
        }
    }

    @Test func blockingCallsStayOffTheCooperativePool() async throws {
        // Eight statements sleeping 1 s on eight connections are all running at once, even though
        // Swift's cooperative pool has only as many threads as cores: each starts (on the server)
        // before the first has finished. Run one after another, the last would start 7 s after
        // the first. (Judged by the server's start times, not by the wall clock, which a loaded
        // machine stretches.)
        try await TestDatabase.withPool(migrated: false, maximumConnections: 8) { pool, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 { group.addTask { try await pool.query("SELECT 1") } }
                try await group.waitForAll()
            }
            let starts = try await withThrowingTaskGroup(of: Double.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await pool.query(
                            "SELECT extract(epoch FROM statement_timestamp())::float8 AS started, pg_sleep(1)"
                        ).single().decode("started", as: Double.self)
                    }
                }
                return try await group.reduce(into: [Double]()) { $0.append($1) }
            }
            #expect(starts.max()! - starts.min()! < 1.0, "start times spread over \(starts.max()! - starts.min()!) s")
        }
    }

    @Test func poolRecoversAfterTheServerRestarts() async throws {
        try await PrivateCluster.with { cluster in
            let pool = PostgresPool(configuration: cluster.configuration, options: .init(maximumConnections: 4))
            defer { Task { await pool.close() } }
            // Fill the pool with idle connections, then restart the server under them.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 { group.addTask { try await pool.query("SELECT pg_sleep(0.05)") } }
                try await group.waitForAll()
            }
            let before: Int = try await pool.query("SELECT pg_backend_pid() AS pid").single().decode("pid")
            try await cluster.restart(mode: "fast")
            let after: Int = try await pool.query("SELECT pg_backend_pid() AS pid").single().decode("pid")
            #expect(after != before)
            try await cluster.restart(mode: "immediate")
            #expect(try await pool.query("SELECT 41 + 1 AS n").single().decode("n", as: Int.self) == 42)
        }
    }

    @Test func aDownServerIsAConnectionError() async throws {
        try await PrivateCluster.with { cluster in
            try await cluster.stop()
            let pool = PostgresPool(configuration: cluster.configuration)
            let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
            #expect(error?.kind == .connection)
            #expect(error?.isTransient == true)
            try await cluster.start()
            #expect(try await pool.query("SELECT 1 AS n").single().decode("n", as: Int.self) == 1)
            await pool.close()
        }
    }

    @Test func cancellingATaskCancelsItsStatement() async throws {
        try await TestDatabase.withPool(migrated: false) { pool, _ in
            let task = Task { try await pool.query("SELECT pg_sleep(30) AS slow") }
            // Wait until the statement is running on the server, then cancel the task.
            var running = false
            for _ in 0..<200 where !running {
                running =
                    try await pool.query(
                        "SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30) AS slow%' AND state = 'active'"
                    ).single().decode("n", as: Int.self) == 1
                if !running { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(running)
            let start = ContinuousClock.now
            task.cancel()
            let error = await #expect(throws: PostgresError.self) { try await task.value }
            #expect(error?.code == .queryCanceled)
            #expect(ContinuousClock.now - start < .seconds(20))  // not the statement's 30 s
            #expect(try await pool.query("SELECT 1 AS n").single().decode("n", as: Int.self) == 1)
        }
    }

    @Test func aTaskCancelledBeforeItsStatementNeverSendsIt() async throws {
        try await TestDatabase.withPool(migrated: false) { pool, _ in
            try await pool.query("CREATE TABLE t (v int)")
            let task = Task {
                try await pool.withConnection { connection in
                    withUnsafeCurrentTask { $0?.cancel() }
                    try await connection.query("INSERT INTO t VALUES (1)")
                }
            }
            let error = await #expect(throws: PostgresError.self) { try await task.value }
            #expect(error?.kind == .cancelled)
            #expect(try await pool.query("SELECT count(*) AS n FROM t").single().decode("n", as: Int.self) == 0)
        }
    }
}

/// The order in which waiting tasks got their connection.
private final class Served: Sendable {
    let turns = Mutex<[Int]>([])
}
