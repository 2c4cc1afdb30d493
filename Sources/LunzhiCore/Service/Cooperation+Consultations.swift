public import Foundation
import PostgresLibPQ

/// A consultation (协商议事) with its agenda, positions and outcomes.
public struct Consultation: Sendable, Equatable {
    public struct AgendaEntry: Sendable, Equatable {
        public var itemID: Int
        public var ordinal: Int
        public var title: String
        public var track: Track
        public var outcome: Outcome?
        public var decisionNumber: String?
        /// Member code → stance and note.
        public var positions: [String: (stance: Stance, note: String?)]

        public static func == (a: AgendaEntry, b: AgendaEntry) -> Bool {
            a.itemID == b.itemID && a.ordinal == b.ordinal && a.outcome == b.outcome
                && a.decisionNumber == b.decisionNumber
                && a.positions.mapValues(\.stance) == b.positions.mapValues(\.stance)
        }
    }

    public var id: Int
    public var mechanism: String
    public var chairMember: String
    public var kind: ConsultationKind
    public var at: Date?
    public var place: String?
    public var agendaDeadline: Date
    public var responseDeadline: Date?
    public var rule: ConsultationRule
    public var state: ConsultationState
    public var minutes: String?
    public var cancelReason: String?
    public var agenda: [AgendaEntry]
}

/// What the chair convenes.
public struct ConsultationPlan: Sendable {
    public var kind: ConsultationKind
    public var at: Date?
    public var place: String?
    public var agendaDeadline: Date
    public var responseDeadline: Date?
    /// Must be given explicitly for the silence procedure; nil means consent.
    public var rule: ConsultationRule?

    public init(
        kind: ConsultationKind, at: Date? = nil, place: String? = nil, agendaDeadline: Date,
        responseDeadline: Date? = nil,
        rule: ConsultationRule? = nil
    ) {
        self.kind = kind
        self.at = at
        self.place = place
        self.agendaDeadline = agendaDeadline
        self.responseDeadline = responseDeadline
        self.rule = rule
    }
}

/// The result of deciding one item.
public struct Decision: Sendable, Equatable {
    public var itemID: Int
    public var outcome: Outcome
    public var number: String?
    public var bySilence: Bool

    public init(itemID: Int, outcome: Outcome, number: String?, bySilence: Bool) {
        self.itemID = itemID
        self.outcome = outcome
        self.number = number
        self.bySilence = bySilence
    }
}

