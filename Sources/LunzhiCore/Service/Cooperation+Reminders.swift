public import Foundation
import PostgresLibPQ

/// A member's contact for reminders.
public struct MemberContact: Sendable, Equatable {
    public var id: Int
    public var mechanism: String
    public var member: String
    public var channel: String
    public var address: String
    public var enabled: Bool
    /// Webhook signing key; only its presence is shown.
    public var hasSecret: Bool
}

/// A row of the reminder queue as operators see it.
public struct ReminderInfo: Sendable, Equatable {
    public var id: Int
    public var kind: ReminderKind
    public var recipient: String
    public var entity: String
    public var entityID: String
    public var state: ReminderState
    public var dueAt: Date
    public var runAt: Date
    public var attempts: Int
    public var outcome: String?
    /// Each attempt's errors, oldest first.
    public var errors: [String]
}

extension Cooperation {
    public static let contactChannels = ["email", "webhook", "file"]

    /// Reminder kinds whose reason can go away before they are due.
    static let kindsWithSkipRules = ReminderKind.aboutItems.union(ReminderKind.aboutConsultations).union(
        ReminderKind.aboutApprovals
    ).union([.rotationExceptionRequested])

    /// Adds a contact. Clerks for their own member, operators for any member.
    @discardableResult
    public func addContact(
        by principal: Int, mechanism: String? = nil, member: String? = nil, channel: String, address: String,
        secret: String? = nil
    ) async throws -> MemberContact {
        guard Self.contactChannels.contains(channel) else {
            throw DomainError.invalid("channel_choice", ["choices": .list(Self.contactChannels)])
        }
        let address = try TextRule.check(address, field: "address", maxLength: 2000)
        switch channel {
        case "email":
            guard address.range(of: "^[^@\\s<>,;]+@[^@\\s<>,;]+$", options: .regularExpression) != nil else {
                throw DomainError.invalid("not_email")
            }
        case "webhook":
            _ = try webhookPolicy.check(url: address)
            guard let secret, secret.count >= 16 else {
                throw DomainError.invalid("webhook_secret")
            }
        default:
            guard FileContactName.isValid(address) else {
                throw DomainError.invalid("file_contact_name")
            }
        }
        return try await change(by: principal) { context in
            if channel == "file" {
                // The file channel writes on the server's disk: operators only.
                try context.requireOperator(to: "add file contacts")
            }
            let mechanism = try await context.mechanism(mechanism)
            let own = context.caller.clerkMember(in: mechanism)
            let target = member ?? own
            guard let target, try await context.members(of: mechanism).contains(target) else {
                throw DomainError.notFound("member", member ?? "-")
            }
            guard context.caller.isOperator() || own == target else {
                throw DomainError(.notOwnMember, detail: "own_contacts")
            }
            let id: Int = try await context.query(
                """
                INSERT INTO member_contact (mechanism_code, member_code, channel, address) VALUES ($1, $2, $3, $4)
                RETURNING id
                """, [mechanism, target, channel, address]
            ).single().decode("id")
            if channel == "webhook", let secret {
                try await context.query(
                    "INSERT INTO member_contact_secret (contact_id, secret) VALUES ($1, $2)", [id, secret])
            }
            try await context.audit(
                "member.add_contact", entity: "member", id: "\(mechanism)/\(target)", mechanism: mechanism,
                after: try PostgresJSON(encoding: ["channel": channel, "address": address]))
            return MemberContact(
                id: id, mechanism: mechanism, member: target, channel: channel, address: address, enabled: true,
                hasSecret: secret != nil)
        }
    }

    /// An address as another member sees it: a webhook's scheme and host only, an e-mail's
    /// first letter and domain, a file contact's name not at all.
    static func masked(channel: String, address: String) -> String {
        switch channel {
        case "webhook":
            guard let url = URLComponents(string: address), let scheme = url.scheme, let host = url.host else {
                return "(hidden)"
            }
            return "\(scheme)://\(host)/…"
        case "email":
            guard let at = address.lastIndex(of: "@") else { return "(hidden)" }
            return String(address.prefix(1)) + "…" + address[at...]
        default: return "(hidden)"
        }
    }

