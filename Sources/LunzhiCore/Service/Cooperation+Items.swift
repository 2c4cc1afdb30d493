public import Foundation
import PostgresLibPQ

/// An agenda item as stored.
public struct AgendaItem: Sendable, Equatable {
    public var id: Int
    public var mechanism: String
    public var member: String
    public var filedBy: Int
    public var category: ItemCategory
    public var track: Track
    public var title: String
    public var body: String
    public var justification: String?
    public var projectID: Int?
    public var state: ItemState
    public var returnReason: String?
    public var createdAt: Date
    public var updatedAt: Date
}

/// What a clerk files or revises.
public struct ItemDraft: Sendable {
    public var category: ItemCategory
    public var track: Track
    public var title: String
    public var body: String
    public var justification: String?
    public var projectID: Int?

    public init(
        category: ItemCategory, track: Track, title: String, body: String = "", justification: String? = nil,
        projectID: Int? = nil
    ) {
        self.category = category
        self.track = track
        self.title = title
        self.body = body
        self.justification = justification
        self.projectID = projectID
    }

    /// Checks lengths and characters; the special track needs a justification.
    func validated() throws(DomainError) -> ItemDraft {
        var draft = self
        draft.title = try TextRule.check(title, field: "title", maxLength: 200)
        draft.body = try TextRule.check(body, field: "body", maxLength: 20_000, multiline: true, required: false)
        draft.justification = try TextRule.justification(justification)
        if track == .special && draft.justification == nil {
            throw DomainError(.justificationRequired, detail: "special_track_justification")
        }
        return draft
    }
}

/// Filters for listing items.
public struct ItemFilter: Sendable {
    public var state: ItemState?
    public var member: String?
    public var year: Int?
    public var limit: Int
    public init(state: ItemState? = nil, member: String? = nil, year: Int? = nil, limit: Int = 100) {
        self.state = state
        self.member = member
        self.year = year
        self.limit = limit
    }
}

extension Cooperation {
    /// Files a draft item for the caller's own member. Clerks only.
    public func fileItem(by principal: Int, mechanism: String? = nil, _ draft: ItemDraft) async throws -> AgendaItem {
        let draft = try draft.validated()
        return try await change(by: principal) { context in
            let mechanism = try await context.mechanism(mechanism)
            let member = try context.ownMember(in: mechanism)
            if let project = draft.projectID { try await requireProject(context, project, in: mechanism) }
            let id: Int = try await context.query(
                """
                INSERT INTO agenda_item (mechanism_code, member_code, filed_by, category, track, title, body, justification,
                                         project_id, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id
                """,
                [
                    mechanism, member, context.caller.id, draft.category.rawValue, draft.track.rawValue, draft.title,
                    draft.body, draft.justification, draft.projectID, context.now,
                ]
            ).single().decode("id")
            try await context.audit(
                "item.file", entity: "item", id: id, mechanism: mechanism,
                after: try await context.snapshot(.agendaItem, id: id))
            return try await loadItem(context, id)
        }
    }

    /// Submits a draft or returned item to the chair. The filer's member only.
    public func submitItem(by principal: Int, id: Int) async throws -> AgendaItem {
        try await transitionItem(by: principal, id: id, .submit) { context, item in
            guard context.caller.clerkMember(in: item.mechanism) == item.member else {
                throw DomainError(.notOwnMember, detail: "own_items_submit", ["member": "\(item.member)"])
            }
            if let chair = try await Rotation.chair(context.connection, mechanism: item.mechanism, on: context.today) {
                try await context.remind(
                    .itemSubmitted, mechanism: item.mechanism, member: chair.member, entity: "item", id: item.id,
                    payload: ["title": item.title, "from": item.member])
            }
        }
    }

    /// Withdraws an item that is not yet tabled. The filer's member only.
    public func withdrawItem(by principal: Int, id: Int, reason: String? = nil) async throws -> AgendaItem {
        let reason = try TextRule.optional(reason, field: "reason", maxLength: 2000)
        return try await transitionItem(by: principal, id: id, .withdraw, reason: reason) { context, item in
            guard context.caller.clerkMember(in: item.mechanism) == item.member else {
                throw DomainError(.notOwnMember, detail: "own_items_withdraw", ["member": "\(item.member)"])
            }
        }
    }

    /// Accepts a submitted item onto the chair's list. The chair only.
    public func acceptItem(by principal: Int, id: Int) async throws -> AgendaItem {
        try await transitionItem(by: principal, id: id, .accept) { context, item in
            try await context.requireChair(in: item.mechanism, to: "accept items")
        }
    }

    /// Returns a submitted item to its filer with a reason. The chair only.
    public func returnItem(by principal: Int, id: Int, reason: String) async throws -> AgendaItem {
        let reason = try TextRule.check(reason, field: "reason", maxLength: 2000, multiline: true)
        return try await transitionItem(by: principal, id: id, .return, reason: reason) { context, item in
            try await context.requireChair(in: item.mechanism, to: "return items")
            try await context.query("UPDATE agenda_item SET return_reason = $2 WHERE id = $1", [item.id, reason])
            try await context.remind(
                .itemReturned, mechanism: item.mechanism, member: item.member, entity: "item", id: item.id,
                payload: ["title": item.title, "reason": reason])
        }
    }

