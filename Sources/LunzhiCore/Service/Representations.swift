import Foundation

// How the domain's entities are represented to the outside (the console's JSON replies, and any
// front end that speaks JSON): one `encode(to:)` per entity, keys in a fixed order, times in
// Shanghai (`2026-05-01T09:30:00+08:00`), amounts of CNY as exact decimal text.

private struct RepresentationKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

private extension KeyedEncodingContainer where K == RepresentationKey {
    mutating func put(_ key: String, _ value: some Encodable) throws { try encode(value, forKey: RepresentationKey(key)) }
    mutating func time(_ key: String, _ value: Date?) throws {
        try encode(value.map(ShanghaiCalendar.timestamp), forKey: RepresentationKey(key))
    }
}

extension AgendaItem: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: RepresentationKey.self)
        try c.put("id", id)
        try c.put("mechanism", mechanism)
        try c.put("member", member)
        try c.put("category", category.rawValue)
        try c.put("track", track.rawValue)
        try c.put("title", title)
        try c.put("body", body)
        try c.put("justification", justification)
        try c.put("project", projectID)
        try c.put("state", state.rawValue)
        try c.put("return_reason", returnReason)
        try c.time("created_at", createdAt)
        try c.time("updated_at", updatedAt)
    }
}

extension Consultation: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: RepresentationKey.self)
        try c.put("id", id)
        try c.put("mechanism", mechanism)
        try c.put("kind", kind.rawValue)
        try c.put("state", state.rawValue)
        try c.put("chair", chairMember)
        try c.put("rule", rule.rawValue)
        try c.time("at", at)
        try c.put("place", place)
        try c.time("agenda_deadline", agendaDeadline)
        try c.time("response_deadline", responseDeadline)
        try c.put("minutes", minutes)
        try c.put("cancel_reason", cancelReason)
        try c.put("agenda", agenda)
    }
}

extension Consultation.AgendaEntry: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: RepresentationKey.self)
        try c.put("ordinal", ordinal)
        try c.put("item", itemID)
        try c.put("title", title)
        try c.put("track", track.rawValue)
        try c.put("outcome", outcome?.rawValue)
        try c.put("decision", decisionNumber)
        var positions = c.nestedContainer(keyedBy: RepresentationKey.self, forKey: RepresentationKey("positions"))
        for member in self.positions.keys.sorted() {
            let p = self.positions[member]!
            var one = positions.nestedContainer(keyedBy: RepresentationKey.self, forKey: RepresentationKey(member))
            try one.put("stance", p.stance.rawValue)
            try one.put("note", p.note)
        }
    }
}

extension Approval: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: RepresentationKey.self)
        try c.put("id", id)
        try c.put("mechanism", mechanism)
        try c.put("project", projectID)
        try c.put("requester", requesterMember)
        try c.put("track", track.rawValue)
        try c.put("ask", ask)
        try c.put("justification", justification)
        try c.put("state", state.rawValue)
        try c.put("overdue", overdue)
        try c.time("requested_at", requestedAt)
        try c.time("due_at", dueAt)
        var screening = c.nestedContainer(keyedBy: RepresentationKey.self, forKey: RepresentationKey("screening"))
        try screening.put("catalogue_version", self.screening.catalogueVersion)
        try screening.put("screened", self.screening.screenedCode)
        try c.put("parties", parties)
    }
}

extension Approval.Party: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: RepresentationKey.self)
        try c.put("member", member)
        try c.put("answer", answer?.rawValue)
        try c.put("note", note)
    }
}

extension Project: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: RepresentationKey.self)
        try c.put("id", id)
        try c.put("mechanism", mechanism)
        try c.put("name", name)
        try c.put("enterprises", enterprises)
        try c.put("investment", "\(investment)")
        try c.put("industry", industry.rawValue)
        try c.put("sub_industry", subIndustry)
        try c.put("source", source.rawValue)
        try c.put("host", hostMember)
        try c.put("place", place)
        try c.put("stage", stage.rawValue)
        try c.put("history", history)
    }
}

extension Project.StageChange: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: RepresentationKey.self)
        try c.put("stage", stage.rawValue)
        try c.time("at", at)
    }
}

extension AuditEvent: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: RepresentationKey.self)
        try c.put("seq", seq)
        try c.time("at", at)
        try c.put("principal", principal)
        try c.put("member", member)
        try c.put("action", action)
        try c.put("entity", entity)
        try c.put("entity_id", entityID)
        try c.put("before", before)
        try c.put("after", after)
        try c.put("reason", reason)
    }
}
