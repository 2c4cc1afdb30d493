import Foundation
import LunzhiCore
import PostgresLibPQ

/// How domain values appear in replies: times in Shanghai with their offset, money in CNY.
enum Formatting {
    static func time(_ date: Date) -> String { ShanghaiCalendar.timestamp(date) }

    static func time(_ date: Date?) -> String { date.map { time($0) } ?? "-" }

    static func money(_ value: Decimal) -> String { "\(value)" }

    /// An entity's JSON as the domain represents it (LunzhiCore's `Representations.swift`).
    static func represented(_ value: some Encodable) -> JSONValue {
        // The representations write strings, numbers, booleans and nulls only: they cannot fail.
        (try? JSONValue(encoding: value)) ?? .null
    }

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
        let json = represented(item)
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
        for entry in c.agenda {
            let positions = entry.positions.keys.sorted().map { member in
                let p = entry.positions[member]!
                return "\(member):\(p.stance.rawValue)" + (p.note.map { "(\($0))" } ?? "")
            }
            lines.append(
                "\(entry.ordinal). item \(entry.itemID) [\(entry.track.rawValue)] \(entry.title) — "
                    + (entry.outcome.map { $0.rawValue + (entry.decisionNumber.map { " \($0)" } ?? "") } ?? "undecided")
                    + (positions.isEmpty ? "" : " — " + positions.joined(separator: " ")))
        }
        if let minutes = c.minutes { lines.append("minutes: \(minutes)") }
        if let reason = c.cancelReason { lines.append("cancelled: \(reason)") }
        let json = represented(c)
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
        let json = represented(a)
        return (lines, json)
    }

    static func project(_ p: Project) -> (line: String, json: JSONValue) {
        let line = pairs([
            ("id", String(p.id)), ("host", p.hostMember), ("industry", p.industry.rawValue),
            ("source", p.source.rawValue),
            ("stage", p.stage.rawValue), ("investment", money(p.investment)), ("name", p.name),
        ])
        let json = represented(p)
        return (line, json)
    }
}
