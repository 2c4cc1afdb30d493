import Foundation
public import PostgresLibPQ

/// A recorded exception to the rotation, and whose consent it still needs.
public struct RotationException: Sendable, Equatable {
    public var id: Int
    public var kind: String
    public var state: String
    public var members: [String]
    /// The years of the terms it concerns: two for a swap, one for a skip.
    public var years: [Int]
    public var reason: String
    public var consented: [String]
    public var missing: [String] { members.filter { !consented.contains($0) } }

    /// The columns `init(row:)` reads, from `rotation_exception e`.
    static let columns = """
        e.id, e.mechanism_code, e.kind, e.state, e.term_a, e.term_b, e.member_a, e.member_b, e.reason,
        array(SELECT extract(year FROM lower(t.term))::int FROM chair_term t WHERE t.id IN (e.term_a, e.term_b)
              ORDER BY t.id = e.term_b) AS years,
        array(SELECT member_code FROM rotation_consent c WHERE c.exception_id = e.id ORDER BY member_code) AS consented
        """

    init(row: PostgresRow) throws {
        id = try row.decode("id")
        kind = try row.decode("kind")
        state = try row.decode("state")
        members = [try row.decode("member_a")] + [try row.decode("member_b", as: String?.self)].compactMap { $0 }
        years = try row.decode("years")
        reason = try row.decode("reason")
        consented = try row.decode("consented")
    }
}

extension Cooperation {
    /// Who chairs on a day (today by default). Anyone signed in may ask, for any date.
    public func chair(by principal: Int, mechanism: String? = nil, on date: CalendarDate? = nil) async throws
        -> ChairOfDay?
    {
        if let date { try InputRange.check(date, "the date") }
        return try await read(by: principal) { context in
            try await Rotation.chair(
                context.connection, mechanism: context.mechanismCode(mechanism), on: date ?? context.today)
        }
    }

    /// The terms, acting periods and gaps between `from` and `until` (exclusive); by default
    /// from 1 January this year (Shanghai) until 1 January five years on: this year and the next four.
    public func schedule(
        by principal: Int, mechanism: String? = nil, from: CalendarDate? = nil, until: CalendarDate? = nil
    ) async throws -> [ScheduleEntry] {
        let range = scheduleRange(from: from, until: until)
        let (from, until) = (range.from, range.until)
        try InputRange.check(from, "from")
        try InputRange.check(until, "to")
        return try await read(by: principal) { context in
            let mechanism = try await context.mechanism(mechanism)
            let rows = try await context.query(
                """
                SELECT 'term' AS kind, member_code, greatest(lower(term), $2::date) AS start, least(upper(term), $3::date) AS stop,
                       NULL::bigint AS acting_id
                  FROM chair_term WHERE mechanism_code = $1 AND term && daterange($2::date, $3::date)
                UNION ALL
                SELECT 'acting', member_code, greatest(lower(period), $2::date), least(upper(period), $3::date), id
                  FROM acting_chair WHERE mechanism_code = $1 AND NOT revoked AND period && daterange($2::date, $3::date)
                ORDER BY start, kind DESC
                """, [mechanism, from, until])
            var entries: [ScheduleEntry] = []
            var covered = from
            for row in rows {
                let kind = try row.decode("kind", as: ScheduleEntry.Kind.self)
                let start: CalendarDate = try row.decode("start")
                let stop: CalendarDate = try row.decode("stop")
                if kind == .term {
                    if start > covered {
                        entries.append(ScheduleEntry(kind: .gap, member: nil, from: covered, until: start))
                    }
                    covered = max(covered, stop)
                }
                entries.append(
                    ScheduleEntry(
                        kind: kind, member: try row.decode("member_code"), from: start, until: stop,
                        actingID: try row.decode("acting_id")))
            }
            if covered < until { entries.append(ScheduleEntry(kind: .gap, member: nil, from: covered, until: until)) }
            return entries
        }
    }

