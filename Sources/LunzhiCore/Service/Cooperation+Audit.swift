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

/// What `AUDIT LOG` filters on. Every filter is optional; pages follow `seq`.
public struct AuditLogFilter: Sendable, Equatable {
    public var actor: String?
    public var member: String?
    public var action: String?
    public var since: Date?
    public var until: Date?
    /// Only events after this `seq` (the previous page's `next`).
    public var after: Int = 0
    public var limit: Int = 100

    public static let maximumLimit = 1000

    public init(
        actor: String? = nil, member: String? = nil, action: String? = nil, since: Date? = nil, until: Date? = nil,
        after: Int = 0, limit: Int = 100
    ) {
        self.actor = actor
        self.member = member
        self.action = action
        self.since = since
        self.until = until
        self.after = after
        self.limit = limit
    }
}

/// One page of the audit log; `next` is the `after` of the following page, nil on the last.
public struct AuditLogPage: Sendable, Equatable {
    public var events: [AuditEvent]
    public var next: Int?
}

/// The state of things at a moment, rebuilt from the audit events.
public struct AuditSnapshot: Sendable, Equatable {
    public struct Chair: Sendable, Equatable {
        public var mechanism: String
        public var member: String?
        public var acting: Bool

        public init(mechanism: String, member: String?, acting: Bool) {
            self.mechanism = mechanism
            self.member = member
            self.acting = acting
        }
    }
    public var at: Date
    public var chairs: [Chair]
    /// entity → id → state, from the latest event at or before `at` that carried the state.
    public var states: [String: [Int: String]]
    /// For a moment at or after now: where the rebuilt state differs from the live tables
    /// (`entity id: rebuilt ≠ live`). Empty means they agree. Nil for moments in the past.
    public var liveMismatches: [String]?
}

/// A decided agenda item, as `AUDIT DECISIONS` lists it.
public struct DecisionRecord: Sendable, Equatable {
    public var mechanism: String
    public var consultation: Int
    public var item: Int
    public var title: String
    public var outcome: String
    /// The decision number (`2026-001`) of an adopted item; nil otherwise.
    public var number: String?
    public var decidedAt: Date
    /// meeting, extraordinary, written_consent or silence.
    public var procedure: String
    public var track: String
    public var justification: String?
    /// member → stance (`agree`, `object`, `abstain`, `reserve`); members without a position are absent.
    public var positions: [(member: String, stance: String)]

    public static func == (a: DecisionRecord, b: DecisionRecord) -> Bool {
        a.consultation == b.consultation && a.item == b.item && a.outcome == b.outcome && a.number == b.number
            && a.positions.map { "\($0.member)=\($0.stance)" } == b.positions.map { "\($0.member)=\($0.stance)" }
    }
}

/// An approval with each party's answer, as `AUDIT DECISIONS` lists it.
public struct ApprovalRecord: Sendable, Equatable {
    public struct Party: Sendable, Equatable {
        public var member: String
        public var answer: String?
        public var answeredAt: Date?
        /// Answered after the due time, or not answered and the due time has passed.
        public var overdue: Bool
    }
    public var id: Int
    public var mechanism: String
    public var project: Int
    public var requester: String
    public var track: String
    public var justification: String?
    public var state: String
    public var requestedAt: Date
    public var dueAt: Date
    public var decidedAt: Date?
    public var parties: [Party]
}

extension Cooperation {
    /// The entities whose history can be asked for.
    public static let historyEntities = ["item", "consultation", "approval", "project"]

    /// Every event of one item, consultation, approval or project, oldest first. Auditors only;
    /// the read itself is recorded.
    public func history(by principal: Int, entity: String, id: Int) async throws -> [AuditEvent] {
        guard Self.historyEntities.contains(entity) else {
            throw DomainError.invalid("entity_choice", ["choices": .list(Self.historyEntities)])
        }
        return try await auditorRead(by: principal, to: "read the history", record: ("history \(entity) \(id)", nil)) {
            context in
            let rows = try await context.query(
                "SELECT \(AuditEvent.columns) FROM audit_event WHERE entity = $1 AND entity_id = $2 ORDER BY seq",
                [entity, String(id)])
            guard !rows.isEmpty else { throw DomainError.notFound(entity, id) }
            return try rows.map(AuditEvent.init(row:))
        }
    }