    /// Revises a draft or returned item. The filer's member only.
    public func reviseItem(by principal: Int, id: Int, _ draft: ItemDraft) async throws -> AgendaItem {
        let draft = try draft.validated()
        return try await transitionItem(by: principal, id: id, .revise) { context, item in
            guard context.caller.clerkMember(in: item.mechanism) == item.member else {
                throw DomainError(.notOwnMember, detail: "own_items_revise", ["member": "\(item.member)"])
            }
            if let project = draft.projectID { try await requireProject(context, project, in: item.mechanism) }
            try await context.query(
                """
                UPDATE agenda_item SET category = $2, track = $3, title = $4, body = $5, justification = $6, project_id = $7
                WHERE id = $1
                """,
                [
                    item.id, draft.category.rawValue, draft.track.rawValue, draft.title, draft.body,
                    draft.justification,
                    draft.projectID,
                ])
        }
    }

    public func item(by principal: Int, id: Int) async throws -> AgendaItem {
        try await read(by: principal) { context in try await loadItem(context, id) }
    }

    public func items(by principal: Int, mechanism: String? = nil, _ filter: ItemFilter = ItemFilter()) async throws
        -> [AgendaItem]
    {
        if let year = filter.year { try InputRange.check(year: year, "year") }
        try InputRange.check(limit: filter.limit)
        return try await read(by: principal) { context in
            let mechanism = try await context.mechanism(mechanism)
            let yearStart = filter.year.map { ShanghaiCalendar.startOfDay(ShanghaiCalendar.firstOfJanuary($0)) }
            let yearEnd = filter.year.map { ShanghaiCalendar.startOfDay(ShanghaiCalendar.firstOfJanuary($0 + 1)) }
            let rows = try await context.query(
                """
                SELECT * FROM agenda_item
                WHERE mechanism_code = $1 AND ($2::text IS NULL OR state = $2) AND ($3::text IS NULL OR member_code = $3)
                  AND ($4::timestamptz IS NULL OR (created_at >= $4 AND created_at < $5))
                ORDER BY id LIMIT $6
                """,
                [mechanism, filter.state?.rawValue, filter.member, yearStart, yearEnd, min(max(filter.limit, 1), 1000)])
            return try rows.map(Self.decodeItem)
        }
    }

    // MARK: - Helpers

    /// Locks the item, checks the transition and the caller (in `check`), writes the new state,
    /// and records the audit event with before and after images.
    func transitionItem(
        by principal: Int, id: Int, _ action: ItemAction, reason: String? = nil,
        check: (ChangeContext, AgendaItem) async throws -> Void
    ) async throws -> AgendaItem {
        try await change(by: principal) { context in
            try await applyItemAction(context, id: id, action, reason: reason, check: check)
        }
    }

    @discardableResult
    func applyItemAction(
        _ context: ChangeContext, id: Int, _ action: ItemAction, reason: String? = nil,
        check: (ChangeContext, AgendaItem) async throws -> Void = { _, _ in }
    ) async throws -> AgendaItem {
        let item = try await loadItem(context, id, lock: true)
        // Permission first, so a caller without it learns nothing about the state.
        try await check(context, item)
        let next = try ItemLifecycle.apply(action, to: item.state)
        let before = try await context.snapshot(.agendaItem, id: id)
        try await context.query(
            "UPDATE agenda_item SET state = $2, updated_at = $3 WHERE id = $1", [id, next.rawValue, context.now])
        try await context.audit(
            "item.\(action.rawValue)", entity: "item", id: id, mechanism: item.mechanism, before: before,
            after: try await context.snapshot(.agendaItem, id: id), reason: reason)
        return try await loadItem(context, id)
    }

    func loadItem(_ context: ChangeContext, _ id: Int, lock: Bool = false) async throws -> AgendaItem {
        let row = try await context.query("SELECT * FROM agenda_item WHERE id = $1" + (lock ? " FOR UPDATE" : ""), [id])
            .first
        guard let row else { throw DomainError.notFound("item", id) }
        return try Self.decodeItem(row)
    }

    static func decodeItem(_ row: PostgresRow) throws -> AgendaItem {
        AgendaItem(
            id: try row.decode("id"), mechanism: try row.decode("mechanism_code"),
            member: try row.decode("member_code"),
            filedBy: try row.decode("filed_by"), category: try row.decode("category", as: ItemCategory.self),
            track: try row.decode("track", as: Track.self), title: try row.decode("title"),
            body: try row.decode("body"),
            justification: try row.decode("justification"), projectID: try row.decode("project_id"),
            state: try row.decode("state", as: ItemState.self), returnReason: try row.decode("return_reason"),
            createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"))
    }

    func requireProject(_ context: ChangeContext, _ id: Int, in mechanism: String) async throws {
        let found = try await context.query(
            "SELECT 1 FROM project WHERE id = $1 AND mechanism_code = $2", [id, mechanism])
        guard !found.isEmpty else { throw DomainError.notFound("project", id) }
    }
}