extension Cooperation {
    /// Convenes a consultation. The chair only. Every member is reminded.
    public func convene(by principal: Int, mechanism: String? = nil, _ plan: ConsultationPlan) async throws
        -> Consultation
    {
        let place = try TextRule.optional(plan.place, field: "place", maxLength: 200, multiline: false)
        if let at = plan.at { try InputRange.check(at, "at") }
        try InputRange.check(plan.agendaDeadline, "deadline")
        if let respondBy = plan.responseDeadline { try InputRange.check(respondBy, "respond_by") }
        switch plan.kind {
        case .meeting, .extraordinary:
            guard plan.at != nil else { throw DomainError.invalid("meeting_needs_time", ["kind": .term("kind", plan.kind.rawValue)]) }
            guard plan.rule != .silence else {
                throw DomainError.invalid("silence_written_only")
            }
        case .written:
            guard let response = plan.responseDeadline else {
                throw DomainError.invalid("written_needs_deadline")
            }
            guard response >= plan.agendaDeadline else {
                throw DomainError.invalid("response_before_agenda")
            }
        }
        return try await change(by: principal) { context in
            let mechanism = try await context.mechanism(mechanism)
            let chair = try await context.requireChair(in: mechanism, to: "convene consultations")
            guard plan.agendaDeadline > context.now else {
                throw DomainError(.deadlinePassed, detail: "agenda_deadline_future")
            }
            let id: Int = try await context.query(
                """
                INSERT INTO consultation (mechanism_code, convened_by, chair_member, kind, at, place, agenda_deadline,
                                          response_deadline, rule, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id
                """,
                [
                    mechanism, context.caller.id, chair, plan.kind.rawValue, plan.at, place, plan.agendaDeadline,
                    plan.responseDeadline, (plan.rule ?? .consent).rawValue, context.now,
                ]
            ).single().decode("id")
            try await context.audit(
                "consultation.convene", entity: "consultation", id: id, mechanism: mechanism,
                after: try await context.snapshot(.consultation, id: id),
                reason: plan.rule == .silence ? SystemReason.silenceRule.text : nil)
            for member in try await context.members(of: mechanism) {
                try await context.remind(
                    .consultationConvened, mechanism: mechanism, member: member, entity: "consultation", id: id,
                    payload: ["kind": plan.kind.rawValue])
                // Agenda deadline approaching: 3 days and 1 day before (when still ahead).
                for days in [3, 1] {
                    let due = plan.agendaDeadline.addingTimeInterval(-Double(days) * 86_400)
                    if due > context.now {
                        try await context.remind(
                            .agendaDeadline, mechanism: mechanism, member: member, entity: "consultation", id: id,
                            due: due,
                            payload: ["days": String(days), "deadline": PostgresTimestamp.format(plan.agendaDeadline)])
                    }
                }
                if let at = plan.at, at.addingTimeInterval(-86_400) > context.now {
                    try await context.remind(
                        .meetingTomorrow, mechanism: mechanism, member: member, entity: "consultation", id: id,
                        due: at.addingTimeInterval(-86_400), payload: ["place": place ?? "", "at": PostgresTimestamp.format(at)])
                }
                // Written procedures: 1 day before the response deadline, to members yet to answer
                // (checked when it comes due).
                if let response = plan.responseDeadline, response.addingTimeInterval(-86_400) > context.now {
                    try await context.remind(
                        .responseDue, mechanism: mechanism, member: member, entity: "consultation", id: id,
                        due: response.addingTimeInterval(-86_400), payload: ["deadline": PostgresTimestamp.format(response)])
                }
            }
            return try await loadConsultation(context, id)
        }
    }

    /// Tables accepted items, in the order given, after those already tabled. The chair only;
    /// before the agenda deadline, except urgent items.
    public func table(by principal: Int, consultation id: Int, items: [Int]) async throws -> Consultation {
        guard !items.isEmpty, Set(items).count == items.count else { throw DomainError.invalid("items_once") }
        return try await change(by: principal) { context in
            let consultation = try await lockConsultation(context, id)
            _ = try ConsultationLifecycle.apply(.table, to: consultation.state)
            try await context.requireChair(in: consultation.mechanism, to: "table items")
            var ordinal: Int = try await context.query(
                "SELECT coalesce(max(ordinal), 0) AS n FROM consultation_item WHERE consultation_id = $1", [id]
            ).single().decode("n")
            for itemID in items {
                let item = try await loadItem(context, itemID, lock: true)
                guard item.mechanism == consultation.mechanism else { throw DomainError.notFound("item", itemID) }
                if context.now > consultation.agendaDeadline && item.track != .urgent {
                    throw DomainError(.deadlinePassed, detail: "agenda_deadline_passed", ["id": "\(id)"])
                }
                try await applyItemAction(context, id: itemID, .table)
                ordinal += 1
                try await context.query(
                    "INSERT INTO consultation_item (consultation_id, item_id, ordinal) VALUES ($1, $2, $3)",
                    [id, itemID, ordinal])
                try await context.audit(
                    "consultation.table", entity: "consultation", id: id, mechanism: consultation.mechanism,
                    reason: SystemReason.tabled(item: itemID, ordinal: ordinal).text)
            }
            return try await loadConsultation(context, id)
        }
    }

    public func openConsultation(by principal: Int, id: Int) async throws -> Consultation {
        try await consultationStateChange(by: principal, id: id, .open, doWhat: "open consultations")
    }