    /// A page of the audit log, filtered. Auditors only; the read is recorded.
    public func auditLog(by principal: Int, _ filter: AuditLogFilter) async throws -> AuditLogPage {
        guard (1...AuditLogFilter.maximumLimit).contains(filter.limit) else {
            throw DomainError.invalid("log_limit", ["count": "\(AuditLogFilter.maximumLimit)"])
        }
        if let since = filter.since { try InputRange.check(since, "since") }
        if let until = filter.until { try InputRange.check(until, "until") }
        guard filter.after >= 0 else { throw DomainError.invalid("log_after") }
        if let action = filter.action, action.range(of: #"^[a-z_]+(\.[a-z_]+)?$"#, options: .regularExpression) == nil {
            throw DomainError.invalid("log_action")
        }
        return try await auditorRead(by: principal, to: "read the audit log", record: ("log", filter.description)) {
            context in
            let action = filter.action.map {
                let literal = $0.replacingOccurrences(of: "_", with: "\\_")
                return $0.contains(".") ? literal : literal + ".%"
            }
            let rows = try await context.query(
                """
                SELECT \(AuditEvent.columns) FROM audit_event
                WHERE seq > $1 AND ($2::text IS NULL OR principal_name = $2) AND ($3::text IS NULL OR member_code = $3)
                  AND ($4::text IS NULL OR action LIKE $4) AND ($5::timestamptz IS NULL OR at >= $5)
                  AND ($6::timestamptz IS NULL OR at < $6)
                ORDER BY seq LIMIT $7
                """,
                [filter.after, filter.actor, filter.member, action, filter.since, filter.until, filter.limit + 1])
            var events = try rows.map(AuditEvent.init(row:))
            let more = events.count > filter.limit
            if more { events.removeLast() }
            return AuditLogPage(events: events, next: more ? events.last?.seq : nil)
        }
    }

    /// Who chaired, and the state of every item, consultation and approval at `at`, rebuilt from
    /// the audit events. For a moment at or after now, also compared with the live tables.
    public func auditAsOf(by principal: Int, at: Date) async throws -> AuditSnapshot {
        try InputRange.check(at, "the time")
        return try await auditorRead(
            by: principal, to: "rebuild past states",
            record: ("asof \(PostgresTimestamp.format(at))", nil)
        ) { context in
            var states: [String: [Int: String]] = ["item": [:], "consultation": [:], "approval": [:]]
            for row in try await context.query(
                """
                SELECT DISTINCT ON (entity, entity_id) entity, entity_id, after->>'state' AS state
                FROM audit_event
                WHERE entity IN ('item', 'consultation', 'approval') AND at <= $1 AND after ? 'state'
                ORDER BY entity, entity_id, seq DESC
                """, [at])
            {
                guard let id = Int(try row.decode("entity_id", as: String.self)) else { continue }
                states[try row.decode("entity"), default: [:]][id] = try row.decode("state")
            }
            var chairs: [AuditSnapshot.Chair] = []
            for mechanism in try await context.query("SELECT code FROM mechanism ORDER BY code") {
                let code: String = try mechanism.decode("code")
                let chair = try await Rotation.chair(
                    context.connection, mechanism: code, on: ShanghaiCalendar.date(of: at))
                chairs.append(.init(mechanism: code, member: chair?.member, acting: chair?.acting ?? false))
            }
            var mismatches: [String]?
            if at >= context.now {
                let live = try await context.liveStates()
                mismatches = []
                for (entity, ids) in live.merging(states, uniquingKeysWith: { a, _ in a }).sorted(by: {
                    $0.key < $1.key
                }) {
                    let rebuilt = states[entity] ?? [:]
                    for id in Set(ids.keys).union(rebuilt.keys).sorted() where live[entity]?[id] != rebuilt[id] {
                        mismatches?.append(
                            "\(entity) \(id): rebuilt \(rebuilt[id] ?? "none") ≠ live \(live[entity]?[id] ?? "none")")
                    }
                }
            }
            return AuditSnapshot(at: at, chairs: chairs, states: states, liveMismatches: mismatches)
        }
    }

