import Foundation
import LunzhiCore
import PostgresLibPQ

/// How domain values appear in replies: times in Shanghai with their offset, money in CNY.
enum Formatting {
    static func time(_ date: Date) -> String {
        let micros = PostgresTimestamp.microseconds(date) + 8 * 3_600_000_000
        let utcLike = PostgresTimestamp.format(microseconds: micros)
        return String(utcLike.prefix(19)) + "+08:00"
    }

    static func time(_ date: Date?) -> String { date.map { time($0) } ?? "-" }

    static func money(_ value: Decimal) -> String { "\(value)" }

    /// `key=value` pairs for a text line; values with spaces are quoted.
    static func pairs(_ pairs: [(String, String?)]) -> String {
        pairs.compactMap { key, value in
            guard let value else { return nil }
            // Byte checks, not Foundation's `contains`/`replacingOccurrences` (NSString bridging
            // cost 4% of a read's CPU).
            let needsQuotes =
                value.isEmpty || value.utf8.contains { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\"") }
            guard needsQuotes else { return "\(key)=\(value)" }
            var quoted = "\(key)=\""
            for character in value.unicodeScalars {
                if character == "\\" || character == "\"" { quoted.unicodeScalars.append("\\") }
                quoted.unicodeScalars.append(character)
            }
            return quoted + "\""
        }.joined(separator: " ")
    }

    static func item(_ item: AgendaItem) -> (line: String, json: JSONValue) {
        let line = pairs([
            ("id", String(item.id)), ("state", item.state.rawValue), ("member", item.member),
            ("category", item.category.rawValue),
            ("track", item.track.rawValue), ("title", item.title),
        ])
        let json = JSONValue.object([
            ("id", .int(item.id)), ("mechanism", .string(item.mechanism)), ("member", .string(item.member)),
            ("category", .string(item.category.rawValue)), ("track", .string(item.track.rawValue)),
            ("title", .string(item.title)), ("body", .string(item.body)),
            ("justification", .optional(item.justification)),
            ("project", item.projectID.map(JSONValue.int) ?? .null), ("state", .string(item.state.rawValue)),
            ("return_reason", .optional(item.returnReason)), ("created_at", .string(time(item.createdAt))),
            ("updated_at", .string(time(item.updatedAt))),
        ])
        return (line, json)
    }

    static func itemDetail(_ item: AgendaItem) -> [String] {
        var lines = [
            pairs([
                ("member", item.member), ("category", item.category.rawValue), ("track", item.track.rawValue),
                ("state", item.state.rawValue),
            ])
        ]
        lines.append("title: \(item.title)")
        if !item.body.isEmpty { lines.append("body: \(item.body)") }
        if let j = item.justification { lines.append("justification: \(j)") }
        if let p = item.projectID { lines.append("project: \(p)") }
        if let r = item.returnReason { lines.append("returned: \(r)") }
        lines.append("filed: \(time(item.createdAt)) updated: \(time(item.updatedAt))")
        return lines
    }

    static func consultation(_ c: Consultation) -> (lines: [String], json: JSONValue) {
        var lines = [
            pairs([
                ("kind", c.kind.rawValue), ("state", c.state.rawValue), ("chair", c.chairMember),
                ("rule", c.rule.rawValue),
                ("at", c.at.map { time($0) }), ("place", c.place), ("deadline", time(c.agendaDeadline)),
                ("respond_by", c.responseDeadline.map { time($0) }),
            ])
        ]
        var agenda: [JSONValue] = []
        for entry in c.agenda {
            let positions = entry.positions.keys.sorted().map { member in
                let p = entry.positions[member]!
                return "\(member):\(p.stance.rawValue)" + (p.note.map { "(\($0))" } ?? "")
            }
            lines.append(
                "\(entry.ordinal). item \(entry.itemID) [\(entry.track.rawValue)] \(entry.title) — "
                    + (entry.outcome.map { $0.rawValue + (entry.decisionNumber.map { " \($0)" } ?? "") } ?? "undecided")
                    + (positions.isEmpty ? "" : " — " + positions.joined(separator: " ")))
            agenda.append(
                .object([
                    ("ordinal", .int(entry.ordinal)), ("item", .int(entry.itemID)), ("title", .string(entry.title)),
                    ("track", .string(entry.track.rawValue)), ("outcome", .optional(entry.outcome?.rawValue)),
                    ("decision", .optional(entry.decisionNumber)),
                    (
                        "positions",
                        .object(
                            entry.positions.keys.sorted().map { member in
                                let p = entry.positions[member]!
                                return (
                                    member,
                                    .object([("stance", .string(p.stance.rawValue)), ("note", .optional(p.note))])
                                )
                            })
                    ),
                ]))
        }
        if let minutes = c.minutes { lines.append("minutes: \(minutes)") }
        if let reason = c.cancelReason { lines.append("cancelled: \(reason)") }
        let json = JSONValue.object([
            ("id", .int(c.id)), ("mechanism", .string(c.mechanism)), ("kind", .string(c.kind.rawValue)),
            ("state", .string(c.state.rawValue)), ("chair", .string(c.chairMember)), ("rule", .string(c.rule.rawValue)),
            ("at", .optional(c.at.map { time($0) })), ("place", .optional(c.place)),
            ("agenda_deadline", .string(time(c.agendaDeadline))),
            ("response_deadline", .optional(c.responseDeadline.map { time($0) })),
            ("minutes", .optional(c.minutes)), ("cancel_reason", .optional(c.cancelReason)), ("agenda", .array(agenda)),
        ])
        return (lines, json)
    }

    static func approval(_ a: Approval) -> (lines: [String], json: JSONValue) {
        var lines = [
            pairs([
                ("state", a.overdue ? "overdue" : a.state.rawValue), ("track", a.track.rawValue),
                ("project", String(a.projectID)),
                ("requester", a.requesterMember), ("due", time(a.dueAt)),
                ("screening", a.screening.screenedCode.map { "screened:\($0)" } ?? "clear"),
                ("catalogue", "v\(a.screening.catalogueVersion)"),
            ]),
            "ask: \(a.ask)",
        ]
        if let j = a.justification { lines.append("justification: \(j)") }
        for party in a.parties {
            lines.append(
                "party \(party.member): \(party.answer?.rawValue ?? "waiting")" + (party.note.map { " — \($0)" } ?? ""))
        }
        let json = JSONValue.object([
            ("id", .int(a.id)), ("mechanism", .string(a.mechanism)), ("project", .int(a.projectID)),
            ("requester", .string(a.requesterMember)), ("track", .string(a.track.rawValue)), ("ask", .string(a.ask)),
            ("justification", .optional(a.justification)), ("state", .string(a.state.rawValue)),
            ("overdue", .bool(a.overdue)),
            ("requested_at", .string(time(a.requestedAt))), ("due_at", .string(time(a.dueAt))),
            (
                "screening",
                .object([
                    ("catalogue_version", .int(a.screening.catalogueVersion)),
                    ("screened", .optional(a.screening.screenedCode)),
                ])
            ),
            (
                "parties",
                .array(
                    a.parties.map {
                        .object([
                            ("member", .string($0.member)), ("answer", .optional($0.answer?.rawValue)),
                            ("note", .optional($0.note)),
                        ])
                    })
            ),
        ])
        return (lines, json)
    }

    static func project(_ p: Project) -> (line: String, json: JSONValue) {
        let line = pairs([
            ("id", String(p.id)), ("host", p.hostMember), ("industry", p.industry.rawValue),
            ("source", p.source.rawValue),
            ("stage", p.stage.rawValue), ("investment", money(p.investment)), ("name", p.name),
        ])
        let json = JSONValue.object([
            ("id", .int(p.id)), ("mechanism", .string(p.mechanism)), ("name", .string(p.name)),
            ("enterprises", .array(p.enterprises.map(JSONValue.string))), ("investment", .string(money(p.investment))),
            ("industry", .string(p.industry.rawValue)), ("sub_industry", .string(p.subIndustry)),
            ("source", .string(p.source.rawValue)), ("host", .string(p.hostMember)), ("place", .string(p.place)),
            ("stage", .string(p.stage.rawValue)),
            (
                "history",
                .array(
                    p.history.map { .object([("stage", .string($0.stage.rawValue)), ("at", .string(time($0.at)))]) })
            ),
        ])
        return (line, json)
    }
}
