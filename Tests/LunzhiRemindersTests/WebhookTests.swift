import Foundation
import LunzhiCore
import LunzhiReminders
import LunzhiTestSupport
import PostgresLibPQ
import Testing

@Suite struct WebhookTests {
    func records(_ path: String) -> [[String: Any]] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    @Test func signedPostsRetried500ThenDeliveredAnd400GoesDead() async throws {
        let secret = "s3cret-webhook-key-0123456789"
        let port = try LoopbackPort.free()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent(
            "lunzhi-webhook-\(UUID().uuidString).jsonl"
        ).path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "Support/webhook_receiver.py"
        ).path
        // The first request gets 500, the second 200, the third 400.
        let receiver = try BackgroundProcess(
            "python3", [script, String(port), log, secret, "500,200,400"], log: log + ".stderr")
        defer { receiver.stop() }
        try await BackgroundProcess.waitForPort(port)
        try await MechanismFixture.with(start: .day("2026-03-02")) { f in
            let contact = try await f.service.addContact(
                by: f.clerk("QH"), channel: "webhook", address: "http://127.0.0.1:\(port)/lunzhi", secret: secret)
            #expect(contact.hasSecret)
            await #expect(throws: DomainError.self) {
                try await f.service.addContact(
                    by: f.clerk("QH"), channel: "webhook", address: "http://127.0.0.1:1/x", secret: "short")
            }
            func enqueue(_ key: String) async throws {
                try await f.pool.query(
                    "INSERT INTO reminder (mechanism_code, recipient_member, kind, entity, entity_id, due_at, idempotency_key, payload) VALUES ('NW5', 'QH', 'custom', 'x', '7', $1, $2, '{\"project\": \"青海盐湖\"}')",
                    [f.clock.now(), key])
            }
            try await enqueue("first")
            let d = daemon(f, [WebhookChannel()])
            _ = try await d.drain()  // 500: retried later
            #expect(
                try await f.pool.query("SELECT state FROM reminder WHERE idempotency_key = 'first'").single().decode(
                    "state", as: String.self) == "pending")
            f.clock.advance(1)
            _ = try await d.drain()  // 200
            #expect(
                try await f.pool.query("SELECT state FROM reminder WHERE idempotency_key = 'first'").single().decode(
                    "state", as: String.self) == "delivered")
            try await enqueue("second")
            _ = try await d.drain()  // 400: dead after one attempt
            let dead = try await f.pool.query(
                "SELECT state, attempts, outcome FROM reminder WHERE idempotency_key = 'second'"
            ).single()
            #expect(try dead.decode("state", as: String.self) == "dead")
            #expect(try dead.decode("attempts", as: Int.self) == 1)
            #expect(try dead.decode("outcome", as: String.self) == "HTTP 400")

            let seen = records(log)
            #expect(seen.map { $0["key"] as? String ?? "" } == ["first", "first", "second"])
            #expect(seen.allSatisfy { $0["valid"] as? Bool == true })
            #expect(seen.filter { $0["status"] as? Int == 200 }.count == 1)  // delivered once
            let body = seen[1]["body"] as? [String: Any]
            #expect((body?["payload"] as? [String: String])?["project"] == "青海盐湖")
            #expect(body?["recipient"] as? String == "QH")
        }
    }

    @Test func theSignatureMatchesTheDocumentedVector() {
        // docs/reminders.md: secret "lunzhi-example-secret", timestamp "1767196800", body {"k":"v"}.
        // The expected value was computed with Python's hmac module, independently of this code.
        #expect(
            WebhookChannel.signature(secret: "lunzhi-example-secret", timestamp: "1767196800", body: #"{"k":"v"}"#)
                == "83e12ffcb6737b1e0170a989773973aae7ae470d31fd9c1016e18074cdb0d874")
    }
}
