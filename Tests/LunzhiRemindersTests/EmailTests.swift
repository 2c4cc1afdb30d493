import Foundation
import LunzhiCore
@testable import LunzhiReminders
import LunzhiTestSupport
import PostgresLibPQ
import Testing

@Suite struct EmailTests {
    /// Decodes RFC 2047 `=?UTF-8?B?…?=` words in a header value.
    func decodeWords(_ header: String) -> String {
        header.components(separatedBy: "=?UTF-8?B?").dropFirst().compactMap { word in
            let encoded = word.components(separatedBy: "?=")[0]
            return Data(base64Encoded: encoded).map { String(decoding: $0, as: UTF8.self) }
        }.joined()
    }

    @Test func remindersArriveThroughMsmtpAtARealSMTPServer() async throws {
        let port = try LoopbackPort.free()
        let inbox = FileManager.default.temporaryDirectory.appendingPathComponent("lunzhi-inbox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: inbox) }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "Support/smtp_sink.py"
        ).path
        let sink = try BackgroundProcess("python3", [script, String(port), inbox.path], log: inbox.path + ".log")
        defer { sink.stop() }
        try await BackgroundProcess.waitForPort(port)

        try await MechanismFixture.with(start: .day("2026-03-02")) { f in
            try await f.service.addContact(by: f.clerk("GS"), channel: "email", address: "chair@gs.example.org")
            try await f.service.addContact(by: f.clerk("GS"), channel: "email", address: "deputy@gs.example.org")
            let item = try await f.service.fileItem(
                by: f.clerk("SN"), ItemDraft(category: .policy, track: .regular, title: "陕西议题：数据共享"))
            _ = try await f.service.submitItem(by: f.clerk("SN"), id: item.id)
            let mail = SendmailChannel(
                command: [
                    "/usr/bin/msmtp", "--host=127.0.0.1", "--port=\(port)", "--from=lunzhi@example.org", "--auth=off",
                    "--tls=off", "-t",
                ],
                from: "轮值 <lunzhi@example.org>")
            #expect(try await daemon(f, [mail]).drain() == 1)
            let key: String = try await f.pool.query(
                "SELECT encode(sha256(convert_to(idempotency_key, 'UTF8')), 'hex') AS k FROM reminder"
            ).single().decode("k")
            let files = try FileManager.default.contentsOfDirectory(atPath: inbox.path).filter { $0.hasSuffix(".eml") }
                .sorted()
            #expect(files.count == 2)
            var recipients: Set<String> = []
            for file in files {
                let raw = try String(contentsOf: inbox.appendingPathComponent(file), encoding: .utf8)
                let (head, body) = { () -> (String, String) in
                    let parts = raw.components(separatedBy: "\r\n\r\n")
                    return (parts[0], parts.dropFirst().joined(separator: "\r\n\r\n"))
                }()
                let unfolded = head.replacingOccurrences(of: "\r\n ", with: " ")
                let headers = Dictionary(
                    unfolded.components(separatedBy: "\r\n").compactMap { line -> (String, String)? in
                        guard let colon = line.firstIndex(of: ":") else { return nil }
                        return (
                            String(line[..<colon]).lowercased(),
                            String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
                        )
                    }, uniquingKeysWith: { a, _ in a })
                recipients.insert(headers["x-envelope-to"] ?? "")
                #expect(headers["message-id"] == "<\(key)@lunzhi>")
                #expect(
                    decodeWords(headers["subject"] ?? "")
                        == "【轮值】议题已提交，请轮值牵头方受理 / An agenda item was submitted for the chair's decision")
                let text = String(
                    decoding: Data(base64Encoded: body.replacingOccurrences(of: "\r\n", with: ""))!, as: UTF8.self)
                #expect(text.contains("陕西议题：数据共享"))
                #expect(text.contains("An agenda item was submitted"))
            }
            #expect(recipients == ["chair@gs.example.org", "deputy@gs.example.org"])
            // A failing mail program is retried, not lost: point it at a closed port.
            try await f.pool.query(
                "INSERT INTO reminder (mechanism_code, recipient_member, kind, entity, entity_id, due_at, idempotency_key) VALUES ('NW5', 'GS', 'custom', 'x', '1', $1, 'k2')",
                [f.clock.now()])
            let broken = SendmailChannel(
                command: ["/usr/bin/msmtp", "--host=127.0.0.1", "--port=1", "--auth=off", "--tls=off", "-t"],
                from: "lunzhi@example.org")
            _ = try await daemon(f, [broken]).drain()
            let row = try await f.pool.query("SELECT state, outcome FROM reminder WHERE idempotency_key = 'k2'")
                .single()
            #expect(try row.decode("state", as: String.self) == "pending")
            #expect(try row.decode("outcome", as: String.self).contains("msmtp exited with status"))
        }
    }

    /// The mail program gets the message on its standard input and nothing else of the daemon's:
    /// a socket or pipe that is not close-on-exec (NIO's are not) is closed in the child. Before,
    /// it inherited every one, so one delivery's program could hold another's input open.
    @Test func theMailProgramInheritsNoDescriptorOfTheDaemon() throws {
        let leaked = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var pipeFDs: [Int32] = [-1, -1]
        #expect(leaked >= 3 && pipe(&pipeFDs) == 0)
        defer { for fd in [leaked] + pipeFDs { close(fd) } }
        let out = temporaryPath("descriptors")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = SendmailChannel.run(
            ["/bin/sh", "-c", "ls /proc/$$/fd > \(out); cat > /dev/null"], input: Array("To: a@example.org\r\n".utf8))
        #expect(result == .delivered)
        let open = Set(try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map(String.init))
        // The shell may keep one of its own (dash: 10); before, the child had some twenty.
        #expect(open.isDisjoint(with: [leaked, pipeFDs[0], pipeFDs[1]].map(String.init)), "open: \(open.sorted())")
        #expect(open.isSuperset(of: ["0", "1", "2"]) && open.count <= 4, "the mail program had open: \(open.sorted())")
    }
}
