import ArgumentParser
import Foundation
import Logging
import LunzhiAudit
import LunzhiConsole
import LunzhiCore
import PostgresLibPQ

/// `lunzhi audit …`: keys, checkpoints, verification, exports and auditor queries (docs/audit-format.md).
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Prove the decision history was not altered; export it; query it.",
        subcommands: [
            Keygen.self, CheckpointSubcommand.self, Verify.self, Prove.self, CheckProof.self, Export.self, Query.self,
        ])

    struct Keygen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make an Ed25519 key pair for signing checkpoints (C2SP signed-note keys).",
            discussion:
                "Writes <out>/audit.key (mode 0600, keep it off the database server if you can) and <out>/audit.pub.")

        @Option(help: "The key's name, as it appears in signatures.") var name: String = "lunzhi-audit"
        @Option(help: "The directory to write the keys into.") var out: String

        func run() throws {
            let (signer, verifier) = try SignedNote.Signer.generate(name: name)
            try writeKeyPair(signer: signer, verifier: verifier, into: out, named: "audit", what: "a signing key")
        }
    }

    struct CheckpointSubcommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "checkpoint",
            abstract: "Verify what was added since the last checkpoint, then sign the head and append it to the log.")

        @OptionGroup var checkpointing: CheckpointOptions
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var logging: LoggingOptions

        func run() async throws {
            _ = try logging.bootstrap(label: "lunzhi.audit")
            let checkpointer = try checkpointing.checkpointer(
                pool: PostgresPool(configuration: database.configuration, options: .init(maximumConnections: 4)))
            do {
                switch try await checkpointer.checkpoint(now: Date(), notify: checkpointing.notify) {
                case .signed(let c):
                    print("signed checkpoint: \(English.count(c.size, "event")), head \(Hex.encode(c.head))")
                    if !checkpointer.witnesses.isEmpty { print(checkpointer.report(c).summary) }
                    if let tiles = checkpointer.tiles { print("tiles: \(tiles.directory) at \(c.size) events") }
                case .unchanged(let c): print("unchanged since the last checkpoint: \(English.count(c.size, "event"))")
                }
                await checkpointer.pool.close()
            } catch let refused as AuditCheckpointer.Refused {
                await checkpointer.pool.close()
                FileHandle.standardError.write(Data("error: \(refused)\n".utf8))
                throw ExitCode(1)
            } catch let tiles as AuditCheckpointer.TilesNotWritten {
                await checkpointer.pool.close()
                FileHandle.standardError.write(Data("error: \(tiles)\n".utf8))
                throw ExitCode(1)
            } catch {
                // Closed on every path, awaited: no task left running after the command.
                await checkpointer.pool.close()
                throw error
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the hash chain and compare the signed checkpoints with it.",
            discussion: "Prints 'ok' with the count and the head and exits 0, or the first bad seq and exits 1.")

        @Option(help: "The checkpoint log file.") var checkpoints: String?
        @Option(name: .customLong("public-key"), help: "The checkpoint signer's verifier key file (audit.pub).")
        var publicKey: String?
        @Option(help: "Start at this seq, trusting the stored hash before it.") var from: Int?
        @Flag(help: "Start at the newest checkpoint (only what was added since is recomputed).") var incremental = false
        @Option(name: .customLong("witness-key"), help: "A witness's verifier key file; repeat for each member's witness.")
        var witnessKeys: [String] = []
        @Option(name: .customLong("witness-quorum"), help: "Cosignatures a checkpoint needs (default: 3, or all when fewer).")
        var witnessQuorum: Int?
        @Option(help: "Check a tiles directory (from --tiles-dir, or a mirror of it) instead of the database; needs --public-key.")
        var tiles: String?
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let witnesses = try witnessKeys.map {
                WitnessEndpoint(url: "", key: try Cosignature.Verifier(encoded: try String(contentsOfFile: $0, encoding: .utf8)))
            }
            if let tiles {
                guard let publicKey, checkpoints == nil, from == nil, !incremental else {
                    throw ValidationError("--tiles takes --public-key (and --witness-key), and no --checkpoints, --from or --incremental")
                }
                try verify(tiles: tiles, key: try SignedNote.Verifier(encoded: try String(contentsOfFile: publicKey, encoding: .utf8)),
                    witnesses: witnesses)
                return
            }
            guard (checkpoints == nil) == (publicKey == nil) else {
                throw ValidationError("--checkpoints and --public-key go together")
            }
            if incremental && from != nil { throw ValidationError("--incremental and --from exclude each other") }
            var list: [Checkpoint] = []
            if let checkpoints, let publicKey {
                let verifier = try SignedNote.Verifier(encoded: try String(contentsOfFile: publicKey, encoding: .utf8))
                do {
                    list = try CheckpointLog(path: checkpoints).checkpoints(verifier: verifier)
                } catch let error as CheckpointError {
                    print("FAILED: \(checkpoints): \(error)")
                    throw ExitCode(1)
                }
            }
            let pool = PostgresPool(configuration: database.configuration, options: .init(maximumConnections: 3))
            let started = ContinuousClock.now
            let v: AuditVerification
            do {
                v = try await AuditVerifier(pool: pool).verify(
                    checkpoints: list, start: from.map { .seq($0) } ?? (incremental ? .lastCheckpoint : .beginning))
                await pool.close()
            } catch {
                await pool.close()
                throw error
            }
            let took = ContinuousClock.now - started
            if let failure = v.failure {
                print("FAILED at \(failure)")
                print("verified before it: \(English.count(v.count, "event"))")
                for line in v.explanation { print(line) }
                throw ExitCode(1)
            }
            defer {
                for line in v.explanation { print(line) }
                // The witnesses: each checkpoint's cosignatures that verify, k of n.
                if !witnesses.isEmpty {
                    let quorum = witnessQuorum ?? WitnessReport.defaultQuorum(witnesses: witnesses.count)
                    let reports = list.map { WitnessReport(note: $0.note, witnesses: witnesses, quorum: quorum) }
                    if let last = list.last, let report = reports.last {
                        print("newest checkpoint (size \(last.size)) \(report.summary)")
                    }
                    let under = zip(list, reports).filter { !$0.1.witnessed }.map { String($0.0.size) }
                    print(
                        under.isEmpty
                            ? "every checkpoint has \(quorum) or more valid cosignatures"
                            : "under-witnessed checkpoints (sizes): \(under.joined(separator: ", "))")
                }
            }
            print(
                "\(v.verdict): \(English.count(v.count, "event")) recomputed" + (v.count > 0 ? " (seq \(v.firstSeq)…\(v.headSeq))" : "")
                    + ", head seq \(v.headSeq) \(Hex.encode(v.headHash)), \(English.count(list.count, "checkpoint")) checked, in \(took)"
            )
        }

        /// The whole log from a tiles directory, with no database.
        private func verify(tiles: String, key: SignedNote.Verifier, witnesses: [WitnessEndpoint]) throws {
            let started = ContinuousClock.now
            do {
                let checkpoint = try TileReader.checkpoint(in: tiles, verifier: key)
                if let failure = try TileReader(directory: tiles, size: checkpoint.size).verify(against: checkpoint) {
                    print("FAILED at \(failure)")
                    throw ExitCode(1)
                }
                print(
                    "ok: \(checkpoint.size) events from the tiles in \(tiles), chain head \(Hex.encode(checkpoint.head)), "
                        + "Merkle root \(Hex.encode(checkpoint.root ?? [])), signed by \(key.name) at \(checkpoint.time), in \(ContinuousClock.now - started)")
                if !witnesses.isEmpty {
                    print(WitnessReport(note: checkpoint.note, witnesses: witnesses, quorum: witnessQuorum).summary)
                }
            } catch let failure as any TileFailure {
                print("FAILED: \(failure)")
                throw ExitCode(1)
            }
        }
    }

    struct Prove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prove that one event (or the event of one decision) is in the signed log.",
            discussion:
                "Prints the event's leaf hash, audit path and the version-2 checkpoint it leads to; with --json the proof as one JSON object, for `lunzhi audit check-proof` or docs/audit-verify.py check-proof. With --tiles, from a tiles directory (a mirror) alone: no database, no principal; the proof is checked before it is printed.")

        @Argument(help: "The event's seq.") var seq: Int?
        @Option(help: "The decision number (2026-001) instead of a seq.") var decision: String?
        @Option(name: .customLong("as"), help: "The auditor (or operator) principal the proof is recorded for (not with --tiles).")
        var principal: String?
        @Option(help: "The checkpoint log file (default: the database's copies).") var checkpoints: String?
        @Option(help: "A tiles directory (from --tiles-dir, or a mirror of it) to prove from, without the database.")
        var tiles: String?
        @Option(name: .customLong("public-key"), help: "The checkpoint signer's verifier key file (audit.pub).")
        var publicKey: String
        @Option(name: .customLong("witness-key"), help: "With --tiles: a witness's verifier key file; repeat for each member's witness.")
        var witnessKeys: [String] = []
        @Flag(help: "Print the proof as JSON.") var json = false
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            guard (seq == nil) != (decision == nil) else { throw ValidationError("give a seq or --decision, not both") }
            let key = try SignedNote.Verifier(encoded: try String(contentsOfFile: publicKey, encoding: .utf8))
            if let tiles {
                guard principal == nil, checkpoints == nil else {
                    throw ValidationError("--tiles proves from the directory alone: no --as, no --checkpoints")
                }
                try prove(tiles: tiles, key: key)
                return
            }
            guard let principal else { throw ValidationError("--as names the principal the proof is recorded for") }
            try await withService(database.configuration) { service in
                let desk = AuditDesk(service: service, key: key, checkpointLog: checkpoints.map(CheckpointLog.init(path:)))
                let id = try await service.principalID(named: principal)
                let proof =
                    if let decision { try await desk.prove(by: id, decision: decision) } else {
                        try await desk.prove(by: id, seq: seq!)
                    }
                show(proof)
            }
        }

        private func prove(tiles: String, key: SignedNote.Verifier) throws {
            let witnesses = try witnessKeys.map {
                WitnessEndpoint(url: "", key: try Cosignature.Verifier(encoded: try String(contentsOfFile: $0, encoding: .utf8)))
            }
            do {
                let checkpoint = try TileReader.checkpoint(in: tiles, verifier: key)
                let reader = TileReader(directory: tiles, size: checkpoint.size)
                let target: Int
                if let decision {
                    guard let found = try reader.decision(decision) else {
                        FileHandle.standardError.write(Data("error: no decision numbered \(decision) in the \(checkpoint.size) events of \(tiles)\n".utf8))
                        throw ExitCode(1)
                    }
                    target = found
                } else {
                    target = seq!
                }
                let proof = try reader.prove(seq: target, checkpoint: checkpoint)
                try proof.verify(with: key)
                show(proof)
                if !json, !witnesses.isEmpty {
                    print(WitnessReport(note: checkpoint.note, witnesses: witnesses).summary)
                }
            } catch let failure as any TileFailure {
                print("FAILED: \(failure)")
                throw ExitCode(1)
            }
        }

        private func show(_ proof: InclusionProof) {
            if json {
                print(proof.json())
            } else {
                print("event \(proof.seq) is in the log of \(proof.treeSize) events")
                print("event: \(proof.event)")
                print("leaf \(Hex.encode(proof.leafHash)) (index \(proof.index))")
                print("path (\(proof.path.count) hashes): " + proof.path.map { Hex.encode($0) }.joined(separator: " "))
                print("checkpoint:\n" + proof.checkpoint)
            }
        }
    }

    struct CheckProof: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-proof",
            abstract: "Check an inclusion proof (from `audit prove --json`) offline, with the public key alone.",
            discussion: "Prints 'ok' and exits 0, or what is wrong and exits 1. Needs no database.")

        @Argument(help: "The proof file (JSON).") var file: String
        @Option(name: .customLong("public-key"), help: "The checkpoint signer's verifier key file (audit.pub).")
        var publicKey: String

        func run() throws {
            let key = try SignedNote.Verifier(encoded: try String(contentsOfFile: publicKey, encoding: .utf8))
            do {
                let proof = try InclusionProof(json: try String(contentsOfFile: file, encoding: .utf8))
                let checkpoint = try proof.verify(with: key)
                print(
                    "ok: event \(proof.seq) is in the log of \(proof.treeSize) events signed by \(key.name) "
                        + "(\(checkpoint.origin), \(checkpoint.time)); \(proof.path.count) hashes in its path")
            } catch let invalid as InclusionProof.Invalid {
                print("FAILED: \(invalid)")
                throw ExitCode(1)
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write an evidence bundle: events as JSON Lines, checkpoints, public key, CSV, README.")

        @Option(name: .customLong("as"), help: "The auditor (or operator) principal the export is recorded for.")
        var principal: String
        @Option(help: "From this time (ISO 8601; Shanghai when no zone).") var since: String?
        @Option(help: "Until this time, exclusive.") var until: String?
        @Option(help: "The directory to write.") var out: String
        @Option(help: "The checkpoint log file to include.") var checkpoints: String?
        @Option(name: .customLong("public-key"), help: "The verifier key file to include.") var publicKey: String?
        @Option(name: .customLong("witness-key"), help: "A witness's verifier key file to include; repeat for each.")
        var witnessKeys: [String] = []
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let witnesses = try witnessKeys.map {
                try Cosignature.Verifier(encoded: try String(contentsOfFile: $0, encoding: .utf8))
            }
            let since = try self.since.map { try parseTime($0, "--since") }
            let until = try self.until.map { try parseTime($0, "--until") }
            let notes = try checkpoints.map { try CheckpointLog(path: $0).notes() } ?? []
            let key = try publicKey.map {
                try String(contentsOfFile: $0, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            if let key { _ = try SignedNote.Verifier(encoded: key) }
            try await withService(database.configuration) { service in
                let id = try await service.principalID(named: principal)
                let summary = try await AuditExporter(service: service).export(
                    by: id, since: since, until: until, to: out, checkpointNotes: notes, verifierKey: key,
                    witnessKeys: witnesses)
                print(
                    "exported \(summary.events) events (seq \(summary.firstSeq)…\(summary.lastSeq)), "
                        + "\(summary.decisions) decisions, \(summary.approvals) approvals, "
                        + "\(summary.checkpoints) checkpoints to \(out)")
            }
        }
    }

    struct Query: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Run an auditor's console request (HISTORY, AUDIT LOG/ASOF/DECISIONS/VERIFY) from the command line.",
            discussion: "Example: lunzhi audit query --as auditor 'AUDIT DECISIONS year=2026'. The read is recorded.")

        @Option(name: .customLong("as"), help: "The auditor principal.") var principal: String
        @Flag(help: "Print the reply as JSON.") var json = false
        @Argument(help: "The request, as typed in the console.") var request: String

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let first = request.split(separator: " ").first?.uppercased() ?? ""
            guard first == "HISTORY" || first == "AUDIT" else {
                throw ValidationError("only HISTORY and AUDIT … requests can be run from the command line")
            }
            let failed = try await withService(database.configuration) { service in
                let id = try await service.principalID(named: principal)
                // The reply is the output; the per-request log line would only repeat it.
                var logger = Logger(label: "lunzhi.audit")
                logger.logLevel = .warning
                let dispatcher = ConsoleDispatcher(
                    environment: ConsoleEnvironment(service: service, version: LunzhiVersion.current), logger: logger)
                let reply = await dispatcher.run(request, asPrincipal: id, named: principal)
                print(json ? reply.json(tag: nil) : reply.text(tag: nil), terminator: "")
                return !reply.isSuccess
            }
            if failed { throw ExitCode(1) }
        }
    }
}