    /// Plans one-year terms from 1 January of `fromYear`, cycling through `order`. Operators only.
    /// Overlapping an existing term is refused by the database (TERM_OVERLAP).
    @discardableResult
    public func planRotation(
        by principal: Int, mechanism: String? = nil, order: [String], fromYear: Int, years: Int
    ) async throws -> Int {
        guard !order.isEmpty, Set(order).count == order.count else {
            throw DomainError.invalid("order_each_once")
        }
        guard InputRange.planYears.contains(years), InputRange.contains(year: fromYear),
            InputRange.contains(year: fromYear + years - 1)
        else {
            throw DomainError.invalid(
                "plan_years",
                [
                    "count": "\(InputRange.planYears.upperBound)", "first": "\(InputRange.years.lowerBound)",
                    "last": "\(InputRange.years.upperBound)",
                ])
        }
        return try await change(by: principal) { context in
            try context.requireOperator(to: "plan the rotation")
            let mechanism = try await context.mechanism(mechanism)
            let members = try await context.members(of: mechanism)
            for code in order where !members.contains(code) {
                throw DomainError(
                    .notFound, detail: "not_member_listed",
                    ["member": "\(code)", "mechanism": "\(mechanism)", "members": .list(members)])
            }
            for offset in 0..<years {
                let year = fromYear + offset
                let member = order[offset % order.count]
                let id: Int = try await context.query(
                    "INSERT INTO chair_term (mechanism_code, member_code, term) VALUES ($1, $2, daterange($3::date, $4::date)) RETURNING id",
                    [
                        mechanism, member, ShanghaiCalendar.firstOfJanuary(year),
                        ShanghaiCalendar.firstOfJanuary(year + 1),
                    ]
                ).single().decode("id")
                try await context.audit(
                    "rotation.plan", entity: "chair_term", id: id, mechanism: mechanism,
                    after: try await context.snapshot(.chairTerm, id: id))
            }
            return years
        }
    }

    /// Asks to swap the chairs of two future years. Takes effect when both members have consented
    /// (a clerk of one of them asking counts as that member's consent).
    public func requestSwap(
        by principal: Int, mechanism: String? = nil, years: (Int, Int), reason: String
    ) async throws -> RotationException {
        let reason = try TextRule.check(reason, field: "reason", maxLength: 2000, multiline: true)
        try InputRange.check(year: years.0, "the first year")
        try InputRange.check(year: years.1, "the second year")
        return try await change(by: principal) { context in
            let mechanism = try await context.mechanism(mechanism)
            guard years.0 != years.1 else { throw DomainError.invalid("swap_two_years") }
            let a = try await term(context, mechanism: mechanism, year: years.0)
            let b = try await term(context, mechanism: mechanism, year: years.1)
            let own = context.caller.clerkMember(in: mechanism)
            guard context.caller.isOperator() || own == a.member || own == b.member else {
                throw DomainError(.notOwnMember, detail: "swap_askers", ["first": "\(a.member)", "second": "\(b.member)"])
            }
            try requireFuture(context, from: a.from, year: years.0)
            try requireFuture(context, from: b.from, year: years.1)
            guard a.member != b.member else { throw DomainError.invalid("same_chair", ["member": "\(a.member)"]) }
            let id: Int = try await context.query(
                """
                INSERT INTO rotation_exception (mechanism_code, kind, term_a, term_b, member_a, member_b, reason, requested_by, requested_at)
                VALUES ($1, 'swap', $2, $3, $4, $5, $6, $7, $8) RETURNING id
                """, [mechanism, a.id, b.id, a.member, b.member, reason, context.caller.id, context.now]
            ).single().decode("id")
            try await context.audit(
                "rotation.request_swap", entity: "rotation_exception", id: id, mechanism: mechanism,
                after: try await context.snapshot(.rotationException, id: id), reason: reason)
            if let own, own == a.member || own == b.member {
                try await recordConsent(context, exception: id, member: own)
            }
            return try await remindConsent(context, try await applyIfConsented(context, exception: id), mechanism)
        }
    }

