import Foundation
import LunzhiAudit
import LunzhiCore
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
            }
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

    /// A superuser alters the stored tree (one interior node): verification names it, and a
    /// version-2 checkpoint's signed root no longer matches.
    @Test func anAlteredTreeIsFound() async throws {
        try await MechanismFixture.with { f in
            _ = try await AuditHistory.make(f)
            try await withSigner { signer, log in
                let checkpoint = try await f.checkpoint(signer, log: log)
                try await PostgresConnection.with(f.database.configuration) { c in
                    try await c.query("ALTER TABLE audit_tree DISABLE TRIGGER USER")
                    try await c.query("UPDATE audit_tree SET hash = sha256(hash) WHERE level = 1 AND idx = 3")
                    try await c.query("ALTER TABLE audit_tree ENABLE ALWAYS TRIGGER audit_tree_no_update")
                }
                // Node (1, 3) covers events 7 and 8: named with the lowest of them.
                let v = try await AuditVerifier(pool: f.pool).verify(checkpoints: [checkpoint])
                #expect(v.failure?.seq == 7, "\(String(describing: v.failure))")
                #expect(v.failure?.problem.contains("not the hash of its children") == true)
                // A node the checkpoint's root is made of: the signed root no longer matches.
                try await PostgresConnection.with(f.database.configuration) { c in
                    try await c.query("ALTER TABLE audit_tree DISABLE TRIGGER USER")
                    try await c.query("UPDATE audit_tree SET hash = sha256(hash) WHERE level = 5 AND idx = 0")
                    try await c.query("ALTER TABLE audit_tree ENABLE ALWAYS TRIGGER audit_tree_no_update")
                }
                let rooted = try await AuditVerifier(pool: f.pool).verify(checkpoints: [checkpoint], start: .lastCheckpoint)
                #expect(rooted.failure?.problem.contains("root signed by checkpoint") == true, "\(String(describing: rooted.failure))")
            }
        }
    }
}
