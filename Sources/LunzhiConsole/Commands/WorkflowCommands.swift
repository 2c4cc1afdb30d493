import Foundation
import LunzhiCore

/// ITEM …, CONSULT …, APPROVAL …, PROJECT …, REPORT.
enum WorkflowCommands {
    static let itemKeys: Set<String> = ["category", "track", "title", "body", "project", "justification", "mechanism"]

    static func draft(_ a: Arguments) throws -> ItemDraft {
        ItemDraft(
            category: try a.enumValue("category", ItemCategory.self), track: try a.enumValue("track", Track.self),
            title: try a.required("title"), body: a.optional("body") ?? "", justification: a.optional("justification"),
            projectID: try a.optionalID("project"))
    }

    static func itemReply(_ item: AgendaItem, _ verb: String, code: Int = 200) -> ConsoleReply {
        .ok("item \(item.id) \(verb); state \(item.state.rawValue)", data: Formatting.item(item).json, code: code)
    }

    static func consultationReply(_ c: Consultation, _ verb: String, code: Int = 200) -> ConsoleReply {
        let formatted = Formatting.consultation(c)
        return .ok(
            verb.isEmpty ? "consultation \(c.id)" : "consultation \(c.id) \(verb)", lines: formatted.lines,
            data: formatted.json, code: code)
    }

    static func approvalReply(_ a: Approval, _ verb: String, code: Int = 200) -> ConsoleReply {
        let formatted = Formatting.approval(a)
        return .ok(
            "approval \(a.id) \(verb); state \(a.overdue ? "overdue" : a.state.rawValue)", lines: formatted.lines,
            data: formatted.json, code: code)
    }

    static let items: [ConsoleCommand] = [
        ConsoleCommand(
            "ITEM FILE",
            usage: "ITEM FILE category=… track=regular|urgent|special title=… [body=…] [project=…] [justification=…]",
            summary: "File a draft agenda item for your member.", keys: itemKeys
        ) { call in
            let item = try await call.service.fileItem(
                by: call.principal, mechanism: call.arguments.optional("mechanism"), try draft(call.arguments))
            return itemReply(item, "filed", code: 201)
        },
        ConsoleCommand(
            "ITEM SUBMIT", usage: "ITEM SUBMIT <id>", summary: "Submit a draft or returned item to the chair."
        ) { call in
            itemReply(
                try await call.service.submitItem(by: call.principal, id: try call.arguments.int(0, "item id")),
                "submitted")
        },
        ConsoleCommand(
            "ITEM WITHDRAW", usage: "ITEM WITHDRAW <id> [reason=…]", summary: "Withdraw an item before it is tabled.",
            keys: ["reason"]
        ) { call in
            itemReply(
                try await call.service.withdrawItem(
                    by: call.principal, id: try call.arguments.int(0, "item id"),
                    reason: call.arguments.optional("reason")), "withdrawn")
        },
        ConsoleCommand("ITEM ACCEPT", usage: "ITEM ACCEPT <id>", summary: "Accept a submitted item (the chair).") {
            call in
            itemReply(
                try await call.service.acceptItem(by: call.principal, id: try call.arguments.int(0, "item id")),
                "accepted")
        },
        ConsoleCommand(
            "ITEM RETURN", usage: "ITEM RETURN <id> reason=…",
            summary: "Return a submitted item to its filer (the chair).", keys: ["reason"]
        ) { call in
            itemReply(
                try await call.service.returnItem(
                    by: call.principal, id: try call.arguments.int(0, "item id"),
                    reason: try call.arguments.required("reason")), "returned")
        },
        ConsoleCommand(
            "ITEM REVISE", usage: "ITEM REVISE <id> category=… track=… title=… [body=…] [project=…] [justification=…]",
            summary: "Revise a draft or returned item.", keys: itemKeys
        ) { call in
            itemReply(
                try await call.service.reviseItem(
                    by: call.principal, id: try call.arguments.int(0, "item id"), try draft(call.arguments)), "revised")
        },
        ConsoleCommand("ITEM SHOW", usage: "ITEM SHOW <id>", summary: "Show one item.") { call in
            let item = try await call.service.item(by: call.principal, id: try call.arguments.int(0, "item id"))
            return .ok("item \(item.id)", lines: Formatting.itemDetail(item), data: Formatting.item(item).json)
        },
        ConsoleCommand(
            "ITEM LIST", usage: "ITEM LIST [state=…] [member=…] [year=…] [mechanism=…]", summary: "List items.",
            keys: ["state", "member", "year", "mechanism", "limit"]
        ) { call in
            let filter = ItemFilter(
                state: try call.arguments.optionalEnum("state", ItemState.self),
                member: call.arguments.optional("member")?.uppercased(),
                year: try call.arguments.optionalYear("year"), limit: try call.arguments.limit(default: 100))
            let items = try await call.service.items(
                by: call.principal, mechanism: call.arguments.optional("mechanism"), filter)
            return .ok(
                "\(items.count) items", lines: items.map { Formatting.item($0).line },
                data: .array(items.map { Formatting.item($0).json }))
        },
    ]

