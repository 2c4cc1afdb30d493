import Foundation
import LunzhiCore
import LunzhiTestSupport
import PostgresLibPQ
import Testing

/// Security finding 12: `lunzhi remind --once` with a mail program that exits without reading
/// its input must not die of SIGPIPE (exit 141) and leave its batch `running`.
@Suite struct SigpipeTests {
    @Test func aMailProgramThatReadsNothingKillsNothing() async throws {
        let script = temporaryPath("closed-stdin") + ".sh"
        // Closes its standard input at once, waits so the daemon writes to a pipe with no reader.
        try "#!/bin/sh\nexec 0<&-\nsleep 0.5\nexit 0\n".write(toFile: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        defer { try? FileManager.default.removeItem(atPath: script) }
        try await MechanismFixture.with { f in
            try await f.service.addContact(by: f.clerk("GS"), channel: "email", address: "chair@gs.example.org")
            // A message far larger than a pipe's buffer, so the write meets the closed end.
            try await f.pool.query(
                """
                INSERT INTO reminder (mechanism_code, recipient_member, kind, entity, entity_id, due_at, idempotency_key, payload)
                VALUES ('NW5', 'GS', 'custom', 'x', '1', now() - interval '1 minute', 'pipe:1',
                        jsonb_build_object('text', repeat('议', 200000)))
                """)
            let run = try await BackgroundProcess.run(
                try lunzhiBinary(),
                ["remind", "--once", "--sendmail", script, "--log-level", "error", "--database-url",
                    "dbname=\(f.database.name)"])
            #expect(run.status == 0, "exit \(run.status): \(run.output)")
            let states: [String] = try await f.pool.query("SELECT state FROM reminder").map { try $0.decode("state") }
            #expect(!states.contains("running"), "\(states)")
        }
    }
}