    /// Removes a contact (same authority as adding).
    public func removeContact(by principal: Int, id: Int) async throws {
        try await change(by: principal) { context in
            guard
                let row = try await context.query(
                    "SELECT mechanism_code, member_code, channel, address FROM member_contact WHERE id = $1", [id]
                ).first
            else { throw DomainError.notFound("contact", id) }
            let mechanism: String = try row.decode("mechanism_code")
            let member: String = try row.decode("member_code")
            guard context.caller.isOperator() || context.caller.clerkMember(in: mechanism) == member else {
                throw DomainError(.notOwnMember, detail: "own_contacts")
            }
            try await context.query("DELETE FROM member_contact WHERE id = $1", [id])
            try await context.audit(
                "member.remove_contact", entity: "member", id: "\(mechanism)/\(member)", mechanism: mechanism,
                before: try PostgresJSON(encoding: [
                    "channel": try row.decode("channel", as: String.self),
                    "address": try row.decode("address", as: String.self),
                ]))
        }
    }

    public func contacts(by principal: Int, mechanism: String? = nil, member: String? = nil) async throws
        -> [MemberContact]
    {
        try await read(by: principal) { context in
            let mechanism = try await context.mechanism(mechanism)
            // Another member's addresses are shown masked (webhook URLs often carry tokens); an
            // operator, and a clerk for its own member, see them whole.
            let own = context.caller.clerkMember(in: mechanism)
            let whole = context.caller.isOperator()
            return try await context.query(
                """
                SELECT c.id, c.member_code, c.channel, c.address, c.enabled,
                       EXISTS (SELECT 1 FROM member_contact_secret s WHERE s.contact_id = c.id) AS has_secret
                  FROM member_contact c
                WHERE c.mechanism_code = $1 AND ($2::text IS NULL OR c.member_code = $2) ORDER BY c.member_code, c.id
                """, [mechanism, member]
            ).map {
                let member: String = try $0.decode("member_code")
                let channel: String = try $0.decode("channel")
                let address: String = try $0.decode("address")
                return MemberContact(
                    id: try $0.decode("id"), mechanism: mechanism, member: member, channel: channel,
                    address: whole || member == own ? address : Self.masked(channel: channel, address: address),
                    enabled: try $0.decode("enabled"),
                    hasSecret: try $0.decode("has_secret"))
            }
        }
    }

    /// The queue, newest first. Operators and auditors.
    public func reminders(by principal: Int, state: ReminderState? = nil, limit: Int = 100) async throws
        -> [ReminderInfo]
    {
        try await read(by: principal) { context in
            guard context.caller.isOperator() || context.caller.isAuditor() else {
                throw DomainError(.forbidden, detail: "queue_readers")
            }
            let rows = try await context.query(
                """
                SELECT r.id, r.kind, r.recipient_member, r.entity, r.entity_id, r.state, r.due_at, r.run_at, r.attempts, r.outcome,
                       array(SELECT a.channel || ' ' || a.address || ' #' || a.attempt || ': ' || a.error FROM reminder_attempt a
                             WHERE a.reminder_id = r.id AND NOT a.ok ORDER BY a.attempt, a.at) AS errors
                FROM reminder r WHERE ($1::text IS NULL OR r.state = $1) ORDER BY r.id DESC LIMIT $2
                """, [state?.rawValue, min(max(limit, 1), 1000)])
            return try rows.map {
                ReminderInfo(
                    id: try $0.decode("id"), kind: try $0.decode("kind"), recipient: try $0.decode("recipient_member"),
                    entity: try $0.decode("entity"), entityID: try $0.decode("entity_id"),
                    state: try $0.decode("state"),
                    dueAt: try $0.decode("due_at"), runAt: try $0.decode("run_at"), attempts: try $0.decode("attempts"),
                    outcome: try $0.decode("outcome"), errors: try $0.decode("errors"))
            }
        }
    }

    /// Revives a dead reminder for a fresh round of attempts. Operators only.
    public func retryReminder(by principal: Int, id: Int) async throws {
        try await change(by: principal) { context in
            try context.requireOperator(to: "retry reminders")
            let revived = try await context.query(
                """
                UPDATE reminder SET state = 'pending', run_at = $2, max_attempts = attempts + 8, finished_at = NULL,
                       outcome = 'revived by ' || $3
                WHERE id = $1 AND state = 'dead' RETURNING mechanism_code
                """, [id, context.now, context.caller.name]
            ).first
            guard let revived else {
                let exists = try await context.query("SELECT state FROM reminder WHERE id = $1", [id]).first
                guard let exists else { throw DomainError.notFound("reminder", id) }
                let state: String = try exists.decode("state")
                throw DomainError(.wrongState, detail: "retry_dead_only", ["id": "\(id)", "state": "\(state)"], state: state)
            }
            try await context.audit(
                "reminder.retry", entity: "reminder", id: id, mechanism: try revived.decode("mechanism_code"))
        }
    }