    static let consultations: [ConsoleCommand] = [
        ConsoleCommand(
            "CONSULT CONVENE",
            usage:
                "CONSULT CONVENE kind=meeting|extraordinary|written [at=…] [place=…] deadline=… [respond_by=…] [rule=consent|silence]",
            summary: "Convene a consultation (the chair).",
            keys: ["kind", "at", "place", "deadline", "respond_by", "rule", "mechanism"]
        ) { call in
            let a = call.arguments
            let plan = ConsultationPlan(
                kind: try a.enumValue("kind", ConsultationKind.self), at: try a.optionalTime("at"),
                place: a.optional("place"),
                agendaDeadline: try a.time("deadline"), responseDeadline: try a.optionalTime("respond_by"),
                rule: try a.optionalEnum("rule", ConsultationRule.self))
            return consultationReply(
                try await call.service.convene(by: call.principal, mechanism: a.optional("mechanism"), plan),
                "convened", code: 201)
        },
        ConsoleCommand(
            "CONSULT TABLE", usage: "CONSULT TABLE <id> <item>…", summary: "Table accepted items in order (the chair)."
        ) { call in
            let id = try call.arguments.int(0, "consultation id")
            let items = try call.arguments.words.indices.dropFirst().map { try call.arguments.int($0, "item id") }
            guard !items.isEmpty else { throw ConsoleArgumentError("name at least one item") }
            return consultationReply(
                try await call.service.table(by: call.principal, consultation: id, items: items),
                "tabled \(items.count) items")
        },
        ConsoleCommand("CONSULT OPEN", usage: "CONSULT OPEN <id>", summary: "Open a planned consultation (the chair).")
        { call in
            consultationReply(
                try await call.service.openConsultation(
                    by: call.principal, id: try call.arguments.int(0, "consultation id")), "opened")
        },
        ConsoleCommand(
            "CONSULT POSITION", usage: "CONSULT POSITION <id> <item> agree|object|abstain|reserve [note=…]",
            summary: "Record your member's position.", keys: ["note"]
        ) { call in
            let stance = try Arguments.parseEnum(try call.arguments.word(2, "position"), key: "position", Stance.self)
            let c = try await call.service.recordPosition(
                by: call.principal, consultation: try call.arguments.int(0, "consultation id"),
                item: try call.arguments.int(1, "item id"),
                stance: stance, note: call.arguments.optional("note"))
            return consultationReply(c, "position recorded")
        },
        ConsoleCommand(
            "CONSULT DECIDE", usage: "CONSULT DECIDE <id> <item>",
            summary: "Decide an item from the positions (the chair)."
        ) { call in
            let d = try await call.service.decide(
                by: call.principal, consultation: try call.arguments.int(0, "consultation id"),
                item: try call.arguments.int(1, "item id"))
            return .ok(
                "item \(d.itemID) \(d.outcome.rawValue)" + (d.number.map { " as decision \($0)" } ?? "")
                    + (d.bySilence ? " (silence procedure)" : ""),
                data: .object([
                    ("item", .int(d.itemID)), ("outcome", .string(d.outcome.rawValue)),
                    ("decision", .optional(d.number)), ("by_silence", .bool(d.bySilence)),
                ]))
        },
        ConsoleCommand(
            "CONSULT DEFER", usage: "CONSULT DEFER <id> <item> [reason=…]",
            summary: "Defer a tabled item back to accepted (the chair).", keys: ["reason"]
        ) { call in
            let d = try await call.service.deferItem(
                by: call.principal, consultation: try call.arguments.int(0, "consultation id"),
                item: try call.arguments.int(1, "item id"),
                reason: call.arguments.optional("reason"))
            return .ok(
                "item \(d.itemID) deferred",
                data: .object([("item", .int(d.itemID)), ("outcome", .string("deferred"))]))
        },
        ConsoleCommand(
            "CONSULT CLOSE", usage: "CONSULT CLOSE <id> minutes=…", summary: "Close with the minutes (the chair).",
            keys: ["minutes"]
        ) { call in
            consultationReply(
                try await call.service.closeConsultation(
                    by: call.principal, id: try call.arguments.int(0, "consultation id"),
                    minutes: try call.arguments.required("minutes")), "closed")
        },
        ConsoleCommand(
            "CONSULT CANCEL", usage: "CONSULT CANCEL <id> reason=…",
            summary: "Cancel (the chair); undecided items go back to accepted.", keys: ["reason"]
        ) { call in
            consultationReply(
                try await call.service.cancelConsultation(
                    by: call.principal, id: try call.arguments.int(0, "consultation id"),
                    reason: try call.arguments.required("reason")), "cancelled")
        },
        ConsoleCommand("CONSULT SHOW", usage: "CONSULT SHOW <id>", summary: "Agenda, positions per member, outcomes.") {
            call in
            consultationReply(
                try await call.service.consultation(
                    by: call.principal, id: try call.arguments.int(0, "consultation id")), "")
        },
        ConsoleCommand(
            "CONSULT LIST", usage: "CONSULT LIST [state=…] [mechanism=…]", summary: "List consultations, newest first.",
            keys: ["state", "mechanism"]
        ) { call in
            let list = try await call.service.consultations(
                by: call.principal, mechanism: call.arguments.optional("mechanism"),
                state: try call.arguments.optionalEnum("state", ConsultationState.self))
            return .ok(
                "\(list.count) consultations",
                lines: list.map {
                    "\($0.id) "
                        + Formatting.pairs([
                            ("kind", $0.kind.rawValue), ("state", $0.state.rawValue), ("chair", $0.chairMember),
                            ("items", String($0.agenda.count)),
                        ])
                },
                data: .array(list.map { Formatting.consultation($0).json }))
        },
    ]

