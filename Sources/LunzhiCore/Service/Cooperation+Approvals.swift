public import Foundation
import PostgresLibPQ

/// A case-by-case approval (一事一议) request with its parties' answers.
public struct Approval: Sendable, Equatable {
    public struct Party: Sendable, Equatable {
        public var member: String
        public var answer: ApprovalAnswer?
        public var note: String?
        public var answeredAt: Date?
    }

    public var id: Int
    public var mechanism: String
    public var projectID: Int
    /// The project's name, so that a list of approvals says what each is about.
    public var projectName: String
    public var requesterMember: String
    public var track: Track
    public var ask: String
    public var justification: String?
    public var state: ApprovalState
    public var requestedAt: Date
    public var dueAt: Date
    public var decidedAt: Date?
    public var screening: Screening
    public var parties: [Party]
    /// Pending past its due time (computed against the service clock when loaded).
    public var overdue: Bool
}

/// What a clerk asks for.
public struct ApprovalRequest: Sendable {
    public var projectID: Int
    public var track: Track
    public var ask: String
    public var justification: String?
    /// Further members concerned; the requester's member and the chair are always parties.
    public var parties: [String]

    public init(projectID: Int, track: Track, ask: String, justification: String? = nil, parties: [String] = []) {
        self.projectID = projectID
        self.track = track
        self.ask = ask
        self.justification = justification
        self.parties = parties
    }
}

public enum ApprovalFilter: String, Sendable, CaseIterable {
    case pending, approved, denied, overdue
}

extension Cooperation {
    /// Requests support for a project on behalf of the caller's member. The project is screened
    /// against the excluded-industry catalogue: a screened project may only go on the special
    /// track with a justification. Every party is reminded.
    public func requestApproval(by principal: Int, mechanism: String? = nil, _ request: ApprovalRequest) async throws
        -> Approval
    {
        let ask = try TextRule.check(request.ask, field: "ask", maxLength: 20_000, multiline: true)
        let justification = try TextRule.justification(request.justification)
        if request.track == .special && justification == nil {
            throw DomainError(.justificationRequired, detail: "special_track_justification")
        }
        return try await change(by: principal) { context in
            let mechanism = try await context.mechanism(mechanism)
            let requester = try context.ownMember(in: mechanism)
            let project = try await loadProject(context, request.projectID)
            guard project.mechanism == mechanism else { throw DomainError.notFound("project", request.projectID) }
            let members = try await context.members(of: mechanism)
            for party in request.parties where !members.contains(party) {
                throw DomainError(.notFound, detail: "not_member_of", ["member": "\(party)", "mechanism": "\(mechanism)"])
            }
            let screening = try await screen(context, project: project)
            if let code = screening.screenedCode, request.track != .special {
                throw DomainError(
                    .screenedIndustry, detail: "screened_industry",
                    [
                        "id": "\(project.id)", "industry": .term("screened", code),
                        "version": "\(screening.catalogueVersion)",
                    ])
            }
            var parties = [requester]
            let chair = try await Rotation.chair(context.connection, mechanism: mechanism, on: context.today)?.member
            if let chair { parties.append(chair) }
            parties += request.parties
            parties = members.filter { parties.contains($0) }
            let days: Int = try await context.query(
                "SELECT CASE $2 WHEN 'urgent' THEN due_days_urgent WHEN 'special' THEN due_days_special ELSE due_days_regular END AS d FROM mechanism WHERE code = $1",
                [mechanism, request.track.rawValue]
            ).single().decode("d")
            let due = context.now.addingTimeInterval(TimeInterval(days) * 86_400)
            let id: Int = try await context.query(
                """
                INSERT INTO approval (mechanism_code, project_id, requester_member, requested_by, track, ask, justification,
                                      requested_at, due_at, catalogue_version, screening, screened_code)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id
                """,
                [
                    mechanism, project.id, requester, context.caller.id, request.track.rawValue, ask, justification,
                    context.now, due, screening.catalogueVersion, screening.isScreened ? "screened" : "clear",
                    screening.screenedCode,
                ]
            ).single().decode("id")
            // Due soon: 1 day before (urgent: 12 hours), to parties that have not answered by then.
            let warning: TimeInterval = request.track == .urgent ? 12 * 3600 : 86_400
            for party in parties {
                try await context.query(
                    "INSERT INTO approval_party (approval_id, member_code) VALUES ($1, $2)", [id, party])
                try await context.remind(
                    .approvalRequested, mechanism: mechanism, member: party, entity: "approval", id: id,
                    payload: [
                        "project": project.name, "track": request.track.rawValue, "deadline": PostgresTimestamp.format(due),
                    ])
                if due.addingTimeInterval(-warning) > context.now {
                    try await context.remind(
                        .approvalDue, mechanism: mechanism, member: party, entity: "approval", id: id,
                        due: due.addingTimeInterval(-warning), payload: ["deadline": PostgresTimestamp.format(due)])
                }
            }
            // Overdue: the chair's member and the requester, once at the due time, then weekly while
            // it stays overdue (Cooperation.reminderDelivered schedules the repeats).
            for member in Set([requester, chair].compactMap { $0 }).sorted() {
                try await context.remind(
                    .approvalOverdue, mechanism: mechanism, member: member, entity: "approval", id: id, due: due,
                    payload: ["deadline": PostgresTimestamp.format(due)])
            }
            try await context.audit(
                "approval.request", entity: "approval", id: id, mechanism: mechanism,
                after: try await context.snapshot(.approval, id: id), reason: justification)
            return try await loadApproval(context, id)
        }
    }

