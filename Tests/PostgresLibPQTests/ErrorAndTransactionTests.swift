import Foundation
import LunzhiTestSupport
import PostgresLibPQ
import Testing

@Suite struct ErrorAndTransactionTests {
    @Test func serverErrorsCarrySQLStateAndConstraint() async throws {
        try await TestDatabase.withPool(migrated: false) { pool, _ in
            try await pool.query(
                "CREATE TABLE member (code text CONSTRAINT member_pkey PRIMARY KEY, seats int CONSTRAINT seats_positive CHECK (seats > 0))"
            )
            try await pool.query("INSERT INTO member VALUES ($1, $2)", ["GS", 1])
            let duplicate = await #expect(throws: PostgresError.self) {
                try await pool.query("INSERT INTO member VALUES ($1, $2)", ["GS", 2])
            }
            #expect(duplicate?.kind == .server)
            #expect(duplicate?.code == .uniqueViolation)
            #expect(duplicate?.constraintName == "member_pkey")
            #expect(duplicate?.tableName == "member")
            #expect(duplicate?.detail?.contains("GS") == true)
            let check = await #expect(throws: PostgresError.self) {
                try await pool.query("INSERT INTO member VALUES ($1, $2)", ["SN", 0])
            }
            #expect(check?.code == .checkViolation)
            #expect(check?.constraintName == "seats_positive")
            let syntax = await #expect(throws: PostgresError.self) { try await pool.query("SELEC 1") }
            #expect(syntax?.code == .syntaxError)
        }
    }

    @Test func rollbackOnThrowAndCommitOnReturn() async throws {
        struct Refused: Error {}
        try await TestDatabase.withPool(migrated: false) { pool, _ in
            try await pool.query("CREATE TABLE t (v int)")
            await #expect(throws: Refused.self) {
                try await pool.transaction { c in
                    try await c.query("INSERT INTO t VALUES (1)")
                    throw Refused()
                }
            }
            await #expect(throws: PostgresError.self) {
                try await pool.transaction { c in
                    try await c.query("INSERT INTO t VALUES (2)")
                    try await c.query("INSERT INTO t VALUES ('not a number')")
                }
            }
            try await pool.transaction { c in try await c.query("INSERT INTO t VALUES (3)") }
            let values = try await pool.query("SELECT v FROM t").map { try $0.decode("v", as: Int.self) }
            #expect(values == [3])
        }
    }

    @Test func aSwallowedErrorDoesNotCommitSilently() async throws {
        try await TestDatabase.withPool(migrated: false) { pool, _ in
            try await pool.query("CREATE TABLE t (v int)")
            let error = await #expect(throws: PostgresError.self) {
                try await pool.transaction { c in
                    try await c.query("INSERT INTO t VALUES (1)")
                    _ = try? await c.query("SELECT 1/0")
                }
            }
            #expect(error?.code == .inFailedSQLTransaction)
            #expect(try await pool.query("SELECT count(*) AS n FROM t").single().decode("n", as: Int.self) == 0)
        }
    }

    @Test func serializationFailuresAreRetried() async throws {
        try await TestDatabase.withPool(migrated: false, maximumConnections: 2) { pool, _ in
            try await pool.query("CREATE TABLE counter (n int)")
            try await pool.query("INSERT INTO counter VALUES (0)")
            let attempts = Counter()
            // Two serializable read-modify-write transactions that overlap: one must fail with
            // 40001 and be run again; both increments land.
            let gate = CountdownLatch(count: 2)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        try await pool.transaction(isolation: .serializable, maxAttempts: 5) { c in
                            await attempts.increment()
                            let n: Int = try await c.query("SELECT n FROM counter").single().decode("n")
                            await gate.arriveAndWait()
                            try await c.query("UPDATE counter SET n = $1", [n + 1])
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await pool.query("SELECT n FROM counter").single().decode("n", as: Int.self) == 2)
            #expect(await attempts.value >= 3)
        }
    }
}

actor Counter {
    var value = 0
    func increment() { value += 1 }
}