    static let approvals: [ConsoleCommand] = [
        ConsoleCommand(
            "APPROVAL REQUEST", usage: "APPROVAL REQUEST project=… track=… ask=… [parties=GS,SN] [justification=…]",
            summary: "Request case-by-case support for a project.",
            keys: ["project", "track", "ask", "parties", "justification", "mechanism"]
        ) { call in
            let a = call.arguments
            guard let project = try a.optionalID("project") else { throw ConsoleArgumentError("missing project=") }
            let request = ApprovalRequest(
                projectID: project, track: try a.enumValue("track", Track.self), ask: try a.required("ask"),
                justification: a.optional("justification"), parties: a.list("parties"))
            return approvalReply(
                try await call.service.requestApproval(by: call.principal, mechanism: a.optional("mechanism"), request),
                "requested", code: 201)
        },
        ConsoleCommand(
            "APPROVAL GRANT", usage: "APPROVAL GRANT <id> [note=…]", summary: "Grant, for your member.", keys: ["note"]
        ) { call in
            approvalReply(
                try await call.service.grant(
                    by: call.principal, approval: try call.arguments.int(0, "approval id"),
                    note: call.arguments.optional("note")), "granted")
        },
        ConsoleCommand(
            "APPROVAL DENY", usage: "APPROVAL DENY <id> reason=…", summary: "Deny, for your member.", keys: ["reason"]
        ) { call in
            approvalReply(
                try await call.service.deny(
                    by: call.principal, approval: try call.arguments.int(0, "approval id"),
                    reason: try call.arguments.required("reason")), "denied")
        },
        ConsoleCommand(
            "APPROVAL SHOW", usage: "APPROVAL SHOW <id>", summary: "Show one request with each party's answer."
        ) { call in
            approvalReply(
                try await call.service.approval(by: call.principal, id: try call.arguments.int(0, "approval id")), "")
        },
        ConsoleCommand(
            "APPROVAL LIST", usage: "APPROVAL LIST [state=pending|approved|denied|overdue] [mechanism=…]",
            summary: "List requests.", keys: ["state", "mechanism"]
        ) { call in
            let list = try await call.service.approvals(
                by: call.principal, mechanism: call.arguments.optional("mechanism"),
                filter: try call.arguments.optionalEnum("state", ApprovalFilter.self))
            return .ok(
                "\(list.count) approvals",
                lines: list.map {
                    "\($0.id) "
                        + Formatting.pairs([
                            ("state", $0.overdue ? "overdue" : $0.state.rawValue), ("track", $0.track.rawValue),
                            ("project", String($0.projectID)), ("due", Formatting.time($0.dueAt)),
                        ])
                },
                data: .array(list.map { Formatting.approval($0).json }))
        },
    ]