    /// Records (or changes) the caller's member's position on a tabled, undecided item.
    public func recordPosition(
        by principal: Int, consultation id: Int, item itemID: Int, stance: Stance, note: String? = nil
    ) async throws -> Consultation {
        let note = try TextRule.optional(note, field: "note", maxLength: 2000)
        if stance == .reserve && note == nil { throw DomainError.invalid("reserve_needs_note") }
        return try await change(by: principal) { context in
            let consultation = try await lockConsultation(context, id)
            _ = try ConsultationLifecycle.apply(.position, to: consultation.state)
            let member = try context.ownMember(in: consultation.mechanism)
            let entry = try await undecidedEntry(context, consultation: id, item: itemID)
            if consultation.kind == .written, let deadline = consultation.responseDeadline, context.now > deadline {
                throw DomainError(.deadlinePassed, detail: "response_deadline_passed", ["id": "\(id)"])
            }
            let before = try await context.query(
                "SELECT stance, note FROM item_position WHERE consultation_id = $1 AND item_id = $2 AND member_code = $3",
                [id, itemID, member]
            ).first.map {
                try PostgresJSON(encoding: [
                    "stance": try $0.decode("stance", as: String.self),
                    "note": try $0.decode("note", as: String?.self) ?? "",
                ])
            }
            try await context.query(
                """
                INSERT INTO item_position (consultation_id, item_id, member_code, stance, note, recorded_by, recorded_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (consultation_id, item_id, member_code)
                DO UPDATE SET stance = EXCLUDED.stance, note = EXCLUDED.note, recorded_by = EXCLUDED.recorded_by,
                              recorded_at = EXCLUDED.recorded_at
                """, [id, entry, member, stance.rawValue, note, context.caller.id, context.now])
            try await context.audit(
                "consultation.position", entity: "consultation", id: id, mechanism: consultation.mechanism,
                before: before,
                after: try PostgresJSON(encoding: [
                    "item": String(itemID), "member": member, "stance": stance.rawValue, "note": note ?? "",
                ]))
            return try await loadConsultation(context, id)
        }
    }

    /// Decides an item from the positions (see `ConsultationTally`). The chair only. An adopted
    /// item gets the next decision number of the mechanism's year.
    public func decide(by principal: Int, consultation id: Int, item itemID: Int) async throws -> Decision {
        try await change(by: principal) { context in
            let consultation = try await lockConsultation(context, id)
            _ = try ConsultationLifecycle.apply(.decide, to: consultation.state)
            try await context.requireChair(in: consultation.mechanism, to: "decide items")
            _ = try await undecidedEntry(context, consultation: id, item: itemID)
            let members = try await context.members(of: consultation.mechanism)
            let quorum: Int? = try await context.query(
                "SELECT quorum FROM mechanism WHERE code = $1", [consultation.mechanism]
            ).single().decode("quorum")
            var positions: [String: Stance] = [:]
            for row in try await context.query(
                "SELECT member_code, stance FROM item_position WHERE consultation_id = $1 AND item_id = $2",
                [id, itemID])
            {
                positions[try row.decode("member_code")] = try row.decode("stance", as: Stance.self)
            }
            let deadlinePassed = consultation.responseDeadline.map { context.now > $0 } ?? false
            let tally = ConsultationTally(
                members: members, quorum: consultation.kind == .written && consultation.rule == .consent ? nil : quorum,
                rule: consultation.rule, deadlinePassed: deadlinePassed, positions: positions)
            let decision: Decision
            switch tally.result {
            case .waiting(let missing):
                throw DomainError(.quorumNotMet, detail: "waiting_for", ["members": .list(missing)])
            case .rejected(let objectors):
                try await applyItemAction(
                    context, id: itemID, .reject, reason: SystemReason.objectedBy(objectors).text)
                decision = Decision(itemID: itemID, outcome: .rejected, number: nil, bySilence: false)
            case .adopted(let bySilence):
                try await applyItemAction(
                    context, id: itemID, .adopt, reason: bySilence ? "adopted under the silence rule" : nil)
                let year = ShanghaiCalendar.year(of: context.now)
                let last: Int = try await context.query(
                    """
                    INSERT INTO decision_counter (mechanism_code, year, last) VALUES ($1, $2, 1)
                    ON CONFLICT (mechanism_code, year) DO UPDATE SET last = decision_counter.last + 1
                    RETURNING last
                    """, [consultation.mechanism, year]
                ).single().decode("last")
                let number = "\(year)-" + String(format: "%03d", last)
                decision = Decision(itemID: itemID, outcome: .adopted, number: number, bySilence: bySilence)
            }
            try await context.query(
                """
                UPDATE consultation_item SET outcome = $3, decision_number = $4, decided_at = $5, decided_by = $6
                WHERE consultation_id = $1 AND item_id = $2
                """, [id, itemID, decision.outcome.rawValue, decision.number, context.now, context.caller.id])
            try await context.audit(
                "consultation.decide", entity: "consultation", id: id, mechanism: consultation.mechanism,
                after: try PostgresJSON(encoding: [
                    "item": String(itemID), "outcome": decision.outcome.rawValue, "number": decision.number ?? "",
                    "procedure": consultation.kind == .written
                        ? consultation.rule.rawValue : consultation.kind.rawValue,
                ]),
                reason: decision.bySilence ? "silence procedure: no objection by the response deadline" : nil)
            return decision
        }
    }