    /// Asks that `year`'s chair give up its turn: every later term moves up one place and the
    /// skipping member takes the last planned term. Needs the skipping member's consent.
    public func requestSkip(by principal: Int, mechanism: String? = nil, year: Int, reason: String) async throws
        -> RotationException
    {
        let reason = try TextRule.check(reason, field: "reason", maxLength: 2000, multiline: true)
        try InputRange.check(year: year, "the year")
        return try await change(by: principal) { context in
            let mechanism = try await context.mechanism(mechanism)
            let term = try await self.term(context, mechanism: mechanism, year: year)
            let own = context.caller.clerkMember(in: mechanism)
            guard context.caller.isOperator() || own == term.member else {
                throw DomainError(.notOwnMember, detail: "skip_askers", ["member": "\(term.member)"])
            }
            try requireFuture(context, from: term.from, year: year)
            let id: Int = try await context.query(
                """
                INSERT INTO rotation_exception (mechanism_code, kind, term_a, member_a, reason, requested_by, requested_at)
                VALUES ($1, 'skip', $2, $3, $4, $5, $6) RETURNING id
                """, [mechanism, term.id, term.member, reason, context.caller.id, context.now]
            ).single().decode("id")
            try await context.audit(
                "rotation.request_skip", entity: "rotation_exception", id: id, mechanism: mechanism,
                after: try await context.snapshot(.rotationException, id: id), reason: reason)
            if own == term.member { try await recordConsent(context, exception: id, member: term.member) }
            return try await remindConsent(context, try await applyIfConsented(context, exception: id), mechanism)
        }
    }

    /// Records the caller's member's consent to an exception; applies it when all have consented.
    public func consent(by principal: Int, exception: Int) async throws -> RotationException {
        try await change(by: principal) { context in
            let (mechanism, concerned) = try await lockPending(context, exception: exception)
            guard let own = context.caller.clerkMember(in: mechanism), concerned.contains(own) else {
                throw DomainError(.notOwnMember, detail: "consenters", ["members": .list(concerned, conjunction: "or")])
            }
            try await recordConsent(context, exception: exception, member: own)
            return try await applyIfConsented(context, exception: exception)
        }
    }

    /// Reminds each member whose consent a pending exception still needs (skipped once it has
    /// consented or the exception is no longer pending).
    private func remindConsent(_ context: ChangeContext, _ exception: RotationException, _ mechanism: String)
        async throws -> RotationException
    {
        guard exception.state == "pending" else { return exception }
        for member in exception.missing {
            try await context.remind(
                .rotationExceptionRequested, mechanism: mechanism, member: member, entity: "rotation_exception",
                id: exception.id, payload: Self.exceptionPayload(exception, reason: exception.reason))
        }
        return exception
    }

    static func exceptionPayload(_ exception: RotationException, reason: String) -> [String: String] {
        ["exception": exception.kind, "years": exception.years.map(String.init).joined(separator: ", "), "reason": reason]
    }

    /// Locks a pending exception for a change; its mechanism and the members it concerns.
    /// NOT_FOUND when there is none, WRONG_STATE when it is applied or withdrawn.
    private func lockPending(_ context: ChangeContext, exception: Int) async throws -> (
        mechanism: String, concerned: [String]
    ) {
        let row = try await context.query(
            "SELECT mechanism_code, state, member_a, member_b FROM rotation_exception WHERE id = $1 FOR UPDATE",
            [exception]
        ).first
        guard let row else { throw DomainError.notFound("rotation exception", exception) }
        let state: String = try row.decode("state")
        guard state == "pending" else {
            throw DomainError(
                .wrongState, detail: "exception_state",
                ["id": "\(exception)", "state": .term("exception_state", state)], state: state)
        }
        let concerned =
            [try row.decode("member_a", as: String.self)]
            + [try row.decode("member_b", as: String?.self)].compactMap { $0 }
        return (try row.decode("mechanism_code"), concerned)
    }

