import Foundation
@testable import LunzhiCore
import LunzhiMigrations
import LunzhiTestSupport
import PostgresLibPQ
import Testing

/// The sign-in check both front ends call (issue: security hardening, findings 4, 5 and 8).
@Suite struct SignInTests {
    /// A service over the fixture's database with the throttle's delays off (the counting is
    /// what these tests look at) and a limit of 20.
    func service(_ f: MechanismFixture) -> Cooperation {
        Cooperation(
            pool: f.pool, clock: f.clock, bcryptCost: 4, signInPolicy: SignInThrottlePolicy(delays: false))
    }

    @Test func sixtyConcurrentGuessesAreCountedBeforeTheyAreEvaluated() async throws {
        try await MechanismFixture.with { f in
            let s = service(f)
            let probe = SignInProbe()
            let messages = try await SignInProbe.$current.withValue(probe) {
                try await withThrowingTaskGroup(of: String.self) { group in
                    for i in 0..<60 {
                        group.addTask {
                            do {
                                _ = try await s.signIn(name: "clerk-gs", secret: "guess-\(i)", from: "203.0.113.9")
                                return "signed in"
                            } catch let error as DomainError {
                                return error.message
                            }
                        }
                    }
                    return try await group.reduce(into: [String]()) { $0.append($1) }
                }
            }
            #expect(messages.filter { $0 == "wrong name or secret" }.count == 20)
            #expect(messages.filter { $0.hasPrefix("too many failed sign-ins") }.count == 40)
            #expect(probe.comparisons.count == 20)
        }
    }

    @Test func anotherPrincipalsSuccessResetsNothing() async throws {
        try await MechanismFixture.with { f in
            let s = service(f)
            let own = try await s.addPrincipal(by: f.operatorID, name: "mine", role: .auditor)
            var refused = 0
            for i in 0..<30 {
                _ = try? await s.signIn(name: "mine", secret: own.secret, from: "198.51.100.7")
                do {
                    _ = try await s.signIn(name: "clerk-qh", secret: "guess-\(i)", from: "198.51.100.7")
                } catch let error as DomainError {
                    if error.message.hasPrefix("too many") { refused += 1 }
                }
            }
            // 20 guesses at the name, then the name is locked whatever else succeeds meanwhile.
            #expect(refused == 10)
        }
    }

    @Test func aNameIsCountedAcrossAddressesAndAnAddressAcrossNames() async throws {
        try await MechanismFixture.with { f in
            let s = service(f)
            for i in 0..<20 { _ = try? await s.signIn(name: "clerk-nx", secret: "x", from: "192.0.2.\(i)") }
            let byName = await #expect(throws: DomainError.self) {
                try await s.signIn(name: "clerk-nx", secret: "x", from: "192.0.2.200")
            }
            #expect(byName?.message.hasPrefix("too many") == true)
            for i in 0..<20 { _ = try? await s.signIn(name: "nobody-\(i)", secret: "x", from: "unix") }
            let byAddress = await #expect(throws: DomainError.self) {
                try await s.signIn(name: "nobody-else", secret: "x", from: "unix")
            }
            #expect(byAddress?.message.hasPrefix("too many") == true)
            // Shared through the database: a second service (another process) sees the counts.
            let other = service(f)
            await #expect(throws: DomainError.self) { try await other.signIn(name: "clerk-nx", secret: "x", from: "x") }
        }
    }

    /// Unknown name, wrong secret, disabled principal, NUL in the name: each makes exactly one
    /// comparison at the configured cost and gets the same reply.
    @Test func everyFailureCostsOneComparisonAtTheSameCost() async throws {
        try await MechanismFixture.with { f in
            let s = service(f)
            let gone = try await s.addPrincipal(by: f.operatorID, name: "gone", role: .auditor)
            try await s.disablePrincipal(by: f.operatorID, name: "gone")
            for (name, secret) in [("nobody", "x"), ("clerk-sn", "wrong"), ("gone", gone.secret), ("a\u{0}b", "x")] {
                let probe = SignInProbe()
                let error = await SignInProbe.$current.withValue(probe) {
                    await #expect(throws: DomainError.self) {
                        try await s.signIn(name: name, secret: secret, from: "192.0.2.1")
                    }
                }
                #expect(error?.name == .authFailed)
                #expect(error?.message == "wrong name or secret", "\(name)")
                #expect(probe.comparisons == [4], "\(name): \(probe.comparisons)")
            }
        }
    }

    /// Secrets never reach PostgreSQL: on a cluster that logs every statement with its
    /// parameters, adding a principal and signing in (right and wrong) leave no trace of the
    /// secret in the server's log; the stored hash is bcrypt's.
    @Test func secretsNeverReachTheDatabasesLog() async throws {
        try await PrivateCluster.with { cluster in
            try await PostgresConnection.with(cluster.configuration) { connection in
                try await connection.query("ALTER SYSTEM SET log_statement = 'all'")
                try await connection.query("ALTER SYSTEM SET log_min_duration_statement = 0")
                try await connection.query("SELECT pg_reload_conf()")
            }
            try await Migrator(configuration: cluster.configuration, migrations: try Migration.bundled()).migrate()
            let pool = PostgresPool(configuration: cluster.configuration)
            let s = Cooperation(pool: pool, bcryptCost: 4, signInPolicy: SignInThrottlePolicy(delays: false))
            let op = try await s.addPrincipal(by: nil, name: "first-op", role: .operator)
            let other = try await s.addPrincipal(by: op.id, name: "second", role: .auditor)
            _ = try await s.signIn(name: "second", secret: other.secret, from: "192.0.2.3")
            _ = try? await s.signIn(name: "second", secret: "a-wrong-guess-to-look-for", from: "192.0.2.3")
            await pool.close()
            let log = try String(contentsOf: cluster.directory.appendingPathComponent("log"), encoding: .utf8)
            #expect(log.contains("INSERT INTO principal"), "the log records statements")
            for secret in [op.secret, other.secret, "a-wrong-guess-to-look-for"] {
                #expect(!log.contains(secret))
            }
        }
    }
}