    static let projects: [ConsoleCommand] = [
        ConsoleCommand(
            "PROJECT ADD",
            usage: "PROJECT ADD name=… amount=… industry=… source=… [sub=…] [enterprises=A;B] [place=…] [stage=…]",
            summary: "Register a project hosted by your member (amount in CNY; 亿/万 accepted).",
            keys: ["name", "amount", "industry", "source", "sub", "enterprises", "place", "stage", "mechanism"]
        ) { call in
            let a = call.arguments
            let draft = ProjectDraft(
                name: try a.required("name"),
                enterprises: (a.optional("enterprises") ?? "").split(separator: ";").map { String($0) },
                investment: try Arguments.parseMoney(try a.required("amount"), key: "amount"),
                industry: try a.enumValue("industry", Industry.self), subIndustry: a.optional("sub") ?? "",
                source: try a.enumValue("source", SourceRegion.self), place: a.optional("place") ?? "",
                stage: try a.optionalEnum("stage", ProjectStage.self) ?? .planned)
            let project = try await call.service.addProject(
                by: call.principal, mechanism: a.optional("mechanism"), draft)
            return .ok("project \(project.id) added", data: Formatting.project(project).json, code: 201)
        },
        ConsoleCommand(
            "PROJECT STAGE", usage: "PROJECT STAGE <id> planned|started|under_construction|completed",
            summary: "Move a project to a stage (host member)."
        ) { call in
            let stage = try Arguments.parseEnum(try call.arguments.word(1, "stage"), key: "stage", ProjectStage.self)
            let project = try await call.service.setProjectStage(
                by: call.principal, id: try call.arguments.int(0, "project id"), stage: stage)
            return .ok("project \(project.id) is \(project.stage.rawValue)", data: Formatting.project(project).json)
        },
        ConsoleCommand("PROJECT SHOW", usage: "PROJECT SHOW <id>", summary: "Show a project and its stage history.") {
            call in
            let p = try await call.service.project(by: call.principal, id: try call.arguments.int(0, "project id"))
            return .ok(
                "project \(p.id)",
                lines: [Formatting.project(p).line]
                    + p.history.map { "stage \($0.stage.rawValue) since \(Formatting.time($0.at))" },
                data: Formatting.project(p).json)
        },
        ConsoleCommand(
            "PROJECT LIST", usage: "PROJECT LIST [mechanism=…]", summary: "List projects.",
            keys: ["mechanism", "limit"]
        ) { call in
            let list = try await call.service.projects(
                by: call.principal, mechanism: call.arguments.optional("mechanism"),
                limit: try call.arguments.limit(default: 200))
            return .ok(
                "\(list.count) projects", lines: list.map { Formatting.project($0).line },
                data: .array(list.map { Formatting.project($0).json }))
        },
        ConsoleCommand(
            "REPORT PROJECTS", usage: "REPORT PROJECTS by=industry|band|source|host [mechanism=…]",
            summary: "Count and total investment by a dimension.", keys: ["by", "mechanism"]
        ) { call in
            let dimension = try call.arguments.enumValue("by", ReportDimension.self)
            let rows = try await call.service.projectReport(
                by: call.principal, mechanism: call.arguments.optional("mechanism"), by: dimension)
            return .ok(
                "projects by \(dimension.rawValue)",
                lines: rows.map {
                    "\($0.group) count=\($0.count) investment=\(Formatting.money($0.investment)) (\(Formatting.money($0.investment / 100_000_000))亿)"
                },
                data: .array(
                    rows.map {
                        .object([
                            ("group", .string($0.group)), ("count", .int($0.count)),
                            ("investment", .string(Formatting.money($0.investment))),
                        ])
                    }))
        },
    ]
}