    /// Every decided item of a year (by the Shanghai calendar; all years when nil) with its
    /// procedure, track and each member's position, and every approval requested that year with
    /// each party's answer.
    public func auditDecisions(by principal: Int, year: Int?, recordRead: Bool = true) async throws -> (
        decisions: [DecisionRecord], approvals: [ApprovalRecord]
    ) {
        if let year { try InputRange.check(year: year, "year") }
        return try await auditorRead(
            by: principal, to: "list the decisions",
            record: recordRead ? ("decisions \(year.map(String.init) ?? "all years")", nil) : nil
        ) { context in
            let decisions = try await context.query(
                """
                SELECT c.mechanism_code, ci.consultation_id, ci.item_id, i.title, ci.outcome, ci.decision_number,
                       ci.decided_at, c.kind, c.rule, i.track, i.justification,
                       coalesce((SELECT array_agg(p.member_code || '=' || p.stance ORDER BY m.rotation_order)
                                   FROM item_position p JOIN member m
                                     ON m.mechanism_code = c.mechanism_code AND m.code = p.member_code
                                  WHERE p.consultation_id = ci.consultation_id AND p.item_id = ci.item_id),
                                '{}') AS positions
                FROM consultation_item ci
                JOIN consultation c ON c.id = ci.consultation_id
                JOIN agenda_item i ON i.id = ci.item_id
                WHERE ci.outcome IN ('adopted', 'rejected')
                  AND ($1::int IS NULL OR extract(year FROM ci.decided_at AT TIME ZONE 'Asia/Shanghai') = $1)
                ORDER BY ci.decided_at, ci.consultation_id, ci.ordinal
                """, [year]
            ).map { row in
                let kind: String = try row.decode("kind")
                let rule: String = try row.decode("rule")
                return DecisionRecord(
                    mechanism: try row.decode("mechanism_code"), consultation: try row.decode("consultation_id"),
                    item: try row.decode("item_id"), title: try row.decode("title"), outcome: try row.decode("outcome"),
                    number: try row.decode("decision_number"), decidedAt: try row.decode("decided_at"),
                    procedure: kind != "written" ? kind : rule == "silence" ? "silence" : "written_consent",
                    track: try row.decode("track"), justification: try row.decode("justification"),
                    positions: try row.decode("positions", as: [String].self).map {
                        let parts = $0.split(separator: "=", maxSplits: 1).map(String.init)
                        return (parts[0], parts.count > 1 ? parts[1] : "")
                    })
            }
            let approvalRows = try await context.query(
                """
                SELECT a.id, a.mechanism_code, a.project_id, a.requester_member, a.track, a.justification, a.state,
                       a.requested_at, a.due_at, a.decided_at, p.member_code, p.answer, p.answered_at
                FROM approval a JOIN approval_party p ON p.approval_id = a.id
                JOIN member m ON m.mechanism_code = a.mechanism_code AND m.code = p.member_code
                WHERE $1::int IS NULL OR extract(year FROM a.requested_at AT TIME ZONE 'Asia/Shanghai') = $1
                ORDER BY a.requested_at, a.id, m.rotation_order
                """, [year])
            var approvals: [ApprovalRecord] = []
            for row in approvalRows {
                let id: Int = try row.decode("id")
                let due: Date = try row.decode("due_at")
                let answeredAt: Date? = try row.decode("answered_at")
                let party = ApprovalRecord.Party(
                    member: try row.decode("member_code"), answer: try row.decode("answer"), answeredAt: answeredAt,
                    overdue: (answeredAt ?? context.now) > due)
                if approvals.last?.id == id {
                    approvals[approvals.count - 1].parties.append(party)
                } else {
                    approvals.append(
                        ApprovalRecord(
                            id: id, mechanism: try row.decode("mechanism_code"), project: try row.decode("project_id"),
                            requester: try row.decode("requester_member"), track: try row.decode("track"),
                            justification: try row.decode("justification"), state: try row.decode("state"),
                            requestedAt: try row.decode("requested_at"), dueAt: due,
                            decidedAt: try row.decode("decided_at"), parties: [party]))
                }
            }
            return (decisions, approvals)
        }
    }