    /// Withdraws a pending exception with a reason: the member that asked takes it back, or a member
    /// asked to give up or trade its term declines. A clerk of a member it concerns, or an operator;
    /// an exception already applied or withdrawn stays as it is.
    public func withdrawException(by principal: Int, exception: Int, reason: String) async throws
        -> RotationException
    {
        let reason = try TextRule.check(reason, field: "reason", maxLength: 2000, multiline: true)
        return try await change(by: principal) { context in
            let (mechanism, concerned) = try await lockPending(context, exception: exception)
            let own = context.caller.clerkMember(in: mechanism)
            guard context.caller.isOperator() || own.map(concerned.contains) == true else {
                throw DomainError(
                    .notOwnMember, detail: "withdrawers", ["members": .list(concerned, conjunction: "or")])
            }
            let before = try await context.snapshot(.rotationException, id: exception)
            try await context.query("UPDATE rotation_exception SET state = 'withdrawn' WHERE id = $1", [exception])
            try await context.audit(
                "rotation.withdraw", entity: "rotation_exception", id: exception, mechanism: mechanism, before: before,
                after: try await context.snapshot(.rotationException, id: exception), reason: reason)
            let withdrawn = try RotationException(row: try await exceptionRow(context, exception))
            // The other members it concerned are told, with the reason.
            for member in concerned where member != own {
                try await context.remind(
                    .rotationExceptionWithdrawn, mechanism: mechanism, member: member, entity: "rotation_exception",
                    id: exception, payload: Self.exceptionPayload(withdrawn, reason: reason))
            }
            return withdrawn
        }
    }

    /// Designates an acting chair for a period (by default the next member in rotation order).
    /// Only the member whose term it is today may, for a period that starts today or later and
    /// lies within that term: a chair lends its own powers, never another member's term or the
    /// past. The acting chair holds chair powers over the period; `endActingChair` ends it early.
    @discardableResult
    public func designateActingChair(
        by principal: Int, mechanism: String? = nil, member: String? = nil, from: CalendarDate, until: CalendarDate,
        reason: String
    ) async throws -> Int {
        let reason = try TextRule.check(reason, field: "reason", maxLength: 2000, multiline: true)
        try InputRange.check(from, "from")
        try InputRange.check(until, "to")
        guard from < until else { throw DomainError.invalid("period_order") }
        return try await change(by: principal) { context in
            let mechanism = try await context.mechanism(mechanism)
            let today = context.today
            guard let ofToday = try await Rotation.chair(context.connection, mechanism: mechanism, on: today),
                let termMember = ofToday.termMember, context.caller.clerkMember(in: mechanism) == termMember
            else {
                throw DomainError(.notChair, detail: "acting_designator")
            }
            let chair = termMember
            let term = try await context.query(
                "SELECT lower(term) AS start, upper(term) AS stop FROM chair_term WHERE mechanism_code = $1 AND term @> $2::date",
                [mechanism, today]
            ).single()
            let termStart: CalendarDate = try term.decode("start")
            let termStop: CalendarDate = try term.decode("stop")
            guard from >= today else {
                throw DomainError(.notFuture, detail: "acting_from_today", ["date": "\(today)"])
            }
            guard from >= termStart, until <= termStop else {
                throw DomainError.invalid(
                    "acting_within_term",
                    ["member": "\(chair)", "from": "\(termStart)", "until": "\(termStop.adding(days: -1))"])
            }
            let members = try await context.members(of: mechanism)
            let acting = member ?? members[(members.firstIndex(of: chair)! + 1) % members.count]
            guard members.contains(acting) else { throw DomainError.notFound("member", acting) }
            guard acting != chair else { throw DomainError.invalid("already_chair", ["member": "\(chair)"]) }
            let id: Int = try await context.query(
                """
                INSERT INTO acting_chair (mechanism_code, member_code, period, designated_by, reason)
                VALUES ($1, $2, daterange($3::date, $4::date), $5, $6) RETURNING id
                """, [mechanism, acting, from, until, context.caller.id, reason]
            ).single().decode("id")
            try await context.audit(
                "rotation.designate_acting", entity: "acting_chair", id: id, mechanism: mechanism,
                after: try await context.snapshot(.actingChair, id: id), reason: reason)
            return id
        }
    }

