public import Foundation
import PostgresLibPQ

/// One thing that waits for the principal's member (the web's 我的待办).
public struct WorkEntry: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// A position to record on a tabled item of an open consultation.
        case recordPosition = "record_position"
        /// An approval this member is a party to and has not answered.
        case answerApproval = "answer_approval"
        /// An item the chair returned, to revise and submit again.
        case reviseReturned = "revise_returned"
        /// A draft not yet submitted.
        case submitDraft = "submit_draft"
        /// A swap or skip of chair years that waits for this member's consent (or refusal).
        case consentException = "consent_exception"
        // The chair's office:
        case acceptItem = "accept_item"
        case openConsultation = "open_consultation"
        case decideItem = "decide_item"
        case closeConsultation = "close_consultation"
        case overdueApproval = "overdue_approval"
    }

    public var kind: Kind
    /// "item", "consultation", "approval" or "rotation_exception".
    public var entity: String
    public var id: Int
    /// The item's or project's title, a consultation's place, an exception's reason.
    public var title: String
    /// What kind of consultation (`meeting`, …) or exception (`swap`, `skip`) it is, when the
    /// title alone does not say.
    public var subkind: String?
    /// For positions and decisions: the item the entry is about.
    public var itemID: Int?
    public var deadline: Date?
    public var overdue: Bool
}

extension Cooperation {
    /// Everything that waits for the principal's member, nearest deadline first (none last);
    /// for the member that chairs today also what waits for the chair's office.
    public func workQueue(by principal: Int) async throws -> [WorkEntry] {
        try await read(by: principal) { context in
            var entries: [WorkEntry] = []
            for grant in context.caller.grants where grant.role == .clerk {
                guard let mechanism = grant.mechanism, let member = grant.member else { continue }
                let rows = try await context.query(
                    """
                    SELECT 'record_position' AS kind, 'consultation' AS entity, c.id, i.title, i.id AS item_id,
                           coalesce(c.response_deadline, c.at) AS deadline, NULL AS subkind
                    FROM consultation c JOIN consultation_item ci ON ci.consultation_id = c.id
                    JOIN agenda_item i ON i.id = ci.item_id
                    WHERE c.mechanism_code = $1 AND c.state = 'open' AND ci.outcome IS NULL
                      AND NOT EXISTS (SELECT 1 FROM item_position p WHERE p.consultation_id = c.id
                                      AND p.item_id = ci.item_id AND p.member_code = $2)
                    UNION ALL
                    SELECT 'answer_approval', 'approval', a.id, pr.name, NULL, a.due_at, NULL
                    FROM approval a JOIN approval_party ap ON ap.approval_id = a.id JOIN project pr ON pr.id = a.project_id
                    WHERE a.mechanism_code = $1 AND a.state = 'pending' AND ap.member_code = $2 AND ap.answer IS NULL
                    UNION ALL
                    SELECT CASE state WHEN 'returned' THEN 'revise_returned' ELSE 'submit_draft' END, 'item', id, title,
                           NULL, NULL, NULL
                    FROM agenda_item WHERE mechanism_code = $1 AND member_code = $2 AND state IN ('returned', 'draft')
                    UNION ALL
                    SELECT 'consent_exception', 'rotation_exception', e.id, e.reason, NULL, NULL, e.kind
                    FROM rotation_exception e
                    WHERE e.mechanism_code = $1 AND e.state = 'pending' AND $2 IN (e.member_a, e.member_b)
                      AND NOT EXISTS (SELECT 1 FROM rotation_consent c WHERE c.exception_id = e.id AND c.member_code = $2)
                    """, [mechanism, member])
                entries += try rows.map { try Self.workEntry($0, now: context.now) }
                guard let chair = try await Rotation.chair(context.connection, mechanism: mechanism, on: context.today),
                    chair.member == member
                else { continue }
                let chairRows = try await context.query(
                    """
                    SELECT 'accept_item' AS kind, 'item' AS entity, id, title, NULL::bigint AS item_id,
                           NULL::timestamptz AS deadline, NULL AS subkind
                    FROM agenda_item WHERE mechanism_code = $1 AND state = 'submitted'
                    UNION ALL
                    SELECT 'open_consultation', 'consultation', c.id, coalesce(c.place, ''), NULL,
                           coalesce(c.at, c.agenda_deadline), c.kind
                    FROM consultation c WHERE c.mechanism_code = $1 AND c.state = 'planned'
                    UNION ALL
                    SELECT 'decide_item', 'consultation', c.id, i.title, i.id, coalesce(c.response_deadline, c.at), NULL
                    FROM consultation c JOIN consultation_item ci ON ci.consultation_id = c.id
                    JOIN agenda_item i ON i.id = ci.item_id
                    WHERE c.mechanism_code = $1 AND c.state = 'open' AND ci.outcome IS NULL
                    UNION ALL
                    SELECT 'close_consultation', 'consultation', c.id, coalesce(c.place, ''), NULL, NULL,
                           c.kind
                    FROM consultation c WHERE c.mechanism_code = $1 AND c.state = 'open'
                      AND NOT EXISTS (SELECT 1 FROM consultation_item ci WHERE ci.consultation_id = c.id
                                      AND ci.outcome IS NULL)
                    UNION ALL
                    SELECT 'overdue_approval', 'approval', a.id, pr.name, NULL, a.due_at, NULL
                    FROM approval a JOIN project pr ON pr.id = a.project_id
                    WHERE a.mechanism_code = $1 AND a.state = 'pending' AND a.due_at < $2
                    """, [mechanism, context.now])
                entries += try chairRows.map { try Self.workEntry($0, now: context.now) }
            }
            return entries.enumerated().sorted { a, b in
                switch (a.element.deadline, b.element.deadline) {
                case (let x?, let y?) where x != y: return x < y
                case (.some, nil): return true
                case (nil, .some): return false
                default: return a.offset < b.offset
                }
            }.map(\.element)
        }
    }