    /// A reminder whose reason is checked when it comes due.
    public struct DueReminder: Sendable {
        public var kind: ReminderKind
        public var entityID: String
        public var recipient: String
        public init(kind: ReminderKind, entityID: String, recipient: String) {
            self.kind = kind
            self.entityID = entityID
            self.recipient = recipient
        }
    }

    /// For each reminder, whether its reason still holds when it comes due: nil means send it, a
    /// string is why it is skipped (the member answered, the item was withdrawn, the consultation
    /// was cancelled…). One query for the whole batch; the rules are `skipReason` below.
    public func reminderSkipReasons(_ reminders: [DueReminder]) async throws -> [String?] {
        let checked = reminders.enumerated().compactMap { index, r -> (Int, DueReminder, Int)? in
            guard Self.kindsWithSkipRules.contains(r.kind), let id = Int(r.entityID) else { return nil }
            return (index, r, id)
        }
        var reasons = [String?](repeating: nil, count: reminders.count)
        guard !checked.isEmpty else { return reasons }
        let rows = try await pool.query(
            """
            SELECT r.ord,
                   CASE WHEN r.kind IN ('item_submitted', 'item_returned')
                             THEN (SELECT state FROM agenda_item WHERE id = r.id)
                        WHEN r.kind IN ('consultation_convened', 'agenda_deadline', 'meeting_tomorrow', 'response_due')
                             THEN (SELECT state FROM consultation WHERE id = r.id)
                        WHEN r.kind = 'rotation_exception_requested'
                             THEN (SELECT state FROM rotation_exception WHERE id = r.id)
                        ELSE (SELECT state FROM approval WHERE id = r.id) END AS state,
                   CASE WHEN r.kind = 'response_due' THEN
                        (SELECT count(*) FROM consultation_item ci
                          WHERE ci.consultation_id = r.id AND ci.outcome IS NULL AND NOT EXISTS (
                                SELECT 1 FROM item_position p WHERE p.consultation_id = ci.consultation_id
                                   AND p.item_id = ci.item_id AND p.member_code = r.recipient)) END AS unanswered,
                   CASE WHEN r.kind IN ('approval_requested', 'approval_due') THEN
                        (SELECT answer FROM approval_party WHERE approval_id = r.id AND member_code = r.recipient)
                        WHEN r.kind = 'rotation_exception_requested' THEN
                        (SELECT 'consented' FROM rotation_consent WHERE exception_id = r.id AND member_code = r.recipient)
                        END AS answer
            FROM unnest($1::int[], $2::text[], $3::bigint[], $4::text[]) AS r(ord, kind, id, recipient)
            """,
            [
                checked.map(\.0), checked.map(\.1.kind.rawValue), checked.map(\.2), checked.map(\.1.recipient),
            ])
        for row in rows {
            let index: Int = try row.decode("ord")
            reasons[index] = Self.skipReason(
                reminders[index], state: try row.decode("state"), unanswered: try row.decode("unanswered"),
                answer: try row.decode("answer"))
        }
        return reasons
    }

    /// The skip rules: what must still be true for each kind of reminder to be sent. `state` is
    /// the state of the item, consultation or approval the reminder is about (nil: gone).
    static func skipReason(_ r: DueReminder, state: String?, unanswered: Int?, answer: String?) -> String? {
        if ReminderKind.aboutItems.contains(r.kind) {
            let wanted: ItemState = r.kind == .itemSubmitted ? .submitted : .returned
            return state == wanted.rawValue ? nil : "the item is now \(state ?? "gone")"
        }
        if ReminderKind.aboutConsultations.contains(r.kind) {
            guard let current = state.flatMap(ConsultationState.init(rawValue:)), current == .planned || current == .open
            else { return "the consultation is \(state ?? "gone")" }
            if r.kind == .responseDue && (unanswered ?? 0) == 0 { return "\(r.recipient) has answered every item" }
            return nil
        }
        if r.kind == .rotationExceptionRequested {
            guard state == "pending" else { return "the rotation exception is \(state ?? "gone")" }
            return answer == nil ? nil : "\(r.recipient) has consented"
        }
        if r.kind == .approvalOverdue {
            return state == ApprovalState.pending.rawValue ? nil : "the approval is \(state ?? "gone")"
        }
        if ReminderKind.aboutApprovals.contains(r.kind) {
            guard state == ApprovalState.pending.rawValue else { return "the approval is decided" }
            return answer.map { "\(r.recipient) has answered (\($0))" }
        }
        return nil
    }

