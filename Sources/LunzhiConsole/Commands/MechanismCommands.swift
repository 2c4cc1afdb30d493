import Foundation
import LunzhiCore

/// MEMBERS, CHAIR …, USER ….
enum MechanismCommands {
    static let all: [ConsoleCommand] = [
        ConsoleCommand(
            "MEMBERS", usage: "MEMBERS [date] [mechanism=…]",
            summary: "The members in rotation order, named as on the date.", keys: ["mechanism"]
        ) { call in
            let date = try call.arguments.optionalWord(0).map { try Arguments.parseDate($0, key: "date") }
            let members = try await call.service.members(
                by: call.principal, mechanism: call.arguments.optional("mechanism"), on: date)
            return .ok(
                "\(members.count) members",
                lines: members.map {
                    Formatting.pairs([("code", $0.code), ("iso", $0.isoCode), ("gb", $0.gbCode), ("name", $0.name)])
                },
                data: .array(
                    members.map {
                        .object([
                            ("code", .string($0.code)), ("iso", .optional($0.isoCode)), ("gb", .optional($0.gbCode)),
                            ("order", .int($0.rotationOrder)), ("name", .optional($0.name)),
                        ])
                    }))
        },
        ConsoleCommand(
            "CHAIR", usage: "CHAIR [date] [mechanism=…]", summary: "Who chairs on a date (today by default).",
            keys: ["mechanism"]
        ) { call in
            let date = try call.arguments.optionalWord(0).map { try Arguments.parseDate($0, key: "date") }
            guard
                let chair = try await call.service.chair(
                    by: call.principal, mechanism: call.arguments.optional("mechanism"), on: date)
            else {
                return .error(
                    404, "NOT_FOUND", "no member chairs on \(date?.description ?? "this day") (a gap in the rotation)")
            }
            return .ok(
                "\(chair.member) chairs \(chair.mechanism) on \(chair.date)"
                    + (chair.acting ? " (acting for \(chair.termMember ?? "-"))" : ""),
                data: .object([
                    ("mechanism", .string(chair.mechanism)), ("date", .string(chair.date.description)),
                    ("member", .string(chair.member)), ("acting", .bool(chair.acting)),
                    ("term_member", .optional(chair.termMember)),
                ]))
        },
        ConsoleCommand(
            "CHAIR SCHEDULE", usage: "CHAIR SCHEDULE [from] [to] [mechanism=…]",
            summary: "Terms, acting periods and gaps (default: this year and the next four).", keys: ["mechanism"]
        ) { call in
            let (from, to) = call.service.scheduleRange(
                from: try call.arguments.optionalWord(0).map { try Arguments.parseDate($0, key: "from") },
                until: try call.arguments.optionalWord(1).map { try Arguments.parseDate($0, key: "to") })
            guard from < to, from.days(until: to) <= 366 * 200 else {
                throw ConsoleArgumentError("from must precede to, within 200 years")
            }
            let entries = try await call.service.schedule(
                by: call.principal, mechanism: call.arguments.optional("mechanism"), from: from, until: to)
            return .ok(
                "\(entries.count) entries from \(from) until \(to)",
                lines: entries.map {
                    "\($0.from) … \($0.until.adding(days: -1)) \($0.kind.rawValue)" + ($0.member.map { " \($0)" } ?? "")
                        + ($0.actingID.map { " (#\($0))" } ?? "")
                },
                data: .array(
                    entries.map {
                        .object([
                            ("kind", .string($0.kind.rawValue)), ("member", .optional($0.member)),
                            ("from", .string($0.from.description)),
                            ("until", .string($0.until.description)),
                            ("acting_id", $0.actingID.map { .int($0) } ?? .null),
                        ])
                    }))
        },
        ConsoleCommand(
            "CHAIR PLAN", usage: "CHAIR PLAN order=SN,GS,… from=YEAR years=N [mechanism=…]",
            summary: "Plan one-year terms in order (operators).", keys: ["order", "from", "years", "mechanism"]
        ) { call in
            let order = call.arguments.list("order")
            guard let from = try call.arguments.optionalYear("from"),
                let years = try call.arguments.optionalInt("years", in: InputRange.planYears)
            else {
                throw ConsoleArgumentError("CHAIR PLAN needs from=YEAR and years=N")
            }
            let planned = try await call.service.planRotation(
                by: call.principal, mechanism: call.arguments.optional("mechanism"), order: order, fromYear: from,
                years: years)
            return .ok("planned \(planned) terms from \(from)", data: .object([("terms", .int(planned))]), code: 201)
        },
        ConsoleCommand(
            "CHAIR SWAP", usage: "CHAIR SWAP <year> <year> reason=… [mechanism=…]",
            summary: "Ask to swap two future terms (both members consent).", keys: ["reason", "mechanism"]
        ) { call in
            let a = try call.arguments.year(0, "first year")
            let b = try call.arguments.year(1, "second year")
            let result = try await call.service.requestSwap(
                by: call.principal, mechanism: call.arguments.optional("mechanism"), years: (a, b),
                reason: try call.arguments.required("reason"))
            return exceptionReply(result, code: 201)
        },
        ConsoleCommand(
            "CHAIR SKIP", usage: "CHAIR SKIP <year> reason=… [mechanism=…]",
            summary: "Ask that a year's chair give up its turn (its consent).", keys: ["reason", "mechanism"]
        ) { call in
            let year = try call.arguments.year(0, "year")
            let result = try await call.service.requestSkip(
                by: call.principal, mechanism: call.arguments.optional("mechanism"), year: year,
                reason: try call.arguments.required("reason"))
            return exceptionReply(result, code: 201)
        },
        ConsoleCommand(
            "CHAIR CONSENT", usage: "CHAIR CONSENT <exception-id>",
            summary: "Consent, for your member, to a swap or skip."
        ) { call in
            exceptionReply(
                try await call.service.consent(
                    by: call.principal, exception: try call.arguments.int(0, "exception id")), code: 200)
        },
        ConsoleCommand(
            "CHAIR WITHDRAW", usage: "CHAIR WITHDRAW <exception-id> reason=…",
            summary: "Withdraw a pending swap or skip, or decline it (a member it concerns, operators).",
            keys: ["reason"]
        ) { call in
            exceptionReply(
                try await call.service.withdrawException(
                    by: call.principal, exception: try call.arguments.int(0, "exception id"),
                    reason: try call.arguments.required("reason")), code: 200)
        },
        ConsoleCommand(
            "CHAIR ACTING", usage: "CHAIR ACTING [member] from=DATE to=DATE reason=… [mechanism=…]",
            summary: "Designate an acting chair (the chair; default: the next member). to= is the last day.",
            keys: ["from", "to", "reason", "mechanism"]
        ) { call in
            let last = try call.arguments.date("to")
            let id = try await call.service.designateActingChair(
                by: call.principal, mechanism: call.arguments.optional("mechanism"),
                member: call.arguments.optionalWord(0)?.uppercased(),
                from: try call.arguments.date("from"), until: last.adding(days: 1),
                reason: try call.arguments.required("reason"))
            return .ok("acting chair designated (id \(id))", data: .object([("id", .int(id))]), code: 201)
        },
        ConsoleCommand(
            "CHAIR REVOKE", usage: "CHAIR REVOKE <acting id> reason=…",
            summary: "End an acting period early: revoked if not begun, else it ends today (the term's chair, operators).",
            keys: ["reason"]
        ) { call in
            let id = try call.arguments.int(0, "acting id")
            try await call.service.endActingChair(
                by: call.principal, id: id, reason: try call.arguments.required("reason"))
            return .ok("acting period \(id) ended", data: .object([("id", .int(id))]))
        },
        ConsoleCommand(
            "USER ADD", usage: "USER ADD <name> role=clerk|auditor|operator [member=…] [mechanism=…] [display=…]",
            summary: "Create a principal; prints its secret once (operators).",
            keys: ["role", "member", "mechanism", "display"]
        ) { call in
            let created = try await call.service.addPrincipal(
                by: call.principal, name: try call.arguments.word(0, "name"),
                displayName: call.arguments.optional("display") ?? "",
                role: try call.arguments.enumValue("role", Role.self), mechanism: call.arguments.optional("mechanism"),
                member: call.arguments.optional("member")?.uppercased())
            let name = try call.arguments.word(0, "name")
            return .ok(
                "created principal \(name) (id \(created.id))",
                lines: ["secret \(created.secret)", "the secret is shown once; store it now"]
                    + (created.awaitingConfirmation
                        ? ["awaiting confirmation: a clerk of its member must run USER CONFIRM \(name)"] : []),
                data: .object([
                    ("id", .int(created.id)), ("secret", .string(created.secret)),
                    ("awaiting_confirmation", .bool(created.awaitingConfirmation)),
                ]), code: 201)
        },
        ConsoleCommand(
            "USER CONFIRM", usage: "USER CONFIRM <name>",
            summary: "Confirm a new clerk of your own member (clerks of that member; never its creator)."
        ) { call in
            try await call.service.confirmPrincipal(by: call.principal, name: try call.arguments.word(0, "name"))
            return .ok("confirmed")
        },
        ConsoleCommand("USER DISABLE", usage: "USER DISABLE <name>", summary: "Disable a principal (operators).") {
            call in
            try await call.service.disablePrincipal(by: call.principal, name: try call.arguments.word(0, "name"))
            return .ok("disabled")
        },
        ConsoleCommand("USER LIST", usage: "USER LIST", summary: "List principals and their roles (operators).") {
            call in
            let principals = try await call.service.listPrincipals(by: call.principal)
            return .ok(
                "\(principals.count) principals",
                lines: principals.map { p in
                    "\(p.name) "
                        + p.grants.map { $0.role.rawValue + ($0.member.map { ":\($0)" } ?? "") }.joined(separator: ",")
                        + (p.disabled ? " disabled" : "") + (p.awaitingConfirmation ? " awaiting-confirmation" : "")
                },
                data: .array(
                    principals.map { p in
                        .object([
                            ("name", .string(p.name)), ("disabled", .bool(p.disabled)),
                            ("awaiting_confirmation", .bool(p.awaitingConfirmation)),
                            (
                                "roles",
                                .array(
                                    p.grants.map {
                                        .object([("role", .string($0.role.rawValue)), ("member", .optional($0.member))])
                                    })
                            ),
                        ])
                    }))
        },
    ]

    static func exceptionReply(_ e: RotationException, code: Int) -> ConsoleReply {
        .ok(
            "rotation exception \(e.id) (\(e.kind) \(e.years.map(String.init).joined(separator: "/"))) is \(e.state)"
                + (e.missing.isEmpty ? "" : "; waiting for the consent of \(e.missing.joined(separator: ", "))"),
            data: .object([
                ("id", .int(e.id)), ("kind", .string(e.kind)), ("state", .string(e.state)),
                ("years", .array(e.years.map(JSONValue.int))), ("reason", .string(e.reason)),
                ("consented", .array(e.consented.map(JSONValue.string))),
                ("missing", .array(e.missing.map(JSONValue.string))),
            ]),
            code: code)
    }
}
