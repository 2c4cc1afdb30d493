import Foundation
import LunzhiConsole
import LunzhiCore
import LunzhiTestSupport
import NIOCore
import PostgresLibPQ
import Testing

@Suite struct ServerTests {
    @Test func greetingFramingTagsAndPipelining() async throws {
        try await ConsoleHarness.with { h in
            try await h.client { client in
                #expect(client.greeting == "220 lunzhi test ready")
                // 1,000 tagged requests in one write: 1,000 replies, in order.
                var batch = ""
                for i in 0..<1000 { batch += i % 2 == 0 ? "@r\(i) PING\r\n" : "@r\(i) ping\n" }
                try await client.sendRaw(Array(batch.utf8))
                for i in 0..<1000 {
                    let reply = try await client.readReply()
                    #expect(reply?.raw == ["200 @r\(i) PONG"])
                }
                let help = try await client.request("HELP")
                #expect(help.code == 200 && help.raw.count > 40)
                #expect(help.raw.dropLast().allSatisfy { $0.hasPrefix("200-") } && help.raw.last!.hasPrefix("200 "))
            }
        }
    }

    /// Requests answered on the event loop (PING, FORMAT, errors) and requests that need the
    /// database (CHAIR, ITEM SHOW), pipelined in one write, are answered in order, each in the
    /// format in force when it was answered; a line over the limit behind them gets its 413 last.
    /// More immediate requests in one read than one turn of the event loop answers
    /// (`linesPerTurn`): the rest are answered on later turns, still in order, with a request
    /// that needs the database among them, and the line over the limit after them all.
    @Test func aLongPipelineIsAnsweredInOrderAcrossTurns() async throws {
        try await ConsoleHarness.with { h in
            try await h.client(as: "c-gs") { client in
                var batch = ""
                for i in 0..<1000 { batch += i == 600 ? "@r\(i) CHAIR\r\n" : "@r\(i) \(i % 2 == 0 ? "PING" : "FROB")\r\n" }
                try await client.sendRaw(
                    Array((batch + "PING " + String(repeating: "x", count: 17 * 1024) + "\r\n").utf8))
                for i in 0..<1000 {
                    let reply = try #require(try await client.readReply())
                    let expected = i == 600 || i % 2 == 0 ? 200 : 400
                    #expect(reply.raw.last?.hasPrefix("\(expected) @r\(i) ") == true, "reply \(i): \(reply.raw)")
                }
                #expect(try await client.readReply()?.code == 413)
            }
        }
    }

    @Test func pipelinedRequestsOfBothKindsAreAnsweredInOrder() async throws {
        try await ConsoleHarness.with { h in
            try await h.client(as: "c-gs") { client in
                var batch = ""
                for i in 0..<200 {
                    switch i % 5 {
                    case 0: batch += "@r\(i) PING\r\n"
                    case 1: batch += "@r\(i) CHAIR\r\n"
                    case 2: batch += "@r\(i) FROB\r\n"
                    case 3: batch += "@r\(i) ITEM SHOW 999999\r\n"
                    default: batch += "@r\(i) FORMAT \(i % 10 == 4 ? "json" : "text")\r\n"
                    }
                }
                try await client.sendRaw(
                    Array((batch + "PING " + String(repeating: "x", count: 17 * 1024) + "\r\n").utf8))
                var json = false
                for i in 0..<200 {
                    let reply = try #require(try await client.readReply())
                    let expected = [200, 200, 400, 404, 200][i % 5]
                    #expect(reply.code == expected, "reply \(i): \(reply.raw)")
                    // FORMAT's own reply is in the format it sets.
                    if i % 5 == 4 { json = i % 10 == 4 }
                    if json {
                        #expect(
                            reply.raw.count == 1 && reply.raw[0].contains(#""tag":"r\#(i)""#),
                            "reply \(i): \(reply.raw)")
                    } else {
                        #expect(reply.raw.last?.hasPrefix("\(expected) @r\(i) ") == true, "reply \(i): \(reply.raw)")
                    }
                }
                #expect(try await client.readReply()?.code == 413)
                #expect(try await client.readLine() == nil)
            }
        }
    }

    /// A script that sends its requests and shuts down its side (`printf … | nc -N`) gets every
    /// reply, including those that needed the database, and then the server closes.
    @Test func aClientThatShutsDownItsSideGetsEveryReply() async throws {
        try await ConsoleHarness.with { h in
            let socket = try RawSocket(port: h.port)
            #expect(await socket.readLine()?.hasPrefix("220 ") == true)
            let requests = "AUTH c-gs \(h.secrets["c-gs"]!)\r\nITEM SHOW 999999\r\nPING\r\nCHAIR\r\nPING"
            #expect(await socket.send(Array(requests.utf8)))
            socket.finishSending()
            #expect(await socket.readLine() == "200 signed in as c-gs")
            #expect(await socket.readLine()?.hasPrefix("404 NOT_FOUND") == true)
            #expect(await socket.readLine() == "200 PONG")
            #expect(await socket.readLine()?.hasPrefix("200 ") == true)
            // The last PING had no line break: not a request. Then the server closes.
            #expect(await socket.readLine() == nil)
        }
    }

