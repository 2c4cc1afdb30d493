import Foundation
import LunzhiCore
@testable import LunzhiReminders
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
            // The receiver is on loopback, which webhooks may reach only where an operator allows it.
            let loopback = WebhookPolicy(allowed: [IPRange("127.0.0.0/8")!])
            let service = Cooperation(pool: f.pool, clock: f.clock, bcryptCost: 4, webhookPolicy: loopback)
            let contact = try await service.addContact(
                by: f.clerk("QH"), channel: "webhook", address: "http://127.0.0.1:\(port)/lunzhi", secret: secret)
            #expect(contact.hasSecret)
            await #expect(throws: DomainError.self) {
                try await service.addContact(
                    by: f.clerk("QH"), channel: "webhook", address: "http://127.0.0.1:1/x", secret: "short")
            }
            func enqueue(_ key: String) async throws {
                try await f.pool.query(
                    "INSERT INTO reminder (mechanism_code, recipient_member, kind, entity, entity_id, due_at, idempotency_key, payload) VALUES ('NW5', 'QH', 'custom', 'x', '7', $1, $2, '{\"project\": \"青海盐湖\"}')",
                    [f.clock.now(), key])
            }
            try await enqueue("first")
            let d = daemon(f, [WebhookChannel(policy: loopback)])
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

    /// Security finding 10: webhooks never reach the service's own networks unless allowed.
    @Test(arguments: [
        "http://127.0.0.1:7899/x", "http://10.1.2.3/x", "http://[::1]/x", "http://localhost:8080/x",
        "http://169.254.169.254/latest/meta-data", "http://192.168.1.1/", "http://0x7f.1/x", "http://2130706433/x",
        "http://[::ffff:127.0.0.1]/x", "https://db.internal/x", "http://user:pw@example.org/x",
    ])
    func ownNetworksAreRefusedWhenAdded(url: String) async throws {
        try await MechanismFixture.with { f in
            let refused = await #expect(throws: DomainError.self) {
                try await f.service.addContact(
                    by: f.clerk("QH"), channel: "webhook", address: url, secret: "0123456789abcdef")
            }
            #expect(refused?.name == .forbidden || refused?.name == .invalidArgument, "\(url)")
        }
    }

    /// A name that resolves to loopback (here `localhost.` spelt with a trailing dot, and a
    /// contact written into the database directly) is refused at delivery, against the address
    /// the name resolves to, and nothing is posted.
    @Test func deliveryChecksTheResolvedAddress() async throws {
        let port = try LoopbackPort.free()
        let log = temporaryPath("webhook-ssrf") + ".jsonl"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "Support/webhook_receiver.py"
        ).path
        let receiver = try BackgroundProcess("python3", [script, String(port), log, "s", "200"], log: log + ".stderr")
        defer { receiver.stop() }
        try await BackgroundProcess.waitForPort(port)
        try await MechanismFixture.with { f in
            for host in ["localhost.localdomain.", "127.0.0.1", "ip6-localhost"] {
                let outcome = await WebhookChannel().deliver(
                    ClaimedReminder.forTest, message: ReminderMessage(ClaimedReminder.forTest),
                    address: "http://\(host):\(port)/x", secret: "0123456789abcdef")
                switch outcome {
                case .permanent(let reason): #expect(reason.contains("may not"), "\(host): \(reason)")
                case .retry(let reason): #expect(reason.contains("cannot resolve"), "\(host): \(reason)")
                case .delivered: Issue.record("\(host): delivered to loopback")
                }
            }
            // Allowed by the operator, the same receiver is reached.
            let allowed = await WebhookChannel(policy: WebhookPolicy(allowed: [IPRange("127.0.0.0/8")!])).deliver(
                ClaimedReminder.forTest, message: ReminderMessage(ClaimedReminder.forTest),
                address: "http://127.0.0.1:\(port)/x", secret: "s")
            #expect(allowed == .delivered)
            _ = f
        }
        #expect(records(log).count == 1)
    }

    /// Another member's addresses are shown masked; the own member's and an operator's, whole.
    @Test func otherMembersAddressesAreMasked() async throws {
        try await MechanismFixture.with { f in
            let service = Cooperation(
                pool: f.pool, clock: f.clock, bcryptCost: 4,
                webhookPolicy: WebhookPolicy(allowed: [IPRange("127.0.0.0/8")!]))
            try await service.addContact(
                by: f.clerk("QH"), channel: "webhook", address: "http://127.0.0.1:9/hook?token=SECRET-TOKEN",
                secret: "0123456789abcdef")
            try await service.addContact(by: f.clerk("QH"), channel: "email", address: "office@qh.example.org")
            let seenByGS = try await service.contacts(by: f.clerk("GS"), member: "QH").map(\.address)
            #expect(seenByGS == ["http://127.0.0.1/…", "o…@qh.example.org"])
            let seenByQH = try await service.contacts(by: f.clerk("QH"), member: "QH").map(\.address)
            #expect(seenByQH.contains("http://127.0.0.1:9/hook?token=SECRET-TOKEN"))
            let seenByOperator = try await service.contacts(by: f.operatorID, member: "QH").map(\.address)
            #expect(seenByOperator.contains("office@qh.example.org"))
        }
    }
}

extension ClaimedReminder {
    /// A reminder to deliver directly through a channel, outside the queue.
    static var forTest: ClaimedReminder {
        ClaimedReminder(
            id: 1, mechanism: "NW5", recipient: "QH", kind: "custom", entity: "x", entityID: "1", dueAt: Date(),
            idempotencyKey: "ssrf-test", payload: PostgresJSON(text: "{}"), attempt: 1, maxAttempts: 3)
    }
}
