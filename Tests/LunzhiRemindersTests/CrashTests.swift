import Foundation
import LunzhiCore
import LunzhiTestSupport
import PostgresLibPQ
import Testing

@Suite struct CrashTests {
    /// 2,000 due reminders; `lunzhi remind` is killed with SIGKILL while delivering, then started
    /// again: every reminder reaches the receiver (distinct keys in the file), none is lost.
    @Test func aDaemonKilledMidDeliveryLosesNothing() async throws {
        let binary = try lunzhiBinary()
        let name = "lunzhi-crash-\(UUID().uuidString).jsonl"
        let directory = FileManager.default.temporaryDirectory.path
        let output = directory + "/" + name
        defer { try? FileManager.default.removeItem(atPath: output) }
        try await MechanismFixture.with { f in
            try await f.service.addContact(by: f.operatorID, member: "GS", channel: "file", address: name)
            try await f.pool.query(
                """
                INSERT INTO reminder (mechanism_code, recipient_member, kind, entity, entity_id, due_at, idempotency_key)
                SELECT 'NW5', 'GS', 'custom', 'x', g::text, now() - interval '1 minute', 'crash:' || g FROM generate_series(1, 2000) g
                """)
            let arguments = [
                "remind", "--database-url", "dbname=\(f.database.name)", "--lease", "1", "--poll-interval", "0.2",
                // Small batches and one claim loop, so the kill lands mid-delivery even on a busy machine.
                "--batch-size", "4", "--claimers", "1", "--metrics-listen", "off", "--file-channel-dir", directory,
            ]
            func lines() -> [String] {
                ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            }
            let first = try BackgroundProcess(binary, arguments)
            let start = ContinuousClock.now
            while lines().count < 300 && ContinuousClock.now - start < .seconds(60) {
                try await Task.sleep(for: .milliseconds(5))
            }
            first.stop(SIGKILL)
            let atKill = lines().count
            #expect(atKill >= 300 && atKill < 2000, "killed after \(atKill) deliveries")
            let second = try BackgroundProcess(binary, arguments)
            var delivered = 0
            while delivered < 2000 && ContinuousClock.now - start < .seconds(120) {
                try await Task.sleep(for: .milliseconds(200))
                delivered = try await f.pool.query("SELECT count(*) AS n FROM reminder WHERE state = 'delivered'")
                    .single().decode("n")
            }
            kill(second.pid, SIGTERM)
            #expect(await second.exit() == 0)  // SIGTERM: a graceful exit
            #expect(delivered == 2000)
            var keys: Set<String> = []
            for line in lines() {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                if let key = object?["key"] as? String { keys.insert(key) }
            }
            #expect(keys.count == 2000)
            #expect(lines().count - keys.count <= 16, "at most one batch delivered twice")
        }
    }
}