    /// After an overdue reminder went out, schedules the next one a week later (while the approval
    /// stays overdue; the skip check stops the series once it is decided).
    public func reminderDelivered(
        kind: ReminderKind, mechanism: String, entity: String, entityID: String, recipient: String, dueAt: Date
    ) async throws {
        guard kind == .approvalOverdue else { return }
        let next = dueAt.addingTimeInterval(7 * 86_400)
        try await pool.query(
            """
            INSERT INTO reminder (mechanism_code, recipient_member, kind, entity, entity_id, due_at, idempotency_key)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (idempotency_key) WHERE state IN ('pending', 'running') DO NOTHING
            """,
            [
                mechanism, recipient, kind, entity, entityID, next,
                "\(kind):\(entity):\(entityID):\(recipient):\(PostgresTimestamp.microseconds(next))",
            ])
    }
}

extension Cooperation {
    /// Schedules the rotation hand-over: 30 days before a term starts, the incoming and the
    /// outgoing chair's members are reminded, with what passes to the new chair (open items,
    /// pending approvals, planned consultations). Run by the daemon on each pass; each term's
    /// hand-over is enqueued once, whatever state earlier copies reached.
    @discardableResult
    public func scheduleRotationHandovers(now: Date) async throws -> Int {
        let today = ShanghaiCalendar.date(of: now)
        return try await pool.transaction { c in
            let terms = try await c.query(
                """
                SELECT t.id, t.mechanism_code, t.member_code AS incoming, lower(t.term) AS starts,
                       (SELECT p.member_code FROM chair_term p WHERE p.mechanism_code = t.mechanism_code
                          AND upper(p.term) = lower(t.term)) AS outgoing
                FROM chair_term t WHERE lower(t.term) > $1::date AND lower(t.term) <= $1::date + 30
                """, [today])
            var scheduled = 0
            for term in terms {
                let mechanism: String = try term.decode("mechanism_code")
                let incoming: String = try term.decode("incoming")
                let outgoing: String? = try term.decode("outgoing")
                let starts: CalendarDate = try term.decode("starts")
                let id: Int = try term.decode("id")
                let open = try await c.query(
                    """
                    SELECT (SELECT count(*) FROM agenda_item WHERE mechanism_code = $1 AND state IN ('submitted', 'accepted')) AS items,
                           (SELECT count(*) FROM approval WHERE mechanism_code = $1 AND state = 'pending') AS approvals,
                           (SELECT count(*) FROM consultation WHERE mechanism_code = $1 AND state IN ('planned', 'open')) AS consultations
                    """, [mechanism]
                ).single()
                let payload = try PostgresJSON(encoding: [
                    "incoming": incoming, "outgoing": outgoing ?? "", "starts": starts.description,
                    "open_items": String(try open.decode("items", as: Int.self)),
                    "pending_approvals": String(try open.decode("approvals", as: Int.self)),
                    "planned_consultations": String(try open.decode("consultations", as: Int.self)),
                ])
                let due = ShanghaiCalendar.startOfDay(starts.adding(days: -30))
                for member in Set([incoming, outgoing].compactMap { $0 }).sorted() {
                    let key = "rotation_handover:chair_term:\(id):\(member):\(PostgresTimestamp.microseconds(due))"
                    scheduled += try await c.query(
                        """
                        INSERT INTO reminder (mechanism_code, recipient_member, kind, entity, entity_id, due_at, idempotency_key, payload)
                        SELECT $1, $2, 'rotation_handover', 'chair_term', $3, $4, $5, $6
                        WHERE NOT EXISTS (SELECT 1 FROM reminder WHERE idempotency_key = $5)
                        """, [mechanism, member, String(id), max(due, now), key, payload]
                    ).affectedRows
                }
            }
            return scheduled
        }
    }
}
