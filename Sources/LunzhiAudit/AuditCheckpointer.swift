public import Foundation
public import PostgresLibPQ
import LunzhiCore

/// Makes signed checkpoints: verifies what was added since the last checkpoint (so it never signs a
/// rewritten history), signs the verified head, appends the note to the checkpoint log file and
/// keeps a copy in `audit_checkpoint`. With `notify`, also queues the note as a reminder to every
/// member, so each province holds a copy; with `tiles`, writes the log's tiles and the note to a
/// directory members can mirror.
public struct AuditCheckpointer: Sendable {
    public let pool: PostgresPool
    public let signer: SignedNote.Signer
    public let log: CheckpointLog
    public let origin: String
    /// Witnesses asked to cosign each new checkpoint, and how many cosignatures make it witnessed.
    public let witnesses: [WitnessEndpoint]
    public let quorum: Int
    /// How long a witness may take to answer before the checkpoint goes on without its cosignature.
    public let witnessTimeout: Duration
    /// Where the C2SP tlog-tiles copy of the log is kept (`--tiles-dir`), if anywhere.
    public let tiles: TileWriter?

    public init(
        pool: PostgresPool, signer: SignedNote.Signer, log: CheckpointLog, origin: String = "lunzhi-audit",
        witnesses: [WitnessEndpoint] = [], quorum: Int? = nil, witnessTimeout: Duration = .seconds(5),
        tilesDirectory: String? = nil
    ) {
        self.tiles = tilesDirectory.map { TileWriter(pool: pool, directory: $0) }
        self.pool = pool
        self.signer = signer
        self.log = log
        self.origin = origin
        self.witnesses = witnesses
        self.witnessTimeout = witnessTimeout
        self.quorum = quorum ?? WitnessReport.defaultQuorum(witnesses: witnesses.count)
    }

    /// How the configured witnesses cosigned a checkpoint's note.
    public func report(_ checkpoint: Checkpoint) -> WitnessReport {
        WitnessReport(note: checkpoint.note, witnesses: witnesses, quorum: quorum)
    }

    public enum Outcome: Sendable, Equatable {
        case signed(Checkpoint)
        /// Nothing was added since the last checkpoint.
        case unchanged(Checkpoint)
    }

    public struct Refused: Error, CustomStringConvertible {
        public var description: String
    }

    /// The checkpoint is signed and kept, but the tiles directory could not be brought up to it.
    public struct TilesNotWritten: Error, CustomStringConvertible {
        public var checkpoint: Checkpoint
        public var reason: String
        public var description: String {
            "checkpoint at \(English.count(checkpoint.size, "event")) is signed and kept, but the tiles directory was not updated: \(reason)"
        }
    }

    /// Brings the tiles directory up to `checkpoint` (nothing when it is there already).
    private func publish(_ checkpoint: Checkpoint) async throws {
        guard let tiles, checkpoint.root != nil else { return }
        do {
            try await tiles.write(checkpoint)
        } catch {
            throw TilesNotWritten(checkpoint: checkpoint, reason: "\(error)")
        }
    }

    public func checkpoint(now: Date, notify: Bool = false) async throws -> Outcome {
        // One checkpointer at a time per database (several daemons may be configured to sign).
        return try await pool.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(7307418812334735970)")
            do {
                let outcome = try await sign(now: now, notify: notify)
                try await connection.query("SELECT pg_advisory_unlock(7307418812334735970)")
                return outcome
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(7307418812334735970)")
                throw error
            }
        }
    }

    private func sign(now: Date, notify: Bool) async throws -> Outcome {
        let existing: [Checkpoint]
        do {
            existing = try log.checkpoints(verifier: signer.verifier)
        } catch {
            throw Refused(description: "the checkpoint log \(log.path) does not verify: \(error)")
        }
        let verification = try await AuditVerifier(pool: pool).verify(checkpoints: existing, start: .lastCheckpoint)
        if let failure = verification.failure {
            throw Refused(description: "refusing to sign: the audit log does not verify at \(failure)")
        }
        if let last = existing.last, last.size == verification.headSeq {
            try await publish(last)
            return .unchanged(last)
        }
        // Version 2: the Merkle root (verified above against the events) and the chain head.
        var checkpoint = try Checkpoint(
            origin: origin, size: verification.headSeq, head: verification.headHash, root: verification.treeRoot,
            time: now, signer: signer)
        // The witnesses' cosignatures join the note before it is kept anywhere.
        if !witnesses.isEmpty {
            let lines = await cosignatures(for: checkpoint, previousSize: existing.last?.size ?? 0)
            checkpoint.note = Cosignature.adding(lines, to: checkpoint.note)
        }
        try log.append(checkpoint.note)
        try await pool.transaction { connection in
            try await CheckpointStore.insert(checkpoint, keyName: signer.name, on: connection)
            if notify {
                try await connection.query(
                    """
                    INSERT INTO reminder (mechanism_code, recipient_member, kind, entity, entity_id, due_at,
                                          idempotency_key, payload)
                    SELECT m.mechanism_code, m.code, 'audit_checkpoint', 'checkpoint', $1::text, $2,
                           'audit_checkpoint:' || $1::text || ':' || m.mechanism_code || ':' || m.code,
                           jsonb_build_object('checkpoint', $3::text)
                    FROM member m
                    ON CONFLICT (idempotency_key) WHERE state IN ('pending', 'running') DO NOTHING
                    """, [String(checkpoint.size), now, checkpoint.note])
            }
        }
        try await publish(checkpoint)
        return .signed(checkpoint)
    }
}

/// The database's copies of the checkpoints (`audit_checkpoint`): a convenience for the console's
/// AUDIT VERIFY and the metrics. The authoritative copies are the log files outside the database.
public enum CheckpointStore {
    /// The stored notes, oldest first.
    public static func notes(_ pool: PostgresPool) async throws -> [String] {
        try await pool.query("SELECT note FROM audit_checkpoint ORDER BY id").map { try $0.decode("note") }
    }

    static func insert(_ checkpoint: Checkpoint, keyName: String, on connection: PostgresConnection) async throws {
        try await connection.query(
            "INSERT INTO audit_checkpoint (size, head, key_name, note) VALUES ($1, $2, $3, $4)",
            [checkpoint.size, Data(checkpoint.head), keyName, checkpoint.note])
    }
}