func parseTime(_ text: String, _ option: String) throws -> Date {
    guard let time = ShanghaiCalendar.parseTime(text) else {
        throw ValidationError("\(option) must be an ISO 8601 time such as 2026-01-01 or 2026-01-01T09:00 (Shanghai)")
    }
    return time
}

/// What reading or checking a tiles directory finds wrong: printed as `FAILED: …`, exit 1.
protocol TileFailure: Error, CustomStringConvertible {}
extension TileReader.Invalid: TileFailure {}
extension Tiles.Malformed: TileFailure {}
extension InclusionProof.Invalid: TileFailure {}

/// Writes a key pair made by a keygen command: `<out>/<name>.key` (mode 0600, created exclusively:
/// an existing key is never overwritten) and `<out>/<name>.pub`.
func writeKeyPair(signer: String, verifier: String, into out: String, named name: String, what: String) throws {
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    let keyPath = out + "/\(name).key"
    let fd = open(keyPath, O_WRONLY | O_CREAT | O_EXCL, 0o600)
    guard fd >= 0 else {
        throw ValidationError(
            errno == EEXIST ? "\(keyPath) exists; refusing to overwrite \(what)" : "cannot create \(keyPath): errno \(errno)")
    }
    let bytes = Array((signer + "\n").utf8)
    let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
    guard written == bytes.count else { throw ValidationError("cannot write \(keyPath): errno \(errno)") }
    try (verifier + "\n").write(toFile: out + "/\(name).pub", atomically: true, encoding: .utf8)
    print("wrote \(keyPath) (secret) and \(out)/\(name).pub")
    print("verifier key: \(verifier)")
}
