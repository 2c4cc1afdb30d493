import Foundation
import Logging
import LunzhiAudit
import LunzhiConsole
import LunzhiCore
import LunzhiTestSupport
import NIOCore
import PostgresLibPQ
import Testing

@Suite struct CommandTests {
    func expectReply(_ client: ConsoleClient, _ line: String, _ code: Int, _ name: String? = nil) async throws
        -> ConsoleClientReply
    {
        let reply = try await client.request(line)
        #expect(reply.code == code, "\(line) → \(reply.raw)")
        if let name { #expect(reply.lines.first?.hasPrefix(name) == true, "\(line) → \(reply.raw)") }
        return reply
    }

    func id(_ reply: ConsoleClientReply) -> Int { Int(reply.lines[0].split(separator: " ")[1])! }

    @Test func itemCommands() async throws {
        try await ConsoleHarness.with { h in
            try await h.client(as: "c-qh") { qh in
                try await h.client(as: "c-gs") { gs in
                    let a = id(try await expectReply(qh, "ITEM FILE category=direction track=regular title=一", 201))
                    _ = try await expectReply(
                        qh, #"ITEM REVISE \#(a) category=priorities track=special title=二 justification="特殊理由""#, 200)
                    _ = try await expectReply(
                        qh, "ITEM REVISE \(a) category=priorities track=special title=二", 422, "JUSTIFICATION_REQUIRED")
                    _ = try await expectReply(qh, "ITEM SUBMIT \(a)", 200)
                    _ = try await expectReply(gs, "ITEM RETURN \(a)", 400, "BAD_ARGUMENT missing reason=")
                    _ = try await expectReply(gs, "ITEM RETURN \(a) reason=补充材料", 200)
                    _ = try await expectReply(gs, "ITEM WITHDRAW \(a)", 403, "NOT_OWN_MEMBER")
                    _ = try await expectReply(qh, "ITEM WITHDRAW \(a) reason=不再需要", 200)
                    _ = try await expectReply(qh, "ITEM SUBMIT \(a)", 409, "WRONG_STATE")
                    let list = try await expectReply(gs, "ITEM LIST state=withdrawn member=qh year=2026", 200)
                    #expect(list.lines.count == 2 && list.lines[1].contains("title=二"))
                    _ = try await expectReply(gs, "ITEM SHOW abc", 400, "BAD_ARGUMENT")
                    _ = try await expectReply(
                        qh, "ITEM FILE category=nonsense track=regular title=x", 400, "BAD_ARGUMENT category=")
                    _ = try await expectReply(
                        qh, "ITEM FILE category=other track=regular title=\(String(repeating: "长", count: 201))", 422,
                        "TEXT_TOO_LONG")
                }
            }
        }
    }

    @Test func consultationCommands() async throws {
        try await ConsoleHarness.with { h in
            try await h.client(as: "c-gs") { gs in
                let item = id(try await expectReply(gs, "ITEM FILE category=policy track=regular title=议题", 201))
                _ = try await expectReply(gs, "ITEM SUBMIT \(item)", 200)
                _ = try await expectReply(gs, "ITEM ACCEPT \(item)", 200)
                _ = try await expectReply(
                    gs, "CONSULT CONVENE kind=meeting deadline=2026-03-10", 422, "INVALID_ARGUMENT")
                _ = try await expectReply(
                    gs,
                    "CONSULT CONVENE kind=written deadline=2026-03-10 respond_by=2026-03-20 rule=silence at=tomorrow",
                    400, "BAD_ARGUMENT at=")
                let written = id(
                    try await expectReply(
                        gs, "CONSULT CONVENE kind=written deadline=2026-03-10 respond_by=2026-03-20 rule=silence", 201))
                _ = try await expectReply(gs, "CONSULT TABLE \(written) \(item)", 200)
                _ = try await expectReply(gs, "CONSULT POSITION \(written) \(item) agree", 409, "WRONG_STATE")
                _ = try await expectReply(gs, "CONSULT OPEN \(written)", 200)
                _ = try await expectReply(gs, "CONSULT POSITION \(written) \(item) reserve", 422, "INVALID_ARGUMENT")
                _ = try await expectReply(gs, "CONSULT POSITION \(written) \(item) maybe", 400, "BAD_ARGUMENT")
                _ = try await expectReply(gs, "CONSULT DECIDE \(written) \(item)", 409, "QUORUM_NOT_MET")
                _ = try await expectReply(gs, "CONSULT DEFER \(written) \(item) reason=下次", 200)
                _ = try await expectReply(gs, #"CONSULT CLOSE \#(written) minutes="推迟""#, 200)
                let other = id(
                    try await expectReply(
                        gs, "CONSULT CONVENE kind=extraordinary at=2026-03-05T10:00 deadline=2026-03-04", 201))
                _ = try await expectReply(gs, "CONSULT CANCEL \(other) reason=改期", 200)
                _ = try await expectReply(gs, "CONSULT CANCEL \(other) reason=again", 409, "WRONG_STATE")
                let list = try await expectReply(gs, "CONSULT LIST", 200)
                #expect(list.lines.count == 3)
                #expect(try await expectReply(gs, "CONSULT LIST state=cancelled", 200).lines.count == 2)
            }
            try await h.client(as: "c-sn") { sn in
                _ = try await expectReply(
                    sn, "CONSULT CONVENE kind=meeting at=2026-04-01T09:00 deadline=2026-03-20", 403, "NOT_CHAIR")
                _ = try await expectReply(sn, "CONSULT SHOW 999", 404, "NOT_FOUND")
            }
        }
    }

    @Test func approvalProjectAndChairCommands() async throws {
        try await ConsoleHarness.with { h in
            try await h.client(as: "c-nx") { nx in
                try await h.client(as: "c-gs") { gs in
                    let project = id(
                        try await expectReply(
                            nx,
                            "PROJECT ADD name=宁东煤化工 amount=80亿 industry=energy_materials sub=传统煤化工 source=east_central",
                            201))
                    _ = try await expectReply(
                        nx, "PROJECT ADD name=x amount=lots industry=other source=west", 400, "BAD_ARGUMENT amount=")
                    _ = try await expectReply(nx, "PROJECT STAGE \(project) started", 200)
                    _ = try await expectReply(gs, "PROJECT STAGE \(project) completed", 403, "NOT_OWN_MEMBER")
                    #expect(
                        try await expectReply(nx, "PROJECT SHOW \(project)", 200).lines.contains {
                            $0.hasPrefix("stage started since")
                        })
                    #expect(try await expectReply(nx, "PROJECT LIST", 200).lines.count == 2)
                    _ = try await expectReply(
                        nx, "APPROVAL REQUEST project=\(project) track=urgent ask=用水指标", 422, "SCREENED_INDUSTRY")
                    let approval = id(
                        try await expectReply(
                            nx,
                            #"APPROVAL REQUEST project=\#(project) track=special ask=用水指标 justification="国家示范" parties=QH"#,
                            201))
                    _ = try await expectReply(gs, "APPROVAL DENY \(approval)", 400, "BAD_ARGUMENT missing reason=")
                    _ = try await expectReply(gs, "APPROVAL DENY \(approval) reason=水资源不足", 200)
                    let shown = try await expectReply(nx, "APPROVAL SHOW \(approval)", 200)
                    #expect(shown.lines.contains("party GS: deny — 水资源不足"))
                    #expect(shown.lines[1].contains("screening=screened:traditional_coal_chemicals"))
                    _ = try await expectReply(nx, "APPROVAL GRANT \(approval)", 409, "WRONG_STATE")
                    #expect(try await expectReply(nx, "APPROVAL LIST state=denied", 200).lines.count == 2)
                    _ = try await expectReply(nx, "REPORT PROJECTS by=colour", 400, "BAD_ARGUMENT by=")
                    // Chair exceptions: NX asks to swap 2027 (QH) and 2028 (NX); QH consents.
                    let swap = try await expectReply(nx, "CHAIR SWAP 2027 2028 reason=筹备不及", 201)
                    let exception = Int(swap.lines[0].split(separator: " ")[2])!
                    _ = try await expectReply(gs, "CHAIR CONSENT \(exception)", 403, "NOT_OWN_MEMBER")
                    try await h.client(as: "c-qh") { (qh: ConsoleClient) async throws in
                        #expect(
                            try await expectReply(qh, "CHAIR CONSENT \(exception)", 200).lines[0].contains("applied"))
                    }
                    #expect(try await expectReply(nx, "CHAIR 2027-06-01", 200).lines[0].hasPrefix("NX chairs"))
                    _ = try await expectReply(nx, "CHAIR SKIP 2026 reason=x", 403, "NOT_OWN_MEMBER")
                    _ = try await expectReply(gs, "CHAIR SKIP 2026 reason=x", 409, "NOT_FUTURE")
                    _ = try await expectReply(gs, "CHAIR ACTING from=2026-04-01 to=2026-04-30 reason=出访", 201)
                    #expect(try await expectReply(gs, "CHAIR 2026-04-30", 200).lines[0].contains("acting for GS"))
                    #expect(
                        try await expectReply(gs, "MEMBERS 2018-01-01", 200).lines.contains {
                            $0.contains("甘肃省工业和信息化委员会")
                        })
                    #expect(
                        try await expectReply(gs, "STATUS", 200).lines.contains { $0.hasPrefix("database round trip") })
                }
            }
        }
    }

    @Test func userCommands() async throws {
        try await ConsoleHarness.with { h in
            let secret = try await h.client(as: "op") { op in
                let created = try await expectReply(op, "USER ADD xj-office role=clerk member=XJ display=新疆办公室", 201)
                _ = try await expectReply(op, "USER ADD xj-office role=clerk member=XJ", 409, "ALREADY_EXISTS")
                _ = try await expectReply(op, "USER ADD bad role=king", 400, "BAD_ARGUMENT role=")
                #expect(
                    try await expectReply(op, "USER LIST", 200).lines.contains { $0.hasPrefix("xj-office clerk:XJ") })
                return String(created.lines[1].dropFirst("secret ".count))
            }
            try await h.client { client in
                // XJ has clerks already: the new one waits for one of them to confirm it.
                _ = try await expectReply(client, "AUTH xj-office \(secret)", 401, "AUTH_FAILED")
            }
            try await h.client(as: "c-gs") { gs in
                _ = try await expectReply(gs, "USER CONFIRM xj-office", 403, "NOT_OWN_MEMBER")
            }
            try await h.client(as: "c-xj") { xj in _ = try await expectReply(xj, "USER CONFIRM xj-office", 200) }
            try await h.client { client in
                _ = try await expectReply(client, "AUTH xj-office \(secret)", 200)
                _ = try await expectReply(client, "USER LIST", 403, "FORBIDDEN")
            }
            try await h.client(as: "op") { op in _ = try await expectReply(op, "USER DISABLE xj-office", 200) }
            try await h.client { client in
                _ = try await expectReply(client, "AUTH xj-office \(secret)", 401, "AUTH_FAILED")
            }
        }
    }

    @Test func auditCommands() async throws {
        let signer = try SignedNote.Signer(encoded: try SignedNote.Signer.generate(name: "console-test").signer)
        try await ConsoleHarness.with(auditKey: signer.verifier) { h in
            let f = h.fixture
            try await h.client(as: "c-sn") { sn in
                let item = id(try await expectReply(sn, "ITEM FILE category=direction track=regular title=一", 201))
                _ = try await expectReply(sn, "ITEM SUBMIT \(item)", 200)
                _ = try await expectReply(sn, "AUDIT LOG", 403, "FORBIDDEN")
                _ = try await expectReply(sn, "AUDIT VERIFY", 403, "FORBIDDEN")
            }
            // A checkpoint in the database's copies, which AUDIT VERIFY reads without a log file.
            let log = CheckpointLog(path: NSTemporaryDirectory() + "lunzhi-console-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(atPath: log.path) }
            _ = try await AuditCheckpointer(pool: f.pool, signer: signer, log: log).checkpoint(now: f.clock.now())
            try await h.client(as: "aud") { aud in
                let verify = try await expectReply(aud, "AUDIT VERIFY", 200)
                #expect(
                    verify.lines[0].hasPrefix("ok: 1 event recomputed") && verify.lines[1] == "1 checkpoint checked")
                let full = try await expectReply(aud, "AUDIT VERIFY full", 200)
                #expect(full.lines[0].contains("events recomputed (seq 1…"))
                _ = try await expectReply(aud, "AUDIT VERIFY from=0", 400, "BAD_ARGUMENT")
                let log = try await expectReply(aud, "AUDIT LOG member=sn action=item limit=1", 200)
                #expect(log.lines[0].hasPrefix("1 event; more with after=") && log.lines[1].contains("item.file"))
                let asof = try await expectReply(aud, "AUDIT ASOF now", 200)
                #expect(asof.lines.contains("chair NW5: GS") && asof.lines.contains("live tables agree"))
                #expect(asof.lines.contains { $0.hasSuffix(" submitted") })
                _ = try await expectReply(aud, "AUDIT ASOF yesterday", 400, "BAD_ARGUMENT")
                let decisions = try await expectReply(aud, "AUDIT DECISIONS year=2026", 200)
                #expect(decisions.lines[0] == "0 decisions, 0 approvals")
                // Rewrite history behind the service's back: the console says where.
                try await PostgresConnection.with(f.database.configuration) { c in
                    try await c.query("ALTER TABLE audit_event DISABLE TRIGGER USER")
                    try await c.query("UPDATE audit_event SET principal_name = 'mallory' WHERE seq = 3")
                    for trigger in ["audit_event_seal", "audit_event_no_update", "audit_event_no_truncate"] {
                        try await c.query("ALTER TABLE audit_event ENABLE ALWAYS TRIGGER \(trigger)")
                    }
                }
                let broken = try await expectReply(aud, "AUDIT VERIFY full", 409, "AUDIT_BROKEN")
                #expect(broken.lines[0].contains("seq 3:"))
                let reads = try await expectReply(aud, "AUDIT LOG action=audit.read", 200)
                #expect(reads.lines.count >= 7)
            }
        }
    }

    @Test func aDownDatabaseAnswers503AndNothingElse() async throws {
        let pool = PostgresPool(
            configuration: PostgresConfiguration(
                connectionString: "host=127.0.0.1 port=\(try LoopbackPort.free()) connect_timeout=2"))
        let environment = ConsoleEnvironment(service: Cooperation(pool: pool), version: "test")
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = ConsoleServer(configuration: .init(port: 0), environment: environment, logger: logger) {
            continuation.yield($0.port ?? 0)
            continuation.finish()
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next()!
            try await ConsoleClient.with(host: "127.0.0.1", port: port, connectTimeout: .seconds(60)) { (client: ConsoleClient) async throws in
                let reply = try await client.request("AUTH someone secret")
                #expect(
                    reply.raw == [
                        "503 DATABASE_UNAVAILABLE the database is unavailable; nothing was changed, try again"
                    ])
                #expect(try await client.request("PING").code == 200)
            }
            group.cancelAll()
        }
        await pool.close()
    }
}

