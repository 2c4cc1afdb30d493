import Crypto
import Foundation
import LunzhiAudit
import LunzhiCore
import LunzhiTestSupport
import PostgresLibPQ
import Testing

@Suite struct AuditVerificationTests {
    @Test func theSwiftEncodingIsTheDatabasesEncoding() async throws {
        try await MechanismFixture.with { f in
            _ = try await AuditHistory.make(f)
            let n = try await f.eventCount()
            #expect(n > 30)
            let canonical = try await f.pool.query("SELECT audit_canonical_v1(e) AS c FROM audit_event e ORDER BY seq")
            let verification = try await AuditVerifier(pool: f.pool, pageSize: 7).verify()
            #expect(verification.ok && verification.count == n && verification.headSeq == n)
            // The same bytes, field by field, from the Swift implementation.
            let rows = try await f.pool.query(
                """
                SELECT seq, (extract(epoch FROM at) * 1000000)::bigint AS at_us, principal_id, principal_name,
                       mechanism_code, member_code, action, entity, entity_id, before::text AS before,
                       after::text AS after, reason, prev_hash, hash
                FROM audit_event ORDER BY seq
                """)
            for (row, database) in zip(rows, canonical) {
                let record = AuditRecord(
                    seq: try row.decode("seq"), atMicroseconds: try row.decode("at_us"),
                    principalID: try row.decode("principal_id"), principalName: try row.decode("principal_name"),
                    mechanism: try row.decode("mechanism_code"), member: try row.decode("member_code"),
                    action: try row.decode("action"), entity: try row.decode("entity"),
                    entityID: try row.decode("entity_id"), before: try row.decode("before"),
                    after: try row.decode("after"), reason: try row.decode("reason"),
                    prevHash: Array(try row.decode("prev_hash", as: Data.self)),
                    hash: Array(try row.decode("hash", as: Data.self)))
                #expect(record.canonicalBytes == Array(try database.decode("c", as: Data.self)))
            }
        }
    }

