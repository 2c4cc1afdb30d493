public import Foundation
import PostgresLibPQ

/// One audit event as auditors read it.
public struct AuditEvent: Sendable, Equatable {
    public var seq: Int
    public var at: Date
    public var principal: String
    public var member: String?
    public var action: String
    public var entity: String
    public var entityID: String
    /// JSON text of the state before and after.
    public var before: String?
    public var after: String?
    public var reason: String?
}

extension Cooperation {
    /// The entities whose history can be asked for.
    public static let historyEntities = ["item", "consultation", "approval", "project"]

    /// Every event of one item, consultation, approval or project, oldest first. Auditors only.
    public func history(by principal: Int, entity: String, id: Int) async throws -> [AuditEvent] {
        guard Self.historyEntities.contains(entity) else {
            throw DomainError.invalid("entity must be one of \(Self.historyEntities.joined(separator: ", "))")
        }
        return try await read(by: principal) { context in
            try context.requireAuditor(to: "read the history")
            let rows = try await context.query(
                """
                SELECT seq, at, principal_name, member_code, action, entity, entity_id, before::text AS before,
                       after::text AS after, reason
                FROM audit_event WHERE entity = $1 AND entity_id = $2 ORDER BY seq
                """, [entity, String(id)])
            guard !rows.isEmpty else { throw DomainError.notFound(entity, id) }
            return try rows.map {
                AuditEvent(
                    seq: try $0.decode("seq"), at: try $0.decode("at"), principal: try $0.decode("principal_name"),
                    member: try $0.decode("member_code"), action: try $0.decode("action"),
                    entity: try $0.decode("entity"),
                    entityID: try $0.decode("entity_id"), before: try $0.decode("before"),
                    after: try $0.decode("after"),
                    reason: try $0.decode("reason"))
            }
        }
    }

    /// A round trip to the database, for STATUS.
    public func databaseRoundTrip() async throws -> Duration {
        let start = ContinuousClock.now
        try await pool.query("SELECT 1")
        return ContinuousClock.now - start
    }
}