@Suite struct ReminderCommandTests {
    @Test func remindersListAndItsRefusals() async throws {
        try await ConsoleHarness.with { h in
            try await h.client(as: "op") { (op: ConsoleClient) async throws in
                #expect(
                    try await op.request("REMINDERS state=bogus").raw.first?.hasPrefix("400 BAD_ARGUMENT state=")
                        == true)
                #expect(try await op.request("REMINDERS state=pending").code == 200)
                #expect(try await op.request("REMINDER RETRY 424242").code == 404)
                let added = try await op.request("MEMBER CONTACT ADD member=GS channel=file address=gs.jsonl")
                #expect(added.code == 201)
                #expect(
                    try await op.request("MEMBER CONTACT LIST member=GS").lines.contains {
                        $0.hasSuffix("GS file gs.jsonl")
                    })
                // A path is never a file contact, not even an operator's.
                for path in ["/var/lib/lunzhi/checkpoints.log", "../checkpoints.log", "a/b", ".hidden"] {
                    let refused = try await op.request("MEMBER CONTACT ADD member=GS channel=file address=\"\(path)\"")
                    #expect(refused.raw.first?.hasPrefix("422 INVALID_ARGUMENT a file contact is a file name") == true)
                }
                #expect(try await op.request("MEMBER CONTACT ADD member=GS channel=pigeon address=x").code == 422)
            }
            try await h.client(as: "c-sn") { (sn: ConsoleClient) async throws in
                #expect(try await sn.request("REMINDERS").raw.first?.hasPrefix("403 FORBIDDEN") == true)
                // A clerk never names a file on the server, not even for its own member.
                #expect(
                    try await sn.request("MEMBER CONTACT ADD member=GS channel=file address=x").raw.first?
                        .hasPrefix("403 FORBIDDEN") == true)
                #expect(
                    try await sn.request("MEMBER CONTACT ADD channel=file address=/var/lib/lunzhi/checkpoints.log")
                        .raw.first?.hasPrefix("422") == true)
                #expect(
                    try await sn.request("MEMBER CONTACT ADD channel=file address=sn.jsonl").raw.first?
                        .hasPrefix("403 FORBIDDEN") == true)
            }
        }
    }
}
