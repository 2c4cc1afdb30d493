import Foundation
import LunzhiAudit
import LunzhiMigrations
import LunzhiTestSupport
import PostgresLibPQ
import Testing

/// The log as C2SP tlog-tiles (`--tiles-dir`): the layout, the tiles against the stored tree, and a
/// decision proved from a mirror of the directory, with PostgreSQL stopped, by the binary and by
/// python; an altered mirror is refused.
@Suite struct TilesTests {
    @Test func pathsAndBundlesFollowTheLayout() throws {
        #expect(Tiles.encode(index: 0) == "000")
        #expect(Tiles.encode(index: 1000) == "x001/000")
        #expect(Tiles.encode(index: 1_234_067) == "x001/x234/067")
        #expect(Tiles.tilePath(level: 0, index: 1_234_067, width: 256) == "tile/0/x001/x234/067")
        #expect(Tiles.tilePath(level: 2, index: 5, width: 17) == "tile/2/005.p/17")
        #expect(Tiles.entriesPath(index: 3, width: 1) == "tile/entries/003.p/1")
        let entries: [[UInt8]] = [[], [1, 2, 3], Array(repeating: 7, count: 0xFFFE), Array(repeating: 9, count: 70_000)]
        let bundle = Tiles.bundle(entries)
        #expect(Array(bundle.prefix(7)) == [0, 0, 0, 3, 1, 2, 3])
        #expect(try Tiles.unbundle(bundle) == entries)
        #expect(throws: Tiles.Malformed.self) { try Tiles.unbundle(Array(bundle.dropLast())) }
    }

