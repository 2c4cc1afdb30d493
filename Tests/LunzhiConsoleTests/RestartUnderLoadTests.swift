import Foundation
import Logging
import LunzhiConsole
import LunzhiCore
import LunzhiMigrations
import LunzhiTestSupport
import PostgresLibPQ
import Synchronization
import Testing

/// The fault harness's first scenario (issue 9): PostgreSQL restarted, fast and then immediate,
/// under a write load of 8 clients. Afterwards every item whose ITEM FILE got 201 is in the
/// database, none that got 503 is, and the console serves again within 5 s of the database.
///
/// "Of the database" is measured from the moment `pg_ctl start -w` returns, not from the first
/// refusal: how long PostgreSQL itself takes to stop and start (a shutdown checkpoint, or crash
/// recovery after an immediate stop) is not the service's to answer for, and on a busy 2-core CI
/// machine it alone can exceed 5 s. The load goes on for 6 s after the database is back.
@Suite struct RestartUnderLoadTests {
    struct Outcome: Sendable {
        var title: String
        var code: Int
        var at: ContinuousClock.Instant
    }

    @Test(arguments: ["fast", "immediate"]) func aRestartLosesNothingAcknowledged(_ mode: String) async throws {
        try await PrivateCluster.with { cluster in
            _ = try await Migrator(configuration: cluster.configuration, migrations: try Migration.bundled()).migrate()
            let pool = PostgresPool(
                configuration: cluster.configuration, options: .init(maximumConnections: 8, acquireTimeout: .seconds(2))
            )
            let service = Cooperation(pool: pool, bcryptCost: 4)
            let op = try await service.addPrincipal(by: nil, name: "operator", role: .operator).id
            let secret = try await service.addPrincipal(by: op, name: "c-sn", role: .clerk, member: "SN").secret
            try await ConsoleHarness.serving(service) { port in
                // Moved to 6 s after the database is back once the restart returns.
                let load = LoadDeadline(.now + .seconds(90))
                let (outcomes, restarting, databaseBack) = try await withThrowingTaskGroup(of: [Outcome].self) { clients in
                    for client in 0..<8 {
                        clients.addTask {
                            var outcomes: [Outcome] = []
                            var n = 0
                            while load.going {
                                do {
                                    try await ConsoleClient.with(host: "127.0.0.1", port: port, connectTimeout: .seconds(60)) { c in
                                        // Signing in needs the database too: while it restarts, AUTH
                                        // is refused (503, or 500 if its commit was cut) and the client must sign in again, not go
                                        // on unauthenticated.
                                        let signIn = try await c.request("AUTH c-sn \(secret)")
                                        guard signIn.code == 200 else {
                                            #expect([500, 503].contains(signIn.code), "AUTH answered \(signIn.code)")
                                            throw CancellationError()
                                        }
                                        while load.going {
                                            let title = "load-\(client)-\(n)"
                                            n += 1
                                            let reply = try await c.request(
                                                "ITEM FILE category=direction track=regular title=\(title)")
                                            outcomes.append(Outcome(title: title, code: reply.code, at: .now))
                                            if reply.code == 201 { load.acknowledged() }
                                        }
                                    }
                                } catch {
                                    try await Task.sleep(for: .milliseconds(20))  // the server closed on us: reconnect
                                }
                            }
                            return outcomes
                        }
                    }
                    // The restart comes once the load is under way: 20 writes acknowledged (a fixed
                    // 1.5 s was seen to leave only 10 on a loaded CI machine), or 30 s.
                    let waiting = ContinuousClock.now + .seconds(30)
                    while load.acknowledgedCount < 20 && ContinuousClock.now < waiting {
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    let restarting = ContinuousClock.now
                    try await cluster.restart(mode: mode)
                    let databaseBack = ContinuousClock.now
                    load.stop(at: databaseBack + .seconds(6))
                    return (try await clients.reduce(into: []) { $0 += $1 }, restarting, databaseBack)
                }
                let stored = Set(
                    try await pool.query("SELECT title FROM agenda_item").map {
                        try $0.decode("title", as: String.self)
                    })
                let acknowledged = outcomes.filter { $0.code == 201 }
                let refused = outcomes.filter { $0.code == 503 }
                let unknown = outcomes.filter { $0.code == 500 }
                // Serving again within 5 s of the database.
                let firstRefusal = outcomes.filter { $0.code != 201 }.map(\.at).min()
                let recovered = acknowledged.map(\.at).filter { $0 > databaseBack }.min()
                let timing = RestartTiming(
                    firstRefusal: firstRefusal.map { $0 - restarting }, databaseBack: databaseBack - restarting,
                    firstAcknowledged: recovered.map { $0 - databaseBack })
                if ProcessInfo.processInfo.environment["LUNZHI_TEST_REPORT"] != nil {
                    print(
                        "restart \(mode): \(acknowledged.count) acknowledged, \(refused.count) refused (503), "
                            + "\(unknown.count) outcome unknown, \(stored.count) stored; \(timing)")
                }
                #expect(timing.firstAcknowledged.map { $0 < .seconds(5) } == true, "\(timing)")
                #expect(acknowledged.count > 10, "too little load to mean anything: \(acknowledged.count)")
                #expect(acknowledged.allSatisfy { stored.contains($0.title) }, "an acknowledged item was lost")
                #expect(refused.allSatisfy { !stored.contains($0.title) }, "a 503 left an item behind")
                for code in Set(outcomes.map(\.code)) where ![201, 500, 503].contains(code) {
                    Issue.record("unexpected reply code \(code)")
                }
                // Every stored item was acknowledged, or its outcome was reported unknown.
                let reported = Set(acknowledged.map(\.title)).union(unknown.map(\.title))
                #expect(stored.subtracting(reported).isEmpty, "stored without a 201 or OUTCOME_UNKNOWN")
                // The audit chain survived too.
                let gaps: Int = try await pool.query(
                    "SELECT count(*) AS n FROM audit_event e WHERE seq > 1 AND NOT EXISTS (SELECT 1 FROM audit_event p WHERE p.seq = e.seq - 1)"
                ).single().decode("n")
                #expect(gaps == 0)
            }
            await pool.close()
        }
    }
}

/// How long each step of the restart took, for the report and for a failure's message.
private struct RestartTiming: CustomStringConvertible {
    var firstRefusal: Duration?  // after the restart began
    var databaseBack: Duration  // after the restart began
    var firstAcknowledged: Duration?  // after the database was back

    var description: String {
        "first refusal \(firstRefusal?.description ?? "none") after the restart began, database back after "
            + "\(databaseBack), first 201 \(firstAcknowledged?.description ?? "never") after that"
    }
}

/// When the load clients stop; moved once the database is back.
private final class LoadDeadline: Sendable {
    private let instant: Mutex<ContinuousClock.Instant>
    private let count = Mutex(0)
    init(_ instant: ContinuousClock.Instant) { self.instant = Mutex(instant) }
    var going: Bool { ContinuousClock.now < instant.withLock { $0 } }
    func stop(at instant: ContinuousClock.Instant) { self.instant.withLock { $0 = instant } }
    /// Writes acknowledged (201) so far, by every client.
    var acknowledgedCount: Int { count.withLock { $0 } }
    func acknowledged() { count.withLock { $0 += 1 } }
}
