import Foundation
import LunzhiAudit
import LunzhiCore
import LunzhiTestSupport
import PostgresLibPQ
import Testing

/// Each member's own witness (`lunzhi witness serve`, real processes on loopback) cosigns only
/// checkpoints consistent with what it saw; the checkpointer gathers k of n cosignatures.
@Suite struct WitnessTests {
    struct Member {
        let name: String
        let directory: String
        let port: Int
        var url: String { "http://127.0.0.1:\(port)" }
        var endpoint: WitnessEndpoint {
            get throws {
                WitnessEndpoint(
                    url: url, key: try Cosignature.Verifier(encoded: try String(contentsOfFile: directory + "/witness.pub", encoding: .utf8)))
            }
        }
        func start(logKey: String) throws -> BackgroundProcess {
            try BackgroundProcess(
                try lunzhiBinary(),
                [
                    "witness", "serve", "--listen", "127.0.0.1:\(port)", "--key", directory + "/witness.key", "--log-key",
                    logKey, "--state", directory + "/state.json", "--evidence", directory + "/evidence",
                ], log: directory + "/witness.log")
        }
    }

    /// A witness that is down (its connection refused) is passed over at once, however long the
    /// timeout; one that takes the connection and never answers holds the checkpoint back no longer
    /// than the witness timeout. Before, a refused connection was retried for up to 10 s.
    @Test func aDownWitnessCostsNothingAndASilentOneOnlyItsTimeout() async throws {
        try await MechanismFixture.with { f in
            _ = try await AuditHistory.make(f)
            let root = temporaryPath("silent-witness")
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: root) }
            let signer = try newSigner()
            let log = CheckpointLog(path: root + "/checkpoints.log")
            func endpoint(_ port: Int, _ name: String) throws -> WitnessEndpoint {
                WitnessEndpoint(
                    url: "http://127.0.0.1:\(port)",
                    key: try Cosignature.Verifier(encoded: try Cosignature.Signer.generate(name: name).verifier))
            }
            // Listening but never accepting: the kernel completes the connection, nobody answers.
            let silent = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(silent) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let listening = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(silent, $0, length) == 0 && listen(silent, 16) == 0 && getsockname(silent, $0, &length) == 0
                }
            }
            try #require(listening)
            let silentPort = Int(UInt16(bigEndian: address.sin_port))

            let down = AuditCheckpointer(
                pool: f.pool, signer: signer, log: log, witnesses: [try endpoint(try LoopbackPort.free(), "witness.sn.example.cn")],
                witnessTimeout: .seconds(120))
            guard case .signed(let first) = try await down.checkpoint(now: f.clock.now()) else {
                throw TestEnvironmentError(message: "nothing signed")
            }
            #expect(down.report(first).summary.hasPrefix("UNDER-WITNESSED: 0 of 1"), "\(down.report(first).summary)")
            // Asking it again takes no time: with retries, it took the client's 10 s connect timeout.
            let started = ContinuousClock.now
            #expect(await down.cosignatures(for: first, previousSize: 0).isEmpty)
            #expect(ContinuousClock.now - started < .seconds(5), "a refused connection was retried")

            _ = try await f.service.fileItem(by: f.clerk("QH"), ItemDraft(category: .policy, track: .regular, title: "又一议题"))
            let quiet = AuditCheckpointer(
                pool: f.pool, signer: signer, log: log, witnesses: [try endpoint(silentPort, "witness.gs.example.cn")],
                witnessTimeout: .seconds(2))
            let asked = ContinuousClock.now
            guard case .signed(let second) = try await quiet.checkpoint(now: f.clock.now()) else {
                throw TestEnvironmentError(message: "nothing signed")
            }
            let waited = ContinuousClock.now - asked
            #expect(waited >= .seconds(2) && waited < .seconds(60), "waited \(waited)")
            #expect(quiet.report(second).cosigned.isEmpty && second.size > first.size)
        }
    }

    @Test func fiveWitnessesCosignAndFewerAreReported() async throws {
        try await MechanismFixture.with { f in
            _ = try await AuditHistory.make(f)
            let root = temporaryPath("witnesses")
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: root) }
            let signer = try newSigner()
            let logKey = root + "/audit.pub"
            try signer.verifierKey.write(toFile: logKey, atomically: true, encoding: .utf8)
            var members: [Member] = []
            for code in MechanismFixture.order {
                let directory = root + "/" + code
                let keygen = try await BackgroundProcess.run(
                    try lunzhiBinary(), ["witness", "keygen", "--name", "witness.\(code.lowercased()).example.cn", "--out", directory])
                #expect(keygen.status == 0, "\(keygen.output)")
                members.append(Member(name: code, directory: directory, port: try LoopbackPort.free()))
            }
            var processes = try members.map { try $0.start(logKey: logKey) }
            defer { for p in processes { p.stop(SIGTERM) } }
            for m in members { try await BackgroundProcess.waitForPort(m.port) }
            let log = CheckpointLog(path: root + "/checkpoints.log")
            let checkpointer = AuditCheckpointer(
                pool: f.pool, signer: signer, log: log, witnesses: try members.map { try $0.endpoint }, quorum: 3,
                // Five witness processes beside the parallel suite on two cores: a timeout is not
                // what this test is about (the stopped ones refuse the connection at once).
                witnessTimeout: .seconds(60))

            func sign() async throws -> Checkpoint {
                _ = try await f.service.fileItem(by: f.clerk("QH"), ItemDraft(category: .policy, track: .regular, title: "又一议题"))
                guard case .signed(let c) = try await checkpointer.checkpoint(now: f.clock.now()) else {
                    throw TestEnvironmentError(message: "nothing signed")
                }
                return c
            }
            let first = try await sign()
            #expect(checkpointer.report(first).cosigned.count == 5, "\(checkpointer.report(first).summary)")
            // The cosigned note is what the log file and the database keep, and it still verifies.
            #expect(try log.checkpoints(verifier: signer.verifier).last?.note == first.note)
            #expect(try await AuditVerifier(pool: f.pool).verify(checkpoints: try log.checkpoints(verifier: signer.verifier)).ok)

            processes[4].stop(SIGTERM)
            let second = try await sign()
            let four = checkpointer.report(second)
            #expect(four.cosigned.count == 4 && four.witnessed && four.missing == ["witness.xj.example.cn"], "\(four.summary)")

            processes[2].stop(SIGTERM)
            processes[3].stop(SIGTERM)
            let third = try await sign()
            let two = checkpointer.report(third)
            #expect(two.cosigned.count == 2 && !two.witnessed && two.summary.hasPrefix("UNDER-WITNESSED: 2 of 5"), "\(two.summary)")

            // A witness back from downtime catches up: its 409 names the size it knows, and the
            // checkpointer sends the proof from there.
            processes[4] = try members[4].start(logKey: logKey)
            try await BackgroundProcess.waitForPort(members[4].port)
            let fourth = try await sign()
            #expect(checkpointer.report(fourth).cosigned.contains("witness.xj.example.cn"), "\(checkpointer.report(fourth).summary)")

            // The CLI reports the witnesses of the newest checkpoint.
            let keys = members.flatMap { ["--witness-key", $0.directory + "/witness.pub"] }
            let verify = try await BackgroundProcess.run(
                try lunzhiBinary(),
                ["audit", "verify", "--checkpoints", log.path, "--public-key", logKey, "--database-url", "dbname=\(f.database.name)"] + keys)
            #expect(verify.status == 0, "\(verify.output)")
            #expect(verify.output.contains("newest checkpoint (size \(fourth.size)) witnessed: 3 of 5"), "\(verify.output)")
            #expect(verify.output.contains("under-witnessed checkpoints (sizes): \(third.size)"), "\(verify.output)")

            // An export with the witnesses' keys: python (standard library only) counts the same.
            let export = root + "/export"
            let exported = try await BackgroundProcess.run(
                try lunzhiBinary(),
                ["audit", "export", "--as", "auditor", "--out", export, "--checkpoints", log.path, "--public-key", logKey,
                 "--database-url", "dbname=\(f.database.name)"] + keys)
            #expect(exported.status == 0, "\(exported.output)")
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../../docs/audit-verify.py").standardized.path
            let python = try await BackgroundProcess.run("python3", [script, export])
            #expect(python.status == 0, "\(python.output)")
            #expect(python.output.contains("newest checkpoint (size \(fourth.size)) cosigned by 3 of 5 witnesses"), "\(python.output)")
            #expect(python.output.contains("under-witnessed checkpoints (sizes): \(third.size)"), "\(python.output)")
        }
    }

    @Test func theAttacksAreRefused() async throws {
        try await MechanismFixture.with { f in
            _ = try await AuditHistory.make(f)
            let root = temporaryPath("witness-attacks")
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: root) }
            let signer = try newSigner()
            let witnessKey = try Cosignature.Signer(encoded: try Cosignature.Signer.generate(name: "witness.gs.example.cn").signer)
            let statePath = root + "/state.json"
            let witness = try Witness(signer: witnessKey, logKey: signer.verifier, statePath: statePath, evidenceDirectory: root + "/evidence")
            let store = MerkleStore(pool: f.pool)
            let size = try await store.size()
            let honest = try Checkpoint(
                origin: "lunzhi-audit", size: size, head: [UInt8](repeating: 1, count: 32), root: try await store.root(size: size),
                time: f.clock.now(), signer: signer)
            guard case .cosigned = witness.add(Witness.requestBody(old: 0, proof: [], note: honest.note)) else {
                Issue.record("the honest checkpoint was not cosigned")
                return
            }
            // 3. The tail rewritten and signed with the log's real key: a bigger tree whose root
            //    is not an extension of what the witness saw. No proof makes it consistent.
            let forgedRoot = MerkleTree.nodeHash(try await store.root(size: size - 1), MerkleTree.leafHash(Array("rewritten".utf8)))
            let rewritten = try Checkpoint(
                origin: "lunzhi-audit", size: size + 1, head: [UInt8](repeating: 2, count: 32), root: forgedRoot,
                time: f.clock.now(), signer: signer)
            let proof = try await store.consistencyProof(oldSize: size - 1, size: size)
            let refused = witness.add(Witness.requestBody(old: size, proof: proof, note: rewritten.note))
            #expect(refused == .refused(status: 422, reason: "the consistency proof from \(size) to \(size + 1) does not verify"))
            // The same size with another root: 409.
            let sameSize = try Checkpoint(
                origin: "lunzhi-audit", size: size, head: [UInt8](repeating: 3, count: 32), root: forgedRoot,
                time: f.clock.now(), signer: signer)
            #expect(witness.add(Witness.requestBody(old: size, proof: [], note: sameSize.note)) == .conflict(knownSize: size))
            // 4. An old checkpoint replayed: 409 with the size the witness knows.
            let old = try Checkpoint(
                origin: "lunzhi-audit", size: 10, head: [UInt8](repeating: 4, count: 32), root: try await store.root(size: 10),
                time: f.clock.now(), signer: signer)
            #expect(witness.add(Witness.requestBody(old: 10, proof: [], note: old.note)) == .conflict(knownSize: size))
            // Another key's checkpoint: 403.
            let stranger = try Checkpoint(
                origin: "lunzhi-audit", size: size + 5, head: [UInt8](repeating: 5, count: 32), root: forgedRoot,
                time: f.clock.now(), signer: try newSigner())
            if case .refused(let status, _) = witness.add(Witness.requestBody(old: size, proof: [], note: stranger.note)) {
                #expect(status == 403)
            } else {
                Issue.record("a stranger's checkpoint was not refused")
            }
            #expect(witness.known.size == size)
            // Every refusal is kept as evidence.
            #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/evidence").count == 4)
            // 5. A forged cosignature does not count.
            let line = try witnessKey.cosign(String(honest.note.split(separator: "\n\n")[0]) + "\n", time: 1_800_000_000)
            let witnessed = Cosignature.adding([line], to: honest.note)
            let verifier = try Cosignature.Verifier(encoded: try Cosignature.Signer.generate(name: "witness.gs.example.cn").verifier)
            #expect(verifier.cosignedAt(witnessed) == nil)  // same name, another key
            let real = try WitnessEndpoint(parsing: "http://127.0.0.1:1+" + witnessKey.verifierKey)
            #expect(real.key.cosignedAt(witnessed) == 1_800_000_000)
            var bytes = Array(witnessed.utf8)
            bytes[bytes.count - 10] ^= 0x01
            #expect(real.key.cosignedAt(String(decoding: bytes, as: UTF8.self)) == nil)
            // 6. A corrupt state file: the witness refuses to start, never resets to size 0.
            try "{\"origin\":\"lunzhi-audit\",\"si".write(toFile: statePath, atomically: true, encoding: .utf8)
            #expect(throws: Witness.StateError.self) {
                _ = try Witness(signer: witnessKey, logKey: signer.verifier, statePath: statePath, evidenceDirectory: nil)
            }
            let logKeyFile = root + "/audit.pub"
            try signer.verifierKey.write(toFile: logKeyFile, atomically: true, encoding: .utf8)
            let gen = try await BackgroundProcess.run(try lunzhiBinary(), ["witness", "keygen", "--name", "w", "--out", root + "/w"])
            #expect(gen.status == 0)
            let start = try await BackgroundProcess.run(
                try lunzhiBinary(),
                ["witness", "serve", "--listen", "127.0.0.1:\(try LoopbackPort.free())", "--key", root + "/w/witness.key",
                 "--log-key", logKeyFile, "--state", statePath])
            #expect(start.status != 0 && start.output.contains("refusing to start"), "\(start.output)")
        }
    }
}