    @Test func badInputGetsClearErrorsAndTheConnectionSurvives() async throws {
        try await ConsoleHarness.with { h in
            try await h.client { client in
                try await client.sendRaw([0x50, 0xFF, 0x49, 0x0A])
                #expect(try await client.readReply()?.raw == ["400 BAD_SYNTAX the request is not valid UTF-8"])
                try await client.sendRaw([0x50, 0x00, 0x49, 0x0A])
                #expect(try await client.readReply()?.raw == ["400 BAD_SYNTAX the request contains a NUL byte"])
                #expect(try await client.request("FROB").raw == ["400 UNKNOWN_COMMAND unknown command FROB; try HELP"])
                #expect(try await client.request("ITEM SHOW 1").code == 401)
                #expect(try await client.request(#"PING "open"#).code == 400)
                #expect(try await client.request("").code == 400)
                #expect(try await client.request("PING").code == 200)
            }
            // An oversize line: 413, then the server closes.
            try await h.client { client in
                try await client.send("PING " + String(repeating: "x", count: 17 * 1024))
                #expect(try await client.readReply()?.code == 413)
                #expect(try await client.readLine() == nil)
            }
            // A browser: closed.
            try await h.client { client in
                try await client.send("GET / HTTP/1.1")
                #expect(try await client.readReply()?.code == 400)
                #expect(try await client.readLine() == nil)
            }
        }
    }

    @Test func signInAndWhoami() async throws {
        try await ConsoleHarness.with { h in
            try await h.client { client in
                let wrong = try await client.request("AUTH c-gs wrong-secret")
                #expect(wrong.raw == ["401 AUTH_FAILED wrong name or secret"])
                #expect(try await client.request("AUTH c-gs \(h.secrets["c-gs"]!)").code == 200)
                let whoami = try await client.request("WHOAMI")
                #expect(whoami.lines.contains("role clerk of GS in NW5"))
                #expect(whoami.lines.last == "chair powers today in NW5")
                #expect(try await client.request("QUIT").raw == ["221 bye"])
                #expect(try await client.readLine() == nil)
            }
        }
    }

