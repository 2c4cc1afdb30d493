import Foundation
import LunzhiAudit
import LunzhiCore
import PostgresLibPQ

/// HISTORY and AUDIT …: the auditors' view of the decision history.
enum AuditCommands {
    static let all: [ConsoleCommand] = [
        ConsoleCommand(
            "HISTORY", usage: "HISTORY item|consultation|approval|project <id>",
            summary: "Every audit event of one object (auditors)."
        ) { call in
            let entity = try call.arguments.word(0, "entity").lowercased()
            let events = try await call.service.history(
                by: call.principal, entity: entity, id: try call.arguments.int(1, "id"))
            return .ok(English.count(events.count, "event"), lines: events.map(eventLine), data: .array(events.map(eventJSON)))
        },
        ConsoleCommand(
            "AUDIT VERIFY", usage: "AUDIT VERIFY [full] [from=<seq>]",
            summary: "Recompute the hash chain and check the signed checkpoints (auditors, operators).",
            keys: ["from"]
        ) { call in
            let full =
                try call.arguments.optionalWord(0).map { word in
                    guard word.lowercased() == "full" else {
                        throw ConsoleArgumentError("AUDIT VERIFY takes full or from=")
                    }
                    return true
                } ?? false
            let from = try call.arguments.optionalID("from")
            let v = try await call.environment.auditDesk.verify(by: call.principal, full: full, from: from)
            let checked =
                call.environment.auditDesk.key == nil
                ? "checkpoints not checked (no audit key configured)" : "\(English.count(v.checkpointsChecked, "checkpoint")) checked"
            let data: JSONValue = .object([
                ("ok", .bool(v.ok)), ("first", .int(v.firstSeq)), ("count", .int(v.count)),
                ("head_seq", .int(v.headSeq)), ("head_hash", .string(Hex.encode(v.headHash))),
                ("checkpoints", .int(v.checkpointsChecked)), ("anchored", .bool(!v.unanchored)),
                ("trusted_through", .int(v.trustedThrough)), ("explanation", .array(v.explanation.map(JSONValue.string))),
                (
                    "failure",
                    v.failure.map { .object([("seq", .int($0.seq)), ("problem", .string($0.problem))]) } ?? .null
                ),
            ])
            if let failure = v.failure {
                var reply = ConsoleReply.error(409, "AUDIT_BROKEN", "the audit log does not verify at \(failure)")
                reply.lines = ["verified before it: \(v.count) events", checked] + v.explanation
                reply.data = data
                return reply
            }
            // A log no signed checkpoint anchors is not called plainly "ok".
            return .ok(
                "\(v.verdict): \(English.count(v.count, "event")) recomputed"
                    + (v.count > 0 ? " (seq \(v.firstSeq)…\(v.headSeq))" : "")
                    + ", head seq \(v.headSeq) \(Hex.encode(v.headHash))",
                lines: [checked] + v.explanation, data: data)
        },
        ConsoleCommand(
            "AUDIT PROVE", usage: "AUDIT PROVE <seq>|decision=<number>",
            summary: "That one event is in the signed log: its leaf, audit path and checkpoint (auditors, operators).",
            keys: ["decision"]
        ) { call in
            let desk = call.environment.auditDesk
            let proof =
                if let number = call.arguments.optional("decision") {
                    try await desk.prove(by: call.principal, decision: number)
                } else {
                    try await desk.prove(by: call.principal, seq: try call.arguments.int(0, "seq"))
                }
            return .ok(
                "event \(proof.seq) is in the log of \(proof.treeSize) events",
                lines: [
                    "leaf \(Hex.encode(proof.leafHash)) (index \(proof.index))",
                    "path (\(proof.path.count) hashes, leaf to root): " + proof.path.map { Hex.encode($0) }.joined(separator: " "),
                    "checkpoint:",
                ] + proof.checkpoint.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                    .filter { !$0.isEmpty },
                data: proof.jsonValue)
        },
        ConsoleCommand(
            "AUDIT CONSISTENCY", usage: "AUDIT CONSISTENCY <old size> <new size>",
            summary: "That the log at the old size is a prefix of the log at the new (auditors, operators)."
        ) { call in
            let proof = try await call.environment.auditDesk.consistency(
                by: call.principal, oldSize: try call.arguments.int(0, "old size"), newSize: try call.arguments.int(1, "new size"))
            return .ok(
                "the log at \(proof.oldSize) events is a prefix of the log at \(proof.newSize)"
                    + (proof.verifies ? "" : " — BUT THE PROOF DOES NOT VERIFY"),
                lines: [
                    "root at \(proof.oldSize): \(Hex.encode(proof.oldRoot))",
                    "root at \(proof.newSize): \(Hex.encode(proof.newRoot))",
                    "path (\(proof.path.count) hashes): " + proof.path.map { Hex.encode($0) }.joined(separator: " "),
                ],
                data: .object([
                    ("old_size", .int(proof.oldSize)), ("new_size", .int(proof.newSize)),
                    ("old_root", .string(Hex.encode(proof.oldRoot))), ("new_root", .string(Hex.encode(proof.newRoot))),
                    ("path", .array(proof.path.map { .string(Hex.encode($0)) })), ("verifies", .bool(proof.verifies)),
                ]))
        },
        ConsoleCommand(
            "AUDIT LOG",
            usage: "AUDIT LOG [actor=…] [member=…] [action=…] [since=…] [until=…] [after=<seq>] [limit=…]",
            summary: "Audit events, oldest first, filtered and paged (auditors).",
            keys: ["actor", "member", "action", "since", "until", "after", "limit"]
        ) { call in
            let a = call.arguments
            let page = try await call.service.auditLog(
                by: call.principal,
                AuditLogFilter(
                    actor: a.optional("actor"), member: a.optional("member")?.uppercased(),
                    action: a.optional("action")?.lowercased(), since: try a.optionalTime("since"),
                    until: try a.optionalTime("until"), after: try a.optionalInt("after", in: 0...Int(Int64.max)) ?? 0,
                    limit: try a.limit(default: 100)))
            return .ok(
                English.count(page.events.count, "event") + (page.next.map { "; more with after=\($0)" } ?? ""),
                lines: page.events.map(eventLine),
                data: .object([
                    ("events", .array(page.events.map(eventJSON))), ("next", page.next.map(JSONValue.int) ?? .null),
                ]))
        },
        ConsoleCommand(
            "AUDIT ASOF", usage: "AUDIT ASOF <time>|now",
            summary: "Who chaired and the state of every item, consultation and approval then, from the events."
        ) { call in
            let word = try call.arguments.word(0, "time")
            let at = word.lowercased() == "now" ? call.service.clock.now() : try Arguments.parseTime(word, key: "time")
            let snapshot = try await call.service.auditAsOf(by: call.principal, at: at)
            var lines = snapshot.chairs.map {
                "chair \($0.mechanism): \($0.member ?? "none")" + ($0.acting ? " (acting)" : "")
            }
            var entities: [(String, JSONValue)] = []
            for entity in ["item", "consultation", "approval"] {
                let states = (snapshot.states[entity] ?? [:]).sorted { $0.key < $1.key }
                lines += states.map { "\(entity) \($0.key) \($0.value)" }
                entities.append(
                    (entity, .object(states.map { (String($0.key), .string($0.value)) })))
            }
            if let mismatches = snapshot.liveMismatches {
                lines.append(
                    mismatches.isEmpty
                        ? "live tables agree" : "live tables DIFFER: " + mismatches.joined(separator: "; "))
            }
            return .ok(
                "state as of \(Formatting.time(at))", lines: lines,
                data: .object(
                    [
                        ("at", .string(Formatting.time(at))),
                        (
                            "chairs",
                            .array(
                                snapshot.chairs.map {
                                    .object([
                                        ("mechanism", .string($0.mechanism)), ("member", .optional($0.member)),
                                        ("acting", .bool($0.acting)),
                                    ])
                                })
                        ),
                    ] + entities + [
                        ("live_mismatches", snapshot.liveMismatches.map { .array($0.map(JSONValue.string)) } ?? .null)
                    ]))
        },
        ConsoleCommand(
            "AUDIT DECISIONS", usage: "AUDIT DECISIONS [year=…]",
            summary: "Every decision with its procedure, track and positions, and every approval's answers.",
            keys: ["year"]
        ) { call in
            let (decisions, approvals) = try await call.service.auditDecisions(
                by: call.principal, year: try call.arguments.optionalYear("year"))
            var lines = decisions.map { d in
                Formatting.pairs([
                    ("decision", d.number ?? "-"), ("item", String(d.item)), ("consultation", String(d.consultation)),
                    ("outcome", d.outcome), ("procedure", d.procedure), ("track", d.track),
                    ("at", Formatting.time(d.decidedAt)),
                    ("positions", d.positions.map { "\($0.member)=\($0.stance)" }.joined(separator: ",")),
                    ("title", d.title), ("justification", d.justification),
                ])
            }
            lines += approvals.map { a in
                Formatting.pairs([
                    ("approval", String(a.id)), ("project", String(a.project)), ("requester", a.requester),
                    ("track", a.track), ("state", a.state), ("due", Formatting.time(a.dueAt)),
                    (
                        "answers",
                        a.parties.map { "\($0.member)=\($0.answer ?? "none")\($0.overdue ? "(overdue)" : "")" }
                            .joined(separator: ",")
                    ),
                    ("justification", a.justification),
                ])
            }
            return .ok(
                "\(decisions.count) decisions, \(approvals.count) approvals", lines: lines,
                data: .object([
                    (
                        "decisions",
                        .array(
                            decisions.map { d in
                                .object([
                                    ("mechanism", .string(d.mechanism)), ("number", .optional(d.number)),
                                    ("consultation", .int(d.consultation)), ("item", .int(d.item)),
                                    ("title", .string(d.title)), ("outcome", .string(d.outcome)),
                                    ("procedure", .string(d.procedure)), ("track", .string(d.track)),
                                    ("justification", .optional(d.justification)),
                                    ("decided_at", .string(Formatting.time(d.decidedAt))),
                                    ("positions", .object(d.positions.map { ($0.member, .string($0.stance)) })),
                                ])
                            })
                    ),
                    (
                        "approvals",
                        .array(
                            approvals.map { a in
                                .object([
                                    ("id", .int(a.id)), ("mechanism", .string(a.mechanism)),
                                    ("project", .int(a.project)),
                                    ("requester", .string(a.requester)), ("track", .string(a.track)),
                                    ("justification", .optional(a.justification)), ("state", .string(a.state)),
                                    ("requested_at", .string(Formatting.time(a.requestedAt))),
                                    ("due_at", .string(Formatting.time(a.dueAt))),
                                    ("decided_at", .optional(a.decidedAt.map { Formatting.time($0) })),
                                    (
                                        "parties",
                                        .array(
                                            a.parties.map {
                                                .object([
                                                    ("member", .string($0.member)), ("answer", .optional($0.answer)),
                                                    (
                                                        "answered_at",
                                                        .optional($0.answeredAt.map { Formatting.time($0) })
                                                    ),
                                                    ("overdue", .bool($0.overdue)),
                                                ])
                                            })
                                    ),
                                ])
                            })
                    ),
                ]))
        },
    ]

    static func eventLine(_ e: AuditEvent) -> String {
        "#\(e.seq) \(Formatting.time(e.at)) \(e.principal)" + (e.member.map { "/\($0)" } ?? "")
            + " \(e.action) \(e.entity) \(e.entityID)" + (e.reason.map { " — \($0)" } ?? "")
    }

    static func eventJSON(_ e: AuditEvent) -> JSONValue { Formatting.represented(e) }

}
