public import LunzhiCore
public import PostgresLibPQ

/// The default mechanism on a fresh migrated database, with an operator, an auditor and one clerk
/// of each of the five members, and (optionally) the rotation planned 2015–2030 in the order
/// SN, GS, QH, NX, XJ — so GS chairs in 2026 and QH in 2027.
public struct MechanismFixture: Sendable {
    public let service: Cooperation
    public let clock: TestClock
    public let pool: PostgresPool
    public let database: TestDatabase
    public let operatorID: Int
    public let auditorID: Int
    /// Member code → a clerk's principal id.
    public let clerks: [String: Int]
    /// Principal name → the secret it was created with ("operator", "auditor", "clerk-gs", …).
    public let secrets: [String: String]

    public static let order = ["SN", "GS", "QH", "NX", "XJ"]

    public func clerk(_ member: String) -> Int { clerks[member]! }

    /// Runs `body` with a fixture on its own database; the clock starts at noon on `start` (Shanghai).
    public static func with<T>(
        start: CalendarDate = .day("2026-03-02"), planRotation: Bool = true,
        _ body: (MechanismFixture) async throws -> T
    ) async throws -> T {
        try await TestDatabase.withPool(maximumConnections: 4) { pool, database in
            let clock = TestClock(shanghai: start)
            let service = Cooperation(pool: pool, clock: clock, bcryptCost: 4)
            let createdOperator = try await service.addPrincipal(by: nil, name: "operator", role: .operator)
            let op = createdOperator.id
            let createdAuditor = try await service.addPrincipal(by: op, name: "auditor", role: .auditor)
            let auditor = createdAuditor.id
            var secrets = ["operator": createdOperator.secret, "auditor": createdAuditor.secret]
            var clerks: [String: Int] = [:]
            for member in order {
                let name = "clerk-\(member.lowercased())"
                let created = try await service.addPrincipal(by: op, name: name, role: .clerk, member: member)
                clerks[member] = created.id
                secrets[name] = created.secret
            }
            if planRotation {
                try await service.planRotation(by: op, order: order, fromYear: 2015, years: 16)
            }
            try await clearSetupReminders(pool)
            let fixture = MechanismFixture(
                service: service, clock: clock, pool: pool, database: database, operatorID: op, auditorID: auditor,
                clerks: clerks, secrets: secrets)
            return try await body(fixture)
        }
    }

    /// Removes the `principal_added` reminders that setting up principals scheduled, so tests of
    /// reminders start from an empty queue (PrincipalTests checks those reminders themselves).
    public static func clearSetupReminders(_ pool: PostgresPool) async throws {
        try await pool.query("DELETE FROM reminder WHERE kind = 'principal_added'")
    }

    /// A further clerk of `member`, confirmed by the fixture's clerk of that member (a member's
    /// second clerk waits for that confirmation).
    public func addConfirmedClerk(name: String, member: String) async throws -> CreatedPrincipal {
        let created = try await service.addPrincipal(by: operatorID, name: name, role: .clerk, member: member)
        try await service.confirmPrincipal(by: clerk(member), name: name)
        return created
    }

    /// Row counts of every table a change touches, to show that a refusal changed nothing.
    public func counts() async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in [
            "agenda_item", "consultation", "consultation_item", "item_position", "approval", "approval_party",
            "project",
            "project_stage", "chair_term", "acting_chair", "rotation_exception", "rotation_consent", "principal",
            "audit_event", "reminder", "decision_counter",
        ] {
            counts[table] = try await pool.query("SELECT count(*) AS n FROM \(table)").single().decode("n")
        }
        return counts
    }
}
