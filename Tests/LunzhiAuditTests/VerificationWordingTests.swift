import Foundation
import LunzhiAudit
import LunzhiCore
import LunzhiTestSupport
import PostgresLibPQ
import Testing

/// Security finding 11: a verification says what it checked and what it trusted, an unanchored
/// log is not called plainly "ok", and the daemon's scheduled full verification raises the alarm.
@Suite struct VerificationWordingTests {
    @Test func incrementalSaysWhatItTrustedAndFullCatchesTheEdit() async throws {
        try await MechanismFixture.with { f in
            _ = try await AuditHistory.make(f)
            try await withSigner { signer, log in
                let checkpoint = try await f.checkpoint(signer, log: log)
                // A superuser edits a checkpointed row and leaves its stored hash alone.
                try await f.tamper("UPDATE audit_event SET reason = 'nothing to see' WHERE seq = 5")
                let checkpoints = try log.checkpoints(verifier: signer.verifier)
                let incremental = try await AuditVerifier(pool: f.pool).verify(
                    checkpoints: checkpoints, start: .lastCheckpoint)
                #expect(incremental.ok)
                #expect(
                    incremental.explanation.first
                        == "rows 1–\(checkpoint.size) trusted from the signed checkpoint at size \(checkpoint.size), not recomputed (AUDIT VERIFY full recomputes them)"
                )
                let full = try await AuditVerifier(pool: f.pool).verify(checkpoints: checkpoints, start: .beginning)
                #expect(full.failure?.seq == 5)
                #expect(full.explanation.first == "rows 1–4 recomputed from their contents")
            }
        }
    }

    @Test func aLogWithNoCheckpointIsUnanchored() async throws {
        try await MechanismFixture.with { f in
            _ = try await AuditHistory.make(f)
            let v = try await AuditVerifier(pool: f.pool).verify()
            #expect(v.ok && v.unanchored)
            #expect(v.explanation.contains { $0.hasPrefix("no signed checkpoint was compared") })
        }
    }

    /// `lunzhi remind` runs a full verification on its schedule; a tampered row is an error in
    /// its log naming the seq.
    @Test func theDaemonsScheduledVerificationRaisesTheAlarm() async throws {
        try await MechanismFixture.with { f in
            _ = try await AuditHistory.make(f)
            try await f.tamper("UPDATE audit_event SET reason = 'nothing to see' WHERE seq = 7")
            let log = temporaryPath("remind-verify.log")
            defer { try? FileManager.default.removeItem(atPath: log) }
            let daemon = try BackgroundProcess(
                try lunzhiBinary(),
                [
                    "remind", "--database-url", "dbname=\(f.database.name)", "--verify-interval", "1",
                    "--metrics-listen", "off", "--poll-interval", "0.2",
                ], log: log)
            defer { daemon.stop(SIGTERM) }
            var text = ""
            let started = ContinuousClock.now
            while !text.contains("AUDIT VERIFICATION FAILED") && ContinuousClock.now - started < .seconds(30) {
                try await Task.sleep(for: .milliseconds(100))
                text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            }
            #expect(text.contains("AUDIT VERIFICATION FAILED"), "\(text.suffix(2000))")
            #expect(text.contains("seq 7"), "\(text.suffix(2000))")
        }
    }
}