    @Test func jsonMode() async throws {
        try await ConsoleHarness.with { h in
            try await h.client(as: "c-sn") { client in
                #expect(try await client.request("FORMAT json").code == 200)
                let filed = try await client.request(#"@j1 ITEM FILE category=policy track=regular title="陕西 \"议题\"""#)
                let object = try JSONSerialization.jsonObject(with: Data(filed.lines[0].utf8)) as? [String: Any]
                #expect(object?["tag"] as? String == "j1")
                #expect(object?["code"] as? Int == 201)
                #expect((object?["data"] as? [String: Any])?["title"] as? String == "陕西 \"议题\"")
                #expect(filed.lines[0].contains("陕西"))  // UTF-8 unescaped
                let refused = try await client.request("ITEM ACCEPT 1")
                let error = try JSONSerialization.jsonObject(with: Data(refused.lines[0].utf8)) as? [String: Any]
                #expect(error?["ok"] as? Bool == false)
                #expect((error?["error"] as? [String: Any])?["name"] as? String == "NOT_CHAIR")
                #expect(try await client.request("FORMAT text").raw == ["200 format text"])
            }
        }
    }

    @Test func theIdleTimeoutClosesSilentConnections() async throws {
        try await ConsoleHarness.with(configuration: .init(port: 0, idleTimeout: .milliseconds(500))) { h in
            try await h.client { (client: ConsoleClient) async throws in
                #expect(try await client.readReply()?.raw == ["421 IDLE_TIMEOUT no request for too long; closing"])
                #expect(try await client.readLine() == nil)
            }
        }
    }

    @Test func theConnectionLimitAnswers421() async throws {
        try await ConsoleHarness.with(configuration: .init(port: 0, maximumConnections: 2)) { h in
            try await h.client { first in
                try await h.client { second in
                    try await ConsoleClient.with(host: "127.0.0.1", port: h.port, connectTimeout: .seconds(60)) {
                        (third: ConsoleClient) async throws in
                        #expect(third.greeting.hasPrefix("421 TOO_MANY_CONNECTIONS"))
                        #expect(try await third.readLine() == nil)
                    }
                    #expect(try await first.request("PING").code == 200)
                    #expect(try await second.request("PING").code == 200)
                }
            }
        }
    }

    @Test func theWholeScenarioThroughTheConsole() async throws {
        try await ConsoleHarness.with(start: .day("2026-03-02")) { h in
            func ok(_ client: ConsoleClient, _ line: String, _ code: Int = 200) async throws -> ConsoleClientReply {
                let reply = try await client.request(line)
                #expect(reply.code == code, "\(line) → \(reply.raw)")
                return reply
            }
            func id(_ reply: ConsoleClientReply) -> Int { Int(reply.lines[0].split(separator: " ")[1])! }
            // The fixture planned 2015–2030; an operator plans further years.
            try await h.client(as: "op") { op in
                _ = try await ok(op, "CHAIR PLAN order=SN,GS,QH,NX,XJ from=2031 years=5", 201)
                let overlap = try await op.request("CHAIR PLAN order=SN from=2031 years=1")
                #expect(overlap.raw.first?.hasPrefix("409 TERM_OVERLAP") == true)
                let schedule = try await ok(op, "CHAIR SCHEDULE 2035-01-01 2037-01-01")
                #expect(schedule.lines.last?.hasSuffix("gap") == true)
                #expect(
                    try await op.request("ITEM FILE category=other track=regular title=x").raw.first?.hasPrefix(
                        "403 FORBIDDEN") == true)
            }
            try await h.client(as: "aud") { (aud: ConsoleClient) async throws in
                #expect(try await ok(aud, "CHAIR").lines[0].hasPrefix("GS chairs NW5"))
                #expect(try await ok(aud, "CHAIR 2027-01-01").lines[0].hasPrefix("QH chairs"))
            }
            try await h.client(as: "c-sn") { sn in
                try await h.client(as: "c-gs") { gs in
                    let project = id(
                        try await ok(
                            sn,
                            #"PROJECT ADD name="西咸新区数据中心" amount=12.5亿 industry=equipment source=east_central enterprises="甲公司;乙公司""#,
                            201))
                    let item = id(
                        try await ok(
                            sn,
                            #"ITEM FILE category=major_project track=urgent title="西咸数据中心用电协调" body="需要跨省电力调配\n请各省支持" project=\#(project)"#,
                            201))
                    _ = try await ok(sn, "ITEM SUBMIT \(item)")
                    #expect(
                        try await sn.request("ITEM ACCEPT \(item)").raw.first?.hasPrefix(
                            "403 NOT_CHAIR only the chair (GS on 2026-03-02)") == true)
                    _ = try await ok(gs, "ITEM ACCEPT \(item)")
                    #expect(try await gs.request("ITEM ACCEPT \(item)").code == 409)
                    let shown = try await ok(sn, "ITEM SHOW \(item)")
                    #expect(shown.lines.contains("body: 需要跨省电力调配\\n请各省支持"))
                    let meeting = id(
                        try await ok(
                            gs, "CONSULT CONVENE kind=meeting at=2026-03-20T09:30 place=西安 deadline=2026-03-10", 201))
                    _ = try await ok(gs, "CONSULT TABLE \(meeting) \(item)")
                    _ = try await ok(gs, "CONSULT OPEN \(meeting)")
                    for member in MechanismFixture.order {
                        try await h.client(as: "c-\(member.lowercased())") { clerk in
                            _ = try await ok(clerk, "CONSULT POSITION \(meeting) \(item) agree")
                        }
                    }
                    let decided = try await ok(gs, "CONSULT DECIDE \(meeting) \(item)")
                    #expect(decided.lines[0] == "item \(item) adopted as decision 2026-001")
                    _ = try await ok(gs, #"CONSULT CLOSE \#(meeting) minutes="会议同意协调用电。""#)
                    let consult = try await ok(sn, "CONSULT SHOW \(meeting)")
                    #expect(consult.lines.contains { $0.contains("adopted 2026-001") && $0.contains("GS:agree") })
                    // A case-by-case approval, granted by both parties.
                    let approval = id(
                        try await ok(sn, #"APPROVAL REQUEST project=\#(project) track=regular ask="用地指标""#, 201))
                    _ = try await ok(sn, "APPROVAL GRANT \(approval)")
                    let granted = try await ok(gs, #"APPROVAL GRANT \#(approval) note="同意""#)
                    #expect(granted.lines[0].hasSuffix("state approved"))
                    #expect(try await ok(sn, "APPROVAL LIST state=approved").lines.count == 2)
                    let report = try await ok(sn, "REPORT PROJECTS by=band")
                    #expect(report.lines.contains("10_50yi count=1 investment=1250000000 (12.5亿)"))
                    #expect(
                        try await sn.request("APPROVAL REQUEST project=\(project) track=special ask=x").raw.first?
                            .hasPrefix("422 JUSTIFICATION_REQUIRED") == true)
                    #expect(try await sn.request("ITEM SHOW 99999").code == 404)
                    #expect(try await sn.request("ITEM LIST state=bogus").code == 400)
                    #expect(
                        try await sn.request("ITEM LIST colour=red").raw.first?.hasPrefix(
                            "400 BAD_ARGUMENT ITEM LIST does not take colour=") == true)
                }
            }
            try await h.client(as: "aud") { aud in
                let history = try await ok(aud, "HISTORY item 1")
                #expect(history.lines.contains { $0.contains("item.accept") && $0.contains("c-gs/GS") })
                #expect(try await aud.request("HISTORY item 424242").code == 404)
            }
            try await h.client(as: "c-sn") { (sn: ConsoleClient) async throws in
                #expect(try await sn.request("HISTORY item 1").raw.first?.hasPrefix("403 FORBIDDEN") == true)
            }
        }
    }
}
