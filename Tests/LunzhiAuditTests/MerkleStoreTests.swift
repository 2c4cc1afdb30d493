import Foundation
import LunzhiAudit
import LunzhiCore
import LunzhiMigrations
import LunzhiTestSupport
import PostgresLibPQ
import Testing

/// The tree PostgreSQL keeps (audit_tree) against the tree computed in memory from the events'
/// contents; proofs of inclusion and consistency through the console, the CLI and python; the
/// attacks on the tree.
@Suite struct MerkleStoreTests {
    /// Every event's leaf, from its canonical bytes.
    static func leaves(_ pool: PostgresPool) async throws -> [MerkleTree.Hash] {
        let rows = try await pool.query(
            "SELECT seq, audit_canonical_v1(e) AS c FROM audit_event e ORDER BY seq")
        return try rows.map { MerkleTree.leafHash(Array(try $0.decode("c", as: Data.self))) }
    }

    @Test func theStoredTreeIsTheTreeOfTheEvents() async throws {
        try await MechanismFixture.with { f in
            _ = try await AuditHistory.make(f)
            let leaves = try await Self.leaves(f.pool)
            let n = leaves.count
            #expect(n > 40)
            let store = MerkleStore(pool: f.pool)
            #expect(try await store.size() == n)
            var frontier = MerkleFrontier()
            for size in 1...n {
                frontier.append(leaves[size - 1])
                let expected = MerkleTree.root(leaves[..<size])
                #expect(try await store.root(size: size) == expected, "root at \(size)")
                #expect(frontier.root == expected, "frontier at \(size)")
                #expect(try await store.frontier(size: size) == frontier, "stored frontier at \(size)")
            }
            // Only subtrees of 16 leaves and more are rows: n/16 + n/32 + … of them.
            let rows = try await f.pool.query("SELECT level, count(*) AS k FROM audit_tree GROUP BY level ORDER BY level")
            var expectedRows: [(Int, Int)] = []
            for level in 4..<Int.bitWidth where n >> level > 0 { expectedRows.append((level, n >> level)) }
            #expect(try rows.map { (try $0.decode("level") as Int, try $0.decode("k") as Int) }.elementsEqual(expectedRows, by: ==))
            for index in 0..<n {
                let proof = try await store.inclusionProof(index: index, size: n)
                #expect(proof == MerkleTree.inclusionProof(index: index, leaves[...]), "inclusion of \(index)")
                #expect(proof.count <= Int(ceil(log2(Double(n)))))
            }
            for old in 1...n {
                let proof = try await store.consistencyProof(oldSize: old, size: n)
                #expect(proof == MerkleTree.consistencyProof(oldSize: old, leaves[...]), "consistency from \(old)")
            }
        }
    }