    /// The caller's member grants its part of a pending approval.
    public func grant(by principal: Int, approval id: Int, note: String? = nil) async throws -> Approval {
        try await answer(
            by: principal, approval: id, .grant, note: try TextRule.optional(note, field: "note", maxLength: 2000))
    }

    /// The caller's member denies a pending approval; a reason is required.
    public func deny(by principal: Int, approval id: Int, reason: String) async throws -> Approval {
        try await answer(
            by: principal, approval: id, .deny,
            note: try TextRule.check(reason, field: "reason", maxLength: 2000, multiline: true))
    }

    public func approval(by principal: Int, id: Int) async throws -> Approval {
        try await read(by: principal) { context in try await loadApproval(context, id) }
    }

    public func approvals(by principal: Int, mechanism: String? = nil, filter: ApprovalFilter? = nil) async throws
        -> [Approval]
    {
        try await read(by: principal) { context in
            let mechanism = try await context.mechanism(mechanism)
            let ids: [Int] = try await context.query(
                """
                SELECT id FROM approval WHERE mechanism_code = $1
                  AND ($2::text IS NULL OR ($2 = 'overdue' AND state = 'pending' AND due_at < $3) OR state = $2)
                ORDER BY id LIMIT 500
                """, [mechanism, filter?.rawValue, context.now]
            ).map { try $0.decode("id") }
            var result: [Approval] = []
            for id in ids { result.append(try await loadApproval(context, id)) }
            return result
        }
    }

    private func answer(by principal: Int, approval id: Int, _ answer: ApprovalAnswer, note: String?) async throws
        -> Approval
    {
        try await change(by: principal) { context in
            guard
                let row = try await context.query(
                    "SELECT mechanism_code, state FROM approval WHERE id = $1 FOR UPDATE", [id]
                ).first
            else { throw DomainError.notFound("approval", id) }
            let mechanism: String = try row.decode("mechanism_code")
            let state = try row.decode("state", as: ApprovalState.self)
            guard state == .pending else {
                throw DomainError(
                    .wrongState, detail: "approval_already", ["id": "\(id)", "state": .term("astate", state.rawValue)],
                    state: state.rawValue)
            }
            guard let member = context.caller.clerkMember(in: mechanism) else {
                throw DomainError(.forbidden, detail: "party_clerks_answer")
            }
            guard
                let party = try await context.query(
                    "SELECT answer FROM approval_party WHERE approval_id = $1 AND member_code = $2", [id, member]
                ).first
            else { throw DomainError(.notParty, detail: "not_party", ["member": "\(member)", "id": "\(id)"]) }
            if let previous: String = try party.decode("answer") {
                throw DomainError(
                    .alreadyAnswered, detail: "already_answered",
                    ["member": "\(member)", "answer": .term("answer", previous)], state: previous)
            }
            let before = try await context.snapshot(.approval, id: id)
            try await context.query(
                "UPDATE approval_party SET answer = $3, note = $4, answered_by = $5, answered_at = $6 WHERE approval_id = $1 AND member_code = $2",
                [id, member, answer.rawValue, note, context.caller.id, context.now])
            var answers: [String: ApprovalAnswer?] = [:]
            for p in try await context.query(
                "SELECT member_code, answer FROM approval_party WHERE approval_id = $1", [id])
            {
                answers[try p.decode("member_code")] = try p.decode("answer", as: String?.self).flatMap(
                    ApprovalAnswer.init(rawValue:))
            }
            let next = ApprovalTally.state(answers: answers)
            if next != .pending {
                try await context.query(
                    "UPDATE approval SET state = $2, decided_at = $3 WHERE id = $1", [id, next.rawValue, context.now])
            }
            try await context.audit(
                "approval.\(answer.rawValue)", entity: "approval", id: id, mechanism: mechanism, before: before,
                after: try await context.snapshot(.approval, id: id), reason: note)
            return try await loadApproval(context, id)
        }
    }

    func loadApproval(_ context: ChangeContext, _ id: Int) async throws -> Approval {
        guard
            let row = try await context.query(
                "SELECT a.*, p.name AS project_name FROM approval a JOIN project p ON p.id = a.project_id WHERE a.id = $1",
                [id]
            ).first
        else {
            throw DomainError.notFound("approval", id)
        }
        let parties = try await context.query(
            """
            SELECT p.member_code, p.answer, p.note, p.answered_at FROM approval_party p
            JOIN member m ON m.mechanism_code = $2 AND m.code = p.member_code
            WHERE p.approval_id = $1 ORDER BY m.rotation_order
            """, [id, try row.decode("mechanism_code", as: String.self)]
        ).map {
            Approval.Party(
                member: try $0.decode("member_code"),
                answer: try $0.decode("answer", as: String?.self).flatMap(ApprovalAnswer.init(rawValue:)),
                note: try $0.decode("note"), answeredAt: try $0.decode("answered_at"))
        }
        let state = try row.decode("state", as: ApprovalState.self)
        let due: Date = try row.decode("due_at")
        return Approval(
            id: id, mechanism: try row.decode("mechanism_code"), projectID: try row.decode("project_id"),
            projectName: try row.decode("project_name"), requesterMember: try row.decode("requester_member"), track: try row.decode("track", as: Track.self),
            ask: try row.decode("ask"), justification: try row.decode("justification"), state: state,
            requestedAt: try row.decode("requested_at"), dueAt: due, decidedAt: try row.decode("decided_at"),
            screening: Screening(
                catalogueVersion: try row.decode("catalogue_version"), screenedCode: try row.decode("screened_code")),
            parties: parties, overdue: state == .pending && context.now > due)
    }
}
