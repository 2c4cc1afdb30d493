import Foundation
import LunzhiCore
import PostgresLibPQ

/// What a member is told: a subject in Chinese and English, and a body in Chinese then English,
/// every word from the one catalogue (`reminder.<kind>`, `reminder.field.<key>`, …) and every time
/// in Asia/Shanghai; and the JSON a webhook or file receives (machine-readable, times in UTC).
public struct ReminderMessage: Sendable {
    public var subject: String
    public var body: String
    public var json: String

    /// The payload's values that are catalogue terms, by payload key (`track` → `track.urgent`).
    static let terms: [String: String] = [
        "track": "track", "kind": "kind", "role": "role", "confirmation": "reminder.confirmation",
        "exception": "exception",
    ]
    /// Payload keys whose values are dates (`2026-03-01`), shown as dates in the reader's language.
    static let dates: Set<String> = ["starts"]
    /// Payload keys whose values are times (UTC, ISO 8601), shown in Asia/Shanghai.
    static let times: Set<String> = ["deadline", "at"]

    public init(_ reminder: ClaimedReminder) {
        let payload =
            reminder.payload.text == "{}" ? [:] : (try? reminder.payload.decode(as: [String: String].self)) ?? [:]
        func title(_ w: Words) -> String {
            let key = "reminder." + reminder.kind.rawValue
            return Catalogue.entries[key] == nil ? w["reminder.generic"] : w[key]
        }
        let (zh, en) = (Words(.zh), Words(.en))
        subject = "【\(zh["reminder.brand"])】\(title(zh)) / \(title(en))"
        var lines: [String] = []
        for w in [zh, en] {
            let thing = "thing." + reminder.entity
            let entity = Catalogue.entries[thing] == nil ? reminder.entity : w[thing]
            lines.append(title(w))
            lines.append(w["reminder.mechanism"] + w["reminder.colon"] + reminder.mechanism)
            lines.append(w["reminder.subject"] + w["reminder.colon"] + entity + " " + reminder.entityID)
            for key in payload.keys.sorted() {
                let label = Catalogue.entries["reminder.field." + key] == nil ? key : w["reminder.field." + key]
                var value = payload[key]!
                if let kind = Self.terms[key], Catalogue.entries[kind + "." + value] != nil {
                    value = w[kind + "." + value]
                } else if Self.dates.contains(key), let day = CalendarDate(value) {
                    value = TimeFormat.date(day, w.language)
                } else if Self.times.contains(key), let time = try? Date(postgresText: value, type: .timestamptz) {
                    value = TimeFormat.time(time, w.language) + w["reminder.zone"]
                }
                lines.append(label + w["reminder.colon"] + value)
            }
            lines.append(
                w["reminder.due"] + w["reminder.colon"] + TimeFormat.time(reminder.dueAt, w.language) + w["reminder.zone"])
            lines.append("")
        }
        lines.append(zh["reminder.key"] + " / " + en["reminder.key"] + ": " + reminder.idempotencyKey)
        body = lines.joined(separator: "\n")
        // Keys in byte order, as receivers and the documented examples expect.
        let object: JSONValue = .object([
            ("due_at", .string(PostgresTimestamp.format(reminder.dueAt))),
            ("entity", .string(reminder.entity)), ("entity_id", .string(reminder.entityID)),
            ("id", .int(reminder.id)), ("key", .string(reminder.idempotencyKey)), ("kind", .string(reminder.kind.rawValue)),
            ("mechanism", .string(reminder.mechanism)),
            ("payload", .object(payload.keys.sorted().map { ($0, .string(payload[$0]!)) })),
            ("recipient", .string(reminder.recipient)), ("subject", .string(subject)),
        ])
        json = object.serialized()
    }
}