    @Test func aProofOfADecisionChecksOfflineInSwiftAndPython() async throws {
        try await MechanismFixture.with { f in
            _ = try await AuditHistory.make(f)
            let dir = temporaryPath("proof")
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let keygen = try await BackgroundProcess.run(
                try lunzhiBinary(), ["audit", "keygen", "--name", "nw5-audit", "--out", dir])
            #expect(keygen.status == 0)
            let database = ["--database-url", "dbname=\(f.database.name)"]
            let log = dir + "/checkpoints.log"
            let signed = try await BackgroundProcess.run(
                try lunzhiBinary(), ["audit", "checkpoint", "--checkpoint-key", dir + "/audit.key", "--checkpoint-log", log] + database)
            #expect(signed.status == 0, "\(signed.output)")
            let number: String = try await f.pool.query(
                "SELECT decision_number FROM consultation_item WHERE decision_number IS NOT NULL LIMIT 1"
            ).single().decode("decision_number")
            let prove = try await BackgroundProcess.run(
                try lunzhiBinary(),
                ["audit", "prove", "--decision", number, "--as", "auditor", "--json", "--checkpoints", log,
                 "--public-key", dir + "/audit.pub"] + database)
            #expect(prove.status == 0, "\(prove.output)")
            let proofFile = dir + "/proof.json"
            try prove.output.write(toFile: proofFile, atomically: true, encoding: .utf8)
            let proof = try InclusionProof(json: prove.output)
            #expect(proof.event.contains("consultation.decide") && proof.event.contains(number))

            // Offline, with the public key alone: the binary, then python (standard library only).
            let check = try await BackgroundProcess.run(
                try lunzhiBinary(), ["audit", "check-proof", proofFile, "--public-key", dir + "/audit.pub"])
            #expect(check.status == 0 && check.output.hasPrefix("ok: event \(proof.seq)"), "\(check.output)")
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../../docs/audit-verify.py").standardized.path
            let python = try await BackgroundProcess.run("python3", [script, "check-proof", proofFile, dir + "/audit.pub"])
            #expect(python.status == 0 && python.output.hasPrefix("ok event \(proof.seq)"), "\(python.output)")

            // An altered event in the proof, or a path for another leaf: refused by both.
            var forged = proof
            forged.event = forged.event.replacingOccurrences(of: "adopted", with: "rejected")
            try forged.json().write(toFile: proofFile, atomically: true, encoding: .utf8)
            let refused = try await BackgroundProcess.run(
                try lunzhiBinary(), ["audit", "check-proof", proofFile, "--public-key", dir + "/audit.pub"])
            #expect(refused.status == 1 && refused.output.contains("do not match the leaf hash"), "\(refused.output)")
            let pythonRefused = try await BackgroundProcess.run("python3", [script, "check-proof", proofFile, dir + "/audit.pub"])
            #expect(pythonRefused.status == 1 && pythonRefused.output.hasPrefix("FAILED"))
            var moved = proof
            moved.path.reverse()
            if moved.path != proof.path {
                try moved.json().write(toFile: proofFile, atomically: true, encoding: .utf8)
                let wrongPath = try await BackgroundProcess.run(
                    try lunzhiBinary(), ["audit", "check-proof", proofFile, "--public-key", dir + "/audit.pub"])
                #expect(wrongPath.status == 1 && wrongPath.output.contains("does not lead to the signed root"))
            }
            // Another key: refused.
            let other = try await BackgroundProcess.run(
                try lunzhiBinary(), ["audit", "keygen", "--name", "someone-else", "--out", dir + "/other"])
            #expect(other.status == 0)
            try proof.json().write(toFile: proofFile, atomically: true, encoding: .utf8)
            let otherKey = try await BackgroundProcess.run(
                try lunzhiBinary(), ["audit", "check-proof", proofFile, "--public-key", dir + "/other/audit.pub"])
            #expect(otherKey.status == 1 && otherKey.output.contains("does not verify"))
        }
    }

    @Test func theConsoleProvesInclusionAndConsistency() async throws {
        try await MechanismFixture.with { f in
            _ = try await AuditHistory.make(f)
            try await withSigner { signer, log in
                let checkpoint = try await f.checkpoint(signer, log: log)
                #expect(checkpoint.root != nil)
                let desk = AuditDesk(service: f.service, key: signer.verifier, checkpointLog: log)
                let proof = try await desk.prove(by: f.auditorID, seq: 5)
                #expect(try proof.verify(with: signer.verifier).size == checkpoint.size)
                // Clerks may not; a seq past the last checkpoint is named as such.
                await #expect(throws: DomainError.self) { try await desk.prove(by: f.clerk("GS"), seq: 5) }
                _ = try await f.service.fileItem(by: f.clerk("XJ"), ItemDraft(category: .policy, track: .regular, title: "新"))
                let newest = try await MerkleStore(pool: f.pool).size()
                do {
                    _ = try await desk.prove(by: f.auditorID, seq: newest)
                    Issue.record("a proof past the last checkpoint")
                } catch let error as DomainError {
                    #expect(error.message.contains("no signed version-2 checkpoint covers seq \(newest)"))
                }
                let consistency = try await desk.consistency(by: f.auditorID, oldSize: checkpoint.size, newSize: newest)
                #expect(consistency.verifies && consistency.oldRoot == checkpoint.root)
            }
        }
    }