    /// Records a verification or an export of the audit log (`what`: verify, export) after
    /// checking that the principal may do it: auditors and operators.
    public func recordAuditUse(by principal: Int, _ what: String, description: String) async throws {
        try await change(by: principal) { context in
            guard context.caller.isAuditor() || context.caller.isOperator() else {
                throw DomainError(.forbidden, detail: "audit_users", ["action": DomainError.Argument(what, term: "audit_use." + what)])
            }
            try await context.recordAuditorRead(what, detail: description)
        }
    }

    /// A round trip to the database, for STATUS.
    public func databaseRoundTrip() async throws -> Duration {
        let start = ContinuousClock.now
        try await pool.query("SELECT 1")
        return ContinuousClock.now - start
    }
}

extension Cooperation {
    /// An auditor's read: the caller must be an auditor; `body` queries the audit read pool (a
    /// streaming replica) when one is configured, else the primary; the read is then recorded, as
    /// an event on the primary, in the same transaction that checked the caller.
    func auditorRead<T>(
        by principal: Int, to doWhat: String, record: (what: String, detail: String?)?,
        _ body: (ChangeContext) async throws -> T
    ) async throws -> T {
        try await change(by: principal) { context in
            try context.requireAuditor(to: doWhat)
            let value: T
            if let replica = auditReadPool {
                value = try await replica.withConnection { connection in
                    try await body(
                        ChangeContext(
                            connection: connection, caller: context.caller, now: context.now, cooperation: self))
                }
            } else {
                value = try await body(context)
            }
            if let record { try await context.recordAuditorRead(record.what, detail: record.detail) }
            return value
        }
    }
}

extension ChangeContext {
    /// Auditors' reads are events too: who looked at what.
    func recordAuditorRead(_ what: String, detail: String? = nil) async throws {
        try await audit("audit.read", entity: "audit", id: what, mechanism: nil, reason: detail)
    }

    /// The live state of every item, consultation and approval.
    func liveStates() async throws -> [String: [Int: String]] {
        var states: [String: [Int: String]] = ["item": [:], "consultation": [:], "approval": [:]]
        for row in try await query(
            """
            SELECT 'item' AS entity, id, state FROM agenda_item
            UNION ALL SELECT 'consultation', id, state FROM consultation
            UNION ALL SELECT 'approval', id, state FROM approval
            """)
        {
            states[try row.decode("entity"), default: [:]][try row.decode("id")] = try row.decode("state")
        }
        return states
    }
}

extension AuditEvent {
    static let columns = """
        seq, at, principal_name, member_code, action, entity, entity_id, before::text AS before, after::text AS after,
        reason
        """

    init(row: PostgresRow) throws {
        self.init(
            seq: try row.decode("seq"), at: try row.decode("at"), principal: try row.decode("principal_name"),
            member: try row.decode("member_code"), action: try row.decode("action"), entity: try row.decode("entity"),
            entityID: try row.decode("entity_id"), before: try row.decode("before"), after: try row.decode("after"),
            reason: try row.decode("reason"))
    }
}

extension AuditLogFilter: CustomStringConvertible {
    public var description: String {
        var parts: [String] = []
        if let actor { parts.append("actor=\(actor)") }
        if let member { parts.append("member=\(member)") }
        if let action { parts.append("action=\(action)") }
        if let since {
            parts.append("since=\(PostgresTimestamp.format(since))")
        }
        if let until {
            parts.append("until=\(PostgresTimestamp.format(until))")
        }
        if after > 0 { parts.append("after=\(after)") }
        parts.append("limit=\(limit)")
        return parts.joined(separator: " ")
    }
}
