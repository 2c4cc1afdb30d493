import Foundation
import LunzhiCore

/// MEMBER CONTACT …, REMINDERS, REMINDER RETRY.
enum ReminderCommands {
    static let all: [ConsoleCommand] = [
        ConsoleCommand(
            "MEMBER CONTACT", usage: "MEMBER CONTACT ADD|REMOVE|LIST …",
            summary: "Manage where a member is reminded (see the three forms below).",
            keys: ["member", "channel", "address", "secret", "mechanism"]
        ) { call in
            let action = try call.arguments.word(0, "ADD, REMOVE or LIST").uppercased()
            let a = call.arguments
            switch action {
            case "ADD":
                let contact = try await call.service.addContact(
                    by: call.principal, mechanism: a.optional("mechanism"), member: a.optional("member")?.uppercased(),
                    channel: try a.required("channel").lowercased(), address: try a.required("address"),
                    secret: a.optional("secret"))
                return .ok(
                    "contact \(contact.id) added for \(contact.member): \(contact.channel) \(contact.address)",
                    data: .object([
                        ("id", .int(contact.id)), ("member", .string(contact.member)),
                        ("channel", .string(contact.channel)),
                    ]), code: 201)
            case "REMOVE":
                try await call.service.removeContact(by: call.principal, id: try a.int(1, "contact id"))
                return .ok("contact removed")
            case "LIST":
                let contacts = try await call.service.contacts(
                    by: call.principal, mechanism: a.optional("mechanism"), member: a.optional("member")?.uppercased())
                return .ok(
                    "\(contacts.count) contacts",
                    lines: contacts.map {
                        "\($0.id) \($0.member) \($0.channel) \($0.address)" + ($0.hasSecret ? " (signed)" : "")
                            + ($0.enabled ? "" : " disabled")
                    },
                    data: .array(
                        contacts.map {
                            .object([
                                ("id", .int($0.id)), ("member", .string($0.member)), ("channel", .string($0.channel)),
                                ("address", .string($0.address)),
                            ])
                        }))
            default:
                throw ConsoleArgumentError("MEMBER CONTACT takes ADD, REMOVE or LIST")
            }
        },
        ConsoleCommand(
            "REMINDERS", usage: "REMINDERS [state=pending|running|delivered|skipped|dead] [limit=…]",
            summary: "The reminder queue, newest first, with each attempt's errors (operators, auditors).",
            keys: ["state", "limit"]
        ) { call in
            let state = try call.arguments.optionalEnum("state", ReminderState.self)
            let list = try await call.service.reminders(
                by: call.principal, state: state, limit: try call.arguments.limit(default: 100))
            var lines: [String] = []
            for r in list {
                lines.append(
                    "\(r.id) "
                        + Formatting.pairs([
                            ("state", r.state.rawValue), ("kind", r.kind.rawValue), ("to", r.recipient),
                            ("about", "\(r.entity) \(r.entityID)"),
                            ("due", Formatting.time(r.dueAt)), ("attempts", String(r.attempts)), ("outcome", r.outcome),
                        ]))
                lines += r.errors.map { "  error \($0)" }
            }
            return .ok(
                "\(list.count) reminders", lines: lines,
                data: .array(
                    list.map {
                        .object([
                            ("id", .int($0.id)), ("state", .string($0.state.rawValue)), ("kind", .string($0.kind.rawValue)),
                            ("recipient", .string($0.recipient)),
                            ("entity", .string($0.entity)), ("entity_id", .string($0.entityID)),
                            ("due_at", .string(Formatting.time($0.dueAt))),
                            ("attempts", .int($0.attempts)), ("outcome", .optional($0.outcome)),
                            ("errors", .array($0.errors.map(JSONValue.string))),
                        ])
                    }))
        },
        ConsoleCommand(
            "REMINDER RETRY", usage: "REMINDER RETRY <id>",
            summary: "Revive a dead reminder for another round of attempts (operators)."
        ) { call in
            try await call.service.retryReminder(by: call.principal, id: try call.arguments.int(0, "reminder id"))
            return .ok("reminder revived")
        },
    ]
}