    @Test func aDecisionIsProvedFromAMirrorWithTheDatabaseStopped() async throws {
        try await PrivateCluster.with { cluster in
            try await Migrator(configuration: cluster.configuration, migrations: try Migration.bundled()).migrate()
            let dir = temporaryPath("tiles")
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let binary = try lunzhiBinary()
            #expect(try await BackgroundProcess.run(binary, ["audit", "keygen", "--name", "nw5-audit", "--out", dir]).status == 0)
            let key = dir + "/audit.pub"
            let tiles = dir + "/tiles"
            let checkpoint = [
                "audit", "checkpoint", "--checkpoint-key", dir + "/audit.key", "--checkpoint-log", dir + "/checkpoints.log",
                "--tiles-dir", tiles, "--database-url", "host=127.0.0.1 port=\(cluster.port) user=lunzhi dbname=postgres",
            ]
            let pool = PostgresPool(configuration: cluster.configuration, options: .init(maximumConnections: 2))
            // Events 1…300: event 150 records decision 2026-007; event 200 is longer than 64 KiB.
            func append(_ range: ClosedRange<Int>) async throws {
                try await pool.query(
                    """
                    INSERT INTO audit_event (at, principal_id, principal_name, mechanism_code, member_code, action,
                                             entity, entity_id, after, prev_hash, hash)
                    SELECT now(), NULL, 'clerk-gs', 'NW5', 'GS',
                           CASE WHEN g = 150 THEN 'consultation.decide' ELSE 'item.submit' END, 'item', g::text,
                           CASE WHEN g = 150 THEN jsonb_build_object('number', '2026-007', 'outcome', 'adopted')
                                WHEN g = 200 THEN jsonb_build_object('minutes', repeat('纪要', 12000))
                                ELSE jsonb_build_object('id', g, 'title', '议题 ' || g) END,
                           '\\x'::bytea, '\\x'::bytea
                    FROM generate_series($1::int, $2::int) g
                    """, [range.lowerBound, range.upperBound])
            }
            try await append(1...300)
            let first = try await BackgroundProcess.run(binary, checkpoint)
            #expect(first.status == 0 && first.output.contains("tiles: \(tiles) at 300 events"), "\(first.output)")
            func size(_ relative: String) -> Int? {
                (try? FileManager.default.attributesOfItem(atPath: tiles + "/" + relative))?[.size] as? Int
            }
            #expect(size("tile/0/000") == 8192 && size("tile/0/001.p/44") == 44 * 32)
            #expect(size("tile/entries/000") != nil && size("tile/entries/001.p/44") != nil)
            #expect(size("tile/1/000.p/1") == 32)
            try await append(301...600)
            let second = try await BackgroundProcess.run(binary, checkpoint)
            #expect(second.status == 0, "\(second.output)")
            #expect(size("tile/0/001") == 8192 && size("tile/0/002.p/88") == 88 * 32 && size("tile/1/000.p/2") == 64)
            // Tile 1 is full now: its partial tile and bundle are gone; level 1 is still partial,
            // and its width at the first checkpoint stays (a checkpoint of that size exists).
            #expect(!FileManager.default.fileExists(atPath: tiles + "/tile/0/001.p"))
            #expect(!FileManager.default.fileExists(atPath: tiles + "/tile/entries/001.p"))
            #expect(size("tile/1/000.p/1") == 32)
            let note = try String(contentsOfFile: tiles + "/checkpoint", encoding: .utf8)
            #expect(note.contains("\n600\n"))

            // The tiles are the stored tree: its root and proofs.
            let store = MerkleStore(pool: pool)
            let reader = TileReader(directory: tiles, size: 600)
            #expect(try reader.root() == (try await store.root(size: 600)))
            for index in [0, 149, 255, 256, 511, 599] {
                #expect(try MerkleTree.inclusionProof(index: index, size: 600) { try reader.subtree($0, $1) }
                    == (try await store.inclusionProof(index: index, size: 600)), "proof of \(index)")
            }
            // Unchanged: the checkpoint file stays as it is.
            #expect(try await BackgroundProcess.run(binary, checkpoint).output.contains("unchanged"))
            await pool.close()

            // A member mirrors the directory; PostgreSQL stops.
            let mirror = dir + "/mirror"
            try FileManager.default.copyItem(atPath: tiles, toPath: mirror)
            try await cluster.stop()
            let proved = try await BackgroundProcess.run(
                binary, ["audit", "prove", "--tiles", mirror, "--decision", "2026-007", "--public-key", key, "--json"])
            #expect(proved.status == 0, "\(proved.output)")
            let proof = try InclusionProof(json: proved.output)
            #expect(proof.seq == 150 && proof.treeSize == 600 && proof.event.contains("2026-007"))
            #expect(proof.path.count <= 10)
            try proved.output.write(toFile: dir + "/proof.json", atomically: true, encoding: .utf8)
            let checked = try await BackgroundProcess.run(binary, ["audit", "check-proof", dir + "/proof.json", "--public-key", key])
            #expect(checked.status == 0 && checked.output.hasPrefix("ok: event 150"), "\(checked.output)")
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../../docs/audit-verify.py").standardized.path
            let pythonProof = try await BackgroundProcess.run("python3", [script, "check-proof", dir + "/proof.json", key])
            #expect(pythonProof.status == 0, "\(pythonProof.output)")
            let verified = try await BackgroundProcess.run(binary, ["audit", "verify", "--tiles", mirror, "--public-key", key])
            #expect(verified.status == 0 && verified.output.hasPrefix("ok: 600 events from the tiles"), "\(verified.output)")
            let whole = try await BackgroundProcess.run("python3", [script, "tiles", mirror, key])
            #expect(whole.status == 0 && whole.output.hasPrefix("ok 600 events from the tiles"), "\(whole.output)")
            let one = try await BackgroundProcess.run("python3", [script, "tiles", mirror, key, "--decision", "2026-007"])
            #expect(one.status == 0 && one.output.hasPrefix("ok event 150 is in the log of 600 events"), "\(one.output)")

            // The mirror altered: the decision's outcome changed in its entry bundle.
            let bundle = mirror + "/tile/entries/000"
            var bytes = try Data(contentsOf: URL(fileURLWithPath: bundle))
            let range = try #require(bytes.range(of: Data("adopted".utf8)))
            bytes.replaceSubrange(range, with: Data("ADOPTED".utf8))
            try bytes.write(to: URL(fileURLWithPath: bundle))
            let refused = try await BackgroundProcess.run(
                binary, ["audit", "prove", "150", "--tiles", mirror, "--public-key", key])
            #expect(refused.status == 1 && refused.output.contains("does not hash to its leaf"), "\(refused.output)")
            let verifyRefused = try await BackgroundProcess.run(binary, ["audit", "verify", "--tiles", mirror, "--public-key", key])
            #expect(
                verifyRefused.status == 1 && verifyRefused.output.hasPrefix("FAILED at seq 150: its entry does not hash to its leaf"),
                "\(verifyRefused.output)")
            let pythonRefused = try await BackgroundProcess.run("python3", [script, "tiles", mirror, key])
            #expect(
                pythonRefused.status == 1 && pythonRefused.output.hasPrefix("FAILED at seq 150"), "\(pythonRefused.output)")
        }
    }
}