    /// The test vector printed in docs/audit-format.md.
    @Test func theDocumentedTestVector() async throws {
        let record = AuditRecord(
            seq: 1, atMicroseconds: 1_767_225_600_000_000, principalID: 7, principalName: "clerk-gs",
            mechanism: "NW5", member: "GS", action: "item.file", entity: "item", entityID: "42", before: nil,
            after: #"{"id": 42, "state": "draft", "title": "西部陆海新通道"}"#, reason: nil,
            prevHash: AuditRecord.genesisHash, hash: [])
        #expect(
            String(decoding: record.canonicalBytes, as: UTF8.self)
                == #"lunzhi-audit-v11:116:17672256000000001:78:clerk-gs3:NW52:GS9:item.file4:item2:42-62:{"id": 42, "state": "draft", "title": "西部陆海新通道"}-"#
        )
        #expect(
            Hex.encode(record.computedHash(previous: record.prevHash))
                == "178c790d69ac2cb070d8fe843075f450d4c6f183deed3e291ca196cd4d56902c")
        // The database's seal computes the same hash for the same row.
        try await TestDatabase.withPool { pool, _ in
            let existing: Int = try await pool.query("SELECT count(*) AS n FROM audit_event").single().decode("n")
            #expect(existing == 0)
            let hash = try await pool.query(
                """
                INSERT INTO audit_event (at, principal_id, principal_name, mechanism_code, member_code, action, entity,
                                         entity_id, after, prev_hash, hash)
                VALUES (to_timestamp(1767225600), 7, 'clerk-gs', 'NW5', 'GS', 'item.file', 'item', '42', $1,
                        '\\x'::bytea, '\\x'::bytea)
                RETURNING hash
                """, [PostgresJSON(text: #"{"title": "西部陆海新通道", "state": "draft", "id": 42}"#)]
            ).single().decode("hash", as: Data.self)
            #expect(Hex.encode(hash) == "178c790d69ac2cb070d8fe843075f450d4c6f183deed3e291ca196cd4d56902c")
        }
    }

    /// The signed-note example of Go's golang.org/x/mod/sumdb/note, the format's reference
    /// implementation: the same keys give the same key id and, Ed25519 being deterministic, the
    /// same signature byte for byte.
    @Test func signedNotesMatchTheGoReferenceVector() throws {
        let signer = try SignedNote.Signer(
            encoded: "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")
        #expect(signer.verifierKey == "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
        let text =
            "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
        let note = try SignedNote.sign(text, with: signer)
        #expect(
            note == text
                + "\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
        )
        #expect(try SignedNote.open(note, verifier: signer.verifier) == text)
        #expect(throws: SignedNote.NoteError.self) {
            try SignedNote.open(
                note.replacingOccurrences(of: "cryptography", with: "cryptanalysis"), verifier: signer.verifier)
        }
    }

    /// A tampering as a superuser would do it (triggers off), and the seq verification must name.
    struct Tampering: Sendable, CustomTestStringConvertible {
        var what: String
        var statements: [String]
        var namedSeq: Int
        var problem: String
        var testDescription: String { what }
    }

    static let tamperings = [
        Tampering(
            what: "row 12 altered", statements: ["UPDATE audit_event SET reason = 'nothing to see' WHERE seq = 12"],
            namedSeq: 12, problem: "altered"),
        Tampering(
            what: "row 12 deleted", statements: ["DELETE FROM audit_event WHERE seq = 12"], namedSeq: 13,
            problem: "missing"),
        Tampering(
            what: "rows 12 and 13 swapped",
            statements: [
                "UPDATE audit_event SET seq = -1 WHERE seq = 12", "UPDATE audit_event SET seq = 12 WHERE seq = 13",
                "UPDATE audit_event SET seq = 13 WHERE seq = -1",
            ], namedSeq: 12, problem: "prev_hash"),
    ]

    @Test(arguments: tamperings) func aTamperedChainIsNamedAtTheRightSeq(_ tampering: Tampering) async throws {
        try await MechanismFixture.with { f in
            _ = try await AuditHistory.make(f)
            try await f.tamper(tampering.statements)
            let v = try await AuditVerifier(pool: f.pool).verify()
            #expect(v.failure?.seq == tampering.namedSeq)
            #expect(v.failure?.problem.contains(tampering.problem) == true, "\(String(describing: v.failure))")
            #expect(v.count == 11 && v.headSeq == 11)
        }
    }

    @Test func aRehashedTailPassesTheChainButNotTheCheckpoint() async throws {
        try await MechanismFixture.with { f in
            _ = try await AuditHistory.make(f)
            try await withSigner { signer, log in
                let checkpoint = try await f.checkpoint(signer, log: log)
                // More events after the checkpoint, then a rewrite of event 12 with every later hash redone.
                _ = try await f.service.fileItem(
                    by: f.clerk("XJ"), ItemDraft(category: .policy, track: .regular, title: "后来的议题"))
                try await f.tamper(
                    "UPDATE audit_event SET reason = 'rewritten' WHERE seq = 12",
                    """
                    DO $$ DECLARE r audit_event; prev bytea; BEGIN
                        SELECT hash INTO prev FROM audit_event WHERE seq = 11;
                        FOR r IN SELECT * FROM audit_event WHERE seq >= 12 ORDER BY seq LOOP
                            r.prev_hash := prev;
                            prev := sha256(prev || audit_canonical_v1(r));
                            UPDATE audit_event SET prev_hash = r.prev_hash, hash = prev WHERE seq = r.seq;
                        END LOOP;
                    END $$
                    """)
                // The chain alone is consistent again; the event's stored Merkle leaf is still the
                // old one, so even without a checkpoint the rewrite shows there (an attacker who
                // also rewrites the leaves and audit_tree is left to the checkpoints, below).
                let chainOnly = try await AuditVerifier(pool: f.pool).verify()
                #expect(chainOnly.failure?.seq == 12, "\(String(describing: chainOnly.failure))")
                #expect(chainOnly.failure?.problem.contains("do not match its stored Merkle leaf") == true)
                let checkpoints = try log.checkpoints(verifier: signer.verifier)
                // A full verification names the lowest bad seq, the rewritten event itself.
                let v = try await AuditVerifier(pool: f.pool).verify(checkpoints: checkpoints)
                #expect(v.failure?.seq == 12)
                let incremental = try await AuditVerifier(pool: f.pool).verify(
                    checkpoints: checkpoints, start: .lastCheckpoint)
                #expect(incremental.failure?.seq == checkpoint.size)
                // And the checkpointer will not sign over it.
                await #expect(throws: AuditCheckpointer.Refused.self) { try await f.checkpoint(signer, log: log) }
            }
        }
    }

    @Test func deletedNewestEventsAreReportedMissing() async throws {
        try await MechanismFixture.with { f in
            _ = try await AuditHistory.make(f)
            try await withSigner { signer, log in
                let checkpoint = try await f.checkpoint(signer, log: log)
                try await f.tamper("DELETE FROM audit_event WHERE seq > \(checkpoint.size - 3)")
                let v = try await AuditVerifier(pool: f.pool).verify(
                    checkpoints: try log.checkpoints(verifier: signer.verifier))
                #expect(v.failure?.seq == checkpoint.size - 2)
                #expect(v.failure?.problem.contains("missing") == true)
                #expect(try await AuditVerifier(pool: f.pool).verify().ok)  // the chain alone cannot tell
            }
        }
    }

    @Test func forgedShrinkingAndForeignCheckpointsAreRejected() async throws {
        try await MechanismFixture.with { f in
            _ = try await AuditHistory.make(f)
            let signer = try newSigner()
            let other = try newSigner()
            let head = try await AuditVerifier.head(f.pool)
            let good = try Checkpoint(
                origin: "lunzhi-audit", size: head.seq, head: head.hash, time: f.clock.now(), signer: signer)
            let smaller = try Checkpoint(
                origin: "lunzhi-audit", size: 5,
                head: try await AuditVerifier(pool: f.pool).verify().headHash, time: f.clock.now(), signer: signer)

            // A forged note: the text changed under a valid signature.
            let forged = good.note.replacingOccurrences(of: "\n\(head.seq)\n", with: "\n\(head.seq + 10)\n")
            #expect(throws: CheckpointError.self) {
                try CheckpointLog.checkpoints(notes: [forged], verifier: signer.verifier)
            }
            do {
                _ = try CheckpointLog.checkpoints(notes: [good.note, forged], verifier: signer.verifier)
                Issue.record("a forged checkpoint was accepted")
            } catch let error as CheckpointError {
                #expect(error.index == 2 && error.problem.contains("does not verify"))
            }
            // A shrinking log.
            do {
                _ = try CheckpointLog.checkpoints(notes: [good.note, smaller.note], verifier: signer.verifier)
                Issue.record("a shrinking checkpoint was accepted")
            } catch let error as CheckpointError {
                #expect(error.index == 2 && error.problem.contains("shrinks"))
            }
            // Another key with the same name.
            let foreign = try Checkpoint(
                origin: "lunzhi-audit", size: head.seq, head: head.hash, time: f.clock.now(), signer: other)
            do {
                _ = try CheckpointLog.checkpoints(notes: [foreign.note], verifier: signer.verifier)
                Issue.record("a checkpoint by another key was accepted")
            } catch let error as CheckpointError {
                #expect(error.problem.contains("another key"))
            }
            // The log file round trip.
            let log = CheckpointLog(path: temporaryPath("checkpoints"))
            defer { try? FileManager.default.removeItem(atPath: log.path) }
            try log.append(good.note)
            try log.append(good.note)
            #expect(try log.checkpoints(verifier: signer.verifier) == [good, good])
        }
    }

    @Test func incrementalVerificationRecomputesOnlyWhatIsNew() async throws {
        try await MechanismFixture.with { f in
            _ = try await AuditHistory.make(f)
            try await withSigner { signer, log in
                let first = try await f.checkpoint(signer, log: log)
                #expect(try await f.checkpoint(signer, log: log) == first)  // unchanged: not signed again
                for i in 0..<3 {
                    _ = try await f.service.fileItem(
                        by: f.clerk("XJ"), ItemDraft(category: .policy, track: .regular, title: "新议题 \(i)"))
                }
                let v = try await AuditVerifier(pool: f.pool).verify(
                    checkpoints: try log.checkpoints(verifier: signer.verifier), start: .lastCheckpoint)
                #expect(v.ok && v.firstSeq == first.size + 1 && v.count == 3 && v.headSeq == first.size + 3)
                let second = try await f.checkpoint(signer, log: log)
                #expect(second.size == first.size + 3)
                let stored: Int = try await f.pool.query("SELECT count(*) AS n FROM audit_checkpoint").single().decode(
                    "n")
                #expect(stored == 2)
                let fromSeq = try await AuditVerifier(pool: f.pool).verify(start: .seq(first.size))
                #expect(fromSeq.ok && fromSeq.count == 4)
            }
        }
    }

    @Test func writesAreRefusedEvenUnderTheReplicaRole() async throws {
        try await MechanismFixture.with { f in
            _ = try await AuditHistory.make(f)
            let before = try await f.eventCount()
            try await PostgresConnection.with(f.database.configuration) { c in
                for statement in [
                    "UPDATE audit_event SET reason = 'x' WHERE seq = 3", "DELETE FROM audit_event WHERE seq = 3",
                    "TRUNCATE audit_event",
                ] {
                    for role in ["origin", "replica"] {
                        try await c.query("SET session_replication_role = \(role)")
                        await #expect(throws: PostgresError.self, "\(statement) as \(role)") {
                            try await c.query(statement)
                        }
                    }
                }
                // An insert under the replica role is still sealed: the chosen seq and hash are ignored.
                try await c.query("SET session_replication_role = replica")
                try await c.query(
                    """
                    INSERT INTO audit_event (seq, at, principal_name, action, entity, entity_id, prev_hash, hash)
                    VALUES (1, now(), 'mallory', 'item.file', 'item', '1', '\\x00'::bytea, '\\x00'::bytea)
                    """)
                try await c.query("SET session_replication_role = origin")
            }
            #expect(try await f.eventCount() == before + 1)
            let v = try await AuditVerifier(pool: f.pool).verify()
            #expect(v.ok && v.headSeq == before + 1)
        }
    }

    @Test func theServiceRoleWritesButCannotRewrite() async throws {
        try await MechanismFixture.with { f in
            let configuration = PostgresConfiguration(
                connectionString: "dbname=\(f.database.name) options='-c role=lunzhi_service'")
            let pool = PostgresPool(configuration: configuration, options: .init(maximumConnections: 2))
            let service = Cooperation(pool: pool, clock: f.clock, bcryptCost: 4)
            let item = try await service.fileItem(
                by: f.clerk("SN"), ItemDraft(category: .policy, track: .regular, title: "以服务角色提交"))
            _ = try await service.submitItem(by: f.clerk("SN"), id: item.id)
            let role: String = try await pool.query("SELECT current_user AS r").single().decode("r")
            #expect(role == "lunzhi_service")
            for statement in [
                "UPDATE audit_event SET reason = 'x'", "DELETE FROM audit_event", "TRUNCATE audit_event",
                "ALTER TABLE audit_event DISABLE TRIGGER USER", "DROP TRIGGER audit_event_no_update ON audit_event",
                "DELETE FROM audit_checkpoint",
                "CREATE OR REPLACE FUNCTION audit_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$",
            ] {
                let error = await #expect(throws: PostgresError.self, "\(statement)") {
                    try await pool.query(statement)
                }
                #expect(error?.code == .insufficientPrivilege || error?.message.contains("owner") == true)
            }
            await pool.close()
            #expect(try await AuditVerifier(pool: f.pool).verify().ok)
            // The auditor role reads and cannot write.
            let auditorPool = PostgresPool(
                configuration: PostgresConfiguration(
                    connectionString: "dbname=\(f.database.name) options='-c role=lunzhi_auditor'"),
                options: .init(maximumConnections: 2))
            #expect(try await AuditVerifier(pool: auditorPool).verify().ok)
            await #expect(throws: PostgresError.self) {
                try await auditorPool.query(
                    "INSERT INTO audit_checkpoint (size, head, key_name, note) VALUES (0, '\\x00', 'k', 'n')")
            }
            await auditorPool.close()
        }
    }

    @Test func concurrentWritersWithRollbacksLeaveNoGapAndNoFork() async throws {
        try await TestDatabase.withPool(maximumConnections: 16) { pool, _ in
            let committed = try await withThrowingTaskGroup(of: Int.self) { group in
                for writer in 0..<16 {
                    group.addTask {
                        var committed = 0
                        var generator = SystemRandomNumberGenerator()
                        for round in 0..<25 {
                            let events = Int.random(in: 1...4, using: &generator)
                            let rollback = Bool.random(using: &generator)
                            do {
                                try await pool.transaction { c in
                                    for e in 0..<events {
                                        try await c.query(
                                            """
                                            INSERT INTO audit_event (at, principal_name, action, entity, entity_id, reason, prev_hash, hash)
                                            VALUES (now(), $1, 'test.write', 'test', $2, $3, '\\x'::bytea, '\\x'::bytea)
                                            """, ["writer-\(writer)", "\(round)", "event \(e)"])
                                    }
                                    if rollback { throw CancellationError() }
                                }
                                committed += events
                            } catch is CancellationError {}
                        }
                        return committed
                    }
                }
                return try await group.reduce(0, +)
            }
            let stats = try await pool.query(
                "SELECT count(*) AS n, min(seq) AS lo, max(seq) AS hi, count(DISTINCT prev_hash) AS forks FROM audit_event"
            ).single()
            #expect(try stats.decode("n", as: Int.self) == committed)
            #expect(try stats.decode("lo", as: Int.self) == 1 && stats.decode("hi", as: Int.self) == committed)
            #expect(try stats.decode("forks", as: Int.self) == committed)
            let v = try await AuditVerifier(pool: pool, pageSize: 100).verify()
            #expect(v.ok && v.count == committed)
        }
    }

    @Test func theChainVerifiesAfterDumpAndRestore() async throws {
        guard let bindir = ProcessInfo.processInfo.environment["LUNZHI_TEST_PG_BINDIR"] else {
            Issue.record("LUNZHI_TEST_PG_BINDIR is not set (run the tests with Deploy/test.sh)")
            return
        }
        try await MechanismFixture.with { f in
            _ = try await AuditHistory.make(f)
            let original = try await AuditVerifier(pool: f.pool).verify()
            try await TestDatabase.withPool(migrated: false, maximumConnections: 3) { restored, copy in
                let log = temporaryPath("restore.log")
                defer { try? FileManager.default.removeItem(atPath: log) }
                let process = try BackgroundProcess(
                    "sh",
                    [
                        "-c",
                        "'\(bindir)/pg_dump' -d '\(f.database.name)' | '\(bindir)/psql' -q -v ON_ERROR_STOP=1 -d '\(copy.name)'",
                    ],
                    log: log)
                #expect(await process.exit() == 0, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
                let v = try await AuditVerifier(pool: restored).verify()
                #expect(v.ok && v.count == original.count && v.headHash == original.headHash)
                // The restored copy still refuses changes.
                await #expect(throws: PostgresError.self) { try await restored.query("DELETE FROM audit_event") }
            }
        }
    }
}