    /// Defers a tabled item: it goes back to accepted, to be tabled again later. The chair only.
    public func deferItem(by principal: Int, consultation id: Int, item itemID: Int, reason: String? = nil) async throws
        -> Decision
    {
        let reason = try TextRule.optional(reason, field: "reason", maxLength: 2000)
        return try await change(by: principal) { context in
            let consultation = try await lockConsultation(context, id)
            _ = try ConsultationLifecycle.apply(.decide, to: consultation.state)
            try await context.requireChair(in: consultation.mechanism, to: "defer items")
            _ = try await undecidedEntry(context, consultation: id, item: itemID)
            try await applyItemAction(context, id: itemID, .defer, reason: reason)
            try await context.query(
                """
                UPDATE consultation_item SET outcome = 'deferred', decided_at = $3, decided_by = $4
                WHERE consultation_id = $1 AND item_id = $2
                """, [id, itemID, context.now, context.caller.id])
            try await context.audit(
                "consultation.defer", entity: "consultation", id: id, mechanism: consultation.mechanism, reason: reason)
            return Decision(itemID: itemID, outcome: .deferred, number: nil, bySilence: false)
        }
    }

    /// Closes an open consultation with its minutes (纪要). Every tabled item must be decided or deferred.
    public func closeConsultation(by principal: Int, id: Int, minutes: String) async throws -> Consultation {
        let minutes = try TextRule.check(minutes, field: "minutes", maxLength: 100_000, multiline: true)
        return try await change(by: principal) { context in
            let consultation = try await lockConsultation(context, id)
            let next = try ConsultationLifecycle.apply(.close, to: consultation.state)
            try await context.requireChair(in: consultation.mechanism, to: "close consultations")
            let undecided = consultation.agenda.filter { $0.outcome == nil }.map { String($0.itemID) }
            guard undecided.isEmpty else {
                throw DomainError(
                    .wrongState, detail: "items_undecided", ["items": .list(undecided)],
                    state: consultation.state.rawValue)
            }
            let before = try await context.snapshot(.consultation, id: id)
            try await context.query(
                "UPDATE consultation SET state = $2, minutes = $3, closed_at = $4 WHERE id = $1",
                [id, next.rawValue, minutes, context.now])
            try await context.audit(
                "consultation.close", entity: "consultation", id: id, mechanism: consultation.mechanism, before: before,
                after: try await context.snapshot(.consultation, id: id))
            return try await loadConsultation(context, id)
        }
    }