    /// A superuser alters an event's stored leaf, then the stored tree (a node of 16 leaves, then one
    /// above it): verification names each, and a version-2 checkpoint's signed root no longer matches.
    @Test func anAlteredTreeIsFound() async throws {
        try await MechanismFixture.with { f in
            _ = try await AuditHistory.make(f)
            try await withSigner { signer, log in
                let checkpoint = try await f.checkpoint(signer, log: log)
                func superuser(_ statements: String...) async throws {
                    try await PostgresConnection.with(f.database.configuration) { c in
                        for statement in statements { try await c.query(statement) }
                    }
                }
                try await superuser(
                    "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update",
                    "UPDATE audit_event SET leaf_hash = sha256(leaf_hash) WHERE seq = 9",
                    "ALTER TABLE audit_event ENABLE ALWAYS TRIGGER audit_event_no_update")
                let leaf = try await AuditVerifier(pool: f.pool).verify(checkpoints: [checkpoint])
                #expect(leaf.failure?.seq == 9, "\(String(describing: leaf.failure))")
                #expect(leaf.failure?.problem.contains("do not match its stored Merkle leaf") == true)
                try await superuser(
                    "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update",
                    "UPDATE audit_event e SET leaf_hash = sha256('\\x00'::bytea || audit_canonical_v1(e)) WHERE seq = 9",
                    "ALTER TABLE audit_event ENABLE ALWAYS TRIGGER audit_event_no_update")
                #expect(try await AuditVerifier(pool: f.pool).verify(checkpoints: [checkpoint]).failure == nil)

                let original: Data = try await f.pool.query(
                    "SELECT hash FROM audit_tree WHERE level = 4 AND idx = 1").single().decode("hash")
                try await superuser(
                    "ALTER TABLE audit_tree DISABLE TRIGGER audit_tree_no_update",
                    "UPDATE audit_tree SET hash = sha256(hash) WHERE level = 4 AND idx = 1",
                    "ALTER TABLE audit_tree ENABLE ALWAYS TRIGGER audit_tree_no_update")
                // Node (4, 1) covers events 17…32: named with the lowest of them.
                let v = try await AuditVerifier(pool: f.pool).verify(checkpoints: [checkpoint])
                #expect(v.failure?.seq == 17, "\(String(describing: v.failure))")
                #expect(v.failure?.problem.contains("is not the hash of their leaves") == true)
                // A node above the lowest stored level, which the checkpoint's root is made of: the
                // signed root no longer matches, and a full verification names the node.
                try await superuser(
                    "ALTER TABLE audit_tree DISABLE TRIGGER audit_tree_no_update",
                    "UPDATE audit_tree SET hash = '\\x\(Hex.encode(Array(original)))' WHERE level = 4 AND idx = 1",
                    "UPDATE audit_tree SET hash = sha256(hash) WHERE level = 5 AND idx = 0",
                    "ALTER TABLE audit_tree ENABLE ALWAYS TRIGGER audit_tree_no_update")
                let rooted = try await AuditVerifier(pool: f.pool).verify(checkpoints: [checkpoint], start: .lastCheckpoint)
                #expect(rooted.failure?.problem.contains("root signed by checkpoint") == true, "\(String(describing: rooted.failure))")
                let full = try await AuditVerifier(pool: f.pool).verify()
                #expect(full.failure?.seq == 1, "\(String(describing: full.failure))")
                #expect(full.failure?.problem.contains("node (5, 0)") == true, "\(String(describing: full.failure))")
            }
        }
    }
}

/// SQL/0013 on a log sealed under SQL/0012 (every node stored): the leaves move onto the events,
/// the nodes under 16 leaves go, and the roots, proofs and appends after it are the same tree.
@Suite struct TreeMigrationTests {
    @Test func theTileMigrationKeepsTheTree() async throws {
        try await TestDatabase.withPool(migrated: false) { pool, database in
            let all = try Migration.bundled()
            let before = all.filter { $0.version <= 12 }
            #expect(before.count == 12 && all.contains { $0.version == 13 })
            try await Migrator(configuration: database.configuration, migrations: before).migrate()
            let insert = """
                INSERT INTO audit_event (at, principal_id, principal_name, mechanism_code, member_code, action,
                                         entity, entity_id, after, prev_hash, hash)
                SELECT now(), NULL, 'clerk-gs', 'NW5', 'GS', 'item.submit', 'item', g::text,
                       jsonb_build_object('id', g, 'title', '议题 ' || g), '\\x'::bytea, '\\x'::bytea
                FROM generate_series(1, $1::int) g
                """
            try await PostgresConnection.with(database.configuration) { c in
                _ = try await c.query(insert, [37])
                #expect(try await c.query("SELECT count(*) AS n FROM audit_tree WHERE level < 4").single().decode("n") as Int > 37)
            }
            try await Migrator(configuration: database.configuration, migrations: all).migrate()
            try await PostgresConnection.with(database.configuration) { c in
                _ = try await c.query(insert, [30])
                #expect(try await c.query("SELECT count(*) AS n FROM audit_tree WHERE level < 4").single().decode("n") as Int == 0)
            }
            do {
                let leaves = try await MerkleStoreTests.leaves(pool)
                #expect(leaves.count == 67)
                let store = MerkleStore(pool: pool)
                for size in [1, 15, 16, 17, 32, 37, 48, 64, 67] {
                    #expect(try await store.root(size: size) == MerkleTree.root(leaves[..<size]), "root at \(size)")
                }
                #expect(try await store.inclusionProof(index: 20, size: 67) == MerkleTree.inclusionProof(index: 20, leaves[...]))
                #expect(try await AuditVerifier(pool: pool).verify().failure == nil)
            }
        }
    }
}