    /// Ends an acting period early: one that has not begun is revoked; one under way ends today
    /// (the acting member holds no chair powers from today on). The member whose term holds the
    /// period, or an operator, may; a period that is over cannot change.
    public func endActingChair(by principal: Int, id: Int, reason: String) async throws {
        let reason = try TextRule.check(reason, field: "reason", maxLength: 2000, multiline: true)
        try await change(by: principal) { context in
            let row = try await context.query(
                """
                SELECT a.mechanism_code, a.revoked, lower(a.period) AS start, upper(a.period) AS stop,
                       (SELECT t.member_code FROM chair_term t
                         WHERE t.mechanism_code = a.mechanism_code AND t.term @> lower(a.period)) AS term_member
                  FROM acting_chair a WHERE a.id = $1 FOR UPDATE OF a
                """, [id]
            ).first
            guard let row else { throw DomainError.notFound("acting period", id) }
            let mechanism: String = try row.decode("mechanism_code")
            let termMember: String? = try row.decode("term_member")
            guard context.caller.isOperator()
                || (termMember != nil && context.caller.clerkMember(in: mechanism) == termMember)
            else {
                throw DomainError(
                    .notChair, detail: "acting_enders", ["member": "\(termMember ?? "the term's chair")", "id": "\(id)"])
            }
            let start: CalendarDate = try row.decode("start")
            let stop: CalendarDate = try row.decode("stop")
            let today = context.today
            guard !(try row.decode("revoked", as: Bool.self)) else {
                throw DomainError(.wrongState, detail: "acting_revoked", ["id": "\(id)"], state: "revoked")
            }
            guard stop > today else {
                throw DomainError(
                    .notFuture, detail: "acting_ended", ["id": "\(id)", "date": "\(stop.adding(days: -1))"])
            }
            let before = try await context.snapshot(.actingChair, id: id)
            if start >= today {
                try await context.query("UPDATE acting_chair SET revoked = true WHERE id = $1", [id])
            } else {
                try await context.query(
                    "UPDATE acting_chair SET period = daterange(lower(period), $2::date) WHERE id = $1", [id, today])
            }
            try await context.audit(
                start >= today ? "rotation.revoke_acting" : "rotation.end_acting", entity: "acting_chair", id: id,
                mechanism: mechanism, before: before, after: try await context.snapshot(.actingChair, id: id),
                reason: reason)
        }
    }

    // MARK: - Helpers

    private func term(_ context: ChangeContext, mechanism: String, year: Int) async throws -> (
        id: Int, member: String, from: CalendarDate
    ) {
        guard let term = try await Rotation.term(context.connection, mechanism: mechanism, year: year) else {
            throw DomainError(.notFound, detail: "no_term", ["year": "\(year)"])
        }
        return term
    }

    /// Rotation exceptions only change terms that have not begun.
    private func requireFuture(_ context: ChangeContext, from: CalendarDate, year: Int) throws(DomainError) {
        guard from > context.today else {
            throw DomainError(.notFuture, detail: "term_begun", ["year": "\(year)"])
        }
    }

    private func recordConsent(_ context: ChangeContext, exception: Int, member: String) async throws {
        try await context.query(
            """
            INSERT INTO rotation_consent (exception_id, member_code, principal_id, at) VALUES ($1, $2, $3, $4)
            ON CONFLICT DO NOTHING
            """, [exception, member, context.caller.id, context.now])
        let mechanism: String = try await context.query(
            "SELECT mechanism_code FROM rotation_exception WHERE id = $1", [exception]
        ).single().decode("mechanism_code")
        try await context.audit(
            "rotation.consent", entity: "rotation_exception", id: exception, mechanism: mechanism,
            reason: SystemReason.consentOf(member).text)
    }

    /// One exception's row, with the columns `RotationException(row:)` reads.
    private func exceptionRow(_ context: ChangeContext, _ id: Int) async throws -> PostgresRow {
        try await context.query("SELECT \(RotationException.columns) FROM rotation_exception e WHERE e.id = $1", [id])
            .single()
    }

    private func applyIfConsented(_ context: ChangeContext, exception: Int) async throws -> RotationException {
        let row = try await exceptionRow(context, exception)
        let mechanism: String = try row.decode("mechanism_code")
        let kind: String = try row.decode("kind")
        let memberA: String = try row.decode("member_a")
        let memberB: String? = try row.decode("member_b")
        var result = try RotationException(row: row)
        guard result.state == "pending", result.missing.isEmpty else { return result }
        let termA: Int = try row.decode("term_a")
        let startA: CalendarDate = try await context.query(
            "SELECT lower(term) AS s FROM chair_term WHERE id = $1", [termA]
        ).single().decode("s")
        // Checked again now, when the last consent arrives: a term that has begun since the
        // request (either term of a swap) can no longer change.
        let termB: Int? = try row.decode("term_b")
        let starts: [CalendarDate] = try await context.query(
            "SELECT lower(term) AS s FROM chair_term WHERE id = ANY($1::bigint[])", [[termA] + [termB].compactMap { $0 }]
        ).map { try $0.decode("s") }
        guard startA > context.today, starts.allSatisfy({ $0 > context.today }) else {
            throw DomainError(.notFuture, detail: "exception_stale")
        }
        if kind == "swap", let memberB, let termB {
            try await context.query("UPDATE chair_term SET member_code = $2 WHERE id = $1", [termA, memberB])
            try await context.query("UPDATE chair_term SET member_code = $2 WHERE id = $1", [termB, memberA])
        } else {
            // Skip: from this term on, each term takes the next term's member; the skipping member
            // takes the last planned term.
            let later = try await context.query(
                "SELECT id, member_code FROM chair_term WHERE mechanism_code = $1 AND lower(term) >= $2::date ORDER BY lower(term)",
                [mechanism, startA])
            let ids: [Int] = try later.map { try $0.decode("id") }
            var shifted: [String] = try later.dropFirst().map { try $0.decode("member_code") }
            shifted.append(memberA)
            for (id, member) in zip(ids, shifted) {
                try await context.query("UPDATE chair_term SET member_code = $2 WHERE id = $1", [id, member])
            }
        }
        try await context.query(
            "UPDATE rotation_exception SET state = 'applied', applied_at = $2 WHERE id = $1", [exception, context.now])
        try await context.audit(
            "rotation.apply_\(kind)", entity: "rotation_exception", id: exception, mechanism: mechanism,
            after: try await context.snapshot(.rotationException, id: exception))
        result.state = "applied"
        return result
    }
}

extension Cooperation {
    /// CHAIR SCHEDULE's range: what is given, else this year and the next four.
    public func scheduleRange(from: CalendarDate?, until: CalendarDate?) -> (from: CalendarDate, until: CalendarDate) {
        let thisYear = ShanghaiCalendar.year(of: clock.now())
        return (
            from ?? ShanghaiCalendar.firstOfJanuary(thisYear), until ?? ShanghaiCalendar.firstOfJanuary(thisYear + 5)
        )
    }

    /// The swap and skip requests of a mechanism, newest first, with who has consented.
    public func rotationExceptions(by principal: Int, mechanism: String? = nil, limit: Int = 50) async throws
        -> [RotationException]
    {
        _ = try InputRange.check(limit: limit)
        return try await read(by: principal) { context in
            let mechanism = try await context.mechanism(mechanism)
            return try await context.query(
                """
                SELECT \(RotationException.columns)
                  FROM rotation_exception e WHERE e.mechanism_code = $1 ORDER BY e.id DESC LIMIT $2
                """, [mechanism, limit]
            ).map(RotationException.init(row:))
        }
    }
}