    /// Cancels a planned or open consultation; its undecided items go back to accepted.
    public func cancelConsultation(by principal: Int, id: Int, reason: String) async throws -> Consultation {
        let reason = try TextRule.check(reason, field: "reason", maxLength: 2000, multiline: true)
        return try await change(by: principal) { context in
            let consultation = try await lockConsultation(context, id)
            let next = try ConsultationLifecycle.apply(.cancel, to: consultation.state)
            try await context.requireChair(in: consultation.mechanism, to: "cancel consultations")
            for entry in consultation.agenda where entry.outcome == nil {
                try await applyItemAction(context, id: entry.itemID, .defer, reason: SystemReason.consultationCancelled(id).text)
                try await context.query(
                    "UPDATE consultation_item SET outcome = 'deferred', decided_at = $3 WHERE consultation_id = $1 AND item_id = $2",
                    [id, entry.itemID, context.now])
            }
            let before = try await context.snapshot(.consultation, id: id)
            try await context.query(
                "UPDATE consultation SET state = $2, cancel_reason = $3, closed_at = $4 WHERE id = $1",
                [id, next.rawValue, reason, context.now])
            try await context.audit(
                "consultation.cancel", entity: "consultation", id: id, mechanism: consultation.mechanism,
                before: before,
                after: try await context.snapshot(.consultation, id: id), reason: reason)
            return try await loadConsultation(context, id)
        }
    }

    public func consultation(by principal: Int, id: Int) async throws -> Consultation {
        try await read(by: principal) { context in try await loadConsultation(context, id) }
    }

    public func consultations(by principal: Int, mechanism: String? = nil, state: ConsultationState? = nil) async throws
        -> [Consultation]
    {
        try await read(by: principal) { context in
            let mechanism = try await context.mechanism(mechanism)
            return try Self.consultations(
                from: try await context.query(Self.recentConsultationsSQL, [mechanism, state?.rawValue]))
        }
    }

    // MARK: - Helpers

    private func consultationStateChange(
        by principal: Int, id: Int, _ action: ConsultationAction, doWhat: String
    ) async throws -> Consultation {
        try await change(by: principal) { context in
            let consultation = try await lockConsultation(context, id)
            let next = try ConsultationLifecycle.apply(action, to: consultation.state)
            try await context.requireChair(in: consultation.mechanism, to: doWhat)
            let before = try await context.snapshot(.consultation, id: id)
            try await context.query("UPDATE consultation SET state = $2 WHERE id = $1", [id, next.rawValue])
            try await context.audit(
                "consultation.\(action.rawValue)", entity: "consultation", id: id, mechanism: consultation.mechanism,
                before: before, after: try await context.snapshot(.consultation, id: id))
            return try await loadConsultation(context, id)
        }
    }

    private func lockConsultation(_ context: ChangeContext, _ id: Int) async throws -> Consultation {
        guard !(try await context.query("SELECT 1 FROM consultation WHERE id = $1 FOR UPDATE", [id])).isEmpty else {
            throw DomainError.notFound("consultation", id)
        }
        return try await loadConsultation(context, id)
    }

    private func undecidedEntry(_ context: ChangeContext, consultation: Int, item: Int) async throws -> Int {
        let row = try await context.query(
            "SELECT outcome FROM consultation_item WHERE consultation_id = $1 AND item_id = $2", [consultation, item]
        ).first
        guard let row else {
            throw DomainError(.notFound, detail: "not_on_agenda", ["item": "\(item)", "id": "\(consultation)"])
        }
        if let outcome: String = try row.decode("outcome") {
            throw DomainError(
                .wrongState, detail: "item_decided", ["item": "\(item)", "outcome": .term("outcome", outcome)],
                state: outcome)
        }
        return item
    }

    func loadConsultation(_ context: ChangeContext, _ id: Int) async throws -> Consultation {
        guard let consultation = try Self.consultations(from: try await context.query(Self.oneConsultationSQL, [id])).first
        else {
            throw DomainError.notFound("consultation", id)
        }
        return consultation
    }

