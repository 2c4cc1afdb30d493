import Foundation
import LunzhiCore
import LunzhiTestSupport
import PostgresLibPQ
import Testing

@Suite struct CallerCacheTests {
    /// Reads remember their caller until the database announces a change: a role removed without
    /// the announcement is still honoured (so the cache is really used), and once the
    /// notification comes the next read is refused. Disabling through the service is seen at once.
    @Test func readsForgetACallerWhenTheDatabaseSaysItChanged() async throws {
        try await MechanismFixture.with { f in
            let cache = CallerCache()
            let service = Cooperation(pool: f.pool, clock: f.clock, bcryptCost: 4, callers: cache)
            let following = Task { await cache.follow(f.pool.configuration) }
            defer { following.cancel() }
            let second = try await service.addPrincipal(by: f.operatorID, name: "op-two", role: .operator).id
            // Until the listener is up nothing is remembered; wait until a read is remembered.
            try await waitUntil {
                _ = try await service.listPrincipals(by: second)
                return try await roleRemovedSilently(f, second) { _ = try await service.listPrincipals(by: second) }
            }
            // The silent removal was not announced: still remembered, still allowed.
            _ = try await service.listPrincipals(by: second)
            // Announce it, as the trigger would have: refused from then on.
            try await f.pool.query("SELECT pg_notify('lunzhi_principals', $1)", [String(second)])
            try await waitUntil {
                do {
                    _ = try await service.listPrincipals(by: second)
                    return false
                } catch let error as DomainError {
                    return error.name == .forbidden
                }
            }
            // A clerk disabled through the service is refused on the next read, here at once.
            let clerk = f.clerk("GS")
            _ = try await service.chair(by: clerk)
            try await service.disablePrincipal(by: f.operatorID, name: "clerk-gs")
            await #expect(throws: DomainError.self) { _ = try await service.chair(by: clerk) }
        }
    }

    /// Pointed at a standby (LISTEN is refused during recovery) the cache stays off, and says why
    /// once, not at every retry; after a failover (the standby promoted) it says it is on again.
    @Test func itSaysWhyItIsOffAndWhenItIsOnAgain() async throws {
        try await PrivateCluster.with { primary in
            try await primary.withStreamingReplica { standby in
                let (reports, reported) = AsyncStream.makeStream(of: CallerCache.Availability.self)
                let cache = CallerCache()
                let following = Task { await cache.follow(standby.configuration) { reported.yield($0) } }
                defer { following.cancel() }
                var iterator = reports.makeAsyncIterator()
                guard case .off(let off as PostgresError) = await iterator.next() else {
                    Issue.record("no report that the cache is off")
                    return
                }
                #expect(off.code == .readOnlySQLTransaction)
                #expect(off.message.contains("recovery"))
                // Let it retry at least once (every second) before the failover.
                try await Task.sleep(for: .milliseconds(1500))
                try await standby.promote()
                guard case .onAgain = await iterator.next() else {
                    Issue.record("the next report is not that the cache is on again")
                    return
                }
            }
        }
    }

    /// Removes the operator role with triggers off (no NOTIFY), then checks `read` still succeeds.
    private func roleRemovedSilently(
        _ f: MechanismFixture, _ principal: Int, read: () async throws -> Void
    ) async throws -> Bool {
        try await f.pool.withConnection { connection in
            try await connection.transaction { c in
                try await c.query("SET LOCAL session_replication_role = replica")
                try await c.query(
                    "DELETE FROM principal_role WHERE principal_id = $1 AND role = 'operator'", [principal])
            }
        }
        do {
            try await read()
            return true
        } catch {
            // Not remembered yet (the listener was not up): put the role back, announced this
            // time so that what the failed read loaded is forgotten, and try again.
            try await f.pool.query(
                "INSERT INTO principal_role (principal_id, role) VALUES ($1, 'operator')", [principal])
            return false
        }
    }

    private func waitUntil(_ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("condition not met within 60 s")
    }
}