    private static func workEntry(_ row: PostgresRow, now: Date) throws -> WorkEntry {
        let deadline: Date? = try row.decode("deadline")
        return WorkEntry(
            kind: WorkEntry.Kind(rawValue: try row.decode("kind")) ?? .submitDraft, entity: try row.decode("entity"),
            id: try row.decode("id"), title: try row.decode("title"), subkind: try row.decode("subkind"),
            itemID: try row.decode("item_id"),
            deadline: deadline, overdue: deadline.map { $0 < now } ?? false)
    }

    /// An item's timeline: its own events and the consultation events about it (tabling,
    /// positions, decisions), oldest first. Clerks of its mechanism and auditors (whose read is
    /// recorded, as every auditor's read is).
    public func itemTimeline(by principal: Int, id: Int) async throws -> [AuditEvent] {
        let sql = """
            SELECT \(AuditEvent.columns) FROM audit_event
            WHERE (entity = 'item' AND entity_id = $1)
               OR (entity = 'consultation'
                   AND entity_id IN (SELECT consultation_id::text FROM consultation_item WHERE item_id = $2)
                   AND (after->>'item' = $1 OR action IN ('consultation.open', 'consultation.close', 'consultation.cancel')))
            ORDER BY seq
            """
        let caller = try await whoami(principal)
        if caller.isAuditor() && caller.clerkMechanisms.isEmpty {
            return try await auditorRead(by: principal, to: "read the history", record: ("history item \(id)", nil)) {
                context in
                _ = try await loadItem(context, id)
                return try await context.query(sql, [String(id), id]).map(AuditEvent.init(row:))
            }
        }
        return try await read(by: principal) { context in
            let item = try await loadItem(context, id)
            guard context.caller.clerkMember(in: item.mechanism) != nil else {
                throw DomainError(.forbidden, detail: "history_readers", ["mechanism": "\(item.mechanism)"])
            }
            return try await context.query(sql, [String(id), id]).map(AuditEvent.init(row:))
        }
    }
}