    /// Consultations with their agendas and positions from the rows of a `selectConsultations`
    /// statement, in the order they come: a row per position (or per agenda entry without
    /// positions, or per consultation without agenda).
    private static func consultations(from rows: PostgresRows) throws -> [Consultation] {
        var consultations: [Consultation] = []
        for row in rows {
            let id: Int = try row.decode("id")
            if consultations.last?.id != id {
                consultations.append(
                    Consultation(
                        id: id, mechanism: try row.decode("mechanism_code"), chairMember: try row.decode("chair_member"),
                        kind: try row.decode("kind", as: ConsultationKind.self), at: try row.decode("at"),
                        place: try row.decode("place"),
                        agendaDeadline: try row.decode("agenda_deadline"),
                        responseDeadline: try row.decode("response_deadline"),
                        rule: try row.decode("rule", as: ConsultationRule.self),
                        state: try row.decode("state", as: ConsultationState.self),
                        minutes: try row.decode("minutes"), cancelReason: try row.decode("cancel_reason"), agenda: []))
            }
            guard let itemID: Int = try row.decode("entry_item") else { continue }
            let current = consultations.count - 1
            if consultations[current].agenda.last?.itemID != itemID {
                consultations[current].agenda.append(
                    Consultation.AgendaEntry(
                        itemID: itemID, ordinal: try row.decode("entry_ordinal"), title: try row.decode("entry_title"),
                        track: try row.decode("entry_track", as: Track.self),
                        outcome: try row.decode("entry_outcome", as: String?.self).flatMap(Outcome.init(rawValue:)),
                        decisionNumber: try row.decode("entry_decision"), positions: [:]))
            }
            if let member: String = try row.decode("position_member") {
                let last = consultations[current].agenda.count - 1
                consultations[current].agenda[last].positions[member] = (
                    try row.decode("position_stance", as: Stance.self), try row.decode("position_note")
                )
            }
        }
        return consultations
    }

    /// One consultation (CONSULT SHOW, and every change) is selected with `c.id = $1`, not
    /// `= ANY($1)`: PostgreSQL never settles on a generic plan for the array form (it estimates
    /// more rows for an array of unknown length than any custom plan finds), so that prepared
    /// statement was planned again on every execution, a 4-table join costing about 0.4 ms of
    /// the backend's CPU each time (docs/performance.md).
    private static let oneConsultationSQL = selectConsultations(where: "c.id = $1", order: "c.id")
    /// CONSULT LIST: a mechanism's newest 200, optionally in one state ($2), newest first, in one
    /// statement (it used to fetch the ids first, then the consultations).
    private static let recentConsultationsSQL = selectConsultations(
        where: """
            c.id IN (SELECT id FROM consultation WHERE mechanism_code = $1 AND ($2::text IS NULL OR state = $2)
                     ORDER BY id DESC LIMIT 200)
            """, order: "c.id DESC")

    /// A statement `consultations(from:)` reads: the consultations meeting a constant condition,
    /// each one's rows together (`order` sorts by `c.id` first), agenda in order.
    private static func selectConsultations(where condition: StaticString, order: StaticString) -> String {
        """
        SELECT c.*, ci.item_id AS entry_item, ci.ordinal AS entry_ordinal, ci.outcome AS entry_outcome,
               ci.decision_number AS entry_decision, i.title AS entry_title, i.track AS entry_track,
               p.member_code AS position_member, p.stance AS position_stance, p.note AS position_note
        FROM consultation c
        LEFT JOIN consultation_item ci ON ci.consultation_id = c.id
        LEFT JOIN agenda_item i ON i.id = ci.item_id
        LEFT JOIN item_position p ON p.consultation_id = c.id AND p.item_id = ci.item_id
        WHERE \(condition)
        ORDER BY \(order), ci.ordinal, p.member_code
        """
    }
}
