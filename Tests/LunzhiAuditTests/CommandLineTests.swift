import Foundation
import LunzhiAudit
import LunzhiCore
import LunzhiTestSupport
import PostgresLibPQ
import Testing

/// `lunzhi audit …` as an operator runs it: the real binary against the test database.
@Suite struct CommandLineTests {
    func lunzhi(_ arguments: [String], database: TestDatabase) async throws -> BackgroundProcess.Completion {
        try await BackgroundProcess.run(try lunzhiBinary(), arguments + ["--database-url", "dbname=\(database.name)"])
    }

    @Test func keygenCheckpointVerifyExportAndQuery() async throws {
        try await MechanismFixture.with { f in
            _ = try await AuditHistory.make(f)
            let dir = temporaryPath("audit")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            // keygen has no database option: run it through a shell-less spawn of its own.
            let keygen = try await BackgroundProcess.run(
                try lunzhiBinary(), ["audit", "keygen", "--name", "nw5-audit", "--out", dir])
            #expect(keygen.status == 0, "\(keygen.output)")
            let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/audit.key")
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            let log = dir + "/checkpoints.log"
            let signing = ["--checkpoint-key", dir + "/audit.key", "--checkpoint-log", log]

            let signed = try await lunzhi(["audit", "checkpoint"] + signing, database: f.database)
            #expect(signed.status == 0 && signed.output.hasPrefix("signed checkpoint:"), "\(signed.output)")
            let again = try await lunzhi(["audit", "checkpoint"] + signing, database: f.database)
            #expect(again.output.hasPrefix("unchanged"), "\(again.output)")
            // The reminder daemon signs too, on its interval (and once with --once).
            _ = try await f.service.fileItem(
                by: f.clerk("XJ"), ItemDraft(category: .policy, track: .regular, title: "新"))
            let daemon = try await lunzhi(["remind", "--once", "--log-level", "error"] + signing, database: f.database)
            #expect(daemon.status == 0 && daemon.output.contains("signed audit checkpoint at"), "\(daemon.output)")

            let checking = ["--checkpoints", log, "--public-key", dir + "/audit.pub"]
            let ok = try await lunzhi(["audit", "verify"] + checking, database: f.database)
            #expect(ok.status == 0 && ok.output.hasPrefix("ok: "), "\(ok.output)")
            #expect(ok.output.contains("2 checkpoints checked"))
            let incremental = try await lunzhi(["audit", "verify", "--incremental"] + checking, database: f.database)
            #expect(
                incremental.status == 0 && incremental.output.hasPrefix("ok: 0 events recomputed"),
                "\(incremental.output)")

            let query = try await lunzhi(
                ["audit", "query", "--as", "auditor", "AUDIT DECISIONS year=2026"], database: f.database)
            #expect(query.status == 0 && query.output.hasPrefix("200-2 decisions, 1 approvals"), "\(query.output)")
            let refused = try await lunzhi(["audit", "query", "--as", "clerk-gs", "AUDIT LOG"], database: f.database)
            #expect(refused.status == 1 && refused.output.hasPrefix("403 FORBIDDEN"), "\(refused.output)")

            let export = try await lunzhi(
                ["audit", "export", "--as", "auditor", "--out", dir + "/export"] + checking, database: f.database)
            #expect(export.status == 0 && export.output.hasPrefix("exported "), "\(export.output)")
            for file in ["events.jsonl", "checkpoints.txt", "audit.pub", "decisions.csv", "approvals.csv", "README.md"]
            {
                #expect(FileManager.default.fileExists(atPath: dir + "/export/" + file), "\(file)")
            }

            try await f.tamper("UPDATE audit_event SET reason = 'changed' WHERE seq = 12")
            let broken = try await lunzhi(["audit", "verify"] + checking, database: f.database)
            #expect(broken.status == 1 && broken.output.hasPrefix("FAILED at seq 12:"), "\(broken.output)")
            // The checkpointer recomputes what came after the last checkpoint and will not sign over a change there.
            try await f.tamper(
                "UPDATE audit_event SET reason = 'changed' WHERE seq = (SELECT max(seq) FROM audit_event)")
            let refusedToSign = try await lunzhi(["audit", "checkpoint"] + signing, database: f.database)
            #expect(refusedToSign.status == 1, "\(refusedToSign.output)")
        }
    }
}
